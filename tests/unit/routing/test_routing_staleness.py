"""Stale and out-of-order events: duplicates dropped, late events kept for history but never applied,
terminal states never regress — on examples and on shuffled, duplicated streams (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tradelane.core.envelope import CloudEvent
from tradelane.core.examples import example
from tradelane.core.milestones import MILESTONES, Milestone
from tradelane.routing.staleness import (
    FINGERPRINT_WINDOW,
    ORDER_LADDER,
    SHIPMENT_LADDER,
    AggregateState,
    Decision,
    EventFacts,
    Reason,
    Verdict,
    classify,
    facts_from_event,
    fingerprint,
)

T0 = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)


def _facts(
    n: int,
    status: str | None = None,
    *,
    seq: int | None = None,
    minutes: int | None = None,
    source: str = "/partners/rhenus",
) -> EventFacts:
    return EventFacts(
        aggregate="shp_1",
        fingerprint=f"fp-{n}",
        source=source,
        sequence=seq,
        time=None if minutes is None else T0 + timedelta(minutes=minutes),
        status=status,
    )


def _run(
    stream: list[EventFacts], ladder: object = SHIPMENT_LADDER
) -> tuple[list[Decision], AggregateState | None]:
    state: AggregateState | None = None
    out = []
    for facts in stream:
        decision = classify(state, facts, ladder)  # type: ignore[arg-type]
        out.append(decision)
        state = decision.state
    return out, state


def test_a_late_lower_milestone_does_not_move_the_shipment_back() -> None:
    decisions, state = _run(
        [
            _facts(1, "in_transit", minutes=0),
            _facts(2, "out_for_delivery", minutes=60),
            _facts(3, "in_transit", minutes=90),  # newer timestamp, lower rank: late news
        ]
    )
    assert [(d.verdict, d.reason) for d in decisions] == [
        (Verdict.APPLY, Reason.NEW),
        (Verdict.APPLY, Reason.NEW),
        (Verdict.LATE, Reason.NO_ADVANCE),
    ]
    assert (
        state is not None
        and state.status == "out_for_delivery"
        and state.last_time == T0 + timedelta(minutes=60)
    )


def test_terminal_never_regresses_but_always_applies_to_a_live_shipment() -> None:
    decisions, state = _run(
        [
            _facts(1, "exception", minutes=120),
            _facts(2, "delivered", minutes=60),  # older than the exception, but terminal
            _facts(3, "out_for_delivery", minutes=180),
            _facts(4, "cancelled", minutes=200),
            _facts(5, None, minutes=240),  # e.g. freight charged after delivery still applies
        ]
    )
    assert [d.verdict for d in decisions] == [
        Verdict.APPLY,
        Verdict.APPLY,
        Verdict.LATE,
        Verdict.LATE,
        Verdict.APPLY,
    ]
    assert decisions[2].reason is Reason.TERMINAL
    assert state is not None and state.status == "delivered" and state.terminal


def test_exact_duplicates_are_dropped_even_after_being_late() -> None:
    first = _facts(1, "delivered", minutes=0)
    late = _facts(2, "in_transit", minutes=-30)
    decisions, state = _run([first, late, first, late])
    assert [d.verdict for d in decisions] == [
        Verdict.APPLY,
        Verdict.LATE,
        Verdict.DUPLICATE,
        Verdict.DUPLICATE,
    ]
    assert state is not None and state.fingerprints == ("fp-1", "fp-2")


def test_sequence_beats_time_within_one_source_and_gaps_are_reported() -> None:
    decisions, state = _run(
        [
            _facts(1, None, seq=1, minutes=50),
            _facts(2, None, seq=4, minutes=10),  # earlier clock, later sequence: applies; 2 and 3 are missing
            _facts(3, None, seq=3, minutes=60),
            _facts(4, None, seq=5, source="/partners/other", minutes=5),  # other source: compared by time
        ],
        ladder=None,
    )
    assert [(d.verdict, d.gap) for d in decisions] == [
        (Verdict.APPLY, 0),
        (Verdict.APPLY, 2),
        (Verdict.LATE, 0),
        (Verdict.LATE, 0),
    ]
    assert decisions[2].reason is Reason.OLDER_SEQUENCE and decisions[3].reason is Reason.OLDER_TIME
    assert state is not None and dict(state.sequences) == {"/partners/rhenus": 4}


def test_unranked_news_is_ordered_by_time() -> None:
    decisions, state = _run(
        [
            _facts(1, "delayed", minutes=30),
            _facts(2, "exception", minutes=20),
            _facts(3, "eta_changed", minutes=40),
        ]
    )
    assert [d.verdict for d in decisions] == [Verdict.APPLY, Verdict.LATE, Verdict.APPLY]
    assert state is not None and state.status == "eta_changed" and state.rank is None


def test_order_ladder_cancelled_is_terminal() -> None:
    orders = [
        EventFacts("ord_1", "a", time=T0, status="confirmed"),
        EventFacts("ord_1", "b", time=T0 + timedelta(hours=1), status="cancelled"),
        EventFacts("ord_1", "c", time=T0 + timedelta(hours=2), status="released"),
    ]
    decisions, state = _run(orders, ORDER_LADDER)
    assert [d.verdict for d in decisions] == [Verdict.APPLY, Verdict.APPLY, Verdict.LATE]
    assert state is not None and state.status == "cancelled"


def test_fingerprint_window_is_bounded() -> None:
    state: AggregateState | None = None
    for n in range(FINGERPRINT_WINDOW + 10):
        state = classify(state, _facts(n, None, minutes=n), None).state
    assert state is not None and len(state.fingerprints) == FINGERPRINT_WINDOW
    assert state.fingerprints[0] == "fp-10"


def test_facts_from_events() -> None:
    data = example("tradelane.shipment.milestone.v1")
    event = CloudEvent(
        id="e1",
        source="/partners/rhenus",
        type="tradelane.shipment.milestone.v1",
        time=T0,
        sequence=7,
        data=data,
    )
    facts, ladder = facts_from_event(event)
    assert (facts.aggregate, facts.status, facts.sequence, facts.source) == (
        "shp_so0042_1",
        "departed_terminal",
        7,
        "/partners/rhenus",
    )
    assert ladder is SHIPMENT_LADDER
    assert facts.fingerprint == fingerprint(
        event.type, dict(reversed(list(data.items())))
    )  # key order ignored
    other = CloudEvent(id="e2", source="x", type=event.type, data={**data, "tracking_number": "other"})
    assert facts_from_event(other)[0].fingerprint != facts.fingerprint
    cancelled = CloudEvent(
        id="e3",
        source="odoo",
        type="tradelane.order.cancelled.v1",
        partitionkey="ord_x",
        data=example("tradelane.order.cancelled.v1"),
    )
    facts, ladder = facts_from_event(cancelled)
    assert (facts.aggregate, facts.status, ladder) == ("ord_x", "cancelled", ORDER_LADDER)
    rejected = CloudEvent(
        id="e4",
        source="x",
        type="tradelane.shipment.tender_rejected.v1",
        data=example("tradelane.shipment.tender_rejected.v1"),
    )
    assert facts_from_event(rejected)[0].status is None


# --- properties ----------------------------------------------------------------------------------------------

RANKED = [str(m) for m, info in MILESTONES.items() if info.rank is not None and not info.terminal]
TERMINAL = [str(m) for m, info in MILESTONES.items() if info.terminal]
ANY_STATUS = [str(m) for m in Milestone] + [None]


@st.composite
def streams(draw: st.DrawFn, statuses: list[str | None]) -> list[EventFacts]:
    """Distinct events (own fingerprint, time and sequence), then shuffled, with some sent twice."""
    n = draw(st.integers(min_value=1, max_value=15))
    events = [
        EventFacts(
            "shp_1",
            f"fp-{i}",
            source="/partners/rhenus",
            sequence=i,
            time=T0 + timedelta(minutes=i),
            status=draw(st.sampled_from(statuses)),
        )
        for i in range(n)
    ]
    repeats = draw(st.lists(st.sampled_from(events), max_size=5))
    return draw(st.permutations(events + repeats))


@settings(max_examples=300)
@given(stream=streams(ANY_STATUS))
def test_shuffled_streams_never_regress_and_drop_only_repeats(stream: list[EventFacts]) -> None:
    decisions, state = _run(stream)
    assert state is not None
    seen: set[str] = set()
    rank = None
    terminal_status = None
    for facts, decision in zip(stream, decisions, strict=True):
        # exactly the repeats are duplicates
        assert (decision.verdict is Verdict.DUPLICATE) == (facts.fingerprint in seen)
        seen.add(facts.fingerprint)
        # the highest rank never goes down; once terminal, the status never changes again
        s = decision.state
        if rank is not None:
            assert s.rank is not None and s.rank >= rank
        rank = s.rank
        if terminal_status is not None:
            assert s.status == terminal_status and s.terminal
        elif s.terminal:
            terminal_status = s.status
    distinct = {f.fingerprint for f in stream}
    assert sum(d.verdict is not Verdict.DUPLICATE for d in decisions) == len(distinct)
    assert set(state.fingerprints) == distinct
    if any(f.status in TERMINAL for f in stream):
        assert state.terminal and state.status in TERMINAL


@settings(max_examples=300)
@given(stream=streams(RANKED))
def test_ranked_milestones_end_at_the_highest_rank_whatever_the_order(stream: list[EventFacts]) -> None:
    _, state = _run(stream)
    assert state is not None
    best = max(SHIPMENT_LADDER.ranks[f.status] or 0 for f in stream if f.status is not None)
    assert state.rank == best


@settings(max_examples=300)
@given(stream=streams([None]))
def test_unstatused_streams_apply_a_strictly_increasing_sequence(stream: list[EventFacts]) -> None:
    decisions, state = _run(stream, None)
    applied = [f.sequence for f, d in zip(stream, decisions, strict=True) if d.verdict is Verdict.APPLY]
    assert applied == sorted(set(applied)) and applied[0] == stream[0].sequence
    assert state is not None
    assert state.sequences["/partners/rhenus"] == max(f.sequence or 0 for f in stream)
    # the events that were late are exactly those older than something applied before them
    for i, (facts, decision) in enumerate(zip(stream, decisions, strict=True)):
        if decision.verdict is Verdict.LATE:
            assert any((earlier.sequence or 0) > (facts.sequence or 0) for earlier in stream[:i])
