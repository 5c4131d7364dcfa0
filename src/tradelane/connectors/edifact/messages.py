"""EDIFACT message structures (segment groups with status and repeats) as data: IFTMIN, IFTSTA, DESADV, CONTRL.

``S(tag, "M"|"C", max)`` is a segment, ``G(name, "M"|"C", max, trigger, ...)`` a segment group. Group names
follow the D.01B numbering of each message where the trimmed structure keeps it; positions partners do not
use were left out, so the tables are what carriers and forwarders send, not the whole directory.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradelane.connectors.edi_common import LoopUse, SegmentUse, StructureNode

__all__ = ["MESSAGES", "MessageSpec"]


@dataclass(frozen=True)
class MessageSpec:
    """One message type: its structure from UNH to UNT."""

    #: UNH02-1 message type, e.g. ``IFTSTA``
    message_type: str
    #: name
    name: str
    #: segments and groups in order, UNH first and UNT last
    structure: tuple[StructureNode, ...]


def S(tag: str, status: str = "C", max_use: int = 1) -> SegmentUse:
    """A segment position."""
    return SegmentUse(tag, status == "M", max_use)


def G(name: str, status: str, max_repeat: int, *children: StructureNode) -> LoopUse:
    """A segment group; ``children[0]`` is its trigger segment."""
    return LoopUse(name, status == "M", max_repeat, tuple(children))


def _message(message_type: str, name: str, *body: StructureNode) -> MessageSpec:
    return MessageSpec(message_type, name, (S("UNH", "M"), *body, S("UNT", "M")))


def _contact(name: str, max_repeat: int) -> LoopUse:
    return G(name, "C", max_repeat, S("CTA", "M"), S("COM", "C", 9))


_IFTSTA = _message(
    "IFTSTA",
    "International multimodal status report",
    S("BGM", "M"),
    S("DTM", "C", 9),
    S("TSR", "C"),
    G("SG1", "C", 9, S("NAD", "M"), _contact("SG2", 9)),
    G("SG3", "C", 10, S("RFF", "M"), S("DTM", "C")),
    S("FTX", "C", 9),
    S("CNT", "C", 9),
    G(
        "SG14",
        "M",
        99999,
        S("CNI", "M"),
        S("LOC", "C", 9),
        S("CNT", "C", 9),
        G(
            "SG15",
            "M",
            99,
            S("STS", "M"),
            S("RFF", "C", 9),
            S("DTM", "C", 9),
            S("DOC", "C", 9),
            S("FTX", "C", 9),
            S("NAD", "C", 9),
            S("LOC", "C"),
            S("PCI", "C", 99),
            G("SG16", "C", 99, S("TDT", "M"), S("RFF", "C", 9), S("LOC", "C", 9), S("DTM", "C", 9)),
            G("SG18", "C", 99, S("EQD", "M"), S("MEA", "C", 9), S("DIM", "C", 9), S("SEL", "C", 9)),
            G("SG20", "C", 999, S("GID", "M"), S("HAN", "C", 9), S("SGP", "C", 999), S("MEA", "C", 9)),
        ),
    ),
)

_IFTMIN = _message(
    "IFTMIN",
    "Instruction message",
    S("BGM", "M"),
    S("DTM", "C", 9),
    S("TSR", "C", 9),
    S("MOA", "C", 9),
    S("FTX", "C", 99),
    S("CNT", "C", 9),
    G("SG1", "C", 99, S("LOC", "M"), S("DTM", "C", 9)),
    G("SG2", "C", 2, S("TOD", "M"), S("LOC", "C")),
    G("SG3", "C", 999, S("RFF", "M"), S("DTM", "C")),
    G(
        "SG8",
        "C",
        99,
        S("TDT", "M"),
        S("DTM", "C", 9),
        S("TSR", "C", 9),
        G("SG9", "C", 99, S("LOC", "M"), S("DTM", "C", 9)),
        G("SG10", "C", 9, S("RFF", "M"), S("DTM", "C")),
    ),
    G(
        "SG11",
        "C",
        99,
        S("NAD", "M"),
        S("LOC", "C", 9),
        S("MOA", "C", 9),
        _contact("SG12", 9),
        G("SG13", "C", 9, S("DOC", "M"), S("DTM", "C")),
        G("SG15", "C", 9, S("RFF", "M"), S("DTM", "C")),
    ),
    G(
        "SG18",
        "C",
        999,
        S("GID", "M"),
        S("HAN", "C", 5),
        S("TMP", "C"),
        S("LOC", "C", 9),
        S("MOA", "C", 9),
        S("PIA", "C", 9),
        S("FTX", "C", 9),
        G("SG20", "C", 9, S("NAD", "M"), S("DTM", "C")),
        G("SG22", "C", 99, S("MEA", "M"), S("EQN", "C")),
        G("SG23", "C", 99, S("DIM", "M"), S("EQN", "C")),
        G("SG24", "C", 9, S("RFF", "M"), S("DTM", "C")),
        G("SG25", "C", 10, S("PCI", "M"), S("RFF", "C"), S("DTM", "C"), S("GIN", "C", 10)),
        G("SG29", "C", 99, S("DGS", "M"), S("FTX", "C", 50), _contact("SG30", 9)),
        G("SG32", "C", 999, S("SGP", "M"), G("SG33", "C", 99, S("MEA", "M"), S("EQN", "C"))),
    ),
    G(
        "SG37",
        "C",
        999,
        S("EQD", "M"),
        S("EQN", "C"),
        S("MEA", "C", 9),
        S("DIM", "C", 9),
        S("SEL", "C", 25),
        S("TPL", "C", 9),
        S("HAN", "C"),
        S("TMP", "C"),
        S("FTX", "C", 9),
        G("SG39", "C", 9, S("NAD", "M"), S("DTM", "C")),
    ),
)

_DESADV = _message(
    "DESADV",
    "Despatch advice message",
    S("BGM", "M"),
    S("DTM", "C", 10),
    S("ALI", "C", 5),
    S("MEA", "C", 5),
    S("MOA", "C", 5),
    G("SG1", "C", 10, S("RFF", "M"), S("DTM", "C")),
    G(
        "SG2",
        "C",
        99,
        S("NAD", "M"),
        S("LOC", "C", 99),
        G("SG3", "C", 10, S("RFF", "M"), S("DTM", "C")),
        _contact("SG4", 10),
    ),
    G("SG5", "C", 5, S("TOD", "M"), S("LOC", "C", 2)),
    G("SG6", "C", 10, S("TDT", "M"), S("PCD", "C"), G("SG7", "C", 10, S("LOC", "M"), S("DTM", "C", 5))),
    G("SG8", "C", 10, S("EQD", "M"), S("MEA", "C", 5), S("SEL", "C", 25)),
    G(
        "SG10",
        "C",
        9999,
        S("CPS", "M"),
        S("FTX", "C", 5),
        G(
            "SG11",
            "C",
            9999,
            S("PAC", "M"),
            S("MEA", "C", 10),
            S("QTY", "C", 10),
            G(
                "SG13",
                "C",
                1000,
                S("PCI", "M"),
                S("RFF", "C"),
                S("DTM", "C", 5),
                G("SG14", "C", 1000, S("GIN", "M")),
            ),
        ),
        G(
            "SG17",
            "C",
            9999,
            S("LIN", "M"),
            S("PIA", "C", 10),
            S("IMD", "C", 25),
            S("MEA", "C", 10),
            S("QTY", "C", 10),
            S("ALI", "C", 10),
            S("GIN", "C", 100),
            S("DTM", "C", 5),
            S("FTX", "C", 5),
            S("MOA", "C", 5),
            G("SG18", "C", 10, S("RFF", "M"), S("DTM", "C")),
        ),
    ),
    S("CNT", "C", 5),
)

_CONTRL = _message(
    "CONTRL",
    "Syntax and service report message",
    S("UCI", "M"),
    G("SG1", "C", 999999, S("UCM", "M"), G("SG2", "C", 999, S("UCS", "M"), S("UCD", "C", 99))),
    G(
        "SG3",
        "C",
        999999,
        S("UCF", "M"),
        G("SG4", "C", 999999, S("UCM", "M"), G("SG5", "C", 999, S("UCS", "M"), S("UCD", "C", 99))),
    ),
)

#: every message type this codec validates, by UNH02-1
MESSAGES: dict[str, MessageSpec] = {m.message_type: m for m in (_IFTSTA, _IFTMIN, _DESADV, _CONTRL)}
