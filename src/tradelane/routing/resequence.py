"""Resequencing: an ordered route may wait a bounded time for a missing predecessor before proceeding.

A producer numbers its events per aggregate (``sequence``). On a route with ``ordered: true`` and
``resequence_s: W``, a delivery whose predecessor (``sequence - 1`` from the same source for the same
partition key) has not arrived is *held* — due only ``W`` seconds later — and, because an ordered lane
delivers a key strictly in its ordering value (``event_seq``), it holds the key's later deliveries too. When
the predecessor arrives within the wait, the waiting deliveries of that key and source are given their
ordering values again in sequence order (the predecessor takes the smallest) and every one whose predecessor
is now present is released at once. When the wait runs out the held delivery proceeds without it; a
predecessor arriving later still is delivered after it (and, with ``staleness.enabled``, flagged late when it
is older news).

Pure: :func:`resequence` computes the changes; the store applies them in the transaction that writes the new
deliveries, to the pending deliveries not attempted yet.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["FIRST_SEQUENCE", "MAX_RESEQUENCE_S", "Change", "Waiting", "has_predecessor", "resequence"]

#: a sequence at or below this has no predecessor to wait for (producers count from 0 or 1)
FIRST_SEQUENCE = 1
#: the longest a route may hold a key for a missing predecessor, seconds (an hour: beyond that a gap is an
#: incident for a person, not something to wait out)
MAX_RESEQUENCE_S = 3600.0


@dataclass(frozen=True)
class Waiting:
    """A pending, not yet attempted delivery of one (destination, partition key, source)."""

    #: the delivery id
    id: str
    #: its ordering value in the lane
    event_seq: int
    #: the producer's sequence number of its event
    sequence: int
    #: when it is due
    next_attempt_at: datetime
    #: written in this transaction (its due time is still the router's "now")
    new: bool = False


@dataclass(frozen=True)
class Change:
    """What to write on one delivery."""

    id: str
    event_seq: int
    next_attempt_at: datetime


def has_predecessor(sequence: int, present: Collection[int]) -> bool:
    """Whether ``sequence`` can go: it is a first one, or ``sequence - 1`` has arrived."""
    return sequence <= FIRST_SEQUENCE or sequence - 1 in present


def resequence(
    waiting: Sequence[Waiting], present: Collection[int], now: datetime, wait_s: float
) -> list[Change]:
    """The changes that put ``waiting`` in sequence order and hold or release each.

    :param waiting: the key's pending, unattempted deliveries of one source (new ones included)
    :param present: the sequence numbers of that source's events for the key that have arrived
    :param now: the transaction's time
    :param wait_s: how long a delivery may be held for its predecessor (from when it arrived)
    """
    if not waiting:
        return []
    ordered = sorted(waiting, key=lambda w: (w.sequence, w.event_seq))
    seqs = sorted(w.event_seq for w in waiting)
    hold = now + timedelta(seconds=min(max(wait_s, 0.0), MAX_RESEQUENCE_S))
    out = []
    for w, event_seq in zip(ordered, seqs, strict=True):
        ready = has_predecessor(w.sequence, present)
        if w.new:
            due = now if ready else hold
        else:
            due = now if ready and w.next_attempt_at > now else w.next_attempt_at
        if event_seq != w.event_seq or due != w.next_attempt_at:
            out.append(Change(w.id, event_seq, due))
    return out
