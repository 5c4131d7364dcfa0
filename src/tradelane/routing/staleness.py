"""Stale, late, duplicate and out-of-order events, decided per aggregate (a shipment, an order …).

:func:`classify` compares an incoming event's :class:`EventFacts` with the aggregate's
:class:`AggregateState` and answers with a :class:`Decision`:

* ``duplicate`` — the exact same content (event type and payload) was seen before: drop it;
* ``late`` — older than what is known, or a step back: keep it in the history, flagged, but do not let
  it change the aggregate's current state;
* ``apply`` — news: it moves the state.

Rules, in order:

1. Exact duplicates are dropped (a window of recent content fingerprints per aggregate).
2. Once a terminal status (delivered, cancelled) is applied, no status event applies any more.
3. A terminal status always applies to a live aggregate.
4. A ranked status (see :class:`StatusLadder`) applies only when it ranks above the highest applied — a
   late "in transit" never moves a shipment back from "out for delivery", whatever its timestamp.
5. Anything else (unranked news such as delays and exceptions, events without a status) applies unless
   it is older: a lower or equal ``sequence`` from the same source (producers number their own events),
   or — when sequences cannot be compared — an earlier event time.

A gap in one source's sequence is reported (``Decision.gap``) so that a route may wait a bounded time for
the missing predecessor (:mod:`tradelane.routing.resequence`). Everything here is pure: states are
immutable values.

:func:`screen` applies the rules to the new events of one ingest transaction: the store loads the
aggregates' states (:func:`state_to_json` / :func:`state_from_json` are their stored form), calls it,
drops the duplicates (answering with the hub id of the first copy), stores late events flagged
``late:<reason>`` with their deliveries filtered, and writes the new states back — all in the
transaction that stores the events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson

from tradelane.core.catalog import EventName
from tradelane.core.envelope import CloudEvent
from tradelane.core.milestones import MILESTONES, Milestone
from tradelane.core.model import OrderStatus
from tradelane.core.registry import registry

__all__ = [
    "FINGERPRINT_HEX",
    "FINGERPRINT_WINDOW",
    "LADDERS",
    "ORDER_LADDER",
    "SHIPMENT_LADDER",
    "AggregateState",
    "Decision",
    "EventFacts",
    "Reason",
    "StatusLadder",
    "Verdict",
    "classify",
    "facts_from_event",
    "fingerprint",
    "Screen",
    "Screened",
    "aggregate_of",
    "screen",
    "state_from_json",
    "state_to_json",
]

#: how many recent content fingerprints an aggregate remembers for exact-duplicate detection (carriers
#: re-send a scan within minutes; a shipment sees a few dozen events in its life)
FINGERPRINT_WINDOW = 256


class Verdict(StrEnum):
    """What to do with an event."""

    APPLY = "apply"
    LATE = "late"
    DUPLICATE = "duplicate"


class Reason(StrEnum):
    """Why."""

    NEW = "new"
    DUPLICATE = "duplicate"
    TERMINAL = "terminal"
    NO_ADVANCE = "no_advance"
    OLDER_SEQUENCE = "older_sequence"
    OLDER_TIME = "older_time"


@dataclass(frozen=True)
class StatusLadder:
    """The statuses of one kind of aggregate: rank in forward progress (``None``: not a step) and terminal."""

    #: the aggregate kind, e.g. ``shipment``
    name: str
    #: status → rank; ``None`` for news that is not a step (delay, exception)
    ranks: Mapping[str, int | None]
    #: statuses that end the aggregate's life
    terminal: frozenset[str]

    def rank(self, status: str) -> int | None:
        return self.ranks.get(status)

    def is_terminal(self, status: str) -> bool:
        return status in self.terminal


#: shipment statuses are the canonical milestones, ranked by :data:`tradelane.core.milestones.MILESTONES`
SHIPMENT_LADDER = StatusLadder(
    name="shipment",
    ranks={str(m): info.rank for m, info in MILESTONES.items()},
    terminal=frozenset(str(m) for m, info in MILESTONES.items() if info.terminal),
)

#: order statuses; done and cancelled end an order's life
ORDER_LADDER = StatusLadder(
    name="order",
    ranks={
        str(OrderStatus.DRAFT): 10,
        str(OrderStatus.CONFIRMED): 20,
        str(OrderStatus.RELEASED): 30,
        str(OrderStatus.DONE): 90,
        str(OrderStatus.CANCELLED): None,
    },
    terminal=frozenset({str(OrderStatus.DONE), str(OrderStatus.CANCELLED)}),
)

#: aggregate kind (the entity of the event type) → its ladder
LADDERS: Mapping[str, StatusLadder] = {"shipment": SHIPMENT_LADDER, "order": ORDER_LADDER}

#: event type → the status it reports (milestone events report their own, see :func:`facts_from_event`)
_STATUS_OF_TYPE: Mapping[str, str] = {
    EventName.ORDER_CREATED: str(OrderStatus.DRAFT),
    EventName.ORDER_CONFIRMED: str(OrderStatus.CONFIRMED),
    EventName.ORDER_RELEASED: str(OrderStatus.RELEASED),
    EventName.ORDER_CANCELLED: str(OrderStatus.CANCELLED),
    EventName.SHIPMENT_TENDERED: str(Milestone.TENDERED),
    EventName.SHIPMENT_BOOKED: str(Milestone.BOOKED),
    EventName.SHIPMENT_SHIPPED: str(Milestone.PICKED_UP),
    EventName.SHIPMENT_DELIVERED: str(Milestone.DELIVERED),
}


@dataclass(frozen=True)
class EventFacts:
    """What staleness needs to know about one event."""

    #: the aggregate id (partition key)
    aggregate: str
    #: fingerprint of the content (type + payload); equal fingerprints are exact duplicates
    fingerprint: str
    #: the producer, whose ``sequence`` numbers are comparable among themselves only
    source: str | None = None
    #: the producer's per-aggregate sequence number
    sequence: int | None = None
    #: when it happened
    time: datetime | None = None
    #: the status the event reports, on the aggregate's ladder
    status: str | None = None


@dataclass(frozen=True)
class AggregateState:
    """What is known about one aggregate."""

    aggregate: str
    #: the latest applied status (ranked or not)
    status: str | None = None
    #: the highest rank applied
    rank: int | None = None
    #: whether a terminal status was applied
    terminal: bool = False
    #: the latest event time applied
    last_time: datetime | None = None
    #: highest sequence applied, per source
    sequences: Mapping[str, int] = field(default_factory=dict)
    #: recent content fingerprints, oldest first (at most :data:`FINGERPRINT_WINDOW`)
    fingerprints: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """The verdict on one event and the aggregate's state afterwards."""

    verdict: Verdict
    reason: Reason
    #: the state after the event (for ``late``, only the fingerprint window changed)
    state: AggregateState
    #: sequence numbers of the same source missing before this one (0 when none or unknown)
    gap: int = 0


def _remember(state: AggregateState, fp: str) -> tuple[str, ...]:
    return (*state.fingerprints, fp)[-FINGERPRINT_WINDOW:]


def _older(state: AggregateState, facts: EventFacts) -> Reason | None:
    if facts.source is not None and facts.sequence is not None and facts.source in state.sequences:
        return Reason.OLDER_SEQUENCE if facts.sequence <= state.sequences[facts.source] else None
    if facts.time is not None and state.last_time is not None and facts.time < state.last_time:
        return Reason.OLDER_TIME
    return None


def classify(state: AggregateState | None, facts: EventFacts, ladder: StatusLadder | None = None) -> Decision:
    """Decide whether ``facts`` applies to the aggregate, is late, or is a duplicate (rules: module doc).

    :param state: what is known about the aggregate (``None`` for its first event)
    :param facts: the incoming event
    :param ladder: the aggregate kind's statuses; without one, statuses are compared by time and sequence
    """
    state = state or AggregateState(aggregate=facts.aggregate)
    if facts.fingerprint in state.fingerprints:
        return Decision(Verdict.DUPLICATE, Reason.DUPLICATE, state)
    gap = 0
    if facts.source is not None and facts.sequence is not None and facts.source in state.sequences:
        gap = max(0, facts.sequence - state.sequences[facts.source] - 1)

    def late(reason: Reason) -> Decision:
        return Decision(Verdict.LATE, reason, replace(state, fingerprints=_remember(state, facts.fingerprint)))

    status = facts.status
    rank = None if status is None or ladder is None else ladder.rank(status)
    terminal = status is not None and ladder is not None and ladder.is_terminal(status)
    if status is not None:
        if state.terminal:
            return late(Reason.TERMINAL)
        if not terminal and rank is not None:
            if state.rank is not None and rank <= state.rank:
                return late(Reason.NO_ADVANCE)
        elif not terminal and (older := _older(state, facts)) is not None:
            return late(older)
    elif (older := _older(state, facts)) is not None:
        return late(older)

    sequences = dict(state.sequences)
    if facts.source is not None and facts.sequence is not None:
        sequences[facts.source] = max(facts.sequence, sequences.get(facts.source, facts.sequence))
    last_time = state.last_time
    if facts.time is not None and (last_time is None or facts.time > last_time):
        last_time = facts.time
    new_rank = state.rank
    if rank is not None and (new_rank is None or rank > new_rank):
        new_rank = rank
    new_state = replace(
        state,
        status=status if status is not None else state.status,
        rank=new_rank,
        terminal=state.terminal or terminal,
        last_time=last_time,
        sequences=sequences,
        fingerprints=_remember(state, facts.fingerprint),
    )
    return Decision(Verdict.APPLY, Reason.NEW, new_state, gap)


#: hex digits of the SHA-256 kept as a fingerprint: 128 bits tell a few hundred events of one aggregate apart
#: with certainty, at half the size of the window stored with every aggregate
FINGERPRINT_HEX = 32


def fingerprint(event_type: str, data: Mapping[str, Any]) -> str:
    """SHA-256 (first :data:`FINGERPRINT_HEX` hex digits) of an event's type and payload in canonical JSON
    (sorted keys): equal for exact duplicates."""
    blob = orjson.dumps({"type": event_type, "data": data}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(blob).hexdigest()[:FINGERPRINT_HEX]


def facts_from_event(event: CloudEvent) -> tuple[EventFacts, StatusLadder | None]:
    """The facts of a validated event and the ladder of its aggregate kind.

    The aggregate is the ``partitionkey`` (else the event type's key field); the status comes from the event
    type (``order.cancelled`` → cancelled, ``shipment.delivered`` → delivered …) or, for
    ``shipment.milestone``, from the tracking event's milestone.
    """
    et = registry.get(event.type)
    aggregate = event.partitionkey
    if aggregate is None and et is not None and et.key_field:
        aggregate = str(event.data.get(et.key_field, ""))
    status = _STATUS_OF_TYPE.get(event.type)
    if event.type == EventName.SHIPMENT_MILESTONE:
        inner = event.data.get("event")
        if isinstance(inner, Mapping) and inner.get("milestone") is not None:
            status = str(inner["milestone"])
    facts = EventFacts(
        aggregate=aggregate or "",
        fingerprint=fingerprint(event.type, event.data),
        source=event.source,
        sequence=event.sequence,
        time=event.time,
        status=status,
    )
    return facts, None if et is None else LADDERS.get(et.entity)


# --- stored form and the ingest screen ------------------------------------------------------------------


def state_to_json(state: AggregateState, hub_ids: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The JSON form of ``state`` stored in the ``aggregates`` table; ``hub_ids`` maps fingerprints in the
    window to the hub id of the event that first had them (kept for the fingerprints still in the window)."""
    hub_ids = hub_ids or {}
    return {
        "status": state.status,
        "rank": state.rank,
        "terminal": state.terminal,
        "last_time": None if state.last_time is None else state.last_time.isoformat(),
        "sequences": dict(state.sequences),
        "fingerprints": [[fp, hub_ids.get(fp)] for fp in state.fingerprints],
    }


def state_from_json(aggregate: str, doc: Mapping[str, Any] | None) -> tuple[AggregateState, dict[str, str]]:
    """The state and the fingerprint → first hub id map from :func:`state_to_json`'s form."""
    if not doc:
        return AggregateState(aggregate=aggregate), {}
    pairs = [(str(p[0]), p[1]) for p in doc.get("fingerprints") or ()]
    last = doc.get("last_time")
    state = AggregateState(
        aggregate=aggregate,
        status=doc.get("status"),
        rank=doc.get("rank"),
        terminal=bool(doc.get("terminal")),
        last_time=None if last is None else datetime.fromisoformat(last),
        sequences={str(k): int(v) for k, v in (doc.get("sequences") or {}).items()},
        fingerprints=tuple(fp for fp, _ in pairs),
    )
    return state, {fp: str(h) for fp, h in pairs if h is not None}


@dataclass(frozen=True)
class Screened:
    """The verdict on one new event of an ingest transaction."""

    #: the aggregate (partition key) it belongs to, ``None`` when it has none (then it always applies)
    aggregate: str | None
    #: the aggregate kind (entity), e.g. ``shipment``
    kind: str | None
    decision: Decision | None
    #: for a duplicate: the hub id of the first copy
    original: str | None = None

    @property
    def verdict(self) -> Verdict:
        return Verdict.APPLY if self.decision is None else self.decision.verdict

    @property
    def flag(self) -> str | None:
        """``late:<reason>`` for a late event, else ``None``."""
        if self.decision is not None and self.decision.verdict is Verdict.LATE:
            return f"late:{self.decision.reason}"
        return None


class Screen:
    """Running staleness states for one transaction: :meth:`judge` each new event in order; a rejected
    submission's judgements are undone with :meth:`checkpoint` / :meth:`rollback`.

    Aggregates are scoped: the same partition key in two scopes is two aggregates (the store uses one
    hub-wide scope, see ``SqlStore._load_screen``).
    """

    def __init__(self, stored: Mapping[tuple[str, str], Mapping[str, Any] | None]) -> None:
        #: (scope, aggregate) → (state, fingerprint → first hub id)
        self._states: dict[tuple[str, str], tuple[AggregateState, dict[str, str]]] = {
            key: state_from_json(key[1], doc) for key, doc in stored.items()
        }
        #: (scope, aggregate) → the owned document (system-of-record matrix, :mod:`tradelane.routing.ownership`)
        self._docs: dict[tuple[str, str], dict[str, Any]] = {
            key: dict((doc or {}).get("document") or {}) for key, doc in stored.items()
        }
        self._kinds: dict[tuple[str, str], str] = {}
        self._changed: set[tuple[str, str]] = set()
        #: the aggregates that were stored before (their rows are updated; the others inserted)
        self.existing: frozenset[tuple[str, str]] = frozenset(key for key, doc in stored.items() if doc is not None)
        self._saved: tuple[dict[tuple[str, str], tuple[AggregateState, dict[str, str]]],
                           set[tuple[str, str]], dict[tuple[str, str], dict[str, Any]]] | None = None

    def judge(self, hub_id: str, event: CloudEvent, scope: str = "") -> Screened:
        """The verdict on ``event`` (about to be stored as ``hub_id``); the running state moves on."""
        facts, ladder = facts_from_event(event)
        if not facts.aggregate:
            return Screened(None, None, None)
        et = registry.get(event.type)
        kind = et.entity if et is not None else "?"
        key = (scope, facts.aggregate)
        state, hub_ids = self._states.get(key) or (AggregateState(aggregate=facts.aggregate), {})
        decision = classify(state, facts, ladder)
        if decision.verdict is Verdict.DUPLICATE:
            return Screened(facts.aggregate, kind, decision, hub_ids.get(facts.fingerprint))
        window = set(decision.state.fingerprints)
        hub_ids = {fp: h for fp, h in hub_ids.items() if fp in window}
        hub_ids.setdefault(facts.fingerprint, hub_id)
        self._states[key] = (decision.state, hub_ids)
        self._kinds.setdefault(key, kind)
        self._changed.add(key)
        return Screened(facts.aggregate, kind, decision)

    def document(self, aggregate: str, scope: str = "") -> dict[str, Any]:
        """The owned document held for an aggregate (empty when none)."""
        return self._docs.get((scope, aggregate), {})

    def set_document(self, aggregate: str, kind: str, document: dict[str, Any], scope: str = "") -> None:
        key = (scope, aggregate)
        self._docs[key] = document
        self._kinds.setdefault(key, kind)
        self._changed.add(key)

    def checkpoint(self) -> None:
        """Remember the states, to :meth:`rollback` to if the submission being judged is refused."""
        self._saved = (dict(self._states), set(self._changed), dict(self._docs))

    def rollback(self) -> None:
        assert self._saved is not None
        self._states, self._changed, self._docs = dict(self._saved[0]), set(self._saved[1]), dict(self._saved[2])

    def changed(self) -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
        """(scope, aggregate) → (kind, stored form) for every aggregate whose state or document moved."""
        out = {}
        for key in sorted(self._changed):
            state, hub_ids = self._states.get(key) or (AggregateState(aggregate=key[1]), {})
            stored = state_to_json(state, hub_ids)
            if self._docs.get(key):
                stored["document"] = self._docs[key]
            out[key] = (self._kinds.get(key, "?"), stored)
        return out


def screen(stored: Mapping[tuple[str, str], Mapping[str, Any] | None]) -> Screen:
    """A :class:`Screen` over the stored states (by (scope, aggregate)) of the aggregates a transaction touches."""
    return Screen(stored)


def aggregate_of(event: CloudEvent) -> str | None:
    """The aggregate (partition key, else the type's key field) ``event`` belongs to, if any."""
    return facts_from_event(event)[0].aggregate or None
