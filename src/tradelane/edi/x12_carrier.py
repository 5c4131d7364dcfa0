"""X12 carrier sets ↔ canonical payloads: 204 load tender, 990 tender response, 214 status, 210 invoice.

Conventions are those of :mod:`tradelane.edi.x12_mapping`; shared helpers live in
:mod:`tradelane.edi.x12_common`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from tradelane.connectors.x12 import EdiRenderError, Segment, TransactionSet
from tradelane.core.catalog import EventName
from tradelane.core.milestones import X12_STATUS_CODES, Milestone
from tradelane.core.model.events import (
    CarrierInvoiceReceived,
    EventPayload,
    ShipmentBooked,
    ShipmentMilestone,
    ShipmentTendered,
    ShipmentTenderRejected,
)
from tradelane.core.model.freight import AccessorialCode, CarrierInvoice, ChargeKind
from tradelane.core.model.parties import LocationKind
from tradelane.core.model.quantities import Money, Quantity
from tradelane.core.model.shipments import (
    Shipment,
    Stop,
    StopKind,
)
from tradelane.core.model.tracking import TrackingEvent
from tradelane.edi.codes import (
    CHARGE_CODES,
    MILESTONE_TO_AT7,
    MODE_TO_X12,
    N2_PLACES,
    STOP_REASONS,
    STOP_TO_X12,
    WEIGHT_TO_X12,
    X12_MODES,
    charge_code,
    unit_from_edi,
)
from tradelane.edi.common import build_payload, decimal_of
from tradelane.edi.events import Mapped, SetContext, SetMappingError
from tradelane.edi.partners import PartnerSettings
from tradelane.edi.x12_common import (
    B2_SHIPMENT_ID_MAX,
    B3_INVOICE_MAX,
    COORDINATE_DIGITS,
    LADING_MAX,
    NORMAL_STATUS,
    REF_MAX,
    SHIP_FROM,
    SHIP_TO,
    Pos,
    all_segs,
    body_of,
    first_seg,
    fits,
    k1_segments,
    location_of,
    mapped,
    n2,
    need,
    number_text,
    party_loop,
    ref_value,
    remarks_of,
    scac_of,
    sent_at,
    split_loops,
    write_datetime,
    write_party,
    x12_datetime,
    x12_text,
)

__all__ = ["read_204", "read_210", "read_214", "read_990", "write_204", "write_210", "write_214", "write_990"]

# --------------------------------------------------------------------------------------------------------
# 214 shipment status ↔ shipment.milestone
# --------------------------------------------------------------------------------------------------------


def _milestone_code(code: str, ctx: SetContext, pos: int) -> Milestone:
    milestone = ctx.partner.status_codes.get(code) or X12_STATUS_CODES.get(code)
    if milestone is None:
        raise SetMappingError(
            f"AT7-01 status code {code!r} is not in the 214 table nor in partner {ctx.partner.id}'s codes",
            segment_tag="AT7",
            segment_position=pos,
            element_position=1,
        )
    return milestone


def _coordinate(value: str, direction: str, negative: str) -> float | None:
    if not (value.isascii() and value.isdigit() and len(value) == COORDINATE_DIGITS):
        return None
    degrees = int(value[:3]) + int(value[3:5]) / 60 + int(value[5:7]) / 3600
    return round(-degrees if direction == negative else degrees, 6)


def read_214(ts: TransactionSet, ctx: SetContext) -> list[Mapped]:
    """214 → one ``shipment.milestone`` per AT7 that carries a status code (AT7-01)."""
    segs = body_of(ts)
    _, b10 = need(first_seg(segs, "B10"), "B10", "214")
    pro, shipment_ref = b10.get(1), b10.get(2)
    shipment_id = shipment_ref or f"{ctx.partner.id}:{pro}"
    out: list[Mapped] = []
    _, loops = split_loops(segs, "LX")
    for loop in loops:
        remarks = remarks_of(loop) or ""
        tracking = ref_value(loop, "L11", "CN") or pro or None
        for index, (pos, at7) in enumerate(loop):
            if at7.tag != "AT7" or not at7.get(1):
                continue  # appointment status only (AT7-03): not a milestone
            milestone = _milestone_code(at7.get(1), ctx, pos)
            when = (
                x12_datetime(at7.get(5), at7.get(6), at7.get(7), ctx.partner.zone)
                if at7.get(5)
                else sent_at(ctx, "214 AT7 without date")
            )
            following = loop[index + 1 : index + 2]
            position = None
            if following and following[0][1].tag == "MS1":
                ms1 = following[0][1]
                lon = _coordinate(ms1.get(4), ms1.get(6), "W")
                lat = _coordinate(ms1.get(5), ms1.get(7), "S")
                if lat is not None and lon is not None:
                    position = {"lat": lat, "lon": lon}
            reason_code = at7.get(2) if at7.get(2) and at7.get(2) != NORMAL_STATUS else None
            eta = milestone is Milestone.ETA_CHANGED
            occurred = ctx.sent_at if eta and ctx.sent_at is not None else when

            def payload(
                milestone: Milestone = milestone,
                occurred: datetime = occurred,
                reason_code: str | None = reason_code,
                position: dict[str, float] | None = position,
                eta_at: datetime | None = when if eta else None,
                code: str = at7.get(1),
                tracking: str | None = tracking,
                remarks: str = remarks,
            ) -> EventPayload:
                return ShipmentMilestone(
                    shipment_id=shipment_id,
                    tracking_number=tracking,
                    carrier_id=ctx.partner.party_id,
                    event=TrackingEvent.model_validate(
                        {
                            "milestone": milestone,
                            "occurred_at": occurred,
                            "position": position,
                            "reason": remarks or None,
                            "reason_code": reason_code,
                            "source_status_code": code,
                            "estimated_delivery_at": eta_at,
                        }
                    ),
                )

            out.append(
                mapped(EventName.SHIPMENT_MILESTONE, build_payload("214", payload), occurred, shipment_id)
            )
    return out


def write_214(payload: EventPayload, partner: PartnerSettings) -> tuple[Segment, ...]:
    """``shipment.milestone`` → 214 body: B10, one LX with AT7 (and K1 for the reason)."""
    assert isinstance(payload, ShipmentMilestone)
    event = payload.event
    code = event.source_status_code
    if code is None or (partner.status_codes.get(code) or X12_STATUS_CODES.get(code)) is not event.milestone:
        code = next((c for c, m in partner.status_codes.items() if m is event.milestone), None)
        code = code or MILESTONE_TO_AT7.get(event.milestone)
    if code is None:
        raise EdiRenderError(f"no AT7-01 code for milestone {event.milestone}")
    stamp = event.estimated_delivery_at if event.milestone is Milestone.ETA_CHANGED else event.occurred_at
    day, clock = write_datetime(stamp or event.occurred_at, partner)
    shipment_id = fits(payload.shipment_id, B2_SHIPMENT_ID_MAX, "B10-02 shipment id")
    segs = [
        Segment("B10", (payload.tracking_number or "", shipment_id, scac_of(partner, "B10-03"))),
        Segment("LX", ("1",)),
        Segment("AT7", (code, event.reason_code or NORMAL_STATUS, "", "", day, clock, "LT")),
    ]
    if event.reason:
        segs += k1_segments(event.reason, partner)
    return tuple(segs)


# --------------------------------------------------------------------------------------------------------
# 204 load tender ↔ shipment.tendered
# --------------------------------------------------------------------------------------------------------

#: G62-01 date qualifiers we write and read: must respond by, promised for pick-up, promised for delivery
RESPOND_BY, PICKUP_DATE, DELIVERY_DATE = "64", "69", "70"
#: G62-03 time qualifiers: earliest / latest requested pick-up, earliest / latest requested delivery
WINDOW_QUALIFIERS = {StopKind.PICKUP: ("I", "K"), StopKind.DELIVERY: ("G", "L")}


def write_204(payload: EventPayload, partner: PartnerSettings) -> tuple[Segment, ...]:
    """``shipment.tendered`` → 204 body: B2/B2A, references, respond-by, one S5 loop per stop, L3."""
    assert isinstance(payload, ShipmentTendered)
    s = payload.shipment
    shipment_id = fits(payload.shipment_id, B2_SHIPMENT_ID_MAX, "B2-04 shipment id")
    segs = [
        Segment("B2", ("", partner.scac or "", "", shipment_id, "", partner.x12.payment_method)),
        Segment("B2A", ("00", "LT")),
        Segment("L11", (fits(payload.tender_id, REF_MAX, "L11 tender id"), "TN")),
        Segment("L11", (fits(s.reference, REF_MAX, "L11 reference"), "SI")),
        *(Segment("L11", (fits(o, REF_MAX, "L11 order"), "PO")) for o in s.order_refs),
    ]
    if payload.respond_by is not None:
        day, clock = write_datetime(payload.respond_by, partner)
        segs.append(Segment("G62", (RESPOND_BY, day, "1", clock, "LT")))
    segs.append(Segment("MS3", (scac_of(partner, "MS3-01"), "B", "", MODE_TO_X12[s.mode])))
    stops = s.stops or (
        Stop(sequence=1, kind=StopKind.PICKUP, location=s.ship_from, window=s.pickup_window),
        Stop(sequence=2, kind=StopKind.DELIVERY, location=s.ship_to, window=s.delivery_window),
    )
    for stop in stops:
        segs.append(Segment("S5", (str(stop.sequence), STOP_TO_X12[stop.kind])))
        if stop.window is not None and stop.kind in WINDOW_QUALIFIERS:
            qualifier = PICKUP_DATE if stop.kind is StopKind.PICKUP else DELIVERY_DATE
            for edge, when in zip(
                WINDOW_QUALIFIERS[stop.kind], (stop.window.start, stop.window.end), strict=True
            ):
                day, clock = write_datetime(when, partner)
                segs.append(Segment("G62", (qualifier, day, edge, clock, "LT")))
        entity = SHIP_FROM if stop.kind is StopKind.PICKUP else SHIP_TO
        segs += write_party(entity, stop.location, partner)
    weight = s.total_weight
    rate = payload.offered_rate
    if weight is not None or rate is not None:
        if rate is not None and rate.currency != partner.currency:
            raise EdiRenderError(
                f"L3 offered rate is in {rate.currency}; partner {partner.id} bills in {partner.currency}"
            )
        segs.append(
            Segment(
                "L3",
                (
                    number_text(weight.value) if weight else "",
                    "G" if weight else "",
                    "",
                    "",
                    n2(rate.amount) if rate else "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    WEIGHT_TO_X12.get(weight.unit, "") if weight else "",
                ),
            )
        )
    return tuple(segs)


def _window_from(g62s: Sequence[Pos], kind: StopKind, zone: tzinfo) -> dict[str, datetime] | None:
    start_q, end_q = WINDOW_QUALIFIERS[kind]
    edges = {
        g.get(3): x12_datetime(g.get(2), g.get(4), g.get(5), zone) for _, g in g62s if g.get(2) and g.get(4)
    }
    if start_q in edges and end_q in edges:
        return {"start": edges[start_q], "end": edges[end_q]}
    return None


def read_204(ts: TransactionSet, ctx: SetContext) -> list[Mapped]:
    """204 → ``shipment.tendered`` (the stops, parties, windows, weight and rate the tender carries)."""
    partner = ctx.partner
    segs = body_of(ts)
    _, b2 = need(first_seg(segs, "B2"), "B2", "204")
    head, loops = split_loops(segs, "S5")
    l3 = first_seg(loops[-1] if loops else head, "L3")
    shipment_id = b2.get(4)
    if not shipment_id:
        raise SetMappingError("204 B2-04 shipment id is empty", segment_tag="B2", element_position=4)
    stops: list[Stop] = []
    for loop in loops:
        pos, s5 = loop[0]
        kind = STOP_REASONS.get(s5.get(2))
        if kind is None:
            raise SetMappingError(
                f"S5-02 stop reason {s5.get(2)!r} is unknown", segment_tag="S5", segment_position=pos
            )
        entity = SHIP_FROM if kind is StopKind.PICKUP else SHIP_TO
        party = party_loop(loop, entity) or party_loop(loop, "SH") or party_loop(loop, "CN")
        location_kind = LocationKind.WAREHOUSE if kind is StopKind.PICKUP else LocationKind.CUSTOMER_SITE
        location = location_of(party, partner, location_kind)
        if location is None:
            raise SetMappingError(f"stop {s5.get(1)} has no N1 party", segment_tag="S5", segment_position=pos)
        window = (
            _window_from(all_segs(loop, "G62"), kind, partner.zone) if kind in WINDOW_QUALIFIERS else None
        )
        stops.append(
            Stop.model_validate(
                {"sequence": int(s5.get(1)), "kind": kind, "location": location, "window": window}
            )
        )
    pickups = [s for s in stops if s.kind is StopKind.PICKUP]
    deliveries = [s for s in stops if s.kind is StopKind.DELIVERY]
    if not pickups or not deliveries:
        raise SetMappingError(
            "204 needs at least one pick-up (LD) and one delivery (UL) stop", segment_tag="S5"
        )
    ms3 = first_seg(head, "MS3")
    mode = X12_MODES.get(ms3[1].get(4), partner.default_mode) if ms3 else partner.default_mode
    respond = first_seg(head, "G62", RESPOND_BY)
    rate = weight = None
    if l3 is not None:
        pos, seg = l3
        if seg.get(5):
            rate = Money(amount=decimal_of(seg.get(5), pos, "L3", 5, N2_PLACES), currency=partner.currency)
        if seg.get(1):
            weight = Quantity(
                value=decimal_of(seg.get(1), pos, "L3", 1), unit=unit_from_edi(seg.get(12) or "L")
            )
    tendered_at = sent_at(ctx, "204")

    def payload() -> EventPayload:
        shipment = Shipment(
            shipment_id=shipment_id,
            reference=ref_value(head, "L11", "SI") or shipment_id,
            order_refs=tuple(s.get(1) for _, s in all_segs(head, "L11") if s.get(2) == "PO" and s.get(1)),
            mode=mode,
            carrier_id=partner.party_id,
            ship_from=pickups[0].location,
            ship_to=deliveries[-1].location,
            stops=tuple(stops),
            total_weight=weight,
            pickup_window=pickups[0].window,
            delivery_window=deliveries[-1].window,
        )
        return ShipmentTendered(
            shipment_id=shipment_id,
            tender_id=ref_value(head, "L11", "TN") or shipment_id,
            carrier_id=partner.party_id,
            tendered_at=tendered_at,
            respond_by=(
                x12_datetime(respond[1].get(2), respond[1].get(4), respond[1].get(5), partner.zone)
                if respond
                else None
            ),
            offered_rate=rate,
            shipment=shipment,
        )

    return [mapped(EventName.SHIPMENT_TENDERED, build_payload("204", payload), tendered_at, shipment_id)]


# --------------------------------------------------------------------------------------------------------
# 990 response to a load tender ↔ shipment.booked / shipment.tender_rejected
# --------------------------------------------------------------------------------------------------------


def read_990(ts: TransactionSet, ctx: SetContext) -> list[Mapped]:
    """990 → ``shipment.booked`` (B1-04 ``A``) or ``shipment.tender_rejected`` (``D``)."""
    partner = ctx.partner
    segs = body_of(ts)
    pos, b1 = need(first_seg(segs, "B1"), "B1", "990")
    shipment_id = b1.get(2)
    sent = ctx.sent_at
    if b1.get(3):
        day = x12_datetime(b1.get(3), "", "LT", partner.zone)
        when = sent if sent is not None and sent.astimezone(partner.zone).date() == day.date() else day
    else:
        when = sent_at(ctx, "990")
    tender_id = ref_value(segs, "N9", "TN") or shipment_id
    remarks = remarks_of(segs)
    action = b1.get(4)
    if action == "A":
        booked = build_payload(
            "990",
            lambda: ShipmentBooked(
                shipment_id=shipment_id,
                tender_id=tender_id,
                carrier_id=partner.party_id,
                booked_at=when,
                booking_ref=ref_value(segs, "N9", "BN"),
                tracking_number=ref_value(segs, "N9", "CN"),
            ),
        )
        return [mapped(EventName.SHIPMENT_BOOKED, booked, when, shipment_id)]
    if action == "D":
        rejected = build_payload(
            "990",
            lambda: ShipmentTenderRejected(
                shipment_id=shipment_id,
                tender_id=tender_id,
                carrier_id=partner.party_id,
                rejected_at=when,
                reason=remarks,
                reason_code=ref_value(segs, "N9", "RC"),
            ),
        )
        return [mapped(EventName.SHIPMENT_TENDER_REJECTED, rejected, when, shipment_id)]
    raise SetMappingError(
        f"B1-04 reservation action {action!r} is neither A (accept) nor D (decline)",
        segment_tag="B1",
        segment_position=pos,
        element_position=4,
    )


def write_990(payload: EventPayload, partner: PartnerSettings) -> tuple[Segment, ...]:
    """``shipment.booked`` / ``shipment.tender_rejected`` → 990 body: B1, N9 references, K1 remarks."""
    if isinstance(payload, ShipmentBooked):
        day, _ = write_datetime(payload.booked_at, partner)
        segs = [Segment("B1", (scac_of(partner, "B1-01"), payload.shipment_id, day, "A"))]
        refs = (("TN", payload.tender_id), ("BN", payload.booking_ref), ("CN", payload.tracking_number))
        segs += [Segment("N9", (q, fits(v, REF_MAX, f"N9 {q}"))) for q, v in refs if v]
        return tuple(segs)
    assert isinstance(payload, ShipmentTenderRejected)
    day, _ = write_datetime(payload.rejected_at, partner)
    segs = [
        Segment("B1", (scac_of(partner, "B1-01"), payload.shipment_id, day, "D")),
        Segment("N9", ("TN", fits(payload.tender_id, REF_MAX, "N9 tender id"))),
    ]
    if payload.reason_code:
        segs.append(Segment("N9", ("RC", payload.reason_code)))
    if payload.reason:
        segs += k1_segments(payload.reason, partner)
    return tuple(segs)


# --------------------------------------------------------------------------------------------------------
# 210 freight invoice ↔ carrier_invoice.received
# --------------------------------------------------------------------------------------------------------

#: element 150 code of the line-haul (base) charge; an L1 without code is base as well
BASE_CHARGE_CODE = "400"


def read_210(ts: TransactionSet, ctx: SetContext) -> list[Mapped]:
    """210 → ``carrier_invoice.received``: one charge per L1, amounts in the C3 (or partner) currency."""
    partner = ctx.partner
    segs = body_of(ts)
    pos, b3 = need(first_seg(segs, "B3"), "B3", "210")
    head, loops = split_loops(segs, "LX")
    c3 = first_seg(head, "C3")
    currency = c3[1].get(1) if c3 else partner.currency
    number = b3.get(2)
    primary = b3.get(3)
    refs = [primary] if primary else []
    refs += [s.get(2) for _, s in all_segs(head, "N9") if s.get(1) in ("BM", "ZZ") and s.get(2) not in refs]
    charges: list[dict[str, object]] = []
    for loop in loops:
        lx = loop[0][1].get(1)
        description = next((s.get(2) for _, s in loop if s.tag == "L5" and s.get(2)), None)
        for lpos, l1 in all_segs(loop, "L1"):
            if not l1.get(4):
                continue
            code = l1.get(8)
            accessorial = CHARGE_CODES.get(code) if code and code != BASE_CHARGE_CODE else None
            if code and code != BASE_CHARGE_CODE and accessorial is None:
                accessorial = AccessorialCode.OTHER
            charges.append(
                {
                    "charge_id": lx if len(all_segs(loop, "L1")) == 1 else f"{lx}.{l1.get(1) or lpos}",
                    "kind": ChargeKind.ACCESSORIAL if accessorial else ChargeKind.BASE,
                    "accessorial": accessorial,
                    "amount": {
                        "amount": decimal_of(l1.get(4), lpos, "L1", 4, N2_PLACES),
                        "currency": currency,
                    },
                    "shipment_id": primary or None,
                    "source_code": code or None,
                    "description": description,
                }
            )
    received = sent_at(ctx, "210")
    invoiced = x12_datetime(b3.get(6), "", "LT", partner.zone)
    total = decimal_of(b3.get(7), pos, "B3", 7, N2_PLACES)
    invoice_id = f"{partner.id}:{number}"

    def payload() -> EventPayload:
        return CarrierInvoiceReceived(
            invoice_id=invoice_id,
            received_at=received,
            invoice=CarrierInvoice.model_validate(
                {
                    "invoice_number": number,
                    "carrier_id": partner.party_id,
                    "invoiced_at": invoiced,
                    "shipment_refs": refs,
                    "currency": currency,
                    "charges": charges,
                    "total": {"amount": total, "currency": currency},
                }
            ),
        )

    return [mapped(EventName.CARRIER_INVOICE_RECEIVED, build_payload("210", payload), received, number)]


def write_210(payload: EventPayload, partner: PartnerSettings) -> tuple[Segment, ...]:
    """``carrier_invoice.received`` → 210 body: B3, C3, N9 references, one LX/L5/L1 per charge, L3."""
    assert isinstance(payload, CarrierInvoiceReceived)
    inv = payload.invoice
    day, _ = write_datetime(inv.invoiced_at, partner)
    first, *rest = inv.shipment_refs
    segs = [
        Segment(
            "B3",
            (
                "",
                fits(inv.invoice_number, B3_INVOICE_MAX, "B3-02 invoice number"),
                fits(first, B2_SHIPMENT_ID_MAX, "B3-03 shipment id"),
                partner.x12.payment_method,
                "",
                day,
                n2(inv.total.amount),
                "",
                "",
                "",
                scac_of(partner, "B3-11"),
            ),
        ),
        Segment("C3", (inv.currency,)),
        *(Segment("N9", ("ZZ", fits(r, REF_MAX, "N9 shipment ref"))) for r in rest),
    ]
    for index, charge in enumerate(inv.charges, start=1):
        number = charge.charge_id if charge.charge_id.isascii() and charge.charge_id.isdigit() else str(index)
        if charge.kind is ChargeKind.BASE:
            code = charge.source_code if charge.source_code == BASE_CHARGE_CODE else ""
        else:
            assert charge.accessorial is not None
            known = charge.source_code and CHARGE_CODES.get(charge.source_code) is charge.accessorial
            code = charge.source_code if known and charge.source_code else charge_code(charge.accessorial)
        segs.append(Segment("LX", (number,)))
        if charge.description:
            segs.append(Segment("L5", (number, x12_text(charge.description, LADING_MAX, partner))))
        segs.append(Segment("L1", (number, "", "", n2(charge.amount.amount), "", "", "", code)))
    segs.append(Segment("L3", ("", "", "", "", n2(inv.total.amount))))
    return tuple(segs)
