"""The canonical milestone vocabulary of a shipment, and the tables that map partner status codes onto it.

:class:`Milestone` is the one list of things that can happen to a shipment. :data:`MILESTONES` says, as data,
where each milestone sits in a shipment's progress (``rank``) and whether it ends the shipment's life
(``terminal``): a tracking event with a lower rank than the current one is late news, not a step back.

Partner codes map onto milestones through two tables:

* :data:`X12_STATUS_CODES` — ASC X12 214 ``AT7-01`` Shipment Status Codes (element 1650);
* :data:`CARRIER_STATUSES` — the plain-text statuses parcel carriers (UPS, FedEx, DHL style) and carrier
  aggregators return. Carrier-specific short codes belong in that carrier's connector ``mapping.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from tradelane.core.errors import MappingError

__all__ = [
    "CARRIER_STATUSES",
    "MILESTONES",
    "X12_STATUS_CODES",
    "Milestone",
    "MilestoneInfo",
    "advances",
    "is_terminal",
    "milestone_from_carrier_status",
    "milestone_from_x12",
]


class Milestone(StrEnum):
    """Something that happened to a shipment."""

    TENDERED = "tendered"
    BOOKED = "booked"
    ARRIVED_AT_PICKUP = "arrived_at_pickup"
    PICKED_UP = "picked_up"
    DEPARTED = "departed"
    ARRIVED_AT_TERMINAL = "arrived_at_terminal"
    DEPARTED_TERMINAL = "departed_terminal"
    IN_TRANSIT = "in_transit"
    ARRIVED = "arrived"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERY_ATTEMPTED = "delivery_attempted"
    DELIVERED = "delivered"
    ETA_CHANGED = "eta_changed"
    DELAYED = "delayed"
    EXCEPTION = "exception"
    RETURNED = "returned"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class MilestoneInfo:
    """Where a milestone sits in a shipment's life."""

    #: position in the normal forward progress; ``None`` for news that is not a step (delay, ETA, exception)
    rank: int | None
    #: whether the shipment's life ends here (no later milestone changes its state)
    terminal: bool
    #: what the milestone means
    description: str


#: milestone → rank, terminal flag and meaning
MILESTONES: Mapping[Milestone, MilestoneInfo] = {
    Milestone.TENDERED: MilestoneInfo(10, False, "offered to a carrier, not yet accepted"),
    Milestone.BOOKED: MilestoneInfo(20, False, "the carrier accepted and booked the shipment"),
    Milestone.ARRIVED_AT_PICKUP: MilestoneInfo(30, False, "the carrier arrived at the pickup location"),
    Milestone.PICKED_UP: MilestoneInfo(40, False, "the goods were loaded and are in the carrier's hands"),
    Milestone.DEPARTED: MilestoneInfo(50, False, "the carrier left the pickup location with the goods"),
    Milestone.ARRIVED_AT_TERMINAL: MilestoneInfo(60, False, "the goods arrived at a carrier terminal or hub"),
    Milestone.DEPARTED_TERMINAL: MilestoneInfo(65, False, "the goods left a carrier terminal or hub"),
    Milestone.IN_TRANSIT: MilestoneInfo(70, False, "the goods are moving towards the delivery location"),
    Milestone.ARRIVED: MilestoneInfo(80, False, "the carrier arrived at the delivery location"),
    Milestone.OUT_FOR_DELIVERY: MilestoneInfo(85, False, "on the final vehicle, to be delivered today"),
    Milestone.DELIVERY_ATTEMPTED: MilestoneInfo(88, False, "delivery was tried and did not succeed"),
    Milestone.DELIVERED: MilestoneInfo(100, True, "the consignee received the goods"),
    Milestone.ETA_CHANGED: MilestoneInfo(None, False, "the carrier announced a new estimated delivery time"),
    Milestone.DELAYED: MilestoneInfo(None, False, "the carrier reports the shipment will be late"),
    Milestone.EXCEPTION: MilestoneInfo(None, False, "something went wrong (damage, refusal, hold …)"),
    Milestone.RETURNED: MilestoneInfo(None, False, "the goods are being or were returned to the shipper"),
    Milestone.CANCELLED: MilestoneInfo(None, True, "the shipment was cancelled"),
}


def is_terminal(milestone: Milestone) -> bool:
    """Whether ``milestone`` ends a shipment's life (delivered, cancelled)."""
    return MILESTONES[milestone].terminal


def advances(current: Milestone | None, new: Milestone) -> bool:
    """Whether ``new`` moves a shipment whose latest state is ``current`` forward.

    Nothing advances past a terminal milestone; a ranked milestone advances only over a lower rank (late or
    repeated news does not move a shipment back); unranked news (delay, exception …) and terminal
    milestones always apply to a live shipment.
    """
    if current is None:
        return True
    if is_terminal(current):
        return False
    new_rank, current_rank = MILESTONES[new].rank, MILESTONES[current].rank
    if new_rank is None or current_rank is None or MILESTONES[new].terminal:
        return True
    return new_rank > current_rank


#: X12 214 AT7-01 Shipment Status Code → milestone
X12_STATUS_CODES: Mapping[str, Milestone] = {
    #: Shipment Acknowledged — the carrier accepted the tender
    "XB": Milestone.BOOKED,
    #: Arrived at Pick-up Location
    "X3": Milestone.ARRIVED_AT_PICKUP,
    #: Arrived at Pick-up Location Loading Dock
    "X8": Milestone.ARRIVED_AT_PICKUP,
    #: Loaded on Truck
    "AM": Milestone.PICKED_UP,
    #: Completed Loading at Pick-up Location
    "CP": Milestone.PICKED_UP,
    #: Connecting Line or Cartage Pick-up
    "BA": Milestone.PICKED_UP,
    #: Carrier Departed Pick-up Location with Shipment
    "AF": Milestone.DEPARTED,
    #: Arrived at Terminal Location
    "X4": Milestone.ARRIVED_AT_TERMINAL,
    #: Departed Terminal Location
    "P1": Milestone.DEPARTED_TERMINAL,
    #: En Route to Delivery Location
    "X6": Milestone.IN_TRANSIT,
    #: Received from Prior Carrier
    "R1": Milestone.IN_TRANSIT,
    #: Delivered to Connecting Line
    "J1": Milestone.IN_TRANSIT,
    #: Rail Departure from Origin Intermodal Ramp
    "RL": Milestone.IN_TRANSIT,
    #: Rail Arrival at Destination Intermodal Ramp
    "AR": Milestone.IN_TRANSIT,
    #: Arrived at Delivery Location
    "X1": Milestone.ARRIVED,
    #: Arrived at Delivery Location Loading Dock
    "X5": Milestone.ARRIVED,
    #: Trailer Spotted at Consignee's Location
    "S1": Milestone.ARRIVED,
    #: Tendered for Delivery — on the delivery vehicle, offered to the consignee
    "AJ": Milestone.OUT_FOR_DELIVERY,
    #: Attempted Delivery
    "AH": Milestone.DELIVERY_ATTEMPTED,
    #: Delivery Not Completed
    "AP": Milestone.DELIVERY_ATTEMPTED,
    #: Completed Unloading at Delivery Location — the usual "delivered" code
    "D1": Milestone.DELIVERED,
    #: Completed Shipment — final part of a partial shipment delivered
    "CB": Milestone.DELIVERED,
    #: Carrier Departed Delivery Location — sent after unloading
    "CD": Milestone.DELIVERED,
    #: Estimated Delivery
    "AG": Milestone.ETA_CHANGED,
    #: Estimated Date and/or Time of Arrival at Consignee's Location
    "X2": Milestone.ETA_CHANGED,
    #: Shipment Delayed
    "SD": Milestone.DELAYED,
    #: Shipment Damaged
    "A9": Milestone.EXCEPTION,
    #: Refused by Consignee
    "A7": Milestone.EXCEPTION,
    #: U.S. Customs Hold at In-Bond Location
    "PR": Milestone.EXCEPTION,
    #: Paperwork Received - Did not Receive Shipment or Equipment (often misread as "out for delivery")
    "OO": Milestone.EXCEPTION,
    #: Shipment Returned to Shipper
    "A3": Milestone.RETURNED,
    #: Shipment Cancelled
    "CA": Milestone.CANCELLED,
}

#: carrier status text (normalised: upper case, blanks and hyphens as ``_``) → milestone
CARRIER_STATUSES: Mapping[str, Milestone] = {
    "LABEL_CREATED": Milestone.BOOKED,
    "PRE_TRANSIT": Milestone.BOOKED,  # DHL / aggregators: label printed, not yet handed over
    "INFO_RECEIVED": Milestone.BOOKED,
    "MANIFESTED": Milestone.BOOKED,
    "PICKED_UP": Milestone.PICKED_UP,
    "PICKUP": Milestone.PICKED_UP,
    "DEPARTED": Milestone.DEPARTED,
    "ARRIVED_AT_FACILITY": Milestone.ARRIVED_AT_TERMINAL,
    "AT_HUB": Milestone.ARRIVED_AT_TERMINAL,
    "DEPARTED_FACILITY": Milestone.DEPARTED_TERMINAL,
    "IN_TRANSIT": Milestone.IN_TRANSIT,
    "TRANSIT": Milestone.IN_TRANSIT,  # DHL unified API status code
    "ON_THE_WAY": Milestone.IN_TRANSIT,
    "OUT_FOR_DELIVERY": Milestone.OUT_FOR_DELIVERY,
    "ON_VEHICLE_FOR_DELIVERY": Milestone.OUT_FOR_DELIVERY,
    "DELIVERY_ATTEMPTED": Milestone.DELIVERY_ATTEMPTED,
    "ATTEMPTED_DELIVERY": Milestone.DELIVERY_ATTEMPTED,
    "ATTEMPT_FAIL": Milestone.DELIVERY_ATTEMPTED,
    "DELIVERED": Milestone.DELIVERED,
    "AVAILABLE_FOR_PICKUP": Milestone.ARRIVED,  # at a pickup point, waiting for the consignee
    "DELAYED": Milestone.DELAYED,
    "EXCEPTION": Milestone.EXCEPTION,
    "DELIVERY_EXCEPTION": Milestone.EXCEPTION,
    "FAILURE": Milestone.EXCEPTION,  # DHL unified API status code
    "RETURN_TO_SENDER": Milestone.RETURNED,
    "RETURNED_TO_SENDER": Milestone.RETURNED,
    "RETURNED": Milestone.RETURNED,
    "CANCELLED": Milestone.CANCELLED,
    "CANCELED": Milestone.CANCELLED,
}


def milestone_from_x12(code: str) -> Milestone:
    """The milestone for an X12 214 ``AT7-01`` shipment status code (blanks ignored, case-insensitive).

    :raises MappingError: for a code not in :data:`X12_STATUS_CODES`
    """
    milestone = X12_STATUS_CODES.get(code.strip().upper())
    if milestone is None:
        raise MappingError(f"unknown X12 214 AT7-01 shipment status code {code!r}")
    return milestone


def _normalise_status(text: str) -> str:
    return "_".join(text.strip().upper().replace("-", " ").replace("_", " ").split())


def milestone_from_carrier_status(text: str) -> Milestone:
    """The milestone for a carrier's status text such as ``"Out for delivery"`` or ``"IN_TRANSIT"``.

    Case, blanks, hyphens and underscores are normalised before the lookup in :data:`CARRIER_STATUSES`.

    :raises MappingError: for a status not in the table
    """
    milestone = CARRIER_STATUSES.get(_normalise_status(text))
    if milestone is None:
        raise MappingError(f"unknown carrier status {text!r}")
    return milestone
