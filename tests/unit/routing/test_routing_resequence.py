"""Resequencing, pure: a delivery waits (bounded) for its missing predecessor; when the predecessor arrives
the key's waiting deliveries are put back in sequence order and released — for any arrival order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tradelane.routing.resequence import MAX_RESEQUENCE_S, Waiting, has_predecessor, resequence

NOW = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
WAIT = 60.0


def test_first_sequences_never_wait_and_a_gap_holds() -> None:
    assert has_predecessor(1, set()) and has_predecessor(0, set())
    assert not has_predecessor(3, {1}) and has_predecessor(3, {2})
    (held,) = resequence([Waiting("d3", 100, 3, NOW, new=True)], {1}, NOW, WAIT)
    assert held.next_attempt_at == NOW + timedelta(seconds=WAIT) and held.event_seq == 100
    assert resequence([Waiting("d1", 100, 1, NOW, new=True)], set(), NOW, WAIT) == []  # nothing to change


def test_the_predecessor_takes_the_first_place_and_releases_the_chain() -> None:
    later = NOW - timedelta(seconds=5)
    waiting = [
        Waiting("d3", 100, 3, later + timedelta(seconds=WAIT)),  # held five seconds ago
        Waiting("d4", 101, 4, later),                             # ready, but behind d3 in the lane
        Waiting("d2", 102, 2, NOW, new=True),                     # the missing one arrives
    ]
    changes = {c.id: c for c in resequence(waiting, {1, 2, 3, 4}, NOW, WAIT)}
    assert changes["d2"].event_seq == 100 and changes["d3"].event_seq == 101 and changes["d4"].event_seq == 102
    assert changes["d3"].next_attempt_at == NOW  # released at once
    assert changes["d4"].next_attempt_at == later  # was due already: unchanged


def test_the_wait_is_bounded() -> None:
    (held,) = resequence([Waiting("d9", 1, 9, NOW, new=True)], set(), NOW, 10 * MAX_RESEQUENCE_S)
    assert held.next_attempt_at == NOW + timedelta(seconds=MAX_RESEQUENCE_S)


@given(order=st.permutations(list(range(1, 9))))
def test_any_arrival_order_ends_in_sequence_and_released(order: list[int]) -> None:
    """Apply the changes as the store would, one arrival at a time; at the end the lane is 1..n, all due."""
    lane: dict[str, Waiting] = {}
    present: set[int] = set()
    for n, seq in enumerate(order):
        now = NOW + timedelta(seconds=n)
        present.add(seq)
        lane[f"d{seq}"] = Waiting(f"d{seq}", 1000 + n, seq, now, new=True)
        for c in resequence(list(lane.values()), present, now, WAIT):
            w = lane[c.id]
            lane[c.id] = Waiting(w.id, c.event_seq, w.sequence, c.next_attempt_at)
        lane = {k: Waiting(w.id, w.event_seq, w.sequence, w.next_attempt_at) for k, w in lane.items()}
        # at every moment the lane order is the sequence order
        in_lane = sorted(lane.values(), key=lambda w: w.event_seq)
        assert [w.sequence for w in in_lane] == sorted(w.sequence for w in in_lane)
        # a delivery is held exactly when its predecessor has not arrived
        for w in in_lane:
            assert (w.next_attempt_at > now) is (not has_predecessor(w.sequence, present))
    end = NOW + timedelta(seconds=len(order))
    assert all(w.next_attempt_at < end for w in lane.values())
