"""Shared pieces of the X12 mappings: segment lookup inside a set, dates in the partner's zone, parties,
free text folded to what X12 can carry, and the element widths that bound what we write."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, time, tzinfo
from decimal import Decimal

from tradelane.connectors.x12 import EdiRenderError, Segment, TransactionSet
from tradelane.core.catalog import EventName
from tradelane.core.model.events import (
    EventPayload,
)
from tradelane.core.model.parties import Address, Location, LocationKind
from tradelane.core.model.products import ProductRef
from tradelane.core.model.quantities import Quantity
from tradelane.edi.codes import (
    N2_PLACES,
    UNIT_TO_X12,
    time_zone,
    unit_from_edi,
)
from tradelane.edi.common import ascii_fold, decimal_of, gtin_of
from tradelane.edi.events import Mapped, SetContext, SetMappingError
from tradelane.edi.partners import PartnerSettings

__all__ = [
    "Pos",
    "X12Reader",
    "X12Writer",
    "address_of",
    "all_segs",
    "body_of",
    "first_seg",
    "fits",
    "k1_segments",
    "remarks_of",
    "location_of",
    "mapped",
    "n2",
    "need",
    "number_text",
    "partner_site",
    "party_loop",
    "product_ref",
    "quantity_of",
    "ref_value",
    "scac_of",
    "sent_at",
    "split_loops",
    "write_datetime",
    "write_party",
    "x12_datetime",
    "x12_text",
    "x12_unit",
]

#: a body segment with its 1-based position in the set (ST is 1, so the first body segment is 2)
Pos = tuple[int, Segment]
X12Reader = Callable[[TransactionSet, SetContext], list[Mapped]]
X12Writer = Callable[[EventPayload, PartnerSettings], tuple[Segment, ...]]

#: AT7-02 "normal status": no reason to report
NORMAL_STATUS = "NS"
#: N4-04 is left out by US partners; this is what an absent country means
DEFAULT_X12_COUNTRY = "US"
#: element widths that bound what we can write (a longer canonical value is a render error, never cut)
B2_SHIPMENT_ID_MAX, W05_ORDER_MAX, B3_INVOICE_MAX, REF_MAX = 30, 22, 22, 50
#: N1-02 name width, N3 address line width, K1 remark width, L5/G69 description widths
NAME_MAX, ADDRESS_MAX, REMARK_MAX, LADING_MAX, DESCRIPTION_MAX = 60, 55, 30, 50, 80
#: N4-02 state or province code is exactly two characters (element 156)
REGION_WIDTH = 2
#: MS1-04/05 longitude and latitude: seven digits, DDDMMSS (elements 1654/1655)
COORDINATE_DIGITS = 7
#: W12-06 U.P.C. case code: twelve digits (element 438)
UPC_LENGTH = 12
#: W12-09 warehouse lot number width (element 451)
LOT_MAX = 12
#: most K1 segments a 214 loop or a 990 carries
K1_MAX_USE = 10
#: N9-03 free-form description width (element 369)
NOTE_MAX = 45
#: N4-01 city and N4-03 postal code widths (elements 19, 116)
CITY_MAX, POSTAL_MAX = 30, 15
#: N1-03 qualifier we write: code assigned by the buyer / the organization originating the document
ID_QUALIFIER = "93"
#: entity codes (element 98) of parties in N1 loops
SHIP_FROM, SHIP_TO, WAREHOUSE, SUPPLIER = "SF", "ST", "WH", "SU"
#: product id qualifiers (element 235) read as our SKU, in order of preference, and as a GTIN
SKU_QUALIFIERS = ("VN", "SK", "BP", "IN", "MG", "VP")
GTIN_QUALIFIERS = ("UP", "EN", "UK", "UA")


def body_of(ts: TransactionSet) -> list[Pos]:
    return [(i + 2, s) for i, s in enumerate(ts.segments)]


def split_loops(segs: Sequence[Pos], trigger: str) -> tuple[list[Pos], list[list[Pos]]]:
    head: list[Pos] = []
    loops: list[list[Pos]] = []
    for pos_seg in segs:
        if pos_seg[1].tag == trigger:
            loops.append([pos_seg])
        elif loops:
            loops[-1].append(pos_seg)
        else:
            head.append(pos_seg)
    return head, loops


def first_seg(segs: Sequence[Pos], tag: str, qualifier: str | None = None) -> Pos | None:
    for pos, seg in segs:
        if seg.tag == tag and (qualifier is None or seg.get(1) == qualifier):
            return pos, seg
    return None


def all_segs(segs: Sequence[Pos], tag: str, qualifier: str | None = None) -> list[Pos]:
    return [(p, s) for p, s in segs if s.tag == tag and (qualifier is None or s.get(1) == qualifier)]


def ref_value(segs: Sequence[Pos], tag: str, qualifier: str) -> str | None:
    """Value of the first ``L11`` (value first) or ``N9``/``REF`` (qualifier first) with ``qualifier``."""
    for _, seg in segs:
        if seg.tag == "L11" and seg.get(2) == qualifier and tag == "L11":
            return seg.get(1) or None
        if seg.tag == tag and tag != "L11" and seg.get(1) == qualifier:
            return seg.get(2) or None
    return None


def need(found: Pos | None, tag: str, what: str) -> Pos:
    if found is None:
        raise SetMappingError(f"{what}: segment {tag} is missing", segment_tag=tag)
    return found


def n2(amount: Decimal) -> str:
    return str(int(amount.scaleb(N2_PLACES).to_integral_value()))


def number_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.removesuffix(".0") if "." in text else text


def x12_datetime(date: str, clock: str, code: str, zone: tzinfo) -> datetime:
    day = datetime.strptime(date if len(date) == 8 else "20" + date, "%Y%m%d")
    digits = (clock + "0000")[:6] if clock else "000000"
    hh, mm, ss = int(digits[:2]), int(digits[2:4]), int(digits[4:6])
    return datetime.combine(day.date(), time(hh, mm, ss), tzinfo=time_zone(code, zone))


def write_datetime(dt: datetime, partner: PartnerSettings) -> tuple[str, str]:
    local = dt.astimezone(partner.zone)
    clock = local.strftime("%H%M%S") if local.second else local.strftime("%H%M")
    return local.strftime("%Y%m%d"), clock


def product_ref(pairs: Sequence[tuple[str, str]], name: str | None) -> ProductRef | None:
    sku = next((v for q, v in pairs if q in SKU_QUALIFIERS and v), None)
    gtin = next((g for q, v in pairs if q in GTIN_QUALIFIERS and (g := gtin_of(v))), None)
    if sku is None and gtin is None:
        return None
    return ProductRef(sku=sku or gtin or "", name=name or None, gtin=gtin)


def party_loop(segs: Sequence[Pos], entity: str) -> list[Pos]:
    """The N1 loop for ``entity`` (N1 and the N2/N3/N4/… following it)."""
    out: list[Pos] = []
    for pos, seg in segs:
        if out and seg.tag not in ("N2", "N3", "N4", "G61", "PER", "REF"):
            break
        if seg.tag == "N1" and seg.get(1) == entity and not out:
            out.append((pos, seg))
        elif out:
            out.append((pos, seg))
    return out


def address_of(loop: Sequence[Pos]) -> Address | None:
    n3, n4 = first_seg(loop, "N3"), first_seg(loop, "N4")
    if n4 is None or not n4[1].get(1):
        return None
    return Address(
        line1=(n3[1].get(1) or None) if n3 is not None else None,
        line2=(n3[1].get(2) or None) if n3 is not None else None,
        city=n4[1].get(1),
        region=n4[1].get(2) or None,
        postal_code=n4[1].get(3) or None,
        country=n4[1].get(4) or DEFAULT_X12_COUNTRY,
    )


def location_of(loop: Sequence[Pos], partner: PartnerSettings, kind: LocationKind) -> Location | None:
    if not loop:
        return None
    n1 = loop[0][1]
    code = n1.get(4) or n1.get(2)
    return Location(
        location_id=partner.location_id(code),
        name=n1.get(2) or code,
        kind=kind,
        address=address_of(loop),
    )


def partner_site(partner: PartnerSettings) -> Location | None:
    if partner.site_location_id is None:
        return None
    return Location(
        location_id=partner.site_location_id,
        name=partner.site_name or partner.site_location_id,
        kind=LocationKind.WAREHOUSE,
    )


def write_party(entity: str, location: Location, partner: PartnerSettings) -> list[Segment]:
    code = partner.location_code(location.location_id)
    out = [Segment("N1", (entity, x12_text(location.name, NAME_MAX, partner), ID_QUALIFIER, code))]
    a = location.address
    if a is not None:
        if a.line1:
            line2 = x12_text(a.line2 or "", ADDRESS_MAX, partner)
            out.append(Segment("N3", (x12_text(a.line1, ADDRESS_MAX, partner), line2)))
        region = a.region if a.region and len(a.region) == REGION_WIDTH else ""
        postal = x12_text(a.postal_code or "", POSTAL_MAX, partner)
        out.append(Segment("N4", (x12_text(a.city, CITY_MAX, partner), region, postal, a.country)))
    return out


def x12_text(value: str, limit: int, partner: PartnerSettings) -> str:
    """Free text for X12: folded to printable ASCII, delimiters replaced by blanks, cut to ``limit``."""
    d = partner.x12.delimiters
    folded = ascii_fold(value)
    forbidden = d.element + d.component + d.segment + (d.repetition or "")
    clean = "".join(" " if ch in forbidden or not ch.isprintable() else ch for ch in folded)
    return " ".join(clean.split())[:limit]


def fits(value: str, limit: int, where: str) -> str:
    if len(value) > limit:
        raise EdiRenderError(f"{where}: {value!r} is longer than the {limit} characters X12 allows")
    return value


def scac_of(partner: PartnerSettings, where: str) -> str:
    if partner.scac is None:
        raise EdiRenderError(
            f"{where} needs the carrier's SCAC: set 'scac' in partner {partner.id}'s settings"
        )
    return partner.scac


def k1_segments(remark: str, partner: PartnerSettings) -> list[Segment]:
    """K1 remarks: as many K1 segments of two 30-character elements as the text needs (at most
    :data:`K1_MAX_USE`), split between words so that reading them back joined by blanks gives the text."""
    words = x12_text(remark, K1_MAX_USE * 2 * REMARK_MAX, partner).split()
    chunks: list[str] = []
    for word in words:
        while len(word) > REMARK_MAX:
            chunks.append(word[:REMARK_MAX])
            word = word[REMARK_MAX:]
        if chunks and len(chunks[-1]) + 1 + len(word) <= REMARK_MAX:
            chunks[-1] += " " + word
        else:
            chunks.append(word)
    pairs = [chunks[i : i + 2] for i in range(0, len(chunks), 2)][:K1_MAX_USE]
    return [Segment("K1", (pair[0], pair[1] if len(pair) > 1 else "")) for pair in pairs]


def remarks_of(segs: Sequence[Pos]) -> str | None:
    """The K1 remarks of ``segs`` joined by blanks (the reverse of :func:`k1_segments`)."""
    text = " ".join(part for _, k1 in segs if k1.tag == "K1" for part in (k1.get(1), k1.get(2)) if part)
    return text.strip() or None


def mapped(name: EventName, payload: EventPayload, when: datetime | None, subject: str | None) -> Mapped:
    return Mapped(str(name), payload, when, subject)


def sent_at(ctx: SetContext, what: str) -> datetime:
    if ctx.sent_at is None:
        raise SetMappingError(f"{what}: no date in the document and no GS date to fall back on")
    return ctx.sent_at


def quantity_of(value: str, unit: str, pos: int, tag: str, element: int) -> Quantity:
    return Quantity(value=decimal_of(value, pos, tag, element), unit=unit_from_edi(unit or "EA"))


def x12_unit(quantity: Quantity) -> str:
    return UNIT_TO_X12.get(quantity.unit, quantity.unit)
