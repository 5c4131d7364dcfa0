"""Circuit breaker state machine: open at threshold, cool-down growth, single half-open probe, disable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradelane.core.errors import ConfigError
from tradelane.delivery.breaker import (
    CLOSED,
    DEFAULT_BREAKER_POLICY,
    BreakerPolicy,
    BreakerState,
    BreakerStatus,
    Transition,
    allow,
    cool_down,
    next_probe_at,
    on_failure,
    on_success,
)

T0 = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
POLICY = BreakerPolicy(
    failure_threshold=3,
    cool_down=timedelta(seconds=10),
    cool_down_factor=2.0,
    cool_down_max=timedelta(seconds=60),
    probe_timeout=timedelta(seconds=30),
    disable_after=timedelta(days=5),
)


def _fail(state: BreakerState, times: int, at: datetime) -> tuple[BreakerState, list[Transition]]:
    transitions: list[Transition] = []
    for _ in range(times):
        state, new = on_failure(state, at, POLICY)
        transitions += new
    return state, transitions


def test_closed_allows_and_counts_failures_until_threshold() -> None:
    allowed, state = allow(CLOSED, T0, POLICY)
    assert allowed and state == CLOSED
    state, transitions = _fail(CLOSED, 2, T0)
    assert state.state is BreakerStatus.CLOSED
    assert state.consecutive_failures == 2 and state.failing_since == T0
    assert transitions == []
    state, transitions = on_failure(state, T0 + timedelta(seconds=1), POLICY)
    assert state.state is BreakerStatus.OPEN
    assert state.opened_at == T0 + timedelta(seconds=1)
    assert transitions == [Transition.OPENED]


def test_success_resets_the_streak() -> None:
    state, _ = _fail(CLOSED, 2, T0)
    state, transitions = on_success(state, T0, POLICY)
    assert state == CLOSED and transitions == []
    state, _ = _fail(state, 2, T0)
    assert state.state is BreakerStatus.CLOSED  # streak restarted from zero


def test_open_refuses_until_cool_down_then_allows_exactly_one_probe() -> None:
    state, _ = _fail(CLOSED, 3, T0)
    allowed, same = allow(state, T0 + timedelta(seconds=9), POLICY)
    assert not allowed and same == state
    assert next_probe_at(state, POLICY) == T0 + timedelta(seconds=10)

    probe_time = T0 + timedelta(seconds=10)
    allowed, half = allow(state, probe_time, POLICY)
    assert allowed
    assert half.state is BreakerStatus.HALF_OPEN and half.half_open_probe_at == probe_time
    # a second worker asking meanwhile is refused: one probe at a time
    allowed, still = allow(half, probe_time + timedelta(seconds=5), POLICY)
    assert not allowed and still == half


def test_lost_probe_is_replaced_after_probe_timeout() -> None:
    state, _ = _fail(CLOSED, 3, T0)
    _, half = allow(state, T0 + timedelta(seconds=10), POLICY)
    later = T0 + timedelta(seconds=40)
    allowed, again = allow(half, later, POLICY)
    assert allowed and again.half_open_probe_at == later


def test_probe_success_closes() -> None:
    state, _ = _fail(CLOSED, 3, T0)
    _, half = allow(state, T0 + timedelta(seconds=10), POLICY)
    closed, transitions = on_success(half, T0 + timedelta(seconds=11), POLICY)
    assert closed == CLOSED
    assert transitions == [Transition.CLOSED]


def test_probe_failure_reopens_with_growing_capped_cool_down() -> None:
    state, _ = _fail(CLOSED, 3, T0)
    now = T0
    cool_downs = []
    for _ in range(6):
        cool_downs.append(cool_down(state, POLICY))
        probe_at = next_probe_at(state, POLICY)
        assert probe_at is not None
        now = probe_at
        allowed, state = allow(state, now, POLICY)
        assert allowed and state.state is BreakerStatus.HALF_OPEN
        state, transitions = on_failure(state, now, POLICY)
        assert state.state is BreakerStatus.OPEN and state.opened_at == now
        assert transitions == [Transition.REOPENED]
    assert [c.total_seconds() for c in cool_downs] == [10, 20, 40, 60, 60, 60]


def test_late_failures_while_open_do_not_lengthen_the_cool_down() -> None:
    state, _ = _fail(CLOSED, 3, T0)
    before = cool_down(state, POLICY)
    state, transitions = _fail(state, 5, T0 + timedelta(seconds=1))
    assert state.state is BreakerStatus.OPEN and transitions == []
    assert cool_down(state, POLICY) == before
    assert state.opened_at == T0


def test_late_success_while_open_closes() -> None:
    state, _ = _fail(CLOSED, 3, T0)
    state, transitions = on_success(state, T0 + timedelta(seconds=1), POLICY)
    assert state == CLOSED and transitions == [Transition.CLOSED]


def test_disable_recommended_after_failing_continuously_for_days() -> None:
    state, _ = _fail(CLOSED, 3, T0)
    # four days of failed probes: no recommendation yet
    now = T0 + timedelta(days=4)
    _, state = allow(state, now, POLICY)
    state, transitions = on_failure(state, now, POLICY)
    assert Transition.DISABLE_RECOMMENDED not in transitions
    now = T0 + timedelta(days=5, seconds=1)
    _, state = allow(state, now, POLICY)
    state, transitions = on_failure(state, now, POLICY)
    assert transitions == [Transition.REOPENED, Transition.DISABLE_RECOMMENDED]
    assert state.failing_since == T0


def test_a_success_in_between_restarts_the_disable_clock() -> None:
    state, _ = _fail(CLOSED, 3, T0)
    state, _ = on_success(state, T0 + timedelta(days=3), POLICY)
    state, transitions = _fail(state, 3, T0 + timedelta(days=6))
    assert Transition.DISABLE_RECOMMENDED not in transitions
    assert state.failing_since == T0 + timedelta(days=6)


def test_defaults_are_sane() -> None:
    assert DEFAULT_BREAKER_POLICY.failure_threshold >= 1
    assert DEFAULT_BREAKER_POLICY.disable_after == timedelta(days=5)
    assert DEFAULT_BREAKER_POLICY.cool_down <= DEFAULT_BREAKER_POLICY.cool_down_max


@pytest.mark.parametrize(
    "kwargs",
    [
        {"failure_threshold": 0},
        {"cool_down": timedelta(0)},
        {"cool_down": timedelta(hours=2), "cool_down_max": timedelta(hours=1)},
        {"cool_down_factor": 0.5},
        {"probe_timeout": timedelta(0)},
    ],
)
def test_invalid_policy(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        BreakerPolicy(**kwargs)  # type: ignore[arg-type]


def test_cool_down_never_overflows() -> None:
    state = BreakerState(state=BreakerStatus.OPEN, consecutive_failures=10**6, opened_at=T0, failing_since=T0)
    assert cool_down(state, DEFAULT_BREAKER_POLICY) == DEFAULT_BREAKER_POLICY.cool_down_max


@given(st.lists(st.tuples(st.sampled_from(["allow", "ok", "fail"]), st.integers(0, 3600)), max_size=60))
def test_random_sequences_keep_invariants(steps: list[tuple[str, int]]) -> None:
    state = CLOSED
    now = T0
    for op, advance in steps:
        now += timedelta(seconds=advance)
        if op == "allow":
            allowed, new = allow(state, now, POLICY)
            if state.state is BreakerStatus.CLOSED:
                assert allowed
            state = new
        elif op == "ok":
            state, _ = on_success(state, now, POLICY)
        else:
            state, _ = on_failure(state, now, POLICY)
        # invariants of any reachable state
        if state.state is BreakerStatus.CLOSED:
            assert state.consecutive_failures < POLICY.failure_threshold
            assert state.half_open_probe_at is None
        else:
            assert state.opened_at is not None and state.failing_since is not None
            assert state.consecutive_failures >= POLICY.failure_threshold
        if state.state is BreakerStatus.OPEN:
            assert state.half_open_probe_at is None
        assert (state.failing_since is None) == (state.consecutive_failures == 0)
        assert POLICY.cool_down <= cool_down(state, POLICY) <= POLICY.cool_down_max
