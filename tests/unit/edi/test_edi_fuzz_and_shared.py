"""Bounded fuzzing of both parsers (only declared parse errors escape, acks we build validate) and shared helpers."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradelane.connectors.edi_common import (
    LoopUse,
    SegmentUse,
    StructureProblem,
    match_structure,
    sanitize_copy,
)
from tradelane.connectors.edifact import fuzz_edifact
from tradelane.connectors.x12 import (
    InterchangeKey,
    InterchangeStatus,
    fuzz_x12,
    is_duplicate,
    parse_x12,
    remember,
)

CONNECTORS = Path(__file__).parents[3] / "src" / "tradelane" / "connectors"
X12_SAMPLES = [p.read_bytes() for p in sorted((CONNECTORS / "x12" / "samples").glob("*.x12"))]
EDIFACT_SAMPLES = [p.read_bytes() for p in sorted((CONNECTORS / "edifact" / "samples").glob("*.edi"))]
#: bounded run for the unit suite; ``make fuzz`` drives the same entry points for longer
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def _mutated(draw: st.DrawFn, corpus: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(corpus)))
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=12))
        elif data:
            del data[pos : pos + draw(st.integers(1, 40))]
    return bytes(data)


@FUZZ
@given(st.one_of(st.binary(max_size=400), _mutated(X12_SAMPLES)))
def test_fuzz_x12(data: bytes) -> None:
    fuzz_x12(data)


@FUZZ
@given(st.one_of(st.binary(max_size=400), _mutated(EDIFACT_SAMPLES)))
def test_fuzz_edifact(data: bytes) -> None:
    fuzz_edifact(data)


@FUZZ
@given(st.text(alphabet="ISA*~:>^0123456789 GSTEUNBHZ+'?.\r\n", max_size=300))
def test_fuzz_both_on_delimiter_heavy_text(text: str) -> None:
    fuzz_x12(("ISA" + text).encode("latin-1"))
    fuzz_edifact(("UNA:+.? '" + text).encode("latin-1"))


def test_duplicate_detection_is_pure() -> None:
    key = InterchangeKey("ZZ:ACME", "ZZ:HUB", "000000001")
    seen: frozenset[InterchangeKey] = frozenset()
    assert not is_duplicate(key, seen)
    later = remember(key, seen)
    assert is_duplicate(key, later) and not seen
    assert not is_duplicate(key._replace(control_number="000000002"), later)
    assert not is_duplicate(key._replace(sender="ZZ:OTHER"), later)


def test_sanitize_copy_keeps_acks_printable_and_bounded() -> None:
    assert sanitize_copy("A*B\xff\n", "*") == "A?B??"
    assert len(sanitize_copy("x" * 500)) == 99


def test_structure_matcher_loops_repeats_and_missing() -> None:
    nodes = (
        SegmentUse("ST", True),
        SegmentUse("B10", True),
        LoopUse("0100", False, 2, (SegmentUse("N1", True), SegmentUse("N4"))),
        SegmentUse("SE", True),
    )
    findings, placed = match_structure(nodes, ["ST", "B10", "N1", "N4", "N1", "N1", "SE"], lambda t: True)
    assert [(f.problem, f.index) for f in findings] == [(StructureProblem.LOOP_OVER_MAX, 5)]
    assert placed[3] == "0100" and placed[6] == ""
    findings, _ = match_structure(nodes, ["ST", "N1", "N4", "N4", "XX", "SE"], lambda t: t != "XX")
    assert [(f.problem, f.tag) for f in findings] == [
        (StructureProblem.MISSING_SEGMENT, "B10"),
        (StructureProblem.SEGMENT_OVER_MAX, "N4"),
        (StructureProblem.UNKNOWN_SEGMENT, "XX"),
    ]


def test_non_ascii_digits_in_the_isa_are_refused_not_crashed() -> None:
    # found by the fuzzer: '²'.isdigit() is True, but int('²') raises
    sample = (CONNECTORS / "x12" / "samples" / "204_5010.x12").read_bytes()
    bad = sample.replace(b"*000000120*", b"*\xb200000120*", 1)
    result = parse_x12(bad)
    assert result.status is InterchangeStatus.REJECTED and result.ack_kind == "TA1"
    assert parse_x12(result.ack or "").document is not None
    assert "018" in {issue.code for issue in result.issues}  # TA1 note: invalid control number
    fuzz_x12(bad)
