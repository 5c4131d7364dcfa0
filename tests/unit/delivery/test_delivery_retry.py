"""Retry decisions: classification, the Svix schedule with jitter, Retry-After, exhaustion, compression."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradelane.core.errors import ConfigError
from tradelane.delivery.retry import (
    DEFAULT_SCHEDULE,
    MAX_RETRY_AFTER_SECONDS,
    NetworkFailure,
    RetryAction,
    RetryPolicy,
    Verdict,
    classify,
    decide,
    parse_retry_after,
)

NOW = datetime(2026, 11, 3, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("outcome", "verdict"),
    [
        (200, Verdict.SUCCESS),
        (201, Verdict.SUCCESS),
        (204, Verdict.SUCCESS),
        (299, Verdict.SUCCESS),
        (301, Verdict.PERMANENT),
        (302, Verdict.PERMANENT),
        (307, Verdict.PERMANENT),
        (400, Verdict.PERMANENT),
        (401, Verdict.PERMANENT),
        (403, Verdict.PERMANENT),
        (404, Verdict.PERMANENT),
        (409, Verdict.PERMANENT),
        (422, Verdict.PERMANENT),
        (408, Verdict.RETRYABLE),
        (425, Verdict.RETRYABLE),
        (429, Verdict.RETRYABLE),
        (410, Verdict.DISABLE_ENDPOINT),
        (500, Verdict.RETRYABLE),
        (502, Verdict.RETRYABLE),
        (503, Verdict.RETRYABLE),
        (599, Verdict.RETRYABLE),
        (NetworkFailure.TIMEOUT, Verdict.RETRYABLE),
        (NetworkFailure.CONNECT_ERROR, Verdict.RETRYABLE),
        (NetworkFailure.TLS_ERROR, Verdict.RETRYABLE),
        (NetworkFailure.DNS, Verdict.RETRYABLE),
        (NetworkFailure.PROTOCOL_ERROR, Verdict.RETRYABLE),
        (NetworkFailure.BLOCKED, Verdict.PERMANENT),
    ],
)
def test_classify_follows_the_reliability_contract(outcome: int | NetworkFailure, verdict: Verdict) -> None:
    assert classify(outcome) is verdict


def test_classify_rejects_non_outcomes() -> None:
    with pytest.raises(TypeError):
        classify(True)
    with pytest.raises(TypeError):
        classify("500")  # type: ignore[arg-type]


def test_default_policy_is_the_svix_schedule() -> None:
    policy = RetryPolicy()
    assert policy.schedule == (5, 300, 1800, 7200, 18000, 36000, 36000)
    assert policy.max_attempts == 8
    assert policy.jitter == pytest.approx(0.2)


def test_terminal_outcomes() -> None:
    policy = RetryPolicy()
    done = decide(policy, 1, 200, NOW)
    assert (done.action, done.next_attempt_at) == (RetryAction.DONE, None)
    gone = decide(policy, 3, 410, NOW)
    assert gone.action is RetryAction.DISABLE and gone.next_attempt_at is None
    for status in (301, 400, 404, 422):
        dead = decide(policy, 1, status, NOW)
        assert dead.action is RetryAction.DEAD, status
        assert "permanent" in dead.reason
    blocked = decide(policy, 1, NetworkFailure.BLOCKED, NOW)
    assert blocked.action is RetryAction.DEAD


def test_each_retry_follows_the_schedule_within_jitter() -> None:
    policy = RetryPolicy()
    rng = random.Random(7)
    for attempt, base in enumerate(DEFAULT_SCHEDULE, start=1):
        decision = decide(policy, attempt, 503, NOW, rng=rng)
        assert decision.action is RetryAction.RETRY
        assert decision.next_attempt_at is not None
        delay = (decision.next_attempt_at - NOW).total_seconds()
        assert base * 0.8 <= delay <= base * 1.2, (attempt, delay)


def test_jitter_actually_varies_and_is_deterministic_with_a_seed() -> None:
    policy = RetryPolicy()
    delays = {decide(policy, 4, 500, NOW, rng=random.Random(seed)).next_attempt_at for seed in range(20)}
    assert len(delays) > 10
    first = decide(policy, 4, 500, NOW, rng=random.Random(42))
    again = decide(policy, 4, 500, NOW, rng=random.Random(42))
    assert first == again


def test_retries_are_bounded() -> None:
    policy = RetryPolicy()
    last = decide(policy, policy.max_attempts, 500, NOW, rng=random.Random(1))
    assert last.action is RetryAction.DEAD
    assert "exhausted after 8 attempts" in last.reason
    beyond = decide(policy, policy.max_attempts + 5, NetworkFailure.TIMEOUT, NOW)
    assert beyond.action is RetryAction.DEAD


def test_compress_scales_delays_for_tests() -> None:
    policy = RetryPolicy(jitter=0.0).compressed(1 / 60)
    decision = decide(policy, 2, 500, NOW)  # 5 min scheduled
    assert decision.next_attempt_at == NOW + timedelta(seconds=5)


def test_zero_jitter_gives_exact_schedule() -> None:
    policy = RetryPolicy(schedule=(1.0, 2.0), jitter=0.0)
    assert decide(policy, 1, 500, NOW).next_attempt_at == NOW + timedelta(seconds=1)
    assert decide(policy, 2, 500, NOW).next_attempt_at == NOW + timedelta(seconds=2)
    assert decide(policy, 3, 500, NOW).action is RetryAction.DEAD


def test_retry_after_seconds_is_honoured_when_longer_than_schedule() -> None:
    policy = RetryPolicy(jitter=0.0)
    decision = decide(policy, 1, 429, NOW, retry_after="120")
    assert decision.next_attempt_at == NOW + timedelta(seconds=120)
    assert "Retry-After" in decision.reason
    # shorter than the schedule: the schedule wins (Retry-After is a minimum)
    shorter = decide(policy, 3, 503, NOW, retry_after="10")
    assert shorter.next_attempt_at == NOW + timedelta(seconds=1800)


def test_retry_after_http_date() -> None:
    policy = RetryPolicy(jitter=0.0)
    decision = decide(policy, 1, 503, NOW, retry_after="Tue, 03 Nov 2026 12:10:00 GMT")
    assert decision.next_attempt_at == NOW + timedelta(minutes=10)


def test_retry_after_is_capped() -> None:
    policy = RetryPolicy(jitter=0.0)
    decision = decide(policy, 1, 429, NOW, retry_after=str(30 * 24 * 3600))
    assert decision.next_attempt_at == NOW + timedelta(seconds=MAX_RETRY_AFTER_SECONDS)
    huge = decide(policy, 1, 429, NOW, retry_after="9" * 400)
    assert huge.next_attempt_at == NOW + timedelta(seconds=MAX_RETRY_AFTER_SECONDS)
    tight = RetryPolicy(jitter=0.0, max_retry_after=60)
    assert decide(tight, 1, 429, NOW, retry_after=3600.0).next_attempt_at == NOW + timedelta(seconds=60)


def test_retry_after_is_compressed_too() -> None:
    policy = RetryPolicy(jitter=0.0, compress=1 / 60)
    decision = decide(policy, 1, 429, NOW, retry_after="600")
    assert decision.next_attempt_at == NOW + timedelta(seconds=10)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("120", 120.0),
        (" 120 ", 120.0),
        ("Tue, 03 Nov 2026 12:00:30 GMT", 30.0),
        ("Tue, 03 Nov 2026 11:00:00 GMT", 0.0),  # in the past
        ("Tuesday, 03-Nov-26 12:01:00 GMT", 60.0),  # obsolete RFC 850 form, which HTTP still allows
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("99999999999999999999", MAX_RETRY_AFTER_SECONDS),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    result = parse_retry_after(value, NOW)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_non_utc_now_is_fine_and_naive_now_is_refused() -> None:
    plus_two = NOW.astimezone(timezone(timedelta(hours=2)))
    assert parse_retry_after("Tue, 03 Nov 2026 12:00:30 GMT", plus_two) == pytest.approx(30.0)
    with pytest.raises(ValueError):
        decide(RetryPolicy(), 1, 500, NOW.replace(tzinfo=None))
    with pytest.raises(ValueError):
        decide(RetryPolicy(), 0, 500, NOW)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"schedule": (5.0, -1.0)},
        {"jitter": 1.0},
        {"jitter": -0.1},
        {"compress": 0.0},
        {"max_retry_after": -1},
    ],
)
def test_invalid_policies_are_config_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_extra_retryable_statuses() -> None:
    policy = RetryPolicy(extra_retryable_statuses=frozenset({409}))
    assert decide(policy, 1, 409, NOW, rng=random.Random(0)).action is RetryAction.RETRY


@given(
    attempt=st.integers(min_value=1, max_value=20),
    status=st.integers(min_value=0, max_value=1000),
    retry_after=st.one_of(st.none(), st.text(max_size=40), st.floats(allow_nan=True)),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_decide_is_total_and_bounded(
    attempt: int, status: int, retry_after: str | float | None, seed: int
) -> None:
    policy = RetryPolicy()
    decision = decide(policy, attempt, status, NOW, retry_after=retry_after, rng=random.Random(seed))
    if decision.action is RetryAction.RETRY:
        assert attempt < policy.max_attempts
        assert decision.next_attempt_at is not None
        delay = (decision.next_attempt_at - NOW).total_seconds()
        base = DEFAULT_SCHEDULE[attempt - 1]
        assert base * 0.8 <= delay <= max(base * 1.2, MAX_RETRY_AFTER_SECONDS)
    else:
        assert decision.next_attempt_at is None
