"""The yard and the dock: appointments, gate check-in and check-out, and dock door assignments.

These are the events of a trailer's visit to one of our sites: an :class:`Appointment` books a slot, a
:class:`GateEvent` records the trailer crossing the gate (with its seals), and a :class:`DockAssignment`
sends it to a door.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from tradelane.core.model.base import CanonicalModel, Identifier, Name, Text, TimeWindow, UtcDatetime
from tradelane.core.model.shipments import Trailer

__all__ = [
    "Appointment",
    "AppointmentStatus",
    "DockAssignment",
    "Direction",
    "GateDirection",
    "GateEvent",
]


class Direction(StrEnum):
    """Whether goods come in or go out."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class AppointmentStatus(StrEnum):
    """Where the booking is."""

    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    MISSED = "missed"


class Appointment(CanonicalModel):
    """A booked slot for a carrier to load or unload at a site."""

    #: canonical id of the appointment
    appointment_id: Identifier
    #: the site (warehouse) the appointment is at
    location_id: Identifier
    #: the dock door, once fixed
    dock_id: Identifier | None = None
    #: loading (outbound) or unloading (inbound)
    direction: Direction
    #: the slot
    window: TimeWindow
    #: where the booking is
    status: AppointmentStatus = AppointmentStatus.REQUESTED
    #: canonical party id of the carrier
    carrier_id: Identifier | None = None
    #: shipments handled in this slot
    shipment_ids: tuple[Identifier, ...] = ()
    #: purchase or sales order numbers, when shipments are not known yet
    order_refs: tuple[Identifier, ...] = ()
    #: the site's confirmation number
    confirmation_number: Identifier | None = None
    #: notes for the dock (e.g. "side-loading only")
    note: Text | None = None


class GateDirection(StrEnum):
    """Which way a trailer crossed the gate."""

    IN = "in"
    OUT = "out"


class GateEvent(CanonicalModel):
    """A trailer crossing the gate of a site."""

    #: canonical id of the gate event
    gate_event_id: Identifier
    #: the site
    location_id: Identifier
    #: which gate, when the site has several
    gate_id: Identifier | None = None
    #: in or out
    direction: GateDirection
    #: when the trailer crossed
    occurred_at: UtcDatetime
    #: the trailer
    trailer: Trailer
    #: seal numbers seen on the doors (empty when unsealed)
    seal_numbers: tuple[Identifier, ...] = ()
    #: whether the trailer is loaded
    loaded: bool | None = None
    #: tractor licence plate
    tractor_plate: Identifier | None = None
    #: driver's name
    driver_name: Name | None = None
    #: the appointment this visit belongs to
    appointment_id: Identifier | None = None
    #: the yard slot the trailer was sent to (check-in only)
    yard_slot: Identifier | None = None


class DockAssignment(CanonicalModel):
    """A trailer sent to a dock door."""

    #: canonical id of the assignment
    assignment_id: Identifier
    #: the site
    location_id: Identifier
    #: the dock door
    dock_id: Identifier
    #: the trailer's number
    trailer_number: Identifier
    #: loading (outbound) or unloading (inbound)
    direction: Direction
    #: when the assignment was made
    assigned_at: UtcDatetime
    #: how long the door is held
    window: TimeWindow | None = None
    #: the appointment this serves
    appointment_id: Identifier | None = None
    #: the shipments to load or unload
    shipment_ids: tuple[Identifier, ...] = Field(default=())
