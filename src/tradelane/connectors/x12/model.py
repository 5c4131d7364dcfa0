"""Typed X12 interchange structures (ISA/GS/ST envelopes) and their rendering.

Rendering computes every count and trailer itself — SE01, SE02, GE01, GE02, IEA01, IEA02 — from the
structure, so a rendered interchange is always consistent.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradelane.connectors.edi_common import EdiRenderError
from tradelane.connectors.x12.syntax import (
    NO_REPETITION_MARKER,
    REPETITION_FROM_VERSION,
    Delimiters,
    Segment,
    render_isa,
    render_segment,
)

__all__ = [
    "FunctionalGroup",
    "Interchange",
    "TransactionSet",
    "default_delimiters",
    "render_interchange",
]

#: ISA13 width: interchange control numbers are zero-padded to nine digits
ISA_CONTROL_WIDTH = 9
#: ISA08/ISA06 id widths
ISA_ID_WIDTH = 15
#: ISA02/ISA04 widths
ISA_INFO_WIDTH = 10
#: component separator most 4010 partners use
COMPONENT_4010 = ">"


@dataclass(frozen=True)
class TransactionSet:
    """One ST…SE transaction set; ``segments`` excludes ST and SE."""

    #: ST01, e.g. ``214``
    set_id: str
    #: ST02 (and SE02)
    control_number: str
    #: the body segments in order
    segments: tuple[Segment, ...] = ()
    #: ST03 implementation convention reference (5010), e.g. ``005010X231A1``
    implementation_ref: str = ""


@dataclass(frozen=True)
class FunctionalGroup:
    """One GS…GE functional group."""

    #: GS01 functional identifier, e.g. ``QM``
    functional_id: str
    #: GS02 application sender's code
    sender_code: str
    #: GS03 application receiver's code
    receiver_code: str
    #: GS04 CCYYMMDD
    date: str
    #: GS05 HHMM
    time: str
    #: GS06 (and GE02)
    control_number: str
    #: GS08, e.g. ``004010`` or ``005010``
    version: str
    #: the sets, in order
    sets: tuple[TransactionSet, ...] = ()
    #: GS07 responsible agency, ``X`` for ASC X12
    agency: str = "X"


@dataclass(frozen=True)
class Interchange:
    """One ISA…IEA interchange."""

    #: ISA05
    sender_qualifier: str
    #: ISA06 without padding
    sender_id: str
    #: ISA07
    receiver_qualifier: str
    #: ISA08 without padding
    receiver_id: str
    #: ISA09 YYMMDD
    date: str
    #: ISA10 HHMM
    time: str
    #: ISA13 (and IEA02)
    control_number: str
    #: ISA12, ``00401`` or ``00501``
    version: str = "00401"
    #: ISA15 usage indicator, P/T/I
    usage: str = "P"
    #: ISA14, ``1`` when a TA1 is requested
    ack_requested: str = "0"
    #: functional groups in order
    groups: tuple[FunctionalGroup, ...] = ()
    #: TA1 segments carried before the first group (interchange acknowledgments)
    ta1s: tuple[Segment, ...] = ()
    #: ISA01 / ISA02
    auth_qualifier: str = "00"
    auth_info: str = ""
    #: ISA03 / ISA04
    security_qualifier: str = "00"
    security_info: str = ""


def default_delimiters(version: str) -> Delimiters:
    """Delimiters a partner of this ISA12 version most likely expects."""
    if version >= REPETITION_FROM_VERSION:
        return Delimiters("*", ":", "~", "^")
    return Delimiters("*", COMPONENT_4010, "~", None)


def _render_set(ts: TransactionSet, d: Delimiters) -> list[str]:
    st = Segment("ST", (ts.set_id, ts.control_number, ts.implementation_ref))
    lines = [render_segment(st, d)] + [render_segment(s, d) for s in ts.segments]
    lines.append(render_segment(Segment("SE", (str(len(ts.segments) + 2), ts.control_number)), d))
    return lines


def render_interchange(interchange: Interchange, delimiters: Delimiters | None = None) -> str:
    """Render a whole interchange with correct counts and matching trailer control numbers.

    :param interchange: the structure to write
    :param delimiters: delimiters to use; defaults to :func:`default_delimiters` for ``interchange.version``
    :raises EdiRenderError: when a value contains a delimiter or does not fit its ISA field
    """
    d = delimiters or default_delimiters(interchange.version)
    d.check()
    uses_repetition = interchange.version >= REPETITION_FROM_VERSION and d.repetition is not None
    isa11 = d.repetition if uses_repetition and d.repetition else NO_REPETITION_MARKER
    if not uses_repetition:
        d = Delimiters(d.element, d.component, d.segment, None, d.suffix)
    control = interchange.control_number
    if control.isascii() and control.isdigit():
        control = control.zfill(ISA_CONTROL_WIDTH)
    if not (control.isascii() and control.isdigit() and len(control) == ISA_CONTROL_WIDTH):
        raise EdiRenderError(f"ISA13 must be {ISA_CONTROL_WIDTH} digits, got {interchange.control_number!r}")
    isa = (
        interchange.auth_qualifier,
        interchange.auth_info.ljust(ISA_INFO_WIDTH),
        interchange.security_qualifier,
        interchange.security_info.ljust(ISA_INFO_WIDTH),
        interchange.sender_qualifier,
        interchange.sender_id.ljust(ISA_ID_WIDTH),
        interchange.receiver_qualifier,
        interchange.receiver_id.ljust(ISA_ID_WIDTH),
        interchange.date,
        interchange.time,
        isa11,
        interchange.version,
        control,
        interchange.ack_requested,
        interchange.usage,
    )
    out = [render_isa(isa, d)]
    out += [render_segment(ta1, d) for ta1 in interchange.ta1s]
    for group in interchange.groups:
        gs = Segment(
            "GS",
            (
                group.functional_id,
                group.sender_code,
                group.receiver_code,
                group.date,
                group.time,
                group.control_number,
                group.agency,
                group.version,
            ),
        )
        out.append(render_segment(gs, d))
        for ts in group.sets:
            out += _render_set(ts, d)
        out.append(render_segment(Segment("GE", (str(len(group.sets)), group.control_number)), d))
    out.append(render_segment(Segment("IEA", (str(len(interchange.groups)), control)), d))
    return "".join(out)
