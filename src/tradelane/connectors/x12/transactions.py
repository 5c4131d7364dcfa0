"""X12 transaction set structures (segment order, loops, repeat limits) as data.

``S(tag, "M", max_use)`` is a segment position, ``L(loop_id, "M"|"O", max_repeat, children...)`` a loop whose
first child is its trigger segment. Loop ids follow the 4010 tables (``0100`` …); ``HL`` is the 856 hierarchy.
These are the segments carriers and 3PLs actually send, not the full standard.
"""

from __future__ import annotations

from tradelane.connectors.edi_common import LoopUse, SegmentUse, StructureNode
from tradelane.connectors.x12.codes import FunctionalId, HierarchicalLevel
from tradelane.connectors.x12.spec import HierarchySpec, TransactionSpec

__all__ = ["TRANSACTIONS"]

#: "unbounded" repeat limit of the standard (>1 in the X12 tables)
UNBOUNDED = 999_999


def S(tag: str, req: str = "O", max_use: int = 1) -> SegmentUse:
    """A segment position: ``req`` is ``M`` or ``O``."""
    return SegmentUse(tag, req == "M", max_use)


def L(loop_id: str, req: str, max_repeat: int, *children: StructureNode) -> LoopUse:
    """A loop: ``children[0]`` is the trigger segment."""
    return LoopUse(loop_id, req == "M", max_repeat, tuple(children))


def _set(
    set_id: str, name: str, fid: FunctionalId, *body: StructureNode, hierarchy: HierarchySpec | None = None
) -> TransactionSpec:
    return TransactionSpec(set_id, name, fid.value, (S("ST", "M"), *body, S("SE", "M")), hierarchy)


def _n1_loop(loop_id: str, max_repeat: int, *extra: StructureNode) -> LoopUse:
    return L(loop_id, "O", max_repeat, S("N1", "M"), S("N2", "O", 2), S("N3", "O", 2), S("N4"), *extra)


_204 = _set(
    "204",
    "Motor Carrier Load Tender",
    FunctionalId.LOAD_TENDER,
    S("B2", "M"),
    S("B2A", "M"),
    S("L11", "O", 50),
    S("G62"),
    S("MS3"),
    S("AT5", "O", 6),
    S("NTE", "O", 10),
    _n1_loop("0100", 5, S("L11", "O", 5), S("G61", "O", 3)),
    L("0200", "O", 10, S("N7", "M")),
    L(
        "0300",
        "M",
        999,
        S("S5", "M"),
        S("L11", "O", 50),
        S("G62", "O", 2),
        S("AT8"),
        S("LAD", "O", 999),
        S("AT5", "O", 6),
        S("NTE", "O", 20),
        _n1_loop("0310", 1, S("G61", "O", 3)),
        L("0320", "O", 99, S("L5", "M"), S("AT8")),
        L("0350", "O", 999, S("OID", "M"), S("G62", "O", 2), S("LAD", "O", 999)),
    ),
    S("L3"),
)

_990 = _set(
    "990",
    "Response to a Load Tender",
    FunctionalId.TENDER_RESPONSE,
    S("B1", "M"),
    S("N9", "O", 10),
    S("V9"),
    S("K1", "O", 10),
)

_214 = _set(
    "214",
    "Transportation Carrier Shipment Status Message",
    FunctionalId.SHIPMENT_STATUS,
    S("B10", "M"),
    S("L11", "O", 300),
    S("MAN", "O", 9999),
    S("Q7", "O", 10),
    S("K1", "O", 10),
    S("AT5", "O", 10),
    _n1_loop("0100", 10, S("G62"), S("L11", "O", 10), S("G61", "O", 3)),
    S("MS3"),
    L(
        "0200",
        "O",
        UNBOUNDED,
        S("LX", "M"),
        L("0205", "O", 10, S("AT7", "M"), S("MS1"), S("MS2", "O", 2)),
        S("L11", "O", 10),
        S("MAN", "O", 9999),
        S("Q7", "O", 10),
        S("K1", "O", 10),
        S("AT5", "O", 10),
        S("AT8", "O", 10),
        _n1_loop("0250", 10, S("G62"), S("L11", "O", 10)),
    ),
)

_210 = _set(
    "210",
    "Motor Carrier Freight Details and Invoice",
    FunctionalId.FREIGHT_INVOICE,
    S("B3", "M"),
    S("C3"),
    S("N9", "O", 300),
    S("G62", "O", 6),
    S("K1", "O", 10),
    _n1_loop("0100", 10, S("N9", "O", 5)),
    L("0300", "O", 10, S("N7", "M")),
    L(
        "0400",
        "O",
        9999,
        S("LX", "M"),
        S("N9", "O", 5),
        S("L5", "O", 30),
        S("L0", "O", 10),
        S("L1", "O", 10),
        S("K1", "O", 10),
    ),
    S("L3", "M"),
)

_940 = _set(
    "940",
    "Warehouse Shipping Order",
    FunctionalId.WAREHOUSE_ORDER,
    S("W05", "M"),
    _n1_loop("0100", 10, S("N9", "O", 2), S("G61")),
    S("N9", "O", 10),
    S("G62", "O", 10),
    S("NTE", "O", 100),
    S("W66", "M"),
    L(
        "0300",
        "M",
        9999,
        S("LX", "M"),
        S("MAN", "O", 10),
        L("0310", "M", 9999, S("W01", "M"), S("G69", "O", 5), S("N9", "O", 200), S("G62", "O", 5)),
    ),
    S("W76"),
)

_945 = _set(
    "945",
    "Warehouse Shipping Advice",
    FunctionalId.WAREHOUSE_ADVICE,
    S("W06", "M"),
    _n1_loop("0100", 10, S("N9", "O", 2), S("G61")),
    S("N9", "O", 30),
    S("G62", "O", 10),
    S("W27", "M"),
    S("K1", "O", 10),
    L(
        "0300",
        "M",
        9999,
        S("LX", "M"),
        S("MAN", "O", 10),
        L("0310", "M", 9999, S("W12", "M"), S("G69", "O", 5), S("N9", "O", 200)),
    ),
    S("W03", "M"),
)

_856 = _set(
    "856",
    "Ship Notice/Manifest",
    FunctionalId.SHIP_NOTICE,
    S("BSN", "M"),
    S("DTM", "O", 10),
    L(
        "HL",
        "M",
        200_000,
        S("HL", "M"),
        S("LIN"),
        S("SN1"),
        S("PRF"),
        S("PID", "O", 200),
        S("TD1", "O", 20),
        S("TD5", "O", 12),
        S("TD3", "O", 12),
        S("REF", "O", 200),
        S("PER", "O", 3),
        S("MAN", "O", 10),
        S("DTM", "O", 10),
        S("FOB"),
        L("N1", "O", 200, S("N1", "M"), S("N2", "O", 2), S("N3", "O", 2), S("N4"), S("REF", "O", 12)),
    ),
    S("CTT"),
    hierarchy=HierarchySpec(
        {
            HierarchicalLevel.SHIPMENT.value: frozenset({""}),
            HierarchicalLevel.ORDER.value: frozenset({HierarchicalLevel.SHIPMENT.value}),
            HierarchicalLevel.TARE.value: frozenset(
                {HierarchicalLevel.SHIPMENT.value, HierarchicalLevel.ORDER.value}
            ),
            HierarchicalLevel.PACK.value: frozenset(
                {
                    HierarchicalLevel.ORDER.value,
                    HierarchicalLevel.TARE.value,
                    HierarchicalLevel.SHIPMENT.value,
                }
            ),
            HierarchicalLevel.ITEM.value: frozenset(
                {HierarchicalLevel.ORDER.value, HierarchicalLevel.PACK.value, HierarchicalLevel.TARE.value}
            ),
            HierarchicalLevel.EQUIPMENT.value: frozenset({HierarchicalLevel.SHIPMENT.value}),
        }
    ),
)

_997 = _set(
    "997",
    "Functional Acknowledgment",
    FunctionalId.ACKNOWLEDGMENT,
    S("AK1", "M"),
    L(
        "AK2",
        "O",
        UNBOUNDED,
        S("AK2", "M"),
        L("AK3", "O", UNBOUNDED, S("AK3", "M"), S("AK4", "O", 99)),
        S("AK5", "M"),
    ),
    S("AK9", "M"),
)

_999 = _set(
    "999",
    "Implementation Acknowledgment",
    FunctionalId.ACKNOWLEDGMENT,
    S("AK1", "M"),
    L(
        "2000",
        "O",
        UNBOUNDED,
        S("AK2", "M"),
        L(
            "2100",
            "O",
            UNBOUNDED,
            S("IK3", "M"),
            S("CTX", "O", 10),
            L("2110", "O", 99, S("IK4", "M"), S("CTX", "O", 10)),
        ),
        S("IK5", "M"),
    ),
    S("AK9", "M"),
)

#: every transaction set this codec validates, by ST01
TRANSACTIONS: dict[str, TransactionSpec] = {
    t.set_id: t for t in (_204, _990, _214, _210, _940, _945, _856, _997, _999)
}
