"""Operational exceptions: something in the flow of goods needs a person's attention.

An :class:`ExceptionCase` (the word "Exception" is taken by Python) names what went wrong, how bad it is,
which entity it is about, which team owns it, and where it is in its life (open → acknowledged →
resolved). These are business data, not Python exceptions; see :mod:`tradelane.core.errors` for those.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from tradelane.core.model.base import CanonicalModel, Identifier, Name, Text, UtcDatetime

__all__ = [
    "EntityKind",
    "EntityRef",
    "ExceptionCase",
    "ExceptionStatus",
    "ExceptionType",
    "Severity",
]


class EntityKind(StrEnum):
    """The kinds of things an exception can be about."""

    ORDER = "order"
    SHIPMENT = "shipment"
    LOAD = "load"
    APPOINTMENT = "appointment"
    RECEIPT = "receipt"
    RETURN = "return"
    INVOICE = "carrier_invoice"
    PRODUCT = "product"
    PARTY = "party"
    LOCATION = "location"


class EntityRef(CanonicalModel):
    """A pointer to one canonical entity."""

    #: what kind of entity
    kind: EntityKind
    #: its canonical id
    id: Identifier
    #: its business reference, for people
    reference: Identifier | None = None


class ExceptionType(StrEnum):
    """What went wrong."""

    LATE_PICKUP = "late_pickup"
    LATE_DELIVERY = "late_delivery"
    MISSED_APPOINTMENT = "missed_appointment"
    TENDER_REJECTED = "tender_rejected"
    DAMAGED = "damaged"
    SHORT_SHIPPED = "short_shipped"
    OVER_SHIPPED = "over_shipped"
    WRONG_ITEM = "wrong_item"
    REFUSED = "refused"
    LOST = "lost"
    ADDRESS_ISSUE = "address_issue"
    CUSTOMS_HOLD = "customs_hold"
    INVOICE_MISMATCH = "invoice_mismatch"
    INVENTORY_MISMATCH = "inventory_mismatch"
    INTEGRATION_FAILURE = "integration_failure"
    OTHER = "other"


class Severity(StrEnum):
    """How urgent it is."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ExceptionStatus(StrEnum):
    """Where the exception is in its life."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class ExceptionCase(CanonicalModel):
    """A problem in the flow of goods that a team must handle."""

    #: canonical id of the exception
    exception_id: Identifier
    #: what went wrong
    type: ExceptionType
    #: how urgent
    severity: Severity
    #: what it is about
    entity: EntityRef
    #: the team that owns it, e.g. ``transport``, ``warehouse-rotterdam``, ``finance``
    owner_team: Identifier
    #: where it is in its life
    status: ExceptionStatus = ExceptionStatus.OPEN
    #: one-line summary for lists
    summary: Name
    #: full explanation
    detail: Text | None = None
    #: when it was opened
    opened_at: UtcDatetime
    #: when it was resolved; required once resolved, never before opening
    resolved_at: UtcDatetime | None = None
    #: how it was resolved
    resolution: Text | None = None

    @model_validator(mode="after")
    def _resolution(self) -> Self:
        if self.status is ExceptionStatus.RESOLVED and self.resolved_at is None:
            raise PydanticCustomError("resolved_at_required", "a resolved exception needs resolved_at", {})
        if self.status is not ExceptionStatus.RESOLVED and self.resolved_at is not None:
            raise PydanticCustomError(
                "resolved_at_unexpected",
                "resolved_at is set but the status is {status}",
                {"status": self.status},
            )
        if self.resolved_at is not None and self.resolved_at < self.opened_at:
            raise PydanticCustomError("resolved_before_opened", "resolved_at is before opened_at", {})
        return self
