"""Per-credential token buckets, on a fake clock: bursts, refill, Retry-After, isolation, configuration."""

from __future__ import annotations

import pytest

from tradelane.api.ratelimit import ANY_SCOPE, Limit, RateLimiter, TokenBucket
from tradelane.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def allowed(limiter: RateLimiter, key: str, scope: str = "events:write", n: int = 1) -> int:
    return sum(1 for _ in range(n) if limiter.check(key, scope) == 0.0)


def test_bucket_allows_a_burst_then_refuses_with_the_wait() -> None:
    b = TokenBucket(Limit(per_s=2.0, burst=3), now=0.0)
    assert [b.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert b.take(0.0) == pytest.approx(0.5)  # one token every 0.5 s
    assert b.take(0.25) == pytest.approx(0.25)
    assert b.take(0.5) == 0.0
    assert b.full(100.0) and b.tokens == 3.0  # never more than the burst


def test_noisy_credential_does_not_touch_a_quiet_one() -> None:
    clock = Clock()
    limiter = RateLimiter(Limit(per_s=1.0, burst=5), clock=clock)
    assert allowed(limiter, "noisy", n=50) == 5
    assert limiter.check("noisy", "events:write") > 0
    assert allowed(limiter, "quiet", n=5) == 5  # its whole burst is still there
    clock.now += 2.0
    assert allowed(limiter, "noisy", n=10) == 2  # refilled at its own rate only


def test_wait_reflects_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(Limit(per_s=0.1, burst=1), clock=clock)
    assert limiter.check("k", "events:read") == 0.0
    assert limiter.check("k", "events:read") == pytest.approx(10.0)
    clock.now += 4.0
    assert limiter.check("k", "events:read") == pytest.approx(6.0)


def test_scope_limits_get_their_own_bucket_per_credential() -> None:
    limiter = RateLimiter(
        Limit(per_s=1.0, burst=2), per_scope={"events:read": Limit(per_s=1.0, burst=10)}, clock=Clock()
    )
    assert allowed(limiter, "k", "events:read", n=20) == 10
    assert allowed(limiter, "k", "events:write", n=20) == 2  # reads did not use up writes
    assert allowed(limiter, "k", "dlq:replay", n=5) == 0  # shares the default bucket with events:write
    assert limiter.bucket_for("k", "events:read")[0] == ("k", "events:read")
    assert limiter.bucket_for("k", "events:write")[0] == ("k", ANY_SCOPE)


def test_key_override_wins_and_covers_every_scope() -> None:
    limiter = RateLimiter(
        Limit(per_s=1.0, burst=2),
        per_scope={"events:read": Limit(per_s=1.0, burst=10)},
        per_key={"big": Limit(per_s=1.0, burst=30)},
        clock=Clock(),
    )
    assert allowed(limiter, "big", "events:read", n=20) == 20
    assert allowed(limiter, "big", "events:write", n=20) == 10  # one bucket of 30 for all its requests
    assert allowed(limiter, "small", "events:write", n=20) == 2


def test_bucket_count_stays_bounded() -> None:
    clock = Clock()
    limiter = RateLimiter(Limit(per_s=1.0, burst=2), clock=clock, max_buckets=100)
    for i in range(1000):
        limiter.check(f"k{i}", "events:write")
        clock.now += 0.01
    assert len(limiter) <= 100
    busy = RateLimiter(Limit(per_s=0.001, burst=2), clock=clock, max_buckets=10)
    for i in range(100):
        busy.check(f"k{i}", "events:write")
    assert len(busy) <= 10


def test_limits_come_from_settings() -> None:
    cfg = Settings(
        security={
            "rate_limit": {"per_s": 3, "burst": 4},
            "rate_limit_scopes": {"events:read": {"per_s": 1, "burst": 1}},
            "rate_limit_keys": {"abcdefghijklmnop": {"per_s": 9, "burst": 9}},
        }
    ).security
    limiter = RateLimiter.from_settings(cfg)
    assert limiter is not None
    assert limiter.default == Limit(3.0, 4)
    assert limiter.per_scope == {"events:read": Limit(1.0, 1)}
    assert limiter.per_key == {"abcdefghijklmnop": Limit(9.0, 9)}
    assert RateLimiter.from_settings(Settings(security={"rate_limit_enabled": False}).security) is None


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        Limit(per_s=0, burst=1)
    with pytest.raises(ValueError):
        Limit(per_s=1, burst=0)
