"""Per-credential rate limits: token buckets in process memory, one set per credential.

Each authenticated request takes one token from its credential's bucket; an empty bucket answers 429
problem+json with ``Retry-After`` (whole seconds until a token is back). Buckets are per credential, so a
noisy partner exhausts only its own. Which limit applies to a request, first match wins:

1. ``security.rate_limit_keys[<key id>]`` — one bucket for all of that credential's requests;
2. ``security.rate_limit_scopes[<scope the route needs>]`` — a bucket per credential and scope, so e.g.
   heavy reading cannot starve the same partner's writes;
3. ``security.rate_limit`` — the credential's default bucket.

OAuth2 access tokens, and requests for them, count against the key that obtained them. Limits are per process: with N API
processes a credential gets up to N times the configured rate (put a shared limiter in front for a hard
global cap). The check runs inside :func:`tradelane.api.auth.authorize`, i.e. after authentication, so
unauthenticated floods never create buckets.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from starlette.responses import Response

from tradelane.api.problems import problem

if TYPE_CHECKING:
    from tradelane.settings import RateLimitSettings, SecuritySettings

__all__ = ["Limit", "RateLimited", "RateLimiter", "TokenBucket", "enforce_rate_limit", "install"]

#: buckets kept before idle (full) ones are swept; bounds memory with many credentials
MAX_BUCKETS = 100_000
#: bucket name of a credential's default (all scopes) bucket
ANY_SCOPE = "*"


@dataclass(frozen=True)
class Limit:
    """A token bucket's shape."""

    #: tokens added per second (the sustained request rate)
    per_s: float
    #: bucket size (the burst allowed on top of the rate)
    burst: int

    def __post_init__(self) -> None:
        if self.per_s <= 0 or self.burst < 1:
            raise ValueError("a rate limit needs per_s > 0 and burst >= 1")


class TokenBucket:
    """One bucket; starts full."""

    __slots__ = ("limit", "tokens", "updated")

    def __init__(self, limit: Limit, now: float) -> None:
        self.limit = limit
        self.tokens = float(limit.burst)
        self.updated = now

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(float(self.limit.burst), self.tokens + (now - self.updated) * self.limit.per_s)
            self.updated = now

    def take(self, now: float) -> float:
        """Take one token: ``0.0`` when granted, otherwise the seconds until one is available."""
        self._refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.limit.per_s

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.limit.burst


class RateLimited(Exception):
    """A credential used up its bucket; ``retry_after`` whole seconds until it may try again."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limit exceeded; retry after {retry_after} s")
        self.retry_after = retry_after


class RateLimiter:
    """The buckets of one process (see the module docstring for which limit applies)."""

    def __init__(
        self,
        default: Limit,
        *,
        per_scope: Mapping[str, Limit] | None = None,
        per_key: Mapping[str, Limit] | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_buckets: int = MAX_BUCKETS,
    ) -> None:
        self.default = default
        self.per_scope = dict(per_scope or {})
        self.per_key = dict(per_key or {})
        self._clock = clock
        self._max = max_buckets
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    @classmethod
    def from_settings(cls, cfg: SecuritySettings) -> RateLimiter | None:
        """The limiter ``cfg`` describes; ``None`` when rate limiting is off."""
        if not cfg.rate_limit_enabled:
            return None

        def lim(s: RateLimitSettings) -> Limit:
            return Limit(per_s=s.per_s, burst=s.burst)

        return cls(
            lim(cfg.rate_limit),
            per_scope={k: lim(v) for k, v in cfg.rate_limit_scopes.items()},
            per_key={k: lim(v) for k, v in cfg.rate_limit_keys.items()},
        )

    def bucket_for(self, key_id: str, scope: str) -> tuple[tuple[str, str], Limit]:
        """The bucket (credential, bucket name) a request of ``key_id`` needing ``scope`` draws from."""
        if key_id in self.per_key:
            return (key_id, ANY_SCOPE), self.per_key[key_id]
        if scope in self.per_scope:
            return (key_id, scope), self.per_scope[scope]
        return (key_id, ANY_SCOPE), self.default

    def check(self, key_id: str, scope: str) -> float:
        """Take a token for one request: ``0.0`` when allowed, else seconds until the next token."""
        now = self._clock()
        name, limit = self.bucket_for(key_id, scope)
        bucket = self._buckets.get(name)
        if bucket is None:
            if len(self._buckets) >= self._max:
                self._sweep(now)
            bucket = self._buckets[name] = TokenBucket(limit, now)
        return bucket.take(now)

    def _sweep(self, now: float) -> None:
        """Drop full buckets (their credentials are idle: a new full bucket is the same thing)."""
        for name in [n for n, b in self._buckets.items() if b.full(now)]:
            del self._buckets[name]
        if len(self._buckets) >= self._max:  # everyone is busy: forget the stalest half
            by_age = sorted(self._buckets, key=lambda n: self._buckets[n].updated)
            for name in by_age[: len(by_age) // 2]:
                del self._buckets[name]

    def __len__(self) -> int:
        return len(self._buckets)


def enforce_rate_limit(request: Request, key_id: str, scope: str, app_state: Any = None) -> None:
    """Take a token for this request from the app's limiter (if any).

    :param app_state: ``request.app.state`` when the caller already has it
    :raises RateLimited: the credential's bucket is empty
    """
    limiter: RateLimiter | None = getattr(
        request.app.state if app_state is None else app_state, "rate_limiter", None
    )
    if limiter is None:
        return
    wait = limiter.check(key_id, scope)
    if wait > 0:
        raise RateLimited(max(1, math.ceil(wait)))


def install(app: FastAPI) -> None:
    """Create the limiter from ``app.state.hub.settings.security`` and answer :class:`RateLimited` with 429."""
    app.state.rate_limiter = RateLimiter.from_settings(app.state.hub.settings.security)

    @app.exception_handler(RateLimited)
    async def _rate_limited(_: Request, exc: RateLimited) -> Response:
        return problem(
            429,
            "Too many requests",
            f"this credential's rate limit is exhausted; retry after {exc.retry_after} s",
            type_="https://tradelane.dev/problems/rate-limited",
            headers={"Retry-After": str(exc.retry_after)},
        )
