"""What a hub remembers about EDI traffic: interchanges it sent (awaiting acknowledgment) and its control numbers.

The :class:`EdiStore` port is implemented in SQL by :class:`tradelane.store.edi.SqlEdiStore` (tables
``edi_outbound`` and ``edi_counters``, migration ``0007_edi``). An outbound interchange lives like this::

    reserved (control number taken, file not yet written)
      └─ mark_sent ─> sent (ack_due_at = sent_at + the partner's SLA, or none when it does not acknowledge)
            ├─ an ack names it ─> acknowledged (acked_at, ack_kind, ack_accepted)
            └─ due and unacknowledged ─> exception opened (exception_id); a late ack still acknowledges it
               and resolves the exception

Reserving is keyed by the delivery id, so a retried delivery writes the same file under the same control
number instead of sending the partner a second document.

Inbound, :meth:`EdiStore.record_received` keeps every stored interchange's control number and digest for
good: the ingest transaction's idempotency claim detects duplicates only while it is kept
(``ingest.idempotency_ttl_hours``), this record after that. It is written right after the ingest commit,
and again by the replay a crash in between leads to, so it never lags the claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

__all__ = ["AckMatch", "EdiStore", "OutboundRecord", "Reservation", "match_key"]


def match_key(control_number: str) -> str:
    """The control number without leading zeros: what TA101, AK102 (our GS06) and UCI01 carry back."""
    return control_number.lstrip("0") or "0"


@dataclass(frozen=True, slots=True)
class OutboundRecord:
    """One interchange we sent (or are about to send) to a partner."""

    id: str
    tenant: str
    partner: str
    #: ISA13 / UNB05 as written
    control_number: str
    #: its numeric value, the counter's
    number: int
    doc_type: str
    #: the delivery that produced it, when a route did
    delivery_id: str | None
    #: name of the file in the partner's ``outbound/`` folder
    file_name: str
    #: business references it carries (shipment or order ids), for the exception text
    refs: tuple[str, ...]
    created_at: datetime
    sent_at: datetime | None = None
    ack_due_at: datetime | None = None
    acked_at: datetime | None = None
    ack_kind: str | None = None
    ack_accepted: bool | None = None
    exception_id: str | None = None


@dataclass(frozen=True, slots=True)
class AckMatch:
    """An acknowledgment that names one of our interchanges (or groups)."""

    #: :func:`match_key` of the interchange / group control number it names
    key: str
    #: ``TA1``, ``997``, ``999`` or ``CONTRL``
    kind: str
    #: accepted (possibly with errors) rather than rejected
    accepted: bool


@dataclass(frozen=True, slots=True)
class Reservation:
    """What :meth:`EdiStore.reserve_outbound` is asked to reserve."""

    tenant: str
    partner: str
    doc_type: str
    #: ``.x12`` or ``.edi``
    extension: str
    #: 9 for X12 (ISA13 is nine digits), 0 for EDIFACT (UNB05 unpadded)
    width: int
    delivery_id: str | None = None
    refs: Sequence[str] = field(default_factory=tuple)


class EdiStore(Protocol):
    """Persistence of the hub's EDI bookkeeping; every method is one transaction."""

    async def next_control_number(self, partner: str, now: datetime) -> int:
        """Take our next interchange control number towards ``partner`` (1 … 999 999 999, then 1)."""
        ...

    async def reserve_outbound(self, reservation: Reservation, now: datetime) -> OutboundRecord:
        """Take a control number and record the interchange, or return the record the same delivery
        reserved before (a retry)."""
        ...

    async def mark_sent(self, record_id: str, sent_at: datetime, ack_due_at: datetime | None) -> None:
        """The file is written: start the acknowledgment clock (a repeat keeps the first time)."""
        ...

    async def acknowledge(
        self, partner: str, acks: Sequence[AckMatch], now: datetime
    ) -> list[OutboundRecord]:
        """Mark the partner's interchanges named by ``acks`` acknowledged; returns those newly marked."""
        ...

    async def due_unacknowledged(self, now: datetime, limit: int) -> list[OutboundRecord]:
        """Sent interchanges past their ``ack_due_at``, unacknowledged and without an exception yet."""
        ...

    async def set_exception(self, record_id: str, exception_id: str) -> bool:
        """Remember the exception opened for an overdue interchange; ``False`` when it was acknowledged in the
        meantime (the caller resolves the exception: the acknowledgment did not see it)."""
        ...

    async def list_outbound(self, partner: str | None = None, limit: int = 100) -> list[OutboundRecord]:
        """Newest first."""
        ...

    async def received_digest(self, tenant: str, partner: str, control_number: str) -> str | None:
        """SHA-256 of the interchange stored under this control number before, if any."""
        ...

    async def record_received(
        self,
        tenant: str,
        partner: str,
        control_number: str,
        *,
        digest: str,
        status: str,
        events: int,
        now: datetime,
    ) -> None:
        """Remember a stored interchange (the first record of a control number wins)."""
        ...
