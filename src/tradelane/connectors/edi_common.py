"""Codec-neutral EDI building blocks used by both the X12 and the EDIFACT codec.

What lives here:

* the errors: :class:`EdiParseError` (the input cannot be read as an interchange at all) and
  :class:`EdiRenderError` (a document cannot be written), both :class:`~tradelane.core.errors.MappingError`;
* the per-interchange result: :class:`InterchangeResult` with one :class:`SetOutcome` per transaction set /
  message and :class:`EdiIssue` error details, plus the acknowledgment to send back;
* duplicate interchange detection keyed by (sender, receiver, control number) as pure functions;
* the segment-structure matcher (segments, loops / segment groups with repeat limits) that both codecs run
  over their own structure tables.

Error tree additions::

    MappingError
    ├── EdiParseError     unreadable input; ``code`` says why, ``offset`` where
    └── EdiRenderError    a value cannot be written (contains a delimiter, too wide for a fixed field)

This module has no I/O and imports nothing but ``tradelane.core``. It sits in the X12 package only until a
codec-neutral home exists (``tradelane.connectors.edi`` or ``tradelane.mapping``); it is self-contained so
moving it is a file move plus two import lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, Literal, NamedTuple, TypeVar

from tradelane.core.errors import FieldProblem, MappingError

__all__ = [
    "fuzz_parser",
    "EdiIssue",
    "EdiParseError",
    "EdiRenderError",
    "InterchangeKey",
    "InterchangeResult",
    "InterchangeStatus",
    "LoopUse",
    "SegmentUse",
    "SetOutcome",
    "StructureFinding",
    "StructureNode",
    "StructureProblem",
    "is_duplicate",
    "match_structure",
    "remember",
    "sanitize_copy",
]

#: longest copy of bad data echoed back in an acknowledgment (X12 AK404 / IK404 are AN 1/99)
MAX_ECHOED_VALUE = 99
#: lowest and highest printable ASCII code points, the only characters ever echoed in an acknowledgment
PRINTABLE_ASCII = (0x20, 0x7E)


class EdiParseError(MappingError):
    """The input cannot be read as an interchange at all (no header, garbage, unreadable delimiters).

    Errors a partner can be told about (wrong counts, bad codes, a truncated trailer) are *not* raised: they
    come back as data in :class:`InterchangeResult` together with the acknowledgment to send.
    """

    def __init__(self, message: str, *, code: str = "unreadable", offset: int | None = None) -> None:
        where = f"offset {offset}" if offset is not None else "interchange"
        super().__init__(message, [FieldProblem(path=where, message=message, code=code)])
        #: machine-readable reason, e.g. ``no_header``, ``bad_delimiters``, ``truncated_header``
        self.code = code
        #: character offset in the input where reading failed, when known
        self.offset = offset


class EdiRenderError(MappingError):
    """A document cannot be rendered: a value contains a delimiter or does not fit a fixed-width field."""


class InterchangeStatus(StrEnum):
    """Overall outcome of one inbound interchange."""

    #: every transaction set / message was accepted
    ACCEPTED = "accepted"
    #: some sets were accepted, others rejected; emit events only from the accepted ones
    PARTIAL = "partial"
    #: nothing was accepted (envelope error or every set rejected)
    REJECTED = "rejected"


IssueLevel = Literal["interchange", "group", "set", "segment", "element"]


@dataclass(frozen=True)
class EdiIssue:
    """One error found in an inbound interchange, carrying the standard code its acknowledgment reports."""

    #: standard code as reported in the ack: TA105, AK9/AK5/AK3/AK4 (IK5/IK3/IK4) or EDIFACT 0085
    code: str
    #: human-readable explanation
    message: str
    #: which envelope level the code belongs to
    level: IssueLevel
    #: functional group control number (GS06 / UNG05), when inside a group
    group_control_number: str = ""
    #: transaction set / message control number (ST02 / UNH01), when inside a set
    set_control_number: str = ""
    #: segment tag concerned (the missing one for "mandatory segment missing")
    segment_tag: str = ""
    #: 1-based position of the segment in its set / message (ST / UNH is 1)
    segment_position: int | None = None
    #: loop / segment group identifier the segment sits in
    loop_id: str = ""
    #: 1-based element position in the segment
    element_position: int | None = None
    #: 1-based component position inside a composite element
    component_position: int | None = None
    #: data element reference number, e.g. ``373`` or ``0062``
    element_ref: str = ""
    #: sanitised copy of the bad data, safe to echo in an acknowledgment
    value: str = ""


DocT = TypeVar("DocT")
SetT = TypeVar("SetT")


@dataclass(frozen=True)
class SetOutcome(Generic[SetT]):
    """The verdict on one transaction set (X12) or message (EDIFACT)."""

    #: ST01 / UNH02 message type, e.g. ``214`` or ``IFTSTA``
    set_id: str
    #: ST02 / UNH01
    control_number: str
    #: GS06 / UNG05, empty for EDIFACT messages outside a group
    group_control_number: str
    #: only accepted sets may produce events
    accepted: bool
    #: every error found in this set
    issues: tuple[EdiIssue, ...]
    #: the parsed set
    document: SetT


class InterchangeKey(NamedTuple):
    """Identity of an interchange for duplicate detection."""

    #: ``qualifier:id`` of the sender, ids stripped of padding
    sender: str
    #: ``qualifier:id`` of the receiver
    receiver: str
    #: ISA13 / UNB05, leading zeros kept as sent
    control_number: str


@dataclass(frozen=True)
class InterchangeResult(Generic[DocT, SetT]):
    """Everything the hub needs from one inbound interchange: verdicts, identities and the ack to send."""

    #: ``X12`` or ``EDIFACT``
    standard: Literal["X12", "EDIFACT"]
    #: ISA05 / UNB02-2
    sender_qualifier: str
    #: ISA06 / UNB02-1, padding stripped
    sender_id: str
    #: ISA07 / UNB03-2
    receiver_qualifier: str
    #: ISA08 / UNB03-1, padding stripped
    receiver_id: str
    #: ISA13 / UNB05
    control_number: str
    #: ISA12 / UNB01-2 syntax version
    version: str
    #: whether the sender marked the interchange as a test
    test: bool
    #: overall verdict
    status: InterchangeStatus
    #: one outcome per set / message, in input order
    sets: tuple[SetOutcome[SetT], ...]
    #: interchange- and group-level errors
    issues: tuple[EdiIssue, ...]
    #: the acknowledgment interchange to send back, or ``None`` when none is due
    ack: str | None
    #: ``TA1``, ``997``, ``999`` or ``CONTRL`` (``""`` when no ack is due)
    ack_kind: str
    #: the parsed interchange (possibly partial when the envelope was rejected)
    document: DocT | None = field(default=None, compare=False)

    @property
    def key(self) -> InterchangeKey:
        """The duplicate-detection key of this interchange."""
        return InterchangeKey(
            f"{self.sender_qualifier}:{self.sender_id}",
            f"{self.receiver_qualifier}:{self.receiver_id}",
            self.control_number,
        )

    @property
    def accepted_sets(self) -> tuple[SetOutcome[SetT], ...]:
        """The sets the hub may turn into events."""
        return tuple(s for s in self.sets if s.accepted)

    @property
    def rejected_sets(self) -> tuple[SetOutcome[SetT], ...]:
        """The sets that were refused, with their issues."""
        return tuple(s for s in self.sets if not s.accepted)


def fuzz_parser(parse: Callable[[bytes | str], InterchangeResult], data: bytes) -> None:
    """Fuzz one parser: only :class:`EdiParseError` may escape, and every ack it would send must parse clean.

    :raises AssertionError: when the acknowledgment we would send is not itself a valid interchange
    """
    try:
        result = parse(data)
    except EdiParseError:
        return
    if result.ack is not None:
        echoed = parse(result.ack)
        if echoed.status is not InterchangeStatus.ACCEPTED:
            raise AssertionError(f"own acknowledgment does not validate: {echoed.issues} {echoed.sets}")


def is_duplicate(key: InterchangeKey, seen: Set[InterchangeKey]) -> bool:
    """Whether an interchange with this (sender, receiver, control number) was already received.

    :param key: the key of the new interchange (``InterchangeResult.key``)
    :param seen: keys of interchanges already received from any store the caller keeps
    """
    return key in seen


def remember(key: InterchangeKey, seen: Set[InterchangeKey]) -> frozenset[InterchangeKey]:
    """Return ``seen`` with ``key`` added, leaving the argument untouched."""
    return frozenset(seen) | {key}


def sanitize_copy(value: str, forbidden: str = "") -> str:
    """Make a copy of bad data safe to echo: printable ASCII only, no delimiters, bounded length."""
    low, high = PRINTABLE_ASCII
    out = "".join(ch if low <= ord(ch) <= high and ch not in forbidden else "?" for ch in value)
    return out[:MAX_ECHOED_VALUE]


# --------------------------------------------------------------------------------------------------------
# Structure matching: segments, loops (X12) and segment groups (EDIFACT) with repeat limits
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentUse:
    """One segment position in a structure table."""

    #: segment tag
    tag: str
    #: mandatory (``M``) rather than optional / conditional
    required: bool = False
    #: maximum number of consecutive uses at this position
    max_use: int = 1


@dataclass(frozen=True)
class LoopUse:
    """A loop (X12) or segment group (EDIFACT); its first child is the trigger segment."""

    #: loop identifier (``0100``, ``HL``) or group name (``SG1``)
    loop_id: str
    #: whether at least one iteration is mandatory
    required: bool
    #: maximum number of iterations
    max_repeat: int
    #: children in order; ``children[0]`` must be a :class:`SegmentUse`
    children: tuple[StructureNode, ...]

    @property
    def trigger(self) -> str:
        """Tag of the segment that starts each iteration."""
        first = self.children[0]
        assert isinstance(first, SegmentUse), "a loop starts with a segment"
        return first.tag


StructureNode = SegmentUse | LoopUse


class StructureProblem(StrEnum):
    """What the structure matcher can find wrong; each codec maps these onto its own codes."""

    #: tag is not a known segment at all
    UNKNOWN_SEGMENT = "unknown_segment"
    #: a known segment where the structure does not allow it
    UNEXPECTED_SEGMENT = "unexpected_segment"
    #: a mandatory segment (or loop trigger) is absent
    MISSING_SEGMENT = "missing_segment"
    #: a segment repeats more often than allowed
    SEGMENT_OVER_MAX = "segment_over_max"
    #: a loop / segment group repeats more often than allowed
    LOOP_OVER_MAX = "loop_over_max"


@dataclass(frozen=True)
class StructureFinding:
    """One structural problem, located at the segment where it was detected."""

    #: what is wrong
    problem: StructureProblem
    #: 0-based index of the segment where it was detected (== number of segments when found at the end)
    index: int
    #: tag concerned: the offending segment, or the missing one
    tag: str
    #: innermost loop / group id at the point of detection (``""`` at the top level)
    loop_id: str


@dataclass
class _Frame:
    nodes: tuple[StructureNode, ...]
    loop_id: str
    is_loop: bool
    pos: int
    counts: list[int]

    def find(self, tag: str) -> int | None:
        start = max(self.pos, 1 if self.is_loop else 0)
        for k in range(start, len(self.nodes)):
            node = self.nodes[k]
            if (isinstance(node, SegmentUse) and node.tag == tag) or (
                isinstance(node, LoopUse) and node.trigger == tag
            ):
                return k
        return None


class _Matcher:
    def __init__(self, tags: Sequence[str], known: Callable[[str], bool]) -> None:
        self.tags = tags
        self.known = known
        self.i = 0
        self.findings: list[StructureFinding] = []
        self.placed: dict[int, str] = {}
        self.stack: list[_Frame] = []

    def run(self, frame: _Frame) -> None:
        self.stack.append(frame)
        try:
            self._level(frame)
        finally:
            self.stack.pop()

    def _ancestor_accepts(self, tag: str) -> bool:
        return any(f.find(tag) is not None for f in self.stack[:-1])

    def _missing(self, frame: _Frame, upto: int) -> None:
        for m in range(frame.pos + 1, upto):
            node = frame.nodes[m]
            if node.required and frame.counts[m] == 0:
                tag = node.tag if isinstance(node, SegmentUse) else node.trigger
                self.findings.append(
                    StructureFinding(StructureProblem.MISSING_SEGMENT, self.i, tag, frame.loop_id)
                )

    def _level(self, frame: _Frame) -> None:
        while self.i < len(self.tags):
            tag = self.tags[self.i]
            k = frame.find(tag)
            if k is None:
                if self._ancestor_accepts(tag):
                    break
                problem = (
                    StructureProblem.UNEXPECTED_SEGMENT
                    if self.known(tag)
                    else StructureProblem.UNKNOWN_SEGMENT
                )
                self.findings.append(StructureFinding(problem, self.i, tag, frame.loop_id))
                self.i += 1
                continue
            self._missing(frame, k)
            frame.pos = k
            frame.counts[k] += 1
            node = frame.nodes[k]
            if isinstance(node, SegmentUse):
                if frame.counts[k] > node.max_use:
                    self.findings.append(
                        StructureFinding(StructureProblem.SEGMENT_OVER_MAX, self.i, tag, frame.loop_id)
                    )
                self.placed[self.i] = frame.loop_id
                self.i += 1
                continue
            if frame.counts[k] > node.max_repeat:
                self.findings.append(
                    StructureFinding(StructureProblem.LOOP_OVER_MAX, self.i, tag, node.loop_id)
                )
            self.placed[self.i] = node.loop_id
            self.i += 1
            counts = [0] * len(node.children)
            counts[0] = 1
            self.run(_Frame(node.children, node.loop_id, True, 0, counts))
        self._missing(frame, len(frame.nodes))


def match_structure(
    nodes: tuple[StructureNode, ...], tags: Sequence[str], known: Callable[[str], bool]
) -> tuple[list[StructureFinding], dict[int, str]]:
    """Match a segment tag sequence against a structure table.

    :param nodes: the top-level structure (header and trailer segments included)
    :param tags: the tags of the segments, in input order
    :param known: whether a tag names a segment the codec knows at all (unknown → ``UNKNOWN_SEGMENT``)
    :returns: the findings, and for every segment placed in the structure its innermost loop id
    """
    matcher = _Matcher(tags, known)
    matcher.run(_Frame(nodes, "", False, -1, [0] * len(nodes)))
    return matcher.findings, matcher.placed
