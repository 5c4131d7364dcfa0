"""Retry decisions for outbound deliveries: what to do after one attempt, and when.

Retry is a decision object, never a loop. After each attempt the worker calls :func:`decide` with the
attempt's outcome and gets a :class:`RetryDecision`; it stores ``next_attempt_at`` on the delivery row
(long retries live in the database, not in sleeping coroutines) or moves the delivery to a terminal status.

Classification (the reliability contract)::

    2xx                          success             -> done
    410 Gone                     disable_endpoint    -> disable (endpoint off, delivery dead-lettered)
    408, 425, 429, 5xx           retryable           -> retry on the schedule, Retry-After honoured
    3xx                          permanent           (a failure: redirects are never followed)
    other 4xx                    permanent           -> dead
    timeout, connect, TLS, DNS,
    protocol error               retryable
    blocked by the URL guard     permanent

The default schedule is Svix's: the first attempt is immediate, then retries after 5 s, 5 min, 30 min, 2 h,
5 h, 10 h and 10 h (8 attempts in all), each delay jittered by ±20 %. ``compress`` scales every delay
(including ``Retry-After``) so tests can run a whole schedule in seconds.

Everything here is pure: the clock is a parameter and jitter comes from an injectable ``random.Random``.
"""

from __future__ import annotations

import email.utils
import random
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from tradelane.core.errors import ConfigError

__all__ = [
    "DEFAULT_JITTER",
    "DEFAULT_SCHEDULE",
    "MAX_RETRY_AFTER_SECONDS",
    "NetworkFailure",
    "Outcome",
    "RetryAction",
    "RetryDecision",
    "RetryPolicy",
    "Verdict",
    "classify",
    "decide",
    "parse_retry_after",
]

#: Svix's retry schedule in seconds: delays before retry 1..7 (the first attempt is immediate).
DEFAULT_SCHEDULE: tuple[float, ...] = (
    5.0,
    5 * 60.0,
    30 * 60.0,
    2 * 3600.0,
    5 * 3600.0,
    10 * 3600.0,
    10 * 3600.0,
)
#: each scheduled delay is multiplied by a uniform factor in [1 - jitter, 1 + jitter] (±20 %, as Svix)
DEFAULT_JITTER = 0.2
#: a ``Retry-After`` longer than this (seconds) is capped: a partner cannot park a delivery for weeks
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0
#: longest delta-seconds string we parse as a number; longer digit strings are simply "very long" (capped)
_MAX_RETRY_AFTER_DIGITS = 12
#: statuses in the 4xx class that mean "try again later" rather than "your request is wrong"
_RETRYABLE_4XX = frozenset({408, 425, 429})
#: status that tells us the endpoint is gone for good: disable it
_GONE = 410

_DELTA_SECONDS = re.compile(r"[0-9]+")


class NetworkFailure(StrEnum):
    """An attempt that ended without an HTTP status; the worker maps transport exceptions to these."""

    #: connect, read, write or pool timeout (the request may or may not have reached the partner)
    TIMEOUT = "timeout"
    #: TCP connection refused or reset before a response
    CONNECT_ERROR = "connect_error"
    #: TLS handshake or certificate verification failed
    TLS_ERROR = "tls_error"
    #: the host name did not resolve
    DNS = "dns"
    #: the peer spoke broken HTTP or closed the connection mid-response
    PROTOCOL_ERROR = "protocol_error"
    #: the outbound URL guard refused the destination at connect time (e.g. DNS rebinding to a private address)
    BLOCKED = "blocked"


#: the outcome of one attempt: an HTTP status code or a network failure kind
Outcome = int | NetworkFailure


class Verdict(StrEnum):
    """What one outcome means, independent of how many attempts are left."""

    SUCCESS = "success"
    RETRYABLE = "retryable"
    PERMANENT = "permanent"
    DISABLE_ENDPOINT = "disable_endpoint"


class RetryAction(StrEnum):
    """What the worker does with the delivery after an attempt."""

    #: store ``next_attempt_at`` and try again then
    RETRY = "retry"
    #: terminal failure: dead-letter the delivery (replay is an explicit command)
    DEAD = "dead"
    #: terminal success: mark delivered
    DONE = "done"
    #: the endpoint said 410 Gone: disable the endpoint and dead-letter this delivery
    DISABLE = "disable"


@dataclass(frozen=True)
class RetryPolicy:
    """A bounded retry schedule; configurable per route."""

    #: delays in seconds before retry 1, 2, …; the first attempt is immediate
    schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    #: relative jitter applied to each scheduled delay (0.2 = ±20 %)
    jitter: float = DEFAULT_JITTER
    #: factor applied to every delay, e.g. ``1/60`` in tests; 1.0 in production
    compress: float = 1.0
    #: cap on a partner's ``Retry-After`` (seconds, before compression)
    max_retry_after: float = MAX_RETRY_AFTER_SECONDS
    #: statuses treated as retryable in addition to 5xx/408/425/429 (rarely needed, e.g. a partner's 409 lock)
    extra_retryable_statuses: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if any(d < 0 for d in self.schedule):
            raise ConfigError("retry delays must not be negative", key="schedule")
        if not 0.0 <= self.jitter < 1.0:
            raise ConfigError("jitter must be in [0, 1)", key="jitter")
        if not self.compress > 0.0:
            raise ConfigError("compress must be positive", key="compress")
        if self.max_retry_after < 0:
            raise ConfigError("max_retry_after must not be negative", key="max_retry_after")

    @property
    def max_attempts(self) -> int:
        """Attempts in all: the immediate first one plus one per scheduled delay."""
        return len(self.schedule) + 1

    def compressed(self, factor: float) -> RetryPolicy:
        """A copy whose delays are scaled by ``factor`` (e.g. ``1/60``)."""
        return replace(self, compress=factor)


@dataclass(frozen=True)
class RetryDecision:
    """The decision taken after one attempt."""

    #: what to do with the delivery
    action: RetryAction
    #: when to attempt again (only for ``RETRY``), timezone-aware
    next_attempt_at: datetime | None
    #: human-readable reason, stored on the attempt row and shown in the control tower
    reason: str


def classify(outcome: Outcome, extra_retryable: frozenset[int] = frozenset()) -> Verdict:
    """Classify one attempt's outcome.

    :param outcome: the HTTP status code, or the :class:`NetworkFailure` kind when there was no response
    :param extra_retryable: statuses a route declares retryable on top of the contract's
    """
    if isinstance(outcome, NetworkFailure):
        return Verdict.PERMANENT if outcome is NetworkFailure.BLOCKED else Verdict.RETRYABLE
    if isinstance(outcome, bool) or not isinstance(outcome, int):
        raise TypeError(f"outcome must be an HTTP status or a NetworkFailure, got {outcome!r}")
    status = outcome
    if 200 <= status <= 299:
        return Verdict.SUCCESS
    if status == _GONE:
        return Verdict.DISABLE_ENDPOINT
    if status in _RETRYABLE_4XX or status in extra_retryable or 500 <= status <= 599:
        return Verdict.RETRYABLE
    if 300 <= status <= 499:
        # 3xx: redirects are never followed, so a redirect is a failure that retrying will not change
        return Verdict.PERMANENT
    # 1xx as a final status or a code outside 100-599: a broken server, which may recover
    return Verdict.RETRYABLE


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header value, or ``None`` if absent or unparseable.

    Accepts delta-seconds (``"120"``) or an HTTP-date (``"Wed, 21 Oct 2015 07:28:00 GMT"``). A date in the
    past gives ``0``. The result is capped at :data:`MAX_RETRY_AFTER_SECONDS`.

    :param value: the raw header value
    :param now: the current time, timezone-aware
    """
    _require_aware(now)
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _DELTA_SECONDS.fullmatch(text):
        if len(text) > _MAX_RETRY_AFTER_DIGITS:
            return MAX_RETRY_AFTER_SECONDS
        return min(float(int(text)), MAX_RETRY_AFTER_SECONDS)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        # HTTP-dates are always GMT; "-0000" parses as naive
        when = when.replace(tzinfo=UTC)
    seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def decide(
    policy: RetryPolicy,
    attempt_number: int,
    outcome: Outcome,
    now: datetime,
    retry_after: str | float | None = None,
    rng: random.Random | None = None,
) -> RetryDecision:
    """Decide what happens after attempt ``attempt_number`` ended with ``outcome``.

    :param policy: the route's retry policy
    :param attempt_number: 1-based number of the attempt that just finished
    :param outcome: its HTTP status or network failure kind
    :param now: the current time, timezone-aware
    :param retry_after: the response's ``Retry-After`` (raw header text or seconds), if any
    :param rng: source of jitter; pass a seeded ``random.Random`` for deterministic results
    """
    _require_aware(now)
    if attempt_number < 1:
        raise ValueError("attempt_number is 1-based")
    label = _describe(outcome)
    verdict = classify(outcome, policy.extra_retryable_statuses)
    if verdict is Verdict.SUCCESS:
        return RetryDecision(RetryAction.DONE, None, f"{label}: delivered")
    if verdict is Verdict.DISABLE_ENDPOINT:
        return RetryDecision(RetryAction.DISABLE, None, f"{label}: endpoint gone, disabling it")
    if verdict is Verdict.PERMANENT:
        return RetryDecision(RetryAction.DEAD, None, f"{label}: permanent failure")
    if attempt_number >= policy.max_attempts:
        return RetryDecision(
            RetryAction.DEAD, None, f"{label}: retries exhausted after {attempt_number} attempts"
        )

    scheduled = policy.schedule[attempt_number - 1]
    if scheduled > 0 and policy.jitter > 0:
        generator = rng if rng is not None else random.Random()
        scheduled *= generator.uniform(1.0 - policy.jitter, 1.0 + policy.jitter)
    delay = scheduled
    asked = _retry_after_seconds(retry_after, now)
    if asked is not None:
        delay = max(delay, min(asked, policy.max_retry_after))
    delay *= policy.compress
    next_at = now + timedelta(seconds=delay)
    why = f"{label}: retry {attempt_number} of {policy.max_attempts - 1} in {delay:.1f}s"
    if asked is not None:
        why += f" (Retry-After {asked:.0f}s)"
    return RetryDecision(RetryAction.RETRY, next_at, why)


def _retry_after_seconds(value: str | float | None, now: datetime) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        return parse_retry_after(value, now)
    if value != value or value < 0:  # NaN or negative: ignore
        return None
    return min(float(value), MAX_RETRY_AFTER_SECONDS)


def _describe(outcome: Outcome) -> str:
    return outcome.value if isinstance(outcome, NetworkFailure) else f"HTTP {outcome}"


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
