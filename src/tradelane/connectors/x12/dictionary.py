"""X12 data element, composite and segment dictionary for the logistics sets this codec knows.

Only the elements and segments that carriers and 3PLs send in 204/990/214/210/940/945/856 and the
acknowledgments are listed. Lengths follow 4010 and are widened to the 5010 maximum where the two differ,
so that both versions validate. Code lists are attached only where the list is small and complete enough
that checking it cannot refuse a valid partner file.
"""

from __future__ import annotations

from enum import StrEnum

from tradelane.connectors.x12.codes import (
    GroupAckStatus,
    HierarchicalLevel,
    InterchangeAckCode,
    ReservationAction,
    SetAckStatus,
    TransactionPurpose,
)
from tradelane.connectors.x12.spec import (
    CompositeElement,
    DataElement,
    DataType,
    ElementUse,
    SegmentSpec,
    SyntaxRule,
    parse_layout,
)

__all__ = ["COMPOSITES", "ELEMENTS", "SEGMENTS"]


def _codes(enum: type[StrEnum]) -> frozenset[str]:
    return frozenset(member.value for member in enum)


def _el(
    ref: str, name: str, kind: DataType, min_len: int, max_len: int, codes: frozenset[str] | None = None
) -> DataElement:
    return DataElement(ref, name, kind, min_len, max_len, codes)


ELEMENTS: dict[str, DataElement] = {
    e.ref: e
    for e in (
        # --- envelope and acknowledgments -------------------------------------------------------------
        _el("I12", "Interchange Control Number", "N0", 9, 9),
        _el("I08", "Interchange Date", "DT", 6, 6),
        _el("I09", "Interchange Time", "TM", 4, 4),
        _el("I16", "Number of Included Functional Groups", "N0", 1, 5),
        _el("I17", "Interchange Acknowledgment Code", "ID", 1, 1, _codes(InterchangeAckCode)),
        _el("I18", "Interchange Note Code", "ID", 3, 3),
        _el("479", "Functional Identifier Code", "ID", 2, 2),
        _el("142", "Application Sender's Code", "AN", 2, 15),
        _el("124", "Application Receiver's Code", "AN", 2, 15),
        _el("28", "Group Control Number", "N0", 1, 9),
        _el("455", "Responsible Agency Code", "ID", 1, 2),
        _el("480", "Version / Release / Industry Identifier Code", "AN", 1, 12),
        _el("143", "Transaction Set Identifier Code", "ID", 3, 3),
        _el("329", "Transaction Set Control Number", "AN", 4, 9),
        _el("1705", "Implementation Convention Reference", "AN", 1, 35),
        _el("96", "Number of Included Segments", "N0", 1, 10),
        _el("97", "Number of Transaction Sets Included", "N0", 1, 6),
        _el("123", "Number of Received Transaction Sets", "N0", 1, 6),
        _el("2", "Number of Accepted Transaction Sets", "N0", 1, 6),
        _el("715", "Functional Group Acknowledge Code", "ID", 1, 1, _codes(GroupAckStatus)),
        _el("716", "Functional Group Syntax Error Code", "ID", 1, 3),
        _el("717", "Transaction Set Acknowledgment Code", "ID", 1, 1, _codes(SetAckStatus)),
        _el("718", "Transaction Set Syntax Error Code", "ID", 1, 3),
        _el("618", "Implementation Transaction Set Syntax Error Code", "ID", 1, 3),
        _el("721", "Segment ID Code", "ID", 2, 3),
        _el("719", "Segment Position in Transaction Set", "N0", 1, 10),
        _el("447", "Loop Identifier Code", "AN", 1, 6),
        _el("720", "Segment Syntax Error Code", "ID", 1, 3),
        _el("620", "Implementation Segment Syntax Error Code", "ID", 1, 3),
        _el("722", "Element Position in Segment", "N0", 1, 2),
        _el("1528", "Component Data Element Position in Composite", "N0", 1, 2),
        _el("1686", "Repeating Data Element Position", "N0", 1, 4),
        _el("725", "Data Element Reference Number", "N0", 1, 4),
        _el("723", "Data Element Syntax Error Code", "ID", 1, 3),
        _el("621", "Implementation Data Element Syntax Error Code", "ID", 1, 3),
        _el("724", "Copy of Bad Data Element", "AN", 1, 99),
        _el("9999", "Context Name", "AN", 1, 35),
        _el("9998", "Context Reference", "AN", 1, 35),
        # --- references, dates, parties -----------------------------------------------------------------
        _el("127", "Reference Identification", "AN", 1, 50),
        _el("128", "Reference Identification Qualifier", "ID", 2, 3),
        _el("352", "Description", "AN", 1, 80),
        _el("369", "Free-form Description", "AN", 1, 45),
        _el("432", "Date Qualifier", "ID", 2, 2),
        _el("373", "Date", "DT", 8, 8),
        _el("176", "Time Qualifier", "ID", 1, 2),
        _el("337", "Time", "TM", 4, 8),
        _el("623", "Time Code", "ID", 2, 2),
        _el("374", "Date/Time Qualifier", "ID", 3, 3),
        _el("32", "Delivery Date", "DT", 8, 8),
        _el("98", "Entity Identifier Code", "ID", 2, 3),
        _el("93", "Name", "AN", 1, 60),
        _el("66", "Identification Code Qualifier", "ID", 1, 2),
        _el("67", "Identification Code", "AN", 2, 80),
        _el("706", "Entity Relationship Code", "ID", 2, 2),
        _el("166", "Address Information", "AN", 1, 55),
        _el("19", "City Name", "AN", 2, 30),
        _el("156", "State or Province Code", "ID", 2, 2),
        _el("116", "Postal Code", "ID", 3, 15),
        _el("26", "Country Code", "ID", 2, 3),
        _el("309", "Location Qualifier", "ID", 1, 2),
        _el("310", "Location Identifier", "AN", 1, 30),
        _el("366", "Contact Function Code", "ID", 2, 2),
        _el("365", "Communication Number Qualifier", "ID", 2, 2),
        _el("364", "Communication Number", "AN", 1, 256),
        _el("61", "Free-Form Message", "AN", 1, 30),
        _el("363", "Note Reference Code", "ID", 3, 3),
        _el("88", "Marks and Numbers Qualifier", "ID", 1, 2),
        _el("87", "Marks and Numbers", "AN", 1, 48),
        _el("353", "Transaction Set Purpose Code", "ID", 2, 2, _codes(TransactionPurpose)),
        _el("346", "Application Type", "ID", 2, 2),
        # --- transport -----------------------------------------------------------------------------------
        _el("140", "Standard Carrier Alpha Code", "ID", 2, 4),
        _el("145", "Shipment Identification Number", "AN", 1, 30),
        _el("71", "Inquiry Request Number", "N0", 1, 3),
        _el("1073", "Yes/No Condition or Response Code", "ID", 1, 1),
        _el("375", "Tariff Service Code", "ID", 2, 2),
        _el("159", "Standard Point Location Code", "ID", 6, 9),
        _el("146", "Shipment Method of Payment", "ID", 2, 2),
        _el("147", "Shipment Qualifier", "ID", 1, 1),
        _el("188", "Weight Unit Code", "ID", 1, 1),
        _el("187", "Weight Qualifier", "ID", 1, 2),
        _el("81", "Weight", "R", 1, 10),
        _el("183", "Volume", "R", 1, 8),
        _el("184", "Volume Unit Qualifier", "ID", 1, 1),
        _el("80", "Lading Quantity", "N0", 1, 7),
        _el("382", "Number of Units Shipped", "R", 1, 10),
        _el("330", "Quantity Ordered", "R", 1, 15),
        _el("380", "Quantity", "R", 1, 15),
        _el("383", "Quantity Difference", "R", 1, 9),
        _el("355", "Unit or Basis for Measurement Code", "ID", 2, 2),
        _el("165", "Stop Sequence Number", "N0", 1, 3),
        _el("163", "Stop Reason Code", "ID", 2, 2),
        _el("554", "Assigned Number", "N0", 1, 6),
        _el("1650", "Shipment Status Code", "ID", 2, 2),
        _el("1651", "Shipment Status or Appointment Reason Code", "ID", 2, 3),
        _el("1652", "Shipment Appointment Status Code", "ID", 2, 2),
        _el("1654", "Longitude Code", "N0", 7, 7),
        _el("1655", "Latitude Code", "N0", 7, 7),
        _el("1280", "Direction Identifier Code", "ID", 1, 1),
        _el("206", "Equipment Initial", "AN", 1, 4),
        _el("207", "Equipment Number", "AN", 1, 15),
        _el("40", "Equipment Description Code", "ID", 2, 2),
        _el("761", "Equipment Number Check Digit", "N0", 1, 1),
        _el("152", "Special Handling Code", "ID", 2, 3),
        _el("153", "Special Handling Description", "AN", 2, 80),
        _el("133", "Routing Sequence Code", "ID", 1, 2),
        _el("91", "Transportation Method/Type Code", "ID", 1, 2),
        _el("387", "Routing", "AN", 1, 35),
        _el("368", "Shipment/Order Status Code", "ID", 2, 2),
        _el("225", "Seal Number", "AN", 2, 15),
        _el("560", "Special Services Code", "ID", 2, 10),
        _el("167", "Tare Weight", "N0", 3, 8),
        _el("232", "Weight Allowance", "N0", 2, 6),
        _el("205", "Dunnage", "N0", 1, 6),
        _el("102", "Ownership Code", "ID", 1, 1),
        _el("407", "Temperature Control", "AN", 3, 6),
        _el("304", "Event Code", "ID", 3, 3),
        _el("106", "Event", "AN", 1, 25),
        _el("558", "Reservation Action Code", "ID", 1, 1, _codes(ReservationAction)),
        # --- rating and invoicing ------------------------------------------------------------------------
        _el("60", "Freight Rate", "R", 1, 9),
        _el("122", "Rate/Value Qualifier", "ID", 2, 2),
        _el("58", "Charge", "N2", 1, 12),
        _el("191", "Advances", "N2", 1, 9),
        _el("117", "Prepaid Amount", "N2", 1, 9),
        _el("150", "Special Charge or Allowance Code", "ID", 2, 3),
        _el("76", "Invoice Number", "AN", 1, 22),
        _el("193", "Net Amount Due", "N2", 1, 12),
        _el("202", "Correction Indicator", "ID", 2, 2),
        _el("100", "Currency Code", "ID", 3, 3),
        _el("280", "Exchange Rate", "R", 4, 10),
        _el("213", "Lading Line Item Number", "N0", 1, 3),
        _el("79", "Lading Description", "AN", 1, 50),
        _el("22", "Commodity Code", "AN", 1, 30),
        _el("23", "Commodity Code Qualifier", "ID", 1, 1),
        _el("103", "Packaging Code", "AN", 3, 5),
        _el("220", "Billed/Rated-as Quantity", "R", 1, 11),
        _el("221", "Billed/Rated-as Qualifier", "ID", 2, 2),
        _el("211", "Packaging Form Code", "ID", 3, 3),
        _el("458", "Dunnage Description", "AN", 2, 25),
        _el("120", "Rate Combination Point Code", "AN", 1, 9),
        _el("121", "Rate Class Code", "ID", 1, 3),
        _el("39", "Entitlement Code", "ID", 1, 1),
        _el("16", "Charge Method of Payment", "ID", 1, 1),
        _el("276", "Special Charge Description", "AN", 2, 25),
        # --- warehouse -----------------------------------------------------------------------------------
        _el("473", "Order Status Code", "ID", 1, 2),
        _el("285", "Depositor Order Number", "AN", 1, 22),
        _el("324", "Purchase Order Number", "AN", 1, 22),
        _el("472", "Link Sequence Number", "N0", 6, 6),
        _el("474", "Master Reference (Link) Number", "AN", 1, 22),
        _el("640", "Transaction Type Code", "ID", 2, 2),
        _el("306", "Action Code", "ID", 1, 2),
        _el("514", "Reporting Code", "ID", 1, 1),
        _el("531", "Agent Shipment ID Number", "AN", 1, 12),
        _el("891", "Shipping Date Change Reason Code", "ID", 2, 2),
        _el("1", "Pallet Exchange Code", "ID", 1, 1),
        _el("884", "Unit Load Option Code", "ID", 2, 2),
        _el("334", "F.O.B. Point Code", "ID", 2, 2),
        _el("335", "F.O.B. Point", "AN", 1, 30),
        _el("1300", "C.O.D. Method of Payment Code", "ID", 1, 1),
        _el("610", "Amount", "N2", 1, 15),
        _el("438", "U.P.C. Case Code", "AN", 12, 12),
        _el("235", "Product/Service ID Qualifier", "ID", 2, 2),
        _el("234", "Product/Service ID", "AN", 1, 80),
        _el("451", "Warehouse Lot Number", "AN", 1, 12),
        _el("350", "Assigned Identification", "AN", 1, 20),
        _el("646", "Quantity Shipped to Date", "R", 1, 15),
        _el("668", "Line Item Status Code", "ID", 2, 2),
        # --- ship notice ---------------------------------------------------------------------------------
        _el("396", "Shipment Identification", "AN", 2, 30),
        _el("1005", "Hierarchical Structure Code", "ID", 4, 4),
        _el("641", "Status Reason Code", "ID", 3, 3),
        _el("628", "Hierarchical ID Number", "AN", 1, 12),
        _el("734", "Hierarchical Parent ID Number", "AN", 1, 12),
        _el("735", "Hierarchical Level Code", "ID", 1, 2, _codes(HierarchicalLevel)),
        _el("736", "Hierarchical Child Code", "ID", 1, 1),
        _el("328", "Release Number", "AN", 1, 30),
        _el("327", "Change Order Sequence Number", "AN", 1, 8),
        _el("354", "Number of Line Items", "N0", 1, 6),
        _el("347", "Hash Total", "R", 1, 10),
        _el("349", "Item Description Type", "ID", 1, 1),
        _el("750", "Product/Process Characteristic Code", "ID", 2, 3),
        _el("559", "Agency Qualifier Code", "ID", 2, 2),
        _el("751", "Product Description Code", "AN", 1, 12),
    )
}

COMPOSITES: dict[str, CompositeElement] = {
    "C030": CompositeElement(
        "C030",
        "Position in Segment",
        (
            ElementUse(ELEMENTS["722"], True),
            ElementUse(ELEMENTS["1528"], False),
            ElementUse(ELEMENTS["1686"], False),
        ),
    ),
    "C998": CompositeElement(
        "C998",
        "Context Identification",
        (ElementUse(ELEMENTS["9999"], True), ElementUse(ELEMENTS["9998"], False)),
    ),
}


def _seg(tag: str, name: str, layout: str, rules: str = "") -> SegmentSpec:
    return SegmentSpec(
        tag,
        name,
        parse_layout(layout, ELEMENTS, COMPOSITES),
        tuple(SyntaxRule.parse(r) for r in rules.split()),
    )


#: shared layout of N1 (party) segments
_N1 = "98 M, 93 X, 66 X, 67 X, 706 O, 98 O"
#: shared layout of L3 (total weight and charges) segments
_L3 = "81 O, 187 O, 60 O, 122 O, 58 O, 191 O, 117 O, 150 O, 183 O, 184 O, 80 O, 188 O"

SEGMENTS: dict[str, SegmentSpec] = {
    s.tag: s
    for s in (
        # --- envelope and acknowledgments -----------------------------------------------------------------
        _seg("GS", "Functional Group Header", "479 M, 142 M, 124 M, 373 M, 337 M, 28 M, 455 M, 480 M"),
        _seg("GE", "Functional Group Trailer", "97 M, 28 M"),
        _seg("IEA", "Interchange Control Trailer", "I16 M, I12 M"),
        _seg("TA1", "Interchange Acknowledgment", "I12 M, I08 M, I09 M, I17 M, I18 M"),
        _seg("ST", "Transaction Set Header", "143 M, 329 M, 1705 O"),
        _seg("SE", "Transaction Set Trailer", "96 M, 329 M"),
        _seg("AK1", "Functional Group Response Header", "479 M, 28 M, 480 O"),
        _seg("AK2", "Transaction Set Response Header", "143 M, 329 M, 1705 O"),
        _seg("AK3", "Data Segment Note", "721 M, 719 M, 447 O, 720 O"),
        _seg("AK4", "Data Element Note", "C030 M, 725 O, 723 M, 724 O"),
        _seg("AK5", "Transaction Set Response Trailer", "717 M, 718 O, 718 O, 718 O, 718 O, 718 O"),
        _seg(
            "AK9",
            "Functional Group Response Trailer",
            "715 M, 97 M, 123 M, 2 M, 716 O, 716 O, 716 O, 716 O, 716 O",
        ),
        _seg("IK3", "Error Identification", "721 M, 719 M, 447 O, 620 M"),
        _seg("IK4", "Implementation Data Element Note", "C030 M, 725 O, 621 M, 724 O"),
        _seg(
            "IK5",
            "Implementation Transaction Set Response Trailer",
            "717 M, 618 O, 618 O, 618 O, 618 O, 618 O",
        ),
        _seg("CTX", "Context", "C998 M*10, 721 O, 719 O, 447 O, C030 O"),
        # --- shared -----------------------------------------------------------------------------------------
        _seg("N1", "Party Identification", _N1, "R0203 P0304"),
        _seg("N2", "Additional Name Information", "93 M, 93 O"),
        _seg("N3", "Party Location", "166 M, 166 O"),
        _seg("N4", "Geographic Location", "19 O, 156 X, 116 O, 26 O, 309 X, 310 O", "E0206 C0605 C0704"),
        _seg("G61", "Contact", "366 M, 93 M, 365 X, 364 X", "P0304"),
        _seg("L11", "Business Instructions and Reference Number", "127 X, 128 X, 352 X", "R0103"),
        _seg("N9", "Reference Identification", "128 M, 127 X, 369 X, 373 O, 337 X, 623 O", "R0203 C0605"),
        _seg("G62", "Date/Time", "432 X, 373 X, 176 X, 337 X, 623 O", "R0103 P0102 P0304"),
        _seg("NTE", "Note/Special Instruction", "363 O, 352 M"),
        _seg("K1", "Remarks", "61 M, 61 O"),
        _seg("MAN", "Marks and Numbers", "88 M, 87 M, 87 O"),
        _seg("LX", "Transaction Set Line Number", "554 M"),
        _seg("REF", "Reference Information", "128 M, 127 X, 352 X", "R0203"),
        _seg("DTM", "Date/Time Reference", "374 M, 373 X, 337 X, 623 O", "R0203 C0403"),
        _seg(
            "PER",
            "Administrative Communications Contact",
            "366 M, 93 O, 365 X, 364 X, 365 X, 364 X",
            "P0304 P0506",
        ),
        _seg("L5", "Description, Marks and Numbers", "213 O, 79 O, 22 X, 23 X, 103 O", "P0304"),
        _seg("L3", "Total Weight and Charges", _L3, "P0102 P0910"),
        _seg(
            "AT8",
            "Shipment Weight, Packaging and Quantity Data",
            "187 X, 188 X, 81 X, 80 O, 80 O, 184 X, 183 X",
            "P0102 C0203 P0607",
        ),
        _seg("MS3", "Interline Information", "140 M, 133 M, 19 X, 91 O, 156 O"),
        _seg("AT5", "Bill of Lading Handling Requirements", "152 X, 560 X, 153 X", "R0103"),
        _seg(
            "N7",
            "Equipment Details",
            "206 O, 207 M, 81 O, 187 X, 167 O, 232 O, 205 O, 183 O, 184 X, 102 O, 40 O",
            "P0304",
        ),
        # --- 204 / 990 -------------------------------------------------------------------------------------
        _seg(
            "B2",
            "Beginning Segment for Shipment Information Transaction",
            "375 O, 140 O, 159 O, 145 O, 188 O, 146 M",
        ),
        _seg("B2A", "Set Purpose", "353 M, 346 O"),
        _seg(
            "S5",
            "Stop Off Details",
            "165 M, 163 M, 81 O, 188 X, 382 X, 355 X, 183 O, 184 X, 352 O",
            "P0506 P0708",
        ),
        _seg(
            "OID",
            "Order Identification Detail",
            "127 X, 324 X, 127 O, 355 X, 380 X, 188 X, 81 X, 184 X, 183 X",
            "R0102 P0405 P0607 P0809",
        ),
        _seg("LAD", "Lading Detail", "211 X, 80 X, 188 X, 81 X, 188 X, 81 X", "P0102 P0304 P0506"),
        _seg("B1", "Beginning Segment for Booking or Pick-up/Delivery", "140 M, 145 M, 373 X, 558 X, 98 O"),
        _seg("V9", "Event Detail", "304 M, 106 O, 373 O, 337 O"),
        # --- 214 ---------------------------------------------------------------------------------------------
        _seg(
            "B10",
            "Beginning Segment for Transportation Carrier Shipment Status Message",
            "127 X, 145 X, 140 M, 71 O, 128 X, 127 X, 1073 O",
            "R0102 P0506",
        ),
        _seg(
            "AT7",
            "Shipment Status Details",
            "1650 X, 1651 X, 1652 X, 1651 X, 373 O, 337 X, 623 O",
            "R0103 P0102 P0304 C0706",
        ),
        _seg(
            "MS1",
            "Equipment, Shipment, or Real Property Location",
            "19 X, 156 X, 26 O, 1654 X, 1655 X, 1280 X, 1280 X",
            "L010203 P0405 C0604 C0705",
        ),
        _seg("MS2", "Equipment or Container Owner and Type", "140 O, 207 O, 40 O, 761 O"),
        _seg("Q7", "Lading Exception Status", "211 M, 382 M, 355 O"),
        # --- 210 ---------------------------------------------------------------------------------------------
        _seg(
            "B3",
            "Beginning Segment for Carrier's Invoice",
            "147 O, 76 M, 145 O, 146 M, 188 O, 373 M, 193 M, 202 O, 32 X, 374 X, 140 M, 373 O",
            "P0910",
        ),
        _seg("C3", "Currency", "100 M, 280 O, 100 O, 100 O"),
        _seg(
            "L0",
            "Line Item - Quantity and Weight",
            "213 O, 220 X, 221 X, 81 X, 187 X, 183 X, 184 X, 80 X, 211 X, 458 O, 188 O",
            "P0203 P0405 P0607 P0809",
        ),
        _seg(
            "L1",
            "Rate and Charges",
            "213 O, 60 X, 122 X, 58 X, 191 O, 117 O, 120 O, 150 O, 121 O, 39 O, 16 O, 276 O",
            "P0203",
        ),
        # --- 940 / 945 ---------------------------------------------------------------------------------------
        _seg(
            "W05", "Shipping Order Identification", "473 M, 285 M, 324 O, 472 X, 474 X, 640 O, 306 O", "P0405"
        ),
        _seg(
            "W66",
            "Warehouse Carrier Information",
            "146 M, 91 M, 1 O, 884 O, 387 O, 334 O, 335 O, 1300 X, 610 X, 140 O",
            "P0809",
        ),
        _seg(
            "W01",
            "Line Item Detail - Warehouse",
            "330 M, 355 M, 438 X, 235 X, 234 X, 235 X, 234 X",
            "R030507 P0405 P0607",
        ),
        _seg("G69", "Line Item Detail - Description", "352 M"),
        _seg("W76", "Total Shipping Order", "330 M, 81 X, 188 X, 183 X, 184 X", "P0203 P0405"),
        _seg(
            "W06",
            "Warehouse Shipment Identification",
            "514 M, 285 O, 373 O, 145 O, 531 O, 324 O, 474 X, 472 X, 152 O, 891 O, 640 O, 306 O",
            "P0708",
        ),
        _seg(
            "W27",
            "Carrier Detail",
            "91 M, 140 X, 387 X, 146 O, 40 O, 206 O, 207 O, 368 O, 152 O, 891 O",
            "R0203",
        ),
        _seg(
            "W12",
            "Warehouse Item Detail",
            "368 M, 330 O, 382 O, 383 O, 355 O, 438 X, 235 X, 234 X, 451 O, 81 X, 187 X, 188 X",
            "R0607 P0708 P101112",
        ),
        _seg("W03", "Total Shipment Information", "382 M, 81 X, 188 X, 183 X, 184 X", "P0203 P0405"),
        # --- 856 ---------------------------------------------------------------------------------------------
        _seg("BSN", "Beginning Segment for Ship Notice", "353 M, 396 M, 373 M, 337 M, 1005 O, 640 O, 641 O"),
        _seg("HL", "Hierarchical Level", "628 M, 734 O, 735 M, 736 O"),
        _seg(
            "LIN",
            "Item Identification",
            "350 O, 235 M, 234 M, 235 X, 234 X, 235 X, 234 X, 235 X, 234 X",
            "P0405 P0607 P0809",
        ),
        _seg("SN1", "Item Detail (Shipment)", "350 O, 382 M, 355 M, 646 O, 330 X, 355 X, 668 O", "P0506"),
        _seg("PRF", "Purchase Order Reference", "324 M, 328 O, 327 O, 373 O, 350 O"),
        _seg("PID", "Product/Item Description", "349 M, 750 O, 559 X, 751 X, 352 X", "C0403 R0405"),
        _seg(
            "TD1",
            "Carrier Details (Quantity and Weight)",
            "103 O, 80 X, 23 O, 22 X, 79 O, 187 O, 81 X, 355 X, 183 X, 355 X",
            "C0102 C0304 C0607 P0708 P0910",
        ),
        _seg(
            "TD5",
            "Carrier Details (Routing Sequence/Transit Time)",
            "133 O, 66 X, 67 X, 91 X, 387 X, 368 X",
            "R0204050612 C0203",
        ),
        _seg(
            "TD3",
            "Carrier Details (Equipment)",
            "40 X, 206 O, 207 X, 187 O, 81 X, 355 X, 102 O, 407 O, 225 O",
            "E0110 C0203 C0506",
        ),
        _seg("FOB", "F.O.B. Related Instructions", "146 M, 309 X, 352 O"),
        _seg("CTT", "Transaction Totals", "354 M, 347 O"),
    )
}
