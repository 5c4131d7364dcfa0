"""X12 warehouse sets ↔ canonical payloads: 940 shipping order, 945 shipping advice, 856 ship notice.

Conventions are those of :mod:`tradelane.edi.x12_mapping`; shared helpers live in
:mod:`tradelane.edi.x12_common`.
"""

from __future__ import annotations

from decimal import Decimal

from tradelane.connectors.x12 import Segment, TransactionSet
from tradelane.core.catalog import EventName
from tradelane.core.model.events import (
    EventPayload,
    OrderReleased,
    ReceiptExpected,
    ShipmentShipped,
)
from tradelane.core.model.inventory import Receipt, ReceiptLine
from tradelane.core.model.orders import OrderLine
from tradelane.core.model.parties import LocationKind
from tradelane.core.model.quantities import Quantity
from tradelane.core.model.shipments import (
    HandlingUnit,
    Shipment,
    ShipmentLine,
)
from tradelane.edi.codes import (
    MODE_TO_X12,
    WEIGHT_TO_X12,
    X12_MODES,
    unit_from_edi,
)
from tradelane.edi.common import build_payload, decimal_of
from tradelane.edi.events import Mapped, SetContext, SetMappingError
from tradelane.edi.partners import PartnerSettings
from tradelane.edi.x12_common import (
    B2_SHIPMENT_ID_MAX,
    DESCRIPTION_MAX,
    ID_QUALIFIER,
    LOT_MAX,
    NAME_MAX,
    NOTE_MAX,
    REF_MAX,
    SHIP_FROM,
    SHIP_TO,
    UPC_LENGTH,
    W05_ORDER_MAX,
    WAREHOUSE,
    Pos,
    all_segs,
    body_of,
    first_seg,
    fits,
    location_of,
    mapped,
    need,
    number_text,
    partner_site,
    party_loop,
    product_ref,
    quantity_of,
    ref_value,
    sent_at,
    split_loops,
    write_datetime,
    write_party,
    x12_datetime,
    x12_text,
    x12_unit,
)

__all__ = ["read_856", "read_940", "read_945", "write_856", "write_940", "write_945"]

# --------------------------------------------------------------------------------------------------------
# 940 warehouse shipping order ↔ order.released
# --------------------------------------------------------------------------------------------------------

#: G62-01 qualifiers: requested ship date (order) and delivery requested (line)
SHIP_BY, LINE_REQUESTED = "10", "02"


def write_940(payload: EventPayload, partner: PartnerSettings) -> tuple[Segment, ...]:
    """``order.released`` → 940 body: W05, warehouse N1, canonical id N9, ship-by G62, W66, LX/W01 lines, W76."""
    assert isinstance(payload, OrderReleased)
    site = partner.location_code(payload.warehouse_id)
    segs = [
        Segment("W05", ("N", fits(payload.number, W05_ORDER_MAX, "W05-02 order number"))),
        Segment(
            "N1", (WAREHOUSE, x12_text(partner.site_name or site, NAME_MAX, partner), ID_QUALIFIER, site)
        ),
        Segment("N9", ("ZZ", fits(payload.order_id, REF_MAX, "N9 order id"))),
    ]
    if payload.ship_by is not None:
        day, clock = write_datetime(payload.ship_by, partner)
        segs.append(Segment("G62", (SHIP_BY, day, "K", clock, "LT")))
    segs.append(Segment("W66", (partner.x12.payment_method, MODE_TO_X12[partner.default_mode])))
    total = Decimal(0)
    for index, line in enumerate(payload.lines, start=1):
        total += line.quantity.value
        w01: tuple[str, ...] = (
            number_text(line.quantity.value),
            x12_unit(line.quantity),
            "",
            "VN",
            fits(line.product.sku, 48, "W01 SKU"),
        )
        if line.product.gtin:
            w01 = (*w01, "EN", line.product.gtin)
        segs += [Segment("LX", (str(index),)), Segment("W01", w01)]
        if line.product.name:
            segs.append(Segment("G69", (x12_text(line.product.name, DESCRIPTION_MAX, partner),)))
        segs.append(Segment("N9", ("LI", fits(line.line_id, REF_MAX, "N9 line id"))))
        if line.note:
            segs.append(Segment("N9", ("ZZ", "NOTE", x12_text(line.note, NOTE_MAX, partner))))
        if line.requested_at is not None:
            day, clock = write_datetime(line.requested_at, partner)
            segs.append(Segment("G62", (LINE_REQUESTED, day, "Z", clock, "LT")))
    segs.append(Segment("W76", (number_text(total),)))
    return tuple(segs)


def read_940(ts: TransactionSet, ctx: SetContext) -> list[Mapped]:
    """940 → ``order.released`` (to the warehouse named in N1*WH, or the partner's site)."""
    partner = ctx.partner
    segs = body_of(ts)
    _, w05 = need(first_seg(segs, "W05"), "W05", "940")
    head, loops = split_loops(segs, "LX")
    wh = party_loop(head, WAREHOUSE)
    warehouse_id = partner.location_id(wh[0][1].get(4) or wh[0][1].get(2)) if wh else partner.site_location_id
    if warehouse_id is None:
        raise SetMappingError("940 names no warehouse (N1*WH) and the partner has no site_location_id")
    order_id = next((s.get(2) for _, s in head if s.tag == "N9" and s.get(1) == "ZZ"), None) or w05.get(2)
    ship_by = first_seg(head, "G62", SHIP_BY)
    lines: list[dict[str, object]] = []
    for loop in loops:
        lpos, w01 = need(first_seg(loop, "W01"), "W01", "940 line")
        pairs = [(w01.get(k), w01.get(k + 1)) for k in (4, 6)]
        g69 = first_seg(loop, "G69")
        product = product_ref(pairs, g69[1].get(1) if g69 else None)
        if product is None:
            raise SetMappingError("W01 carries no product id", segment_tag="W01", segment_position=lpos)
        requested = first_seg(loop, "G62", LINE_REQUESTED)
        note = next(
            (s.get(3) for _, s in loop if s.tag == "N9" and s.get(1) == "ZZ" and s.get(2) == "NOTE"), None
        )
        lines.append(
            {
                "line_id": ref_value(loop, "N9", "LI") or loop[0][1].get(1),
                "product": product,
                "quantity": quantity_of(w01.get(1), w01.get(2), lpos, "W01", 1),
                "requested_at": (
                    x12_datetime(requested[1].get(2), requested[1].get(4), requested[1].get(5), partner.zone)
                    if requested
                    else None
                ),
                "note": note,
            }
        )
    released = sent_at(ctx, "940")

    def payload() -> EventPayload:
        return OrderReleased(
            order_id=order_id,
            number=w05.get(2),
            warehouse_id=warehouse_id,
            released_at=released,
            lines=tuple(OrderLine.model_validate(line) for line in lines),
            ship_by=(
                x12_datetime(ship_by[1].get(2), ship_by[1].get(4), ship_by[1].get(5), partner.zone)
                if ship_by
                else None
            ),
        )

    return [mapped(EventName.ORDER_RELEASED, build_payload("940", payload), released, w05.get(2))]


# --------------------------------------------------------------------------------------------------------
# 945 warehouse shipping advice ↔ shipment.shipped
# --------------------------------------------------------------------------------------------------------

#: G62-01 "shipped on this date" and its time qualifier (8: actual pick-up time)
SHIPPED_DATE, SHIPPED_TIME = "11", "8"
#: W12-01 line status: shipped complete
SHIPPED_COMPLETE = "CC"


def read_945(ts: TransactionSet, ctx: SetContext) -> list[Mapped]:
    """945 → ``shipment.shipped``: lines from W12 (lots from W12-09 / N9*LT, SSCCs from MAN*GM)."""
    partner = ctx.partner
    segs = body_of(ts)
    _, w06 = need(first_seg(segs, "W06"), "W06", "945")
    head, loops = split_loops(segs, "LX")
    order_number, shipment_ref = w06.get(2), w06.get(4)
    shipment_id = shipment_ref or f"{partner.id}:{order_number}"
    ship_to = location_of(party_loop(head, SHIP_TO), partner, LocationKind.CUSTOMER_SITE)
    if ship_to is None:
        raise SetMappingError("945 has no ship-to party (N1*ST)", segment_tag="N1")
    ship_from = location_of(party_loop(head, SHIP_FROM), partner, LocationKind.WAREHOUSE) or partner_site(
        partner
    )
    if ship_from is None:
        raise SetMappingError("945 has no ship-from (N1*SF) and the partner has no site_location_id")
    shipped = first_seg(head, "G62", SHIPPED_DATE)
    if shipped is not None:
        shipped_at = x12_datetime(shipped[1].get(2), shipped[1].get(4), shipped[1].get(5), partner.zone)
    elif w06.get(3):
        shipped_at = x12_datetime(w06.get(3), "", "LT", partner.zone)
    else:
        shipped_at = sent_at(ctx, "945")
    w27 = first_seg(head, "W27")
    scac = w27[1].get(2) if w27 else ""
    lines: list[dict[str, object]] = []
    ssccs: list[str] = []
    for loop in loops:
        sscc = next((s.get(2) for _, s in loop if s.tag == "MAN" and s.get(1) == "GM"), None)
        if sscc and sscc not in ssccs:
            ssccs.append(sscc)
        items = all_segs(loop, "W12")
        if not items:
            raise SetMappingError("945 line has no W12", segment_tag="LX", segment_position=loop[0][0])
        lots: list[dict[str, object]] = []
        total = Decimal(0)
        unit = ""
        product = None
        for wpos, w12 in items:
            shipped_qty = w12.get(3) or w12.get(2)
            unit = unit or w12.get(5)
            quantity = quantity_of(shipped_qty, w12.get(5), wpos, "W12", 3)
            total += quantity.value
            product = product or product_ref([(w12.get(7), w12.get(8)), ("UP", w12.get(6))], None)
            if w12.get(9):
                lots.append({"lot": w12.get(9), "quantity": quantity})
        if product is None:
            raise SetMappingError(
                "W12 carries no product id", segment_tag="W12", segment_position=items[0][0]
            )
        if not lots and (lot := ref_value(loop, "N9", "LT")):
            lots.append({"lot": lot, "quantity": {"value": total, "unit": unit_from_edi(unit or "EA")}})
        lines.append(
            {
                "line_id": ref_value(loop, "N9", "LI") or loop[0][1].get(1),
                "product": product,
                "quantity": {"value": total, "unit": unit_from_edi(unit or "EA")},
                "lots": lots,
                "sscc": sscc,
            }
        )
    w03 = first_seg(segs, "W03")
    weight = None
    if w03 is not None and w03[1].get(2):
        weight = Quantity(
            value=decimal_of(w03[1].get(2), w03[0], "W03", 2), unit=unit_from_edi(w03[1].get(3) or "L")
        )

    def payload() -> EventPayload:
        shipment = Shipment.model_validate(
            {
                "shipment_id": shipment_id,
                "reference": ref_value(head, "N9", "SI") or shipment_ref or order_number,
                "order_refs": [order_number] if order_number else [],
                "mode": X12_MODES.get(w27[1].get(1), partner.default_mode) if w27 else partner.default_mode,
                "carrier_id": partner.party(scac) if scac else None,
                "service_level": (w27[1].get(3) or None) if w27 else None,
                "tracking_number": ref_value(head, "N9", "BM") or ref_value(head, "N9", "CN"),
                "ship_from": ship_from,
                "ship_to": ship_to,
                "handling_units": [HandlingUnit(sscc=s) for s in ssccs],
                "lines": [ShipmentLine.model_validate(line) for line in lines],
                "total_weight": weight,
            }
        )
        return ShipmentShipped(shipment_id=shipment_id, shipped_at=shipped_at, shipment=shipment)

    return [mapped(EventName.SHIPMENT_SHIPPED, build_payload("945", payload), shipped_at, shipment_id)]


def write_945(payload: EventPayload, partner: PartnerSettings) -> tuple[Segment, ...]:
    """``shipment.shipped`` → 945 body: W06, parties, references, G62, W27, LX/MAN/W12 lines, W03."""
    assert isinstance(payload, ShipmentShipped)
    s = payload.shipment
    order = s.order_refs[0] if s.order_refs else s.reference
    day, clock = write_datetime(payload.shipped_at, partner)
    scac = next((leg.scac for leg in s.legs if leg.scac), None)
    if scac is None and s.carrier_id:
        scac = next((code for code, party in partner.parties.items() if party == s.carrier_id), None)
    segs = [
        Segment(
            "W06",
            (
                "F",
                fits(order, W05_ORDER_MAX, "W06-02 order number"),
                day,
                fits(payload.shipment_id, B2_SHIPMENT_ID_MAX, "W06-04 shipment id"),
            ),
        ),
        *write_party(SHIP_FROM, s.ship_from, partner),
        *write_party(SHIP_TO, s.ship_to, partner),
        Segment("N9", ("SI", fits(s.reference, REF_MAX, "N9 reference"))),
    ]
    if s.tracking_number:
        segs.append(Segment("N9", ("BM", fits(s.tracking_number, REF_MAX, "N9 tracking"))))
    segs.append(Segment("G62", (SHIPPED_DATE, day, SHIPPED_TIME, clock, "LT")))
    segs.append(
        Segment("W27", (MODE_TO_X12[s.mode], scac or "", s.service_level or ("" if scac else "ROUTING")))
    )
    units = Decimal(0)
    for index, line in enumerate(s.lines, start=1):
        units += line.quantity.value
        segs.append(Segment("LX", (str(index),)))
        if line.sscc:
            segs.append(Segment("MAN", ("GM", line.sscc)))
        upc = line.product.gtin if line.product.gtin and len(line.product.gtin) == UPC_LENGTH else ""
        parts = [(lot.lot or "", lot.quantity) for lot in line.lots] or [("", line.quantity)]
        for lot_number, quantity in parts:
            qty = number_text(quantity.value)
            segs.append(
                Segment(
                    "W12",
                    (
                        SHIPPED_COMPLETE,
                        qty,
                        qty,
                        "0",
                        x12_unit(quantity),
                        upc,
                        "VN",
                        fits(line.product.sku, 48, "W12 SKU"),
                        fits(lot_number, LOT_MAX, "W12-09 lot"),
                    ),
                )
            )
        segs.append(Segment("N9", ("LI", fits(line.line_id, REF_MAX, "N9 line id"))))
    weight = s.total_weight
    segs.append(
        Segment(
            "W03",
            (
                number_text(units),
                number_text(weight.value) if weight else "",
                WEIGHT_TO_X12.get(weight.unit, "") if weight else "",
            ),
        )
    )
    return tuple(segs)


# --------------------------------------------------------------------------------------------------------
# 856 ship notice ↔ receipt.expected
# --------------------------------------------------------------------------------------------------------

#: DTM-01 qualifiers: shipped, estimated delivery
DTM_SHIPPED, DTM_ESTIMATED_DELIVERY = "011", "017"


def read_856(ts: TransactionSet, ctx: SetContext) -> list[Mapped]:
    """856 → one ``receipt.expected`` per order (HL level O) of the ASN, lines from the item levels."""
    partner = ctx.partner
    segs = body_of(ts)
    _, bsn = need(first_seg(segs, "BSN"), "BSN", "856")
    asn = bsn.get(2)
    header, hls = split_loops(segs, "HL")
    levels: dict[str, tuple[str, str, list[Pos]]] = {}
    for loop in hls:
        hl = loop[0][1]
        levels[hl.get(1)] = (hl.get(3), hl.get(2), loop)
    shipment_loops = [loop for code, _, loop in levels.values() if code == "S"]
    top: list[Pos] = header + (shipment_loops[0] if shipment_loops else [])
    site = party_loop(top, SHIP_TO)
    location_id = (
        partner.location_id(site[0][1].get(4) or site[0][1].get(2)) if site else partner.site_location_id
    )
    if location_id is None:
        raise SetMappingError("856 names no ship-to (N1*ST) and the partner has no site_location_id")
    supplier = party_loop(top, SHIP_FROM)
    supplier_id = (
        partner.party(supplier[0][1].get(4) or supplier[0][1].get(2))
        if supplier
        else (partner.party_id if partner.role == "supplier" else None)
    )
    eta = first_seg(top, "DTM", DTM_ESTIMATED_DELIVERY)
    expected_at = x12_datetime(eta[1].get(2), eta[1].get(3), eta[1].get(4), partner.zone) if eta else None
    our_id = ref_value(top, "REF", "ZZ")

    def order_of(hl_id: str) -> str:
        seen: set[str] = set()
        while hl_id in levels and hl_id not in seen:
            seen.add(hl_id)
            code, parent, _ = levels[hl_id]
            if code == "O":
                return hl_id
            hl_id = parent
        return ""

    groups: dict[str, list[dict[str, object]]] = {}
    for hl_id, (code, _, loop) in levels.items():
        if code != "I":
            continue
        lpos, lin = need(first_seg(loop, "LIN"), "LIN", f"856 item HL {hl_id}")
        pairs = [(lin.get(k), lin.get(k + 1)) for k in (2, 4, 6, 8)]
        pid = first_seg(loop, "PID")
        product = product_ref(pairs, pid[1].get(5) if pid else None)
        if product is None:
            raise SetMappingError("LIN carries no product id", segment_tag="LIN", segment_position=lpos)
        spos, sn1 = need(first_seg(loop, "SN1"), "SN1", f"856 item HL {hl_id}")
        groups.setdefault(order_of(hl_id), []).append(
            {
                "line_id": lin.get(1) or hl_id,
                "product": product,
                "expected_quantity": quantity_of(sn1.get(2), sn1.get(3), spos, "SN1", 2),
            }
        )
    out: list[Mapped] = []
    for order_hl, lines in groups.items():
        prf = first_seg(levels[order_hl][2], "PRF") if order_hl else None
        order_ref = prf[1].get(1) if prf else None
        several = len(groups) > 1
        receipt_id = (
            our_id if our_id and not several else f"{partner.id}:{asn}" + (f":{order_ref}" if several else "")
        )

        def payload(
            receipt_id: str = receipt_id,
            order_ref: str | None = order_ref,
            lines: list[dict[str, object]] = lines,
        ) -> EventPayload:
            receipt = Receipt.model_validate(
                {
                    "receipt_id": receipt_id,
                    "reference": asn,
                    "order_ref": order_ref,
                    "location_id": location_id,
                    "supplier_id": supplier_id,
                    "expected_at": expected_at,
                    "lines": [ReceiptLine.model_validate(line) for line in lines],
                }
            )
            return ReceiptExpected(receipt_id=receipt_id, receipt=receipt)

        out.append(
            mapped(EventName.RECEIPT_EXPECTED, build_payload("856", payload), ctx.sent_at or expected_at, asn)
        )
    return out


def write_856(payload: EventPayload, partner: PartnerSettings) -> tuple[Segment, ...]:
    """``receipt.expected`` → 856 body: BSN, shipment HL (ETA, our id, ship-to, supplier), order HL, item HLs."""
    assert isinstance(payload, ReceiptExpected)
    r = payload.receipt
    stamp = r.expected_at
    day, clock = write_datetime(stamp, partner) if stamp else ("", "")
    segs = [
        Segment(
            "BSN",
            (
                "00",
                fits(r.reference, B2_SHIPMENT_ID_MAX, "BSN-02 reference"),
                day or "20000101",
                clock or "0000",
                "0001",
            ),
        ),
        Segment("HL", ("1", "", "S", "1")),
        Segment("REF", ("ZZ", fits(payload.receipt_id, REF_MAX, "REF receipt id"))),
    ]
    if stamp is not None:
        segs.append(Segment("DTM", (DTM_ESTIMATED_DELIVERY, day, clock, "LT")))
    site = partner.location_code(r.location_id)
    segs.append(
        Segment("N1", (SHIP_TO, x12_text(partner.site_name or site, NAME_MAX, partner), ID_QUALIFIER, site))
    )
    if r.supplier_id:
        code = next((c for c, p in partner.parties.items() if p == r.supplier_id), r.supplier_id)
        segs.append(Segment("N1", (SHIP_FROM, code[:NAME_MAX], ID_QUALIFIER, code)))
    segs.append(Segment("HL", ("2", "1", "O", "1")))
    if r.order_ref:
        segs.append(Segment("PRF", (fits(r.order_ref, W05_ORDER_MAX, "PRF order"),)))
    for index, line in enumerate(r.lines, start=3):
        lin: tuple[str, ...] = (fits(line.line_id, 20, "LIN-01 line id"), "VN", line.product.sku)
        if line.product.gtin:
            lin = (*lin, "EN", line.product.gtin)
        segs += [
            Segment("HL", (str(index), "2", "I", "0")),
            Segment("LIN", lin),
            Segment("SN1", ("", number_text(line.expected_quantity.value), x12_unit(line.expected_quantity))),
        ]
        if line.product.name:
            segs.append(
                Segment("PID", ("F", "", "", "", x12_text(line.product.name, DESCRIPTION_MAX, partner)))
            )
    segs.append(Segment("CTT", (str(len(r.lines) + 2),)))
    return tuple(segs)
