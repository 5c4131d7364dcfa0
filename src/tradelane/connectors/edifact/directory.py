"""EDIFACT element, composite and segment directory (service segments plus what IFTMIN/IFTSTA/DESADV use).

Written as data: simple elements map a reference to its representation (``an..35`` variable up to 35,
``n6..8`` between 6 and 8, ``a3`` exactly 3); composites and segments are layout strings of
``REF M|C`` entries. Layouts follow directory D.01B, trimmed to the positions partners fill in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["COMPOSITES", "ELEMENTS", "SEGMENTS", "CompositeSpec", "ElementUse", "SegmentSpec", "SimpleSpec"]

CharClass = Literal["a", "n", "an"]
_REPR = re.compile(r"(an|a|n)(?:(\d+)\.\.|(\.\.))?(\d+)")


@dataclass(frozen=True)
class SimpleSpec:
    """A simple data element."""

    #: reference, e.g. ``3035``
    ref: str
    #: character class
    kind: CharClass
    #: minimum length (digits only for ``n``)
    min_len: int
    #: maximum length
    max_len: int


@dataclass(frozen=True)
class ElementUse:
    """A simple or composite element at one position."""

    #: the element
    element: SimpleSpec | CompositeSpec
    #: mandatory (M) rather than conditional (C)
    required: bool


@dataclass(frozen=True)
class CompositeSpec:
    """A composite data element."""

    #: reference, e.g. ``C082``
    ref: str
    #: its components in order
    components: tuple[ElementUse, ...]


@dataclass(frozen=True)
class SegmentSpec:
    """A segment's data elements by position."""

    #: tag
    tag: str
    #: element uses in order
    elements: tuple[ElementUse, ...]


def _simple(ref: str, representation: str) -> SimpleSpec:
    match = _REPR.fullmatch(representation)
    if match is None:
        raise ValueError(f"bad representation {representation!r} for {ref}")
    kind, low, dots, high = match.groups()
    max_len = int(high)
    min_len = int(low) if low else (1 if dots else max_len)
    char_class: CharClass = "an" if kind == "an" else ("a" if kind == "a" else "n")
    return SimpleSpec(ref, char_class, min_len, max_len)


#: simple data elements: reference → representation
_ELEMENT_TABLE = """
0001 a4; 0002 n1; 0004 an..35; 0007 an..4; 0008 an..14; 0010 an..35; 0014 an..14; 0017 n6..8; 0019 n4;
0020 an..14; 0022 an..14; 0025 an2; 0026 an..14; 0029 a1; 0031 n1; 0032 an..35; 0035 n1; 0036 n..6;
0038 an..6; 0040 an..35; 0044 an..35; 0048 an..14; 0051 an..3; 0052 an..3; 0054 an..3; 0057 an..6;
0060 n..6; 0062 an..14; 0065 an..6; 0068 an..35; 0070 n..2; 0073 a1; 0074 n..6; 0083 an..3; 0085 an..3;
0096 n..6; 0098 n..3; 0104 n..3; 0013 a3; 0110 an..6; 0113 an..6; 0112 an..35; 0058 an..14;
1001 an..3; 1131 an..17; 3055 an..3; 1000 an..35; 1004 an..70; 1056 an..9; 1060 an..6; 1225 an..3;
4343 an..3; 2005 an..3; 2380 an..35; 2379 an..3; 1153 an..3; 1154 an..70; 1156 an..6; 4000 an..35;
3035 an..3; 3039 an..35; 3124 an..35; 3036 an..70; 3045 an..3; 3042 an..35; 3164 an..35; 3229 an..9;
3228 an..70; 3251 an..17; 3207 an..3; 3227 an..3; 3225 an..35; 3224 an..256; 3223 an..35; 3222 an..70;
3233 an..35; 3232 an..70; 5479 an..3; 8051 an..3; 8028 an..17; 8067 an..3; 8066 an..17; 8179 an..8;
8178 an..17; 3127 an..17; 3128 an..70; 8101 an..3; 8457 an..3; 8459 an..3; 7130 an..17; 8213 an..35;
8212 an..70; 8453 an..3; 8281 an..3; 8053 an..3; 8260 an..17; 8155 an..10; 8154 an..35; 8077 an..3;
8249 an..3; 8169 an..3; 1490 n..6; 1373 an..3; 1366 an..70; 3453 an..3; 1312 n..6; 9015 an..3;
4405 an..3; 4404 an..35; 9013 an..3; 9012 an..256; 4451 an..3; 4453 an..3; 4441 an..17; 4440 an..512;
4447 an..3; 6069 an..3; 6066 n..18; 6411 an..8; 1496 n..5; 7224 n..8; 7065 an..17; 7064 an..35;
7075 an..3; 7233 an..3; 7073 an..3; 7077 an..3; 7143 an..3; 8395 an..3; 8393 an..3; 6311 an..3;
6313 an..3; 6321 an..3; 6155 an..17; 6154 an..70; 6314 an..18; 6162 n..18; 6152 n..18; 6432 n..2;
7383 an..3; 6145 an..3; 6168 n..15; 6140 n..15; 6008 n..15; 6063 an..3; 6060 an..35; 7164 an..12;
7166 an..12; 1082 an..6; 1229 an..3; 7140 an..35; 5495 an..3; 1222 n..2; 7083 an..3; 4347 an..3;
7081 an..3; 7009 an..17; 7008 an..512; 4233 an..3; 7102 an..35; 8275 an..3; 7511 an..3; 7405 an..3;
7402 an..35; 4065 an..3; 7273 an..3; 4219 an..3; 7085 an..3; 3139 an..3; 3413 an..17; 3412 an..256;
3148 an..512; 3155 an..3; 4055 an..3; 4215 an..3; 4053 an..3; 4052 an..70; 1153 an..3; 3153 an..3;
1220 n..2; 1218 n..2; 4079 an..3; 4078 an..512; 7419 an..7; 9308 an..35; 9303 an..3; 4517 an..3;
4525 an..3; 5025 an..3; 5004 n..35; 6345 an..3; 6343 an..3; 3239 an..3; 9213 an..3; 4183 an..3;
8273 an..3; 8351 an..7; 8078 an..7; 8092 an..10; 7124 an..4; 7088 an..8; 7106 an..3; 8339 an..3;
8364 an..6; 8410 an..4; 8126 an..10; 6245 an..3; 6246 an..15; 6350 n..15; 6353 an..3; 5245 an..3;
5482 n..10; 5249 an..3; 7110 an..35; 7112 an..35; 2009 an..3; 5501 an..3
"""

ELEMENTS: dict[str, SimpleSpec] = {
    ref: _simple(ref, rep)
    for ref, rep in (entry.split() for entry in _ELEMENT_TABLE.replace("\n", " ").split(";") if entry.strip())
}


def _uses(layout: str) -> tuple[ElementUse, ...]:
    out: list[ElementUse] = []
    for entry in (e.strip() for e in layout.split(",") if e.strip()):
        ref, status = entry.split()
        element: SimpleSpec | CompositeSpec = COMPOSITES[ref] if ref in COMPOSITES else ELEMENTS[ref]
        out.append(ElementUse(element, status == "M"))
    return tuple(out)


#: qualifier pair every coded composite ends with: code list and responsible agency
_CODED = "1131 C, 3055 C"

#: composite data elements: reference → component layout
_COMPOSITE_TABLE: dict[str, str] = {
    "S001": "0001 M, 0002 M, 0080 C, 0133 C",
    "S002": "0004 M, 0007 C, 0008 C, 0042 C",
    "S003": "0010 M, 0007 C, 0014 C, 0046 C",
    "S004": "0017 M, 0019 M",
    "S005": "0022 M, 0025 C",
    "S006": "0040 M, 0007 C",
    "S007": "0044 M, 0007 C",
    "S008": "0052 M, 0054 M, 0057 C",
    "S009": "0065 M, 0052 M, 0054 M, 0051 M, 0057 C, 0110 C, 0113 C",
    "S010": "0070 M, 0073 C",
    "S011": "0098 M, 0104 C",
    "C002": f"1001 C, {_CODED}, 1000 C",
    "C106": "1004 C, 1056 C, 1060 C",
    "C507": "2005 M, 2380 C, 2379 C",
    "C506": "1153 M, 1154 C, 1156 C, 4000 C, 1060 C",
    "C082": f"3039 M, {_CODED}",
    "C058": "3124 M, 3124 C, 3124 C, 3124 C, 3124 C",
    "C080": "3036 M, 3036 C, 3036 C, 3036 C, 3036 C, 3045 C",
    "C059": "3042 M, 3042 C, 3042 C, 3042 C",
    "C819": f"3229 C, {_CODED}, 3228 C",
    "C517": f"3225 C, {_CODED}, 3224 C",
    "C519": f"3223 C, {_CODED}, 3222 C",
    "C553": f"3233 C, {_CODED}, 3232 C",
    "C220": "8067 C, 8066 C",
    "C228": "8179 C, 8178 C",
    "C040": f"3127 C, {_CODED}, 3128 C",
    "C401": "8457 M, 8459 M, 7130 C",
    "C222": f"8213 C, {_CODED}, 8212 C, 8453 C",
    "C237": f"8260 C, {_CODED}, 3207 C",
    "C224": f"8155 C, {_CODED}, 8154 C",
    "C503": "1004 C, 1373 C, 1366 C, 3453 C, 1056 C, 1060 C",
    "C601": f"9015 M, {_CODED}",
    "C555": f"4405 M, {_CODED}, 4404 C",
    "C556": f"9013 M, {_CODED}, 9012 C",
    "C107": f"4441 M, {_CODED}",
    "C108": "4440 M, 4440 C, 4440 C, 4440 C, 4440 C",
    "C270": "6069 M, 6066 M, 6411 C",
    "C213": f"7224 C, 7065 C, {_CODED}, 7064 C",
    "C531": "7075 C, 7233 C, 7073 C",
    "C202": f"7065 C, {_CODED}, 7064 C",
    "C402": "7077 M, 7064 C, 7143 C, 7064 C, 7143 C",
    "C532": "8395 C, 8393 C",
    "C502": "6313 C, 6321 C, 6155 C, 6154 C",
    "C174": "6411 M, 6314 C, 6162 C, 6152 C, 6432 C",
    "C211": "6411 M, 6168 C, 6140 C, 6008 C",
    "C186": "6063 M, 6060 M, 6411 C",
    "C212": f"7140 C, 7143 C, {_CODED}",
    "C829": "5495 C, 1082 C",
    "C272": f"7081 C, {_CODED}",
    "C273": f"7009 C, {_CODED}, 7008 C, 7008 C, 3453 C",
    "C210": "7102 M, 7102 C, 7102 C, 7102 C, 7102 C, 7102 C, 7102 C, 7102 C, 7102 C, 7102 C",
    "C827": f"7511 M, {_CODED}",
    "C208": "7402 M, 7402 C",
    "C536": f"4065 M, {_CODED}",
    "C233": f"7273 M, {_CODED}, 7273 C, {_CODED}",
    "C537": f"4219 M, {_CODED}",
    "C703": f"7085 M, {_CODED}",
    "C056": "3413 C, 3412 C",
    "C076": "3148 M, 3155 M",
    "C100": f"4053 C, {_CODED}, 4052 C, 4052 C",
    "C524": f"4079 C, {_CODED}, 4078 C",
    "C218": f"7419 C, {_CODED}",
    "C215": f"9303 C, {_CODED}",
    "C516": "5025 M, 5004 C, 6345 C, 6343 C, 4405 C",
    "C205": "8351 M, 8078 C, 8092 C",
    "C234": "7124 C, 7088 C",
    "C223": "7106 C, 6411 C",
    "C239": "6246 C, 6411 C",
    "C523": "6350 M, 6353 C",
    "C501": f"5245 M, 5482 C, 5249 C, {_CODED}",
}

#: service data elements referenced by composites only (UNB S001/S002/S003 extensions of syntax 4)
ELEMENTS.update(
    {
        ref: _simple(ref, rep)
        for ref, rep in (("0080", "an..6"), ("0133", "an..3"), ("0042", "an..14"), ("0046", "an..14"))
    }
)

COMPOSITES: dict[str, CompositeSpec] = {}
for _ref, _layout in _COMPOSITE_TABLE.items():
    COMPOSITES[_ref] = CompositeSpec(_ref, _uses(_layout))

#: segments: tag → element layout
_SEGMENT_TABLE: dict[str, str] = {
    # service segments
    "UNB": "S001 M, S002 M, S003 M, S004 M, 0020 M, S005 C, 0026 C, 0029 C, 0031 C, 0032 C, 0035 C",
    "UNZ": "0036 M, 0020 M",
    "UNG": "0038 M, S006 M, S007 M, S004 M, 0048 M, 0051 M, S008 M, 0058 C",
    "UNE": "0060 M, 0048 M",
    "UNH": "0062 M, S009 M, 0068 C, S010 C",
    "UNT": "0074 M, 0062 M",
    "UCI": "0020 M, S002 M, S003 M, 0083 M, 0085 C, 0013 C, S011 C",
    "UCF": "0048 M, S006 C, S007 C, 0083 M, 0085 C, 0013 C, S011 C",
    "UCM": "0062 M, S009 M, 0083 M, 0085 C, 0013 C, S011 C",
    "UCS": "0096 M, 0085 C",
    "UCD": "0085 M, S011 M",
    # business segments
    "BGM": "C002 C, C106 C, 1225 C, 4343 C",
    "DTM": "C507 M",
    "RFF": "C506 M",
    "NAD": "3035 M, C082 C, C058 C, C080 C, C059 C, 3164 C, C819 C, 3251 C, 3207 C",
    "LOC": "3227 M, C517 C, C519 C, C553 C, 5479 C",
    "TDT": "8051 M, 8028 C, C220 C, C228 C, C040 C, 8101 C, C401 C, C222 C, 8281 C",
    "EQD": "8053 M, C237 C, C224 C, 8077 C, 8249 C, 8169 C",
    "CNI": "1490 C, C503 C, 1312 C",
    "STS": "C601 C, C555 C, C556 C, C556 C, C556 C, C556 C, C556 C",
    "FTX": "4451 M, 4453 C, C107 C, C108 C, 3453 C, 4447 C",
    "CNT": "C270 M",
    "GID": "1496 C, C213 C, C213 C, C213 C",
    "PAC": "7224 C, C531 C, C202 C, C402 C, C532 C",
    "MEA": "6311 M, C502 C, C174 C, 7383 C",
    "DIM": "6145 M, C211 M",
    "QTY": "C186 M",
    "CPS": "7164 M, 7166 C, 7075 C",
    "LIN": "1082 C, 1229 C, C212 C, C829 C, 1222 C, 7083 C",
    "PIA": "4347 M, C212 M, C212 C, C212 C, C212 C, C212 C",
    "IMD": "7077 C, C272 C, C273 C, 7383 C",
    "PCI": "4233 C, C210 C, 8275 C, C827 C",
    "GIN": "7405 M, C208 M, C208 C, C208 C, C208 C, C208 C",
    "TSR": "C536 C, C233 C, C537 C, C703 C",
    "CTA": "3139 C, C056 C",
    "COM": "C076 M, C076 C, C076 C",
    "TOD": "4055 C, 4215 C, C100 C",
    "DOC": "C002 M, C503 C, 3153 C, 1220 C, 1218 C",
    "HAN": "C524 C, C218 C",
    "SEL": "9308 M, C215 C, 4517 C, C208 C, 4525 C",
    "MOA": "C516 M",
    "ALI": "3239 C, 9213 C, 4183 C, 4183 C, 4183 C, 4183 C, 4183 C",
    "DGS": "8273 C, C205 C, C234 C, C223 C, 8339 C, 8364 C, 8410 C, 8126 C",
    "SGP": "C237 M, 7224 C",
    "TMP": "6245 M, C239 C",
    "EQN": "C523 M",
    "PCD": "C501 M",
    "TPL": "C222 M",
}

SEGMENTS: dict[str, SegmentSpec] = {
    tag: SegmentSpec(tag, _uses(layout)) for tag, layout in _SEGMENT_TABLE.items()
}
