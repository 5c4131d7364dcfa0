"""Shipments and what moves them: stops, legs, handling units (pallets, parcels), lines with lots, trailers
and loads.

A :class:`Shipment` is goods moving from one place to another under one carrier booking; it is made of
ordered :class:`Stop` entries and :class:`Leg` entries between them, packed into :class:`HandlingUnit` entries
identified by SSCC. A :class:`Load` groups shipments on one :class:`Trailer`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from tradelane.core.model.base import (
    CanonicalModel,
    Identifier,
    Name,
    Sscc,
    TimeWindow,
    UtcDatetime,
    unique_ids,
)
from tradelane.core.model.parties import ExternalRef, Location, Scac
from tradelane.core.model.products import ProductRef
from tradelane.core.model.quantities import Quantity
from tradelane.core.units import Dimension

__all__ = [
    "Dimensions",
    "HandlingUnit",
    "HandlingUnitKind",
    "Leg",
    "Load",
    "LotQuantity",
    "Shipment",
    "ShipmentLine",
    "Stop",
    "StopKind",
    "Trailer",
    "TrailerKind",
    "TransportMode",
]


class TransportMode(StrEnum):
    """How goods travel."""

    PARCEL = "parcel"
    LTL = "ltl"  # less than truckload
    FTL = "ftl"  # full truckload
    OCEAN = "ocean"
    AIR = "air"
    RAIL = "rail"
    INTERMODAL = "intermodal"
    COURIER = "courier"


class StopKind(StrEnum):
    """What happens at a stop."""

    PICKUP = "pickup"
    DELIVERY = "delivery"
    CROSS_DOCK = "cross_dock"
    TERMINAL = "terminal"


class Stop(CanonicalModel):
    """A place the shipment calls at."""

    #: 1-based order of the stop on the route
    sequence: int = Field(ge=1)
    #: what happens there
    kind: StopKind
    #: where
    location: Location
    #: when the stop should happen
    window: TimeWindow | None = None
    #: the appointment booked at the stop, if any
    appointment_id: Identifier | None = None


class Leg(CanonicalModel):
    """One movement between two stops by one carrier and mode."""

    #: 1-based order of the leg
    sequence: int = Field(ge=1)
    #: the stop the leg starts at (its ``sequence``)
    from_stop: int = Field(ge=1)
    #: the stop the leg ends at (its ``sequence``)
    to_stop: int = Field(ge=1)
    #: how goods travel on this leg
    mode: TransportMode
    #: canonical party id of the carrier
    carrier_id: Identifier | None = None
    #: carrier's SCAC
    scac: Scac | None = None
    #: the carrier's tracking or PRO number for this leg
    tracking_number: Identifier | None = None
    #: planned departure
    planned_departure_at: UtcDatetime | None = None
    #: planned arrival
    planned_arrival_at: UtcDatetime | None = None


class Dimensions(CanonicalModel):
    """Outer dimensions of a handling unit."""

    #: length
    length: Quantity
    #: width
    width: Quantity
    #: height
    height: Quantity

    @model_validator(mode="after")
    def _lengths(self) -> Self:
        for name in ("length", "width", "height"):
            quantity: Quantity = getattr(self, name)
            if quantity.dimension is not Dimension.LENGTH:
                raise PydanticCustomError(
                    "wrong_dimension",
                    "{name} must be a length, got {unit}",
                    {"name": name, "unit": quantity.unit},
                )
        return self


class HandlingUnitKind(StrEnum):
    """The physical form of a handling unit."""

    PALLET = "pallet"
    CARTON = "carton"
    PARCEL = "parcel"
    CRATE = "crate"
    DRUM = "drum"
    CONTAINER = "container"
    OTHER = "other"


class HandlingUnit(CanonicalModel):
    """A pallet, carton or parcel identified by its SSCC label."""

    #: GS1 Serial Shipping Container Code on the label
    sscc: Sscc
    #: physical form
    kind: HandlingUnitKind = HandlingUnitKind.PALLET
    #: gross weight
    weight: Quantity | None = None
    #: outer dimensions
    dimensions: Dimensions | None = None
    #: the SSCC of the handling unit this one is stacked on or packed in (a carton on a pallet)
    parent_sscc: Sscc | None = None


class LotQuantity(CanonicalModel):
    """How much of a line comes from one lot (or is one serial number)."""

    #: lot or batch number
    lot: Identifier | None = None
    #: serial number, for serial-tracked products (quantity is then 1)
    serial: Identifier | None = None
    #: how much of the line is from this lot
    quantity: Quantity
    #: best-before or expiry time of the lot
    expires_at: UtcDatetime | None = None

    @model_validator(mode="after")
    def _lot_or_serial(self) -> Self:
        if self.lot is None and self.serial is None:
            raise PydanticCustomError("lot_or_serial", "give a lot, a serial number, or both", {})
        return self


class ShipmentLine(CanonicalModel):
    """A product and quantity in a shipment."""

    #: line id, unique within the shipment
    line_id: Identifier
    #: the order line this fulfils, if any
    order_line_id: Identifier | None = None
    #: what is shipped
    product: ProductRef
    #: how much
    quantity: Quantity
    #: lot and serial breakdown, for tracked products
    lots: tuple[LotQuantity, ...] = ()
    #: the handling unit the goods are packed in (one of the shipment's SSCCs)
    sscc: Sscc | None = None


class Shipment(CanonicalModel):
    """Goods moving under one carrier booking, from pickup to delivery."""

    #: canonical id of the shipment
    shipment_id: Identifier
    #: business reference people use (Odoo picking name, e.g. ``WH/OUT/00042``)
    reference: Identifier
    #: the orders this shipment fulfils (their business numbers)
    order_refs: tuple[Identifier, ...] = ()
    #: main transport mode
    mode: TransportMode
    #: canonical party id of the main carrier
    carrier_id: Identifier | None = None
    #: carrier service level as the carrier names it, e.g. ``GROUND``, ``EXPRESS_SAVER``
    service_level: Identifier | None = None
    #: master tracking number, bill of lading or PRO number
    tracking_number: Identifier | None = None
    #: where the goods leave from
    ship_from: Location
    #: where the goods go
    ship_to: Location
    #: the stops, in route order (empty for a simple point-to-point parcel)
    stops: tuple[Stop, ...] = ()
    #: the legs between stops
    legs: tuple[Leg, ...] = ()
    #: pallets, cartons, parcels
    handling_units: tuple[HandlingUnit, ...] = ()
    #: what is shipped
    lines: tuple[ShipmentLine, ...] = ()
    #: total gross weight
    total_weight: Quantity | None = None
    #: when pickup is planned
    pickup_window: TimeWindow | None = None
    #: when delivery is planned
    delivery_window: TimeWindow | None = None
    #: ids of the same shipment in other systems
    external_refs: tuple[ExternalRef, ...] = ()

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        unique_ids((line.line_id for line in self.lines), what="line_id")
        unique_ids((hu.sscc for hu in self.handling_units), what="sscc")
        unique_ids((str(stop.sequence) for stop in self.stops), what="stop sequence")
        ssccs = {hu.sscc for hu in self.handling_units}
        for line in self.lines:
            if line.sscc is not None and line.sscc not in ssccs:
                raise PydanticCustomError(
                    "unknown_sscc",
                    "line {line} is packed in SSCC {sscc}, which is not one of the handling units",
                    {"line": line.line_id, "sscc": line.sscc},
                )
        stops = {stop.sequence for stop in self.stops}
        for leg in self.legs:
            for end in (leg.from_stop, leg.to_stop):
                if end not in stops:
                    raise PydanticCustomError(
                        "unknown_stop",
                        "leg {leg} refers to stop {stop}, which is not defined",
                        {"leg": leg.sequence, "stop": end},
                    )
        return self


class TrailerKind(StrEnum):
    """Equipment type."""

    DRY_VAN = "dry_van"
    REEFER = "reefer"
    FLATBED = "flatbed"
    CONTAINER = "container"
    TANKER = "tanker"
    BOX_TRUCK = "box_truck"
    OTHER = "other"


class Trailer(CanonicalModel):
    """A trailer or container, as seen at the gate and the dock."""

    #: trailer or container number painted on the equipment
    number: Identifier
    #: equipment type
    kind: TrailerKind = TrailerKind.DRY_VAN
    #: SCAC of the carrier owning the equipment
    scac: Scac | None = None
    #: licence plate
    license_plate: Identifier | None = None
    #: nominal length, e.g. 53 FT or 13.6 M
    length: Quantity | None = None


class Load(CanonicalModel):
    """Shipments travelling together on one trailer under one carrier."""

    #: canonical id of the load
    load_id: Identifier
    #: the shipments on the load
    shipment_ids: tuple[Identifier, ...] = Field(min_length=1)
    #: canonical party id of the carrier
    carrier_id: Identifier | None = None
    #: the trailer, once known
    trailer: Trailer | None = None
    #: driver's name
    driver_name: Name | None = None
    #: seal numbers applied when the trailer was closed
    seal_numbers: tuple[Identifier, ...] = ()
