"""EDIFACT messages ↔ canonical payloads, both ways: IFTSTA (status), IFTMIN (instruction), DESADV (ASN).

Same conventions as :mod:`tradelane.edi.x12_mapping`: pure functions, times from the document (DTM) in the
partner's zone unless the format says otherwise, partner codes through the partner's tables.

* IFTSTA → one ``shipment.milestone`` per STS: the consignment (CNI-02) is our ``shipment_id``, RFF+CN the
  carrier's tracking number, STS-02 the status code looked up in the partner's ``status_codes`` (EDIFACT
  status codes are agreed per partner), STS-03 the reason, DTM+334 the event time, DTM+17 a new ETA.
* IFTMIN ↔ ``shipment.tendered``: the transport instruction we send EDIFACT carriers (BGM-02 our
  ``shipment_id``, NAD+CZ/CN the parties, LOC+9/7 with DTM windows, MOA+64 the offered rate, CNT+7 the
  gross weight, RFF+CU/ON/ZZZ reference, orders and tender id); read back for round trips.
* DESADV → one ``receipt.expected`` per message: BGM-02 is the ASN number, RFF+ON the order, NAD+SU the
  supplier, NAD+DP/ST the receiving site, one line per LIN (PIA+1 SA/BP/IN → SKU, LIN-03 EN → GTIN,
  QTY+12 the despatched quantity). RFF+ZZZ carries our receipt id when we wrote the message ourselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo

from tradelane.connectors.edi_common import EdiRenderError
from tradelane.connectors.edifact import Message, Segment
from tradelane.core.catalog import EventName
from tradelane.core.milestones import Milestone
from tradelane.core.model.base import TimeWindow
from tradelane.core.model.events import EventPayload, ReceiptExpected, ShipmentMilestone, ShipmentTendered
from tradelane.core.model.inventory import Receipt, ReceiptLine
from tradelane.core.model.parties import Address, Location, LocationKind
from tradelane.core.model.quantities import Money, Quantity
from tradelane.core.model.shipments import Shipment, Stop, StopKind, TransportMode
from tradelane.core.model.tracking import TrackingEvent
from tradelane.edi.codes import unit_from_edi
from tradelane.edi.common import ascii_fold, build_payload, decimal_of, gtin_of
from tradelane.edi.events import Mapped, SetContext, SetMappingError
from tradelane.edi.partners import PartnerSettings

__all__ = ["READERS", "WRITERS", "EdifactReader", "EdifactWriter"]

Pos = tuple[int, Segment]
EdifactReader = Callable[[Message, SetContext], list[Mapped]]
EdifactWriter = Callable[[EventPayload, PartnerSettings], tuple[Segment, ...]]

#: DTM-01 qualifiers: document date, despatch, estimated delivery, estimated arrival, status event
DTM_DOCUMENT, DTM_DESPATCH, DTM_ETA, DTM_ARRIVAL_ESTIMATED, DTM_EVENT = "137", "11", "17", "132", "334"
#: DTM-03 formats we read → strptime pattern and length; 203 is what we write, 204 when seconds matter
DTM_FORMATS: dict[str, tuple[str, int]] = {
    "102": ("%Y%m%d", 8),
    "203": ("%Y%m%d%H%M", 12),
    "204": ("%Y%m%d%H%M%S", 14),
    "201": ("%y%m%d%H%M", 10),
    "101": ("%y%m%d", 6),
    "303": ("%Y%m%d%H%M", 12),  # CCYYMMDDHHMMZZZ: the zone suffix is the partner's, ignored here
}
#: RFF qualifiers: carrier's consignment number, booking, order, our own id
RFF_CARRIER, RFF_BOOKING, RFF_ORDER, RFF_OURS = "CN", "BN", "ON", "ZZZ"
#: QTY-01 despatch quantity; PIA-01 additional identification; BGM-01 despatch advice / status report
QTY_DESPATCHED, PIA_ADDITIONAL, BGM_DESADV, BGM_IFTSTA = "12", "1", "351", "23"
#: item number types (7143) read as our SKU, in order of preference, and as a GTIN
SKU_TYPES, GTIN_TYPES = ("SA", "BP", "IN", "MF"), ("EN", "SRV", "UP")
#: NAD qualifiers: supplier, delivery party, ship-to
NAD_SUPPLIER, NAD_DELIVERY, NAD_SHIP_TO = "SU", "DP", "ST"
#: code list agency we write in NAD C082 (92: assigned by buyer or buyer's agent)
AGENCY_BUYER = "92"
#: syntax identifiers whose repertoire is ASCII only
ASCII_REPERTOIRES = frozenset({"UNOA", "UNOB"})
#: longest document id (1004) and reference (1154) EDIFACT carries
DOC_ID_MAX, REFERENCE_MAX = 35, 70


def _body(message: Message) -> list[Pos]:
    return [(i + 2, s) for i, s in enumerate(message.segments)]


def _split(segs: Sequence[Pos], trigger: str) -> tuple[list[Pos], list[list[Pos]]]:
    head: list[Pos] = []
    loops: list[list[Pos]] = []
    for item in segs:
        if item[1].tag == trigger:
            loops.append([item])
        elif loops:
            loops[-1].append(item)
        else:
            head.append(item)
    return head, loops


def _rff(segs: Sequence[Pos], qualifier: str) -> str | None:
    return next(
        (s.get(1, 2) for _, s in segs if s.tag == "RFF" and s.get(1, 1) == qualifier and s.get(1, 2)), None
    )


def _dtm(segs: Sequence[Pos], qualifier: str, zone: tzinfo) -> datetime | None:
    for pos, seg in segs:
        if seg.tag != "DTM" or seg.get(1, 1) != qualifier:
            continue
        value, fmt = seg.get(1, 2), seg.get(1, 3) or "102"
        pattern = DTM_FORMATS.get(fmt)
        if pattern is None or len(value) < pattern[1]:
            raise SetMappingError(
                f"DTM+{qualifier} value {value!r} in format {fmt!r} cannot be read",
                segment_tag="DTM",
                segment_position=pos,
                element_position=1,
            )
        try:
            return datetime.strptime(value[: pattern[1]], pattern[0]).replace(tzinfo=zone)
        except ValueError:
            raise SetMappingError(
                f"DTM+{qualifier} {value!r} is not a valid {fmt} date",
                segment_tag="DTM",
                segment_position=pos,
            ) from None
    return None


def _dtm_segment(qualifier: str, when: datetime, partner: PartnerSettings) -> Segment:
    local = when.astimezone(partner.zone)
    if local.second:
        return Segment.of("DTM", [qualifier, local.strftime("%Y%m%d%H%M%S"), "204"])
    return Segment.of("DTM", [qualifier, local.strftime("%Y%m%d%H%M"), "203"])


def _id(value: str, limit: int, where: str) -> str:
    if len(value) > limit:
        raise EdiRenderError(f"{where}: {value!r} is longer than the {limit} characters EDIFACT allows")
    return value


def edifact_text(value: str, limit: int, partner: PartnerSettings) -> str:
    """Free text for EDIFACT: folded to ASCII for the level A/B repertoires (UNOA, UNOB), characters outside
    the interchange's repertoire (UNOC is Latin-1 …) dropped, cut to ``limit``.

    Separators need no care when a release character is declared (rendering escapes them); without one
    they are replaced by blanks."""
    text = ascii_fold(value) if partner.edifact.syntax_id in ASCII_REPERTOIRES else value
    text = text.encode(partner.encoding, "ignore").decode(partner.encoding)  # outside the repertoire: dropped
    text = "".join(ch for ch in text if ch.isprintable())
    chars = partner.edifact.una
    if chars[3] == " ":
        text = "".join(" " if ch in (chars[0], chars[1], chars[5]) else ch for ch in text)
    return " ".join(text.split())[:limit]


# --------------------------------------------------------------------------------------------------------
# IFTSTA ↔ shipment.milestone
# --------------------------------------------------------------------------------------------------------


def read_iftsta(message: Message, ctx: SetContext) -> list[Mapped]:
    """IFTSTA → one ``shipment.milestone`` per STS of every consignment (CNI)."""
    partner = ctx.partner
    head, consignments = _split(_body(message), "CNI")
    document_time = _dtm(head, DTM_DOCUMENT, partner.zone) or ctx.sent_at
    out: list[Mapped] = []
    for consignment in consignments:
        cpos, cni = consignment[0]
        shipment_id = cni.get(2, 1)
        if not shipment_id:
            raise SetMappingError(
                "CNI-02 consignment reference is empty", segment_tag="CNI", segment_position=cpos
            )
        _, statuses = _split(consignment, "STS")
        for group in statuses:
            spos, sts = group[0]
            code = sts.get(2, 1)
            milestone: Milestone | None = partner.status_codes.get(code)
            if milestone is None:
                raise SetMappingError(
                    f"STS status code {code!r} is not in partner {partner.id}'s status_codes",
                    segment_tag="STS",
                    segment_position=spos,
                    element_position=2,
                )
            occurred = _dtm(group, DTM_EVENT, partner.zone) or document_time
            if occurred is None:
                raise SetMappingError(
                    "STS without DTM+334 and no document date", segment_tag="STS", segment_position=spos
                )
            eta = _dtm(group, DTM_ETA, partner.zone)
            tracking = _rff(group, RFF_CARRIER) or _rff(consignment[:1] + head, RFF_CARRIER)

            def payload(
                milestone: Milestone = milestone,
                occurred: datetime = occurred,
                eta: datetime | None = eta,
                sts: Segment = sts,
                tracking: str | None = tracking,
                shipment_id: str = shipment_id,
            ) -> EventPayload:
                return ShipmentMilestone(
                    shipment_id=shipment_id,
                    tracking_number=tracking,
                    carrier_id=partner.party_id,
                    event=TrackingEvent.model_validate(
                        {
                            "milestone": milestone,
                            "occurred_at": occurred,
                            "reason": sts.get(3, 4) or None,
                            "reason_code": sts.get(3, 1) or None,
                            "source_status_code": sts.get(2, 1),
                            "estimated_delivery_at": eta,
                        }
                    ),
                )

            out.append(
                Mapped(
                    str(EventName.SHIPMENT_MILESTONE), build_payload("IFTSTA", payload), occurred, shipment_id
                )
            )
    return out


def write_iftsta(payload: EventPayload, partner: PartnerSettings) -> tuple[Segment, ...]:
    """``shipment.milestone`` → IFTSTA body: BGM, one CNI with one STS, RFF+CN, DTM+334 (and DTM+17)."""
    assert isinstance(payload, ShipmentMilestone)
    event = payload.event
    code = event.source_status_code
    if code is None or partner.status_codes.get(code) is not event.milestone:
        code = next((c for c, m in partner.status_codes.items() if m is event.milestone), None)
    if code is None:
        raise EdiRenderError(
            f"partner {partner.id} has no IFTSTA status code for milestone {event.milestone}"
        )
    shipment_id = _id(payload.shipment_id, DOC_ID_MAX, "CNI-02 shipment id")
    sts: list[str | list[str]] = ["1", [code]]
    if event.reason_code or event.reason:
        sts.append([event.reason_code or "ZZZ", "", "", edifact_text(event.reason or "", 256, partner)])
    segs = [
        Segment.of("BGM", [BGM_IFTSTA], [shipment_id], "9"),
        _dtm_segment(DTM_DOCUMENT, event.occurred_at, partner),
        Segment.of("CNI", "1", [shipment_id]),
        Segment.of("STS", *sts),
    ]
    if payload.tracking_number:
        segs.append(Segment.of("RFF", [RFF_CARRIER, _id(payload.tracking_number, REFERENCE_MAX, "RFF+CN")]))
    segs.append(_dtm_segment(DTM_EVENT, event.occurred_at, partner))
    if event.estimated_delivery_at is not None:
        segs.append(_dtm_segment(DTM_ETA, event.estimated_delivery_at, partner))
    return tuple(segs)


# --------------------------------------------------------------------------------------------------------
# DESADV ↔ receipt.expected
# --------------------------------------------------------------------------------------------------------


def read_desadv(message: Message, ctx: SetContext) -> list[Mapped]:
    """DESADV → ``receipt.expected`` (one per message)."""
    partner = ctx.partner
    segs = _body(message)
    bpos, bgm = next(((p, s) for p, s in segs if s.tag == "BGM"), (0, None))
    if bgm is None or not bgm.get(2, 1):
        raise SetMappingError(
            "DESADV has no document number (BGM-02)", segment_tag="BGM", segment_position=bpos or None
        )
    asn = bgm.get(2, 1)
    head, lines_raw = _split(segs, "LIN")
    nads = {s.get(1): s for _, s in head if s.tag == "NAD"}
    site = nads.get(NAD_DELIVERY) or nads.get(NAD_SHIP_TO)
    location_id = partner.location_id(site.get(2, 1)) if site and site.get(2, 1) else partner.site_location_id
    if location_id is None:
        raise SetMappingError(
            "DESADV names no delivery party (NAD+DP/ST) and the partner has no site_location_id"
        )
    supplier = nads.get(NAD_SUPPLIER)
    supplier_id = partner.party(supplier.get(2, 1)) if supplier and supplier.get(2, 1) else partner.party_id
    expected_at = _dtm(head, DTM_ETA, partner.zone) or _dtm(head, DTM_ARRIVAL_ESTIMATED, partner.zone)
    lines: list[dict[str, object]] = []
    for loop in lines_raw:
        lpos, lin = loop[0]
        ids = [(lin.get(3, 2), lin.get(3, 1))]
        ids += [(s.get(k, 2), s.get(k, 1)) for _, s in loop if s.tag == "PIA" for k in range(2, 7)]
        sku = next((v for t, v in ids if t in SKU_TYPES and v), None)
        gtin = next((g for t, v in ids if t in GTIN_TYPES and (g := gtin_of(v))), None)
        if sku is None and gtin is None:
            raise SetMappingError("LIN carries no item number", segment_tag="LIN", segment_position=lpos)
        name = next((s.get(3, 4) for _, s in loop if s.tag == "IMD" and s.get(3, 4)), None)
        qty = next(((p, s) for p, s in loop if s.tag == "QTY" and s.get(1, 1) == QTY_DESPATCHED), None)
        if qty is None:
            raise SetMappingError(
                "LIN has no despatch quantity (QTY+12)", segment_tag="LIN", segment_position=lpos
            )
        qpos, q = qty
        lines.append(
            {
                "line_id": lin.get(1) or str(len(lines) + 1),
                "product": {"sku": sku or gtin, "name": name, "gtin": gtin},
                "expected_quantity": {
                    "value": decimal_of(q.get(1, 2), qpos, "QTY", 1),
                    "unit": unit_from_edi(q.get(1, 3) or "EA"),
                },
            }
        )
    receipt_id = _rff(head, RFF_OURS) or f"{partner.id}:{asn}"

    def payload() -> EventPayload:
        receipt = Receipt.model_validate(
            {
                "receipt_id": receipt_id,
                "reference": asn,
                "order_ref": _rff(head, RFF_ORDER),
                "location_id": location_id,
                "supplier_id": supplier_id,
                "expected_at": expected_at,
                "lines": [ReceiptLine.model_validate(line) for line in lines],
            }
        )
        return ReceiptExpected(receipt_id=receipt_id, receipt=receipt)

    when = ctx.sent_at or _dtm(head, DTM_DESPATCH, partner.zone) or expected_at
    return [Mapped(str(EventName.RECEIPT_EXPECTED), build_payload("DESADV", payload), when, asn)]


def write_desadv(payload: EventPayload, partner: PartnerSettings) -> tuple[Segment, ...]:
    """``receipt.expected`` → DESADV body: BGM, DTM+17, RFF+ON/ZZZ, NAD+SU/DP, CPS, one LIN/PIA/IMD/QTY per line."""
    assert isinstance(payload, ReceiptExpected)
    r = payload.receipt
    segs = [Segment.of("BGM", [BGM_DESADV], [_id(r.reference, DOC_ID_MAX, "BGM-02 ASN number")], "9")]
    if r.expected_at is not None:
        segs.append(_dtm_segment(DTM_ETA, r.expected_at, partner))
    if r.order_ref:
        segs.append(Segment.of("RFF", [RFF_ORDER, _id(r.order_ref, REFERENCE_MAX, "RFF+ON")]))
    segs.append(Segment.of("RFF", [RFF_OURS, _id(payload.receipt_id, REFERENCE_MAX, "RFF+ZZZ")]))
    if r.supplier_id:
        code = next((c for c, p in partner.parties.items() if p == r.supplier_id), r.supplier_id)
        segs.append(Segment.of("NAD", NAD_SUPPLIER, [_id(code, DOC_ID_MAX, "NAD+SU"), "", AGENCY_BUYER]))
    site = partner.location_code(r.location_id)
    segs.append(Segment.of("NAD", NAD_DELIVERY, [_id(site, DOC_ID_MAX, "NAD+DP"), "", AGENCY_BUYER]))
    segs.append(Segment.of("CPS", "1"))
    for line in r.lines:
        item = [line.product.gtin, "EN"] if line.product.gtin else []
        segs.append(Segment.of("LIN", _id(line.line_id, 6, "LIN-01 line number"), "", item))
        segs.append(Segment.of("PIA", PIA_ADDITIONAL, [_id(line.product.sku, DOC_ID_MAX, "PIA SKU"), "SA"]))
        if line.product.name:
            segs.append(
                Segment.of("IMD", "F", "", ["", "", "", edifact_text(line.product.name, 256, partner)])
            )
        value = format(line.expected_quantity.value.normalize(), "f")
        segs.append(Segment.of("QTY", [QTY_DESPATCHED, value, line.expected_quantity.unit]))
    segs.append(Segment.of("CNT", ["2", str(len(r.lines))]))
    return tuple(segs)


# --------------------------------------------------------------------------------------------------------
# IFTMIN ↔ shipment.tendered (the EDIFACT load tender / transport instruction)
# --------------------------------------------------------------------------------------------------------

#: BGM-01 transport instruction; MOA qualifier of the offered freight charge; CNT+7 gross weight
BGM_IFTMIN, MOA_FREIGHT, CNT_GROSS_WEIGHT = "610", "64", "7"
#: LOC qualifiers: place of loading, place of delivery
LOC_LOADING, LOC_DELIVERY = "9", "7"
#: DTM qualifiers of the pick-up window (collection earliest / latest) and delivery window (earliest / latest)
PICKUP_WINDOW, DELIVERY_WINDOW = ("234", "235"), ("64", "63")
#: RFF qualifiers: consignor's reference (our business reference), order number
RFF_CONSIGNOR, RFF_ORDER_NUMBER = "CU", "ON"
#: NAD qualifiers: consignor (ship-from), consignee (ship-to)
NAD_CONSIGNOR, NAD_CONSIGNEE = "CZ", "CN"
#: TDT stage: main carriage
TDT_MAIN_CARRIAGE = "20"
#: C220 8067 mode of transport (UN/ECE Rec 19) ↔ transport mode; road is the partner's default mode when
#: that is a road mode, else LTL; no TDT at all means the partner's default mode
EDIFACT_MODES: dict[str, TransportMode] = {
    "1": TransportMode.OCEAN,
    "2": TransportMode.RAIL,
    "4": TransportMode.AIR,
    "6": TransportMode.INTERMODAL,
}
ROAD_MODE = "3"
#: canonical modes that travel by road (Rec 19 code 3)
ROAD_MODES = frozenset({TransportMode.LTL, TransportMode.FTL, TransportMode.PARCEL, TransportMode.COURIER})
#: weight units we write in CNT / MEA (UN/ECE Rec 20)
REC20_WEIGHT = {"KG": "KGM", "LB": "LBR", "T": "TNE", "G": "GRM"}
#: NAD widths: party name (3036), street (3042), city (3164), region (3229), postal code (3251)
NAD_NAME_MAX, STREET_MAX, NAD_CITY_MAX, NAD_REGION_MAX, NAD_POSTAL_MAX = 70, 35, 35, 9, 17


def _edi_mode(mode: TransportMode) -> str:
    return next((code for code, m in EDIFACT_MODES.items() if m is mode), ROAD_MODE)


def _nad(qualifier: str, location: Location, partner: PartnerSettings) -> Segment:
    code = _id(partner.location_code(location.location_id), DOC_ID_MAX, f"NAD+{qualifier}")
    a = location.address
    parts: list[str | list[str]] = [
        qualifier,
        [code, "", AGENCY_BUYER],
        [],
        [edifact_text(location.name, NAD_NAME_MAX, partner)],
    ]
    if a is not None:
        street = [edifact_text(a.line1 or "", STREET_MAX, partner)]
        if a.line2:
            street.append(edifact_text(a.line2, STREET_MAX, partner))
        parts += [
            street,
            edifact_text(a.city, NAD_CITY_MAX, partner),
            [edifact_text(a.region or "", NAD_REGION_MAX, partner)],
            edifact_text(a.postal_code or "", NAD_POSTAL_MAX, partner),
            a.country,
        ]
    return Segment.of("NAD", *parts)


def _nad_location(nad: Segment, partner: PartnerSettings, kind: LocationKind) -> Location:
    code = nad.get(2, 1) or nad.get(4, 1)
    address = None
    if nad.get(6) and nad.get(9):
        address = Address(
            line1=nad.get(5, 1) or None,
            line2=nad.get(5, 2) or None,
            city=nad.get(6),
            region=nad.get(7, 1) or None,
            postal_code=nad.get(8) or None,
            country=nad.get(9),
        )
    return Location(
        location_id=partner.location_id(code), name=nad.get(4, 1) or code, kind=kind, address=address
    )


def write_iftmin(payload: EventPayload, partner: PartnerSettings) -> tuple[Segment, ...]:
    """``shipment.tendered`` → IFTMIN body: BGM, DTM+137, MOA, CNT, loading / delivery places with their
    windows, references, main carriage, consignor and consignee."""
    assert isinstance(payload, ShipmentTendered)
    s = payload.shipment
    segs = [
        Segment.of("BGM", [BGM_IFTMIN], [_id(payload.shipment_id, DOC_ID_MAX, "BGM-02 shipment id")], "9"),
        _dtm_segment(DTM_DOCUMENT, payload.tendered_at, partner),
    ]
    rate = payload.offered_rate
    if rate is not None:
        segs.append(Segment.of("MOA", [MOA_FREIGHT, format(rate.amount, "f"), rate.currency]))
    weight = s.total_weight
    if weight is not None:
        unit = REC20_WEIGHT.get(weight.unit, weight.unit)
        segs.append(Segment.of("CNT", [CNT_GROSS_WEIGHT, format(weight.value.normalize(), "f"), unit]))
    for qualifier, location, window, edges in (
        (LOC_LOADING, s.ship_from, s.pickup_window, PICKUP_WINDOW),
        (LOC_DELIVERY, s.ship_to, s.delivery_window, DELIVERY_WINDOW),
    ):
        code = _id(partner.location_code(location.location_id), DOC_ID_MAX, f"LOC+{qualifier}")
        segs.append(Segment.of("LOC", qualifier, [code, "", AGENCY_BUYER]))
        if window is not None:
            segs += [
                _dtm_segment(edges[0], window.start, partner),
                _dtm_segment(edges[1], window.end, partner),
            ]
    segs.append(Segment.of("RFF", [RFF_CONSIGNOR, _id(s.reference, REFERENCE_MAX, "RFF+CU")]))
    segs += [Segment.of("RFF", [RFF_ORDER_NUMBER, _id(o, REFERENCE_MAX, "RFF+ON")]) for o in s.order_refs]
    segs.append(Segment.of("RFF", [RFF_OURS, _id(payload.tender_id, REFERENCE_MAX, "RFF+ZZZ tender id")]))
    segs.append(Segment.of("TDT", TDT_MAIN_CARRIAGE, "", [_edi_mode(s.mode)]))
    segs += [_nad(NAD_CONSIGNOR, s.ship_from, partner), _nad(NAD_CONSIGNEE, s.ship_to, partner)]
    return tuple(segs)


def _window(segs: Sequence[Pos], loc: str, edges: tuple[str, str], zone: tzinfo) -> TimeWindow | None:
    for index, (_, seg) in enumerate(segs):
        if seg.tag == "LOC" and seg.get(1) == loc:
            group: list[Pos] = []
            for item in segs[index + 1 :]:
                if item[1].tag != "DTM":
                    break
                group.append(item)
            start, end = _dtm(group, edges[0], zone), _dtm(group, edges[1], zone)
            return TimeWindow(start=start, end=end) if start and end else None
    return None


def read_iftmin(message: Message, ctx: SetContext) -> list[Mapped]:
    """IFTMIN → ``shipment.tendered`` (what :func:`write_iftmin` writes: parties, windows, weight, rate)."""
    partner = ctx.partner
    segs = _body(message)
    bgm = next((s for _, s in segs if s.tag == "BGM"), None)
    shipment_id = bgm.get(2, 1) if bgm else ""
    if not shipment_id:
        raise SetMappingError("IFTMIN has no document number (BGM-02)", segment_tag="BGM")
    nads = {s.get(1): s for _, s in segs if s.tag == "NAD"}
    if NAD_CONSIGNOR not in nads or NAD_CONSIGNEE not in nads:
        raise SetMappingError("IFTMIN needs a consignor (NAD+CZ) and a consignee (NAD+CN)", segment_tag="NAD")
    tendered = _dtm(segs, DTM_DOCUMENT, partner.zone) or ctx.sent_at
    if tendered is None:
        raise SetMappingError("IFTMIN has no document date (DTM+137)", segment_tag="DTM")
    tdt = next((s for _, s in segs if s.tag == "TDT"), None)
    code = tdt.get(3, 1) if tdt else ""
    mode = EDIFACT_MODES.get(code) or (
        partner.default_mode if partner.default_mode in ROAD_MODES or code != ROAD_MODE else TransportMode.LTL
    )
    moa = next(((p, s) for p, s in segs if s.tag == "MOA" and s.get(1, 1) == MOA_FREIGHT), None)
    cnt = next(((p, s) for p, s in segs if s.tag == "CNT" and s.get(1, 1) == CNT_GROSS_WEIGHT), None)
    ship_from = _nad_location(nads[NAD_CONSIGNOR], partner, LocationKind.WAREHOUSE)
    ship_to = _nad_location(nads[NAD_CONSIGNEE], partner, LocationKind.CUSTOMER_SITE)
    pickup = _window(segs, LOC_LOADING, PICKUP_WINDOW, partner.zone)
    delivery = _window(segs, LOC_DELIVERY, DELIVERY_WINDOW, partner.zone)

    def payload() -> EventPayload:
        shipment = Shipment(
            shipment_id=shipment_id,
            reference=_rff(segs, RFF_CONSIGNOR) or shipment_id,
            order_refs=tuple(
                s.get(1, 2) for _, s in segs if s.tag == "RFF" and s.get(1, 1) == RFF_ORDER_NUMBER
            ),
            mode=mode,
            carrier_id=partner.party_id,
            ship_from=ship_from,
            ship_to=ship_to,
            stops=(
                Stop(sequence=1, kind=StopKind.PICKUP, location=ship_from, window=pickup),
                Stop(sequence=2, kind=StopKind.DELIVERY, location=ship_to, window=delivery),
            ),
            total_weight=(
                Quantity(
                    value=decimal_of(cnt[1].get(1, 2), cnt[0], "CNT", 1),
                    unit=unit_from_edi(cnt[1].get(1, 3) or "KGM"),
                )
                if cnt
                else None
            ),
            pickup_window=pickup,
            delivery_window=delivery,
        )
        return ShipmentTendered(
            shipment_id=shipment_id,
            tender_id=_rff(segs, RFF_OURS) or shipment_id,
            carrier_id=partner.party_id,
            tendered_at=tendered,
            offered_rate=(
                Money(
                    amount=decimal_of(moa[1].get(1, 2), moa[0], "MOA", 1),
                    currency=moa[1].get(1, 3) or partner.currency,
                )
                if moa
                else None
            ),
            shipment=shipment,
        )

    return [Mapped(str(EventName.SHIPMENT_TENDERED), build_payload("IFTMIN", payload), tendered, shipment_id)]


#: UNH02-1 → inbound mapper
READERS: dict[str, EdifactReader] = {"IFTSTA": read_iftsta, "DESADV": read_desadv, "IFTMIN": read_iftmin}

#: UNH02-1 → (payload models it renders, mapper)
WRITERS: dict[str, tuple[tuple[type[EventPayload], ...], EdifactWriter]] = {
    "IFTSTA": ((ShipmentMilestone,), write_iftsta),
    "DESADV": ((ReceiptExpected,), write_desadv),
    "IFTMIN": ((ShipmentTendered,), write_iftmin),
}
