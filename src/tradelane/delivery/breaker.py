"""Per-endpoint circuit breaker as a pure state machine.

The state is a small frozen :class:`BreakerState` that the store persists on the endpoint's row, so every
worker sees the same breaker and it survives restarts. Functions take a state and the current time and return
a new state (plus, for outcomes, the transitions worth telling someone about); they never read the clock or
touch storage. The store should update the row with a compare-and-set on the old state so two workers cannot
both take the single half-open probe.

::

    closed --(failure_threshold consecutive failures)--> open
    open   --(cool-down elapsed, next allow())---------> half_open (one probe allowed)
    half_open --probe succeeds--> closed
    half_open --probe fails-----> open (cool-down grows ×cool_down_factor, capped at cool_down_max)

An endpoint that has failed continuously (no success in between) for longer than ``disable_after`` yields a
``disable_recommended`` transition on each further failure; the caller disables the endpoint and notifies
its owner. A refused ``allow()`` does not consume a delivery attempt: reschedule at :func:`next_probe_at`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from tradelane.core.errors import ConfigError

__all__ = [
    "CLOSED",
    "DEFAULT_BREAKER_POLICY",
    "BreakerPolicy",
    "BreakerState",
    "BreakerStatus",
    "Transition",
    "allow",
    "cool_down",
    "next_probe_at",
    "on_failure",
    "on_success",
]

#: consecutive failed attempts that open a closed breaker
DEFAULT_FAILURE_THRESHOLD = 5
#: first cool-down after the breaker opens
DEFAULT_COOL_DOWN = timedelta(seconds=30)
#: each failed half-open probe multiplies the cool-down by this
DEFAULT_COOL_DOWN_FACTOR = 2.0
#: the cool-down never grows beyond this
DEFAULT_COOL_DOWN_MAX = timedelta(hours=1)
#: a half-open probe not reported back within this is presumed lost (worker crashed); another may go.
#: Must exceed the delivery request timeout.
DEFAULT_PROBE_TIMEOUT = timedelta(minutes=2)
#: failing continuously for longer than this recommends disabling the endpoint (Svix: 5 days)
DEFAULT_DISABLE_AFTER = timedelta(days=5)


class BreakerStatus(StrEnum):
    """Where the breaker stands; stored as text on the endpoint row."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class Transition(StrEnum):
    """Changes worth recording or notifying."""

    #: the breaker opened after the failure threshold
    OPENED = "opened"
    #: a half-open probe failed and the breaker opened again (longer cool-down); usually not notified
    REOPENED = "reopened"
    #: a success closed an open or half-open breaker
    CLOSED = "closed"
    #: failing continuously for longer than ``disable_after``: disable the endpoint and notify its owner
    DISABLE_RECOMMENDED = "disable_recommended"


@dataclass(frozen=True)
class BreakerPolicy:
    """Thresholds of the breaker (defaults are the module constants)."""

    #: consecutive failures that open the breaker
    failure_threshold: int = DEFAULT_FAILURE_THRESHOLD
    #: first cool-down once open
    cool_down: timedelta = DEFAULT_COOL_DOWN
    #: growth of the cool-down per failed probe
    cool_down_factor: float = DEFAULT_COOL_DOWN_FACTOR
    #: cap of the cool-down
    cool_down_max: timedelta = DEFAULT_COOL_DOWN_MAX
    #: how long a half-open probe may stay unreported before another is allowed
    probe_timeout: timedelta = DEFAULT_PROBE_TIMEOUT
    #: continuous failure longer than this recommends disabling the endpoint
    disable_after: timedelta = DEFAULT_DISABLE_AFTER

    def __post_init__(self) -> None:
        if self.failure_threshold < 1:
            raise ConfigError("failure_threshold must be at least 1", key="failure_threshold")
        if self.cool_down <= timedelta(0) or self.cool_down_max < self.cool_down:
            raise ConfigError("need 0 < cool_down <= cool_down_max", key="cool_down")
        if self.cool_down_factor < 1.0:
            raise ConfigError("cool_down_factor must be >= 1", key="cool_down_factor")
        if self.probe_timeout <= timedelta(0):
            raise ConfigError("probe_timeout must be positive", key="probe_timeout")


DEFAULT_BREAKER_POLICY = BreakerPolicy()


@dataclass(frozen=True)
class BreakerState:
    """The breaker of one endpoint, as stored on its row. All datetimes are timezone-aware."""

    #: closed (deliver), open (refuse), half_open (one probe)
    state: BreakerStatus = BreakerStatus.CLOSED
    #: failed attempts since the last success
    consecutive_failures: int = 0
    #: when the breaker last opened (or re-opened after a failed probe)
    opened_at: datetime | None = None
    #: when the current half-open probe was let through; ``None`` when no probe is in flight
    half_open_probe_at: datetime | None = None
    #: first failure after the last success; ``None`` while healthy
    failing_since: datetime | None = None


#: a healthy endpoint's breaker
CLOSED = BreakerState()


def cool_down(state: BreakerState, policy: BreakerPolicy = DEFAULT_BREAKER_POLICY) -> timedelta:
    """The cool-down for the current opening: grows with each failed probe, capped.

    Failed probes are counted from ``consecutive_failures`` beyond the threshold, so no extra column is needed.
    """
    failed_probes = max(0, state.consecutive_failures - policy.failure_threshold)
    cap = policy.cool_down_max.total_seconds()
    seconds = policy.cool_down.total_seconds()
    for _ in range(failed_probes):  # loop, not **, so a huge count cannot overflow a float
        seconds *= policy.cool_down_factor
        if seconds >= cap:
            return policy.cool_down_max
    return timedelta(seconds=seconds)


def next_probe_at(state: BreakerState, policy: BreakerPolicy = DEFAULT_BREAKER_POLICY) -> datetime | None:
    """When an open breaker will let a probe through (``None`` unless open); reschedule refused work here."""
    if state.state is not BreakerStatus.OPEN or state.opened_at is None:
        return None
    return state.opened_at + cool_down(state, policy)


def allow(
    state: BreakerState, now: datetime, policy: BreakerPolicy = DEFAULT_BREAKER_POLICY
) -> tuple[bool, BreakerState]:
    """May an attempt go to this endpoint now? Returns the answer and the state to persist.

    Closed: yes. Open: no until the cool-down has elapsed, then the breaker turns half-open and this call is
    the probe. Half-open: yes only if no probe is in flight (or the last one timed out).
    """
    if state.state is BreakerStatus.CLOSED:
        return True, state
    if state.state is BreakerStatus.OPEN:
        probe_at = next_probe_at(state, policy)
        if probe_at is not None and now < probe_at:
            return False, state
        return True, replace(state, state=BreakerStatus.HALF_OPEN, half_open_probe_at=now)
    probe = state.half_open_probe_at
    if probe is None or now - probe >= policy.probe_timeout:
        return True, replace(state, half_open_probe_at=now)
    return False, state


def on_success(
    state: BreakerState, now: datetime, policy: BreakerPolicy = DEFAULT_BREAKER_POLICY
) -> tuple[BreakerState, list[Transition]]:
    """Record a successful attempt: the breaker closes and the failure streak ends."""
    transitions = [] if state.state is BreakerStatus.CLOSED else [Transition.CLOSED]
    return CLOSED, transitions


def on_failure(
    state: BreakerState, now: datetime, policy: BreakerPolicy = DEFAULT_BREAKER_POLICY
) -> tuple[BreakerState, list[Transition]]:
    """Record a failed attempt (retryable failures only; a 4xx says nothing about the endpoint's health).

    Returns the new state and its transitions: ``opened`` when the threshold is reached, ``reopened`` when a
    probe fails, ``disable_recommended`` once the failure streak is longer than ``disable_after``.
    """
    failing_since = state.failing_since or now
    transitions: list[Transition] = []
    if state.state is BreakerStatus.OPEN:
        # a late failure from an attempt let through before the breaker opened: not counted, so it does
        # not lengthen the cool-down (which grows with failures beyond the threshold)
        failures = state.consecutive_failures
    else:
        failures = state.consecutive_failures + 1
    new = replace(state, consecutive_failures=failures, failing_since=failing_since)
    if state.state is BreakerStatus.HALF_OPEN:
        new = replace(new, state=BreakerStatus.OPEN, opened_at=now, half_open_probe_at=None)
        transitions.append(Transition.REOPENED)
    elif state.state is BreakerStatus.CLOSED and failures >= policy.failure_threshold:
        new = replace(new, state=BreakerStatus.OPEN, opened_at=now, half_open_probe_at=None)
        transitions.append(Transition.OPENED)
    if failures >= policy.failure_threshold and now - failing_since > policy.disable_after:
        transitions.append(Transition.DISABLE_RECOMMENDED)
    return new, transitions
