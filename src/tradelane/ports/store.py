"""The store port: what services need from persistence, and the value types that cross it.

Concrete stores (``tradelane.store.sql.SqlStore`` on SQLite or PostgreSQL) implement :class:`Store`.
Services depend on this module only, never on SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from tradelane.core.envelope import CloudEvent
from tradelane.ports.delivery import PlannedDelivery

__all__ = [
    "ApiKeyRecord",
    "EventFilter",
    "EventPage",
    "IdempotencyClaim",
    "RawMessage",
    "StoredEvent",
    "Store",
    "Submission",
    "SubmissionResult",
]


@dataclass(frozen=True)
class IdempotencyClaim:
    """An Idempotency-Key presented with a request, scoped to the presenting credential."""

    #: the credential (API key id) the key is scoped to
    scope: str
    #: the client's key
    key: str
    #: sha256 of the canonicalised request body
    request_hash: str


@dataclass(frozen=True)
class RawMessage:
    """A raw inbound message (webhook body, EDI interchange) that events were derived from."""

    #: the hub's id of the message
    msg_id: str
    #: unique key of the message (e.g. ``wh:<partner>:<webhook-id>``); a repeat is a duplicate
    dedupe_key: str
    #: sha256 of the raw body
    body_hash: str


@dataclass(frozen=True)
class Submission:
    """One unit of ingest: the events of one request, committed all together or not at all."""

    #: owning tenant (partner id, or ``hub`` for operator submissions)
    tenant: str
    #: the ingress channel: ``api``, ``webhook``, ``edi``, ``mqtt`` or ``odoo``
    channel: str
    #: validated, normalised events
    events: tuple[CloudEvent, ...]
    #: sha256 per event of its canonical JSON (for duplicate vs conflicting-duplicate decisions)
    event_hashes: tuple[str, ...]
    #: whether the response is a batch (list) or a single event
    batch: bool = False
    #: the Idempotency-Key claim, when the request carried one
    idempotency: IdempotencyClaim | None = None
    #: explicit dedupe keys per event; default is tenant + source + id per event
    dedupe_keys: tuple[str, ...] | None = None
    #: the raw message the events came from, recorded in the inbox in the same transaction
    raw: RawMessage | None = None
    #: per event, the deliveries the router planned (transactional outbox); written only for new events
    deliveries: tuple[tuple[PlannedDelivery, ...], ...] | None = None
    #: the partner mapping the events were mapped with (``partner@version``), recorded on each event
    mapping: str | None = None
    #: first 16 hex digits of the SHA-256 of that mapping file
    mapping_digest: str | None = None
    #: apply the stale-event rules (:mod:`tradelane.routing.staleness`) in the committing transaction
    screen: bool = False
    #: the system the events come from, for the system-of-record matrix: its id (default: the tenant) …
    system: str | None = None
    #: … and its kind (``wms``, ``carrier`` …), when known
    system_kind: str | None = None

    @property
    def msg_id(self) -> str | None:
        return self.raw.msg_id if self.raw else None


@dataclass(frozen=True)
class SubmissionResult:
    """What became of a :class:`Submission`, with the HTTP-ready response."""

    #: ``created`` (new events stored), ``duplicate`` (all events already known), ``replayed``
    #: (Idempotency-Key seen with the same body), ``key_mismatch`` (same key, other body) or ``conflict``
    #: (an event id reused with a different payload)
    outcome: Literal["created", "duplicate", "replayed", "key_mismatch", "conflict"]
    #: HTTP status to answer with
    status_code: int
    #: JSON response body
    body: Any


@dataclass(frozen=True)
class StoredEvent:
    """An event as stored, with the hub's public id."""

    hub_id: str
    tenant: str
    received_at: datetime
    event: CloudEvent
    #: the partner mapping that produced the event (``partner@version``), when one did
    mapping: str | None = None
    #: the digest of that mapping file
    mapping_digest: str | None = None
    #: ``late:<reason>`` when the event was kept in the history without changing its aggregate
    staleness: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = self.event.to_wire()
        out["hubid"] = self.hub_id
        out["receivedat"] = self.received_at.isoformat().replace("+00:00", "Z")
        if self.mapping is not None:
            out["mapping"] = {"ref": self.mapping, "digest": self.mapping_digest}
        if self.staleness is not None:
            out["staleness"] = self.staleness
        return out


@dataclass(frozen=True)
class EventFilter:
    """Search criteria for events; every given criterion must match."""

    #: restrict to one tenant (``None`` = all tenants, for operators)
    tenant: str | None = None
    correlation_id: str | None = None
    partition_key: str | None = None
    type: str | None = None
    #: received at or after
    since: datetime | None = None
    #: received before
    until: datetime | None = None


@dataclass(frozen=True)
class EventPage:
    """One page of events and the cursor of the next page (``None`` at the end)."""

    items: list[StoredEvent] = field(default_factory=list)
    next_cursor: str | None = None


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key as stored: never the key itself, only its keyed hash."""

    key_id: str
    name: str
    tenant: str | None
    key_hash: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


class Store(Protocol):
    """Persistence used by ingest, the API and the CLI."""

    async def commit_submissions(self, submissions: list[Submission]) -> list[SubmissionResult]:
        """Commit many submissions in one transaction (group commit); results in the same order."""
        ...

    async def get_event(self, hub_id: str, tenant: str | None) -> StoredEvent | None: ...

    async def list_events(self, flt: EventFilter, cursor: str | None, limit: int) -> EventPage: ...

    async def lookup_idempotency(self, scope: str, key: str) -> tuple[str, int, Any] | None:
        """``(request_hash, status_code, body)`` stored for an Idempotency-Key, if any."""
        ...

    async def add_api_key(self, record: ApiKeyRecord) -> None: ...

    async def get_api_key(self, key_id: str) -> ApiKeyRecord | None: ...

    async def list_api_keys(self, tenant: str | None = None) -> list[ApiKeyRecord]: ...

    async def revoke_api_key(self, key_id: str, when: datetime) -> bool: ...

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        ...

    async def close(self) -> None: ...
