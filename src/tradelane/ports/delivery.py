"""Delivery ports: the outbox rows the router plans, the worker's view of a claimed delivery, and the store
operations the delivery engine needs (claim with lease + fencing, batched completion, DLQ and replay).

Statuses (the DLQ is a status, not a queue)::

    pending  --attempt ok-------------------------> done
    pending  --retryable failure-----------------> pending (next_attempt_at later, attempts + 1)
    pending  --permanent / schedule exhausted----> dead
    dead     --replay----------------------------> pending (attempts reset, replay recorded)
    filtered   the route's filter said no (``filter_reason``); terminal

``accepted = done ∪ dead ∪ filtered`` per route, exactly, once every delivery is terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

__all__ = [
    "AttemptRecord",
    "ClaimRequest",
    "ClaimedDelivery",
    "DeliveryFilter",
    "DeliveryResult",
    "DeliveryStore",
    "DeliveryView",
    "EndpointState",
    "IngestClaimer",
    "PlannedDelivery",
]

Status = Literal["pending", "done", "dead", "filtered"]


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    """What the router decided for one event and one route; written with the event, in its transaction."""

    route: str
    destination: str
    lane: str
    ordered: bool
    partition_key: str | None
    #: ``None`` → pending; otherwise the delivery is stored as ``filtered`` with this reason
    filtered_reason: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery leased to one worker, with the event to send."""

    id: str
    tenant: str
    hub_id: str
    route: str
    destination: str
    lane: str
    partition_key: str | None
    #: attempts made before this one
    attempts: int
    #: fencing token of this lease: the result is accepted only while it is still current
    fence: int
    lease_until: datetime
    #: the CloudEvent as JSON-ready dict (what is sent)
    event: dict[str, Any]
    #: W3C ``traceparent`` stored with the delivery at ingest: the parent of this attempt's spans
    traceparent: str | None = None
    #: the route asked for per-key order: finishing this delivery may make its key's successor claimable
    ordered: bool = False
    #: why the destination is disabled, read in the claim's transaction (``None``: enabled); the worker
    #: trusts it over its cached endpoint states, which may predate another process's disable or enable
    endpoint_disabled: str | None = None


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One attempt as recorded on ``delivery_attempts``."""

    outcome: str  # success | retry | dead | disabled | skipped | released | stale | replayed
    started_at: datetime
    duration_ms: int
    status_code: int | None = None
    error_class: str | None = None
    detail: str | None = None
    response_excerpt: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What a worker reports for a claimed delivery."""

    delivery_id: str
    fence: int
    #: the new status; ``pending`` with ``next_attempt_at`` means retry later
    status: Status
    next_attempt_at: datetime | None
    attempt: AttemptRecord
    #: False when the delivery was handed back without an attempt (breaker open, probe taken): the attempt
    #: counter does not move
    counts_as_attempt: bool = True
    #: the endpoint the attempt went to, and whether it succeeded, for the breaker (None = no breaker input)
    breaker_success: bool | None = None


@dataclass(frozen=True, slots=True)
class EndpointState:
    """An endpoint's shared runtime state (breaker, disabled), compare-and-set on ``version``."""

    name: str
    version: int = 0
    breaker: str = "closed"
    consecutive_failures: int = 0
    opened_at: datetime | None = None
    half_open_probe_at: datetime | None = None
    failing_since: datetime | None = None
    disabled_at: datetime | None = None
    disabled_reason: str | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    """Selects deliveries for listing and replay."""

    status: str | None = None
    tenant: str | None = None
    route: str | None = None
    destination: str | None = None
    error_class: str | None = None
    hub_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """A delivery as listed by the API, CLI and control tower."""

    id: str
    tenant: str
    hub_id: str
    event_type: str
    route: str
    destination: str
    lane: str
    partition_key: str | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    error_class: str | None
    filter_reason: str | None
    replays: int
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    attempt_log: tuple[dict[str, Any], ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "attempt_log"}
        for k, v in out.items():
            if isinstance(v, datetime):
                out[k] = v.isoformat().replace("+00:00", "Z")
        if self.attempt_log:
            out["attempt_log"] = list(self.attempt_log)
        return out


#: applies attempt outcomes (True = success) in order to an endpoint's state; returns the new state and the
#: transitions to notify. Runs inside the completion transaction with the endpoint row locked.
BreakerUpdate = Callable[[EndpointState, list[bool], datetime], tuple[EndpointState, list[str]]]


class DeliveryStore(Protocol):
    """Outbox operations; every method is one transaction."""

    async def claim_deliveries(
        self,
        worker: str,
        lane: str,
        limit: int,
        lease_s: float,
        now: datetime,
        exclude_destinations: frozenset[str] = frozenset(),
        ids: tuple[tuple[str, int], ...] | None = None,
    ) -> list[ClaimedDelivery]:
        """Lease up to ``limit`` due deliveries of ``lane`` (or exactly ``ids``: (id, expected fence) pairs),
        respecting ordering: an ordered delivery is claimable only when no earlier pending delivery has the
        same destination and partition key. Each claim increments the fence."""
        ...

    async def renew_leases(
        self, worker: str, pairs: tuple[tuple[str, int], ...], lease_s: float, now: datetime
    ) -> set[str]:
        """Extend ``worker``'s leases on the (id, fence) pairs it is still sending; returns the ids renewed."""
        ...

    async def complete_deliveries(
        self, worker: str, results: list[DeliveryResult], breaker: BreakerUpdate, now: datetime
    ) -> list[bool]:
        """Record results; per result, ``True`` if accepted, ``False`` if its fence was stale (rejected)."""
        ...

    async def endpoint_states(self) -> dict[str, EndpointState]: ...

    async def take_rate_tokens(
        self, name: str, rate_per_s: float, burst: float, want: int, now: datetime
    ) -> tuple[int, float]:
        """Take up to ``want`` tokens from the endpoint's rate-limit bucket, shared by every worker; returns
        (granted, seconds until the next token when none was granted)."""
        ...

    async def try_probe(self, name: str, version: int, now: datetime) -> bool:
        """Compare-and-set an open breaker to half-open; ``True`` for the one caller that wins."""
        ...

    async def set_endpoint_disabled(self, name: str, reason: str | None, now: datetime) -> None: ...

    async def list_deliveries(
        self, flt: DeliveryFilter, limit: int, after: str | None = None
    ) -> tuple[list[DeliveryView], str | None]: ...

    async def get_delivery(self, delivery_id: str, tenant: str | None = None) -> DeliveryView | None: ...

    async def count_deliveries(self, flt: DeliveryFilter) -> int: ...

    async def replay_deliveries(self, flt: DeliveryFilter, actor: str, now: datetime, limit: int) -> list[str]:
        """Move up to ``limit`` dead deliveries matching ``flt`` back to pending; returns their ids."""
        ...

    async def delivery_stats(self) -> dict[str, Any]:
        """Counts by status, lane and destination; oldest pending age per lane."""
        ...

    async def notifications(self, limit: int = 50) -> list[dict[str, Any]]: ...

    async def dispatchable(
        self, now: datetime, limit: int, lease_s: float, exclude_destinations: frozenset[str] = frozenset()
    ) -> list[tuple[str, str, int]]:
        """Relay: lease due, unleased deliveries to the dispatcher, except those of ``exclude_destinations``
        (breaker open); returns (id, lane, fence) to publish."""
        ...


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    """What a worker would claim now on one lane (the arguments of :meth:`DeliveryStore.claim_deliveries`)."""

    worker: str
    lane: str
    limit: int
    lease_s: float
    exclude_destinations: frozenset[str] = frozenset()


class IngestClaimer(Protocol):
    """Embedded mode: a worker in the ingesting process claims inside each ingest transaction that wrote
    pending deliveries (same claim, same lease and fence), and gets them once that transaction committed —
    no second write transaction and no wait for the write lock between commit and send."""

    def ingest_claims(self, lanes: frozenset[str]) -> list[ClaimRequest]:
        """The claims to run in the next ingest transaction, which writes deliveries on ``lanes`` (none while
        the worker is stopped, or for a lane that claims on its own); their slots stay reserved until
        :meth:`adopt`."""
        ...

    def adopt(self, claimed: list[tuple[ClaimRequest, list[ClaimedDelivery]]], committed: bool = True) -> None:
        """Called once per :meth:`ingest_claims` when the transaction ended, with what each request claimed
        (``committed=False`` and empty lists if it did not commit); the worker sends them and frees the
        reserved slots."""
        ...
