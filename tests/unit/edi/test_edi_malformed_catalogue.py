"""The malformed catalogue: each bad file yields the right TA1/997/CONTRL codes, no events from refused sets,
the good sets of a partly bad group, and problems located by line and segment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tradelane.connectors.edifact import parse_edifact
from tradelane.connectors.x12 import Segment, parse_x12
from tradelane.edi.partners import PartnerBook
from tradelane.edi.service import UploadResult, UploadStatus, handle_upload


def _run(partners: PartnerBook, partner: str, path: Path) -> UploadResult:
    return handle_upload(partners[partner], path.read_bytes(), file_name=path.name)


def _x12_ack(result: UploadResult) -> list[Segment]:
    assert result.ack is not None
    doc = parse_x12(result.ack).document
    assert doc is not None
    return [*doc.ta1s, *(seg for g in doc.groups for ts in g.sets for seg in ts.segments)]


def _seg(segments: list[Segment], tag: str) -> Segment:
    return next(s for s in segments if s.tag == tag)


def test_interchange_trailer_mismatch_is_a_ta1_rejection(partners: PartnerBook, samples: Any) -> None:
    result = _run(partners, "abf", samples.x12_malformed / "214_iea_control_mismatch.x12")
    assert result.status is UploadStatus.REJECTED and result.events == ()
    ta1 = _seg(_x12_ack(result), "TA1")
    assert (ta1.get(4), ta1.get(5)) == ("R", "001")
    assert result.problems[0].code == "001" and result.problems[0].line == 1


def test_premature_end_of_file(partners: PartnerBook, samples: Any) -> None:
    result = _run(partners, "abf", samples.x12_malformed / "214_truncated.x12")
    assert result.status is UploadStatus.REJECTED and result.events == ()
    assert _seg(_x12_ack(result), "TA1").get(5) == "023"
    group = next(p for p in result.problems if p.level == "group")
    assert (group.code, group.segment_tag, group.line) == ("3", "GS", 2)


def test_partly_bad_group_keeps_the_good_set(partners: PartnerBook, samples: Any) -> None:
    result = _run(partners, "abf", samples.x12_malformed / "214_partly_bad_group.x12")
    assert result.status is UploadStatus.PARTIAL
    assert {e.data["shipment_id"] for e in result.events} == {"SHP20231105A"}  # nothing from set 0002
    assert [(s.control_number, s.accepted) for s in result.sets] == [("0001", True), ("0002", False)]
    ack = _x12_ack(result)
    assert [s.get(1) for s in ack if s.tag == "AK5"] == ["A", "R"]
    assert _seg(ack, "AK9").elements[:4] == ("P", "2", "2", "1")
    ak3, ak4 = _seg(ack, "AK3"), _seg(ack, "AK4")
    assert (ak3.get(1), ak3.get(2), ak3.get(4)) == ("AT7", "7", "8")
    assert (ak4.get(1), ak4.get(3), ak4.get(4)) == ("5", "8", "20231131")
    (problem,) = result.problems
    assert (problem.line, problem.segment_tag, problem.element_position) == (31, "AT7", 5)
    assert problem.set_control_number == "0002"
    assert "line 31, segment 31 (AT7), element 05, set 214 #0002" in problem.describe()


def test_group_count_mismatch_rejects_the_group(partners: PartnerBook, samples: Any) -> None:
    result = _run(partners, "abf", samples.x12_malformed / "214_ge_count_mismatch.x12")
    assert result.status is UploadStatus.REJECTED and result.events == ()
    ak9 = _seg(_x12_ack(result), "AK9")
    assert (ak9.get(1), ak9.get(4), ak9.get(5)) == ("R", "0", "5")


def test_set_segment_count_mismatch(partners: PartnerBook, samples: Any) -> None:
    result = _run(partners, "reno3pl", samples.x12_malformed / "945_se_count_mismatch.x12")
    assert result.status is UploadStatus.REJECTED and result.events == ()
    ack = _x12_ack(result)
    assert _seg(ack, "AK5").elements == ("R", "4")
    assert _seg(ack, "AK1").get(3) == "005010"  # 5010 group: AK103 carries the version


def test_unknown_status_code_is_a_mapping_problem_not_a_syntax_one(
    partners: PartnerBook, samples: Any
) -> None:
    result = _run(partners, "abf", samples.x12_malformed / "214_unknown_status_code.x12")
    assert result.status is UploadStatus.PARTIAL
    assert {e.data["shipment_id"] for e in result.events} == {"SHP20231105B"}
    assert _seg(_x12_ack(result), "AK9").get(1) == "A"  # the 997 acknowledges syntax only
    (problem,) = result.problems
    assert (problem.level, problem.line, problem.segment_tag, problem.element_position) == (
        "mapping",
        14,
        "AT7",
        1,
    )
    assert "'ZZ'" in problem.message


def test_not_an_interchange(partners: PartnerBook, samples: Any) -> None:
    result = _run(partners, "abf", samples.x12_malformed / "214_not_edi.x12")
    assert result.status is UploadStatus.REJECTED and result.ack is None and result.events == ()
    assert result.problems[0].code == "no_header"


def test_edifact_unz_reference_mismatch(partners: PartnerBook, samples: Any) -> None:
    result = _run(partners, "dhl-freight", samples.edifact_malformed / "iftsta_unz_reference_mismatch.edi")
    assert result.status is UploadStatus.REJECTED and result.events == ()
    assert result.ack is not None and result.ack_kind == "CONTRL"
    contrl = parse_edifact(result.ack).document
    assert contrl is not None
    uci = contrl.messages[0].segments[0]
    assert (uci.tag, uci.get(4), uci.get(5), uci.get(6)) == ("UCI", "4", "28", "UNZ")
    (problem,) = result.problems
    assert (problem.line, problem.segment_tag) == (22, "UNZ")


def test_edifact_partly_bad_group(partners: PartnerBook, samples: Any) -> None:
    result = _run(partners, "nw-supplier", samples.edifact_malformed / "desadv_partly_bad_group.edi")
    assert result.status is UploadStatus.PARTIAL
    assert [e.data["receipt"]["reference"] for e in result.events] == ["ASN-20231109-01"]
    assert result.ack is not None
    contrl = parse_edifact(result.ack).document
    assert contrl is not None
    ucms = [s for s in contrl.messages[0].segments if s.tag == "UCM"]
    assert [(u.get(1), u.get(3), u.get(4)) for u in ucms] == [("ASN1", "7", ""), ("ASN2", "4", "29")]
    (problem,) = result.problems
    assert (problem.set_control_number, problem.segment_tag, problem.line) == ("ASN2", "UNT", 32)


def test_edifact_unknown_status_code(partners: PartnerBook, samples: Any) -> None:
    result = _run(partners, "dhl-freight", samples.edifact_malformed / "iftsta_unknown_status_code.edi")
    assert result.status is UploadStatus.REJECTED and result.events == ()
    assert "'Z99'" in result.problems[0].message and result.problems[0].segment_tag == "STS"


@pytest.mark.parametrize(
    "name",
    sorted(
        p.name
        for p in (Path(__file__).parents[3] / "src/tradelane/connectors/x12/samples/malformed").iterdir()
    ),
)
def test_every_malformed_x12_file_is_refused_at_least_in_part(
    partners: PartnerBook, samples: Any, name: str
) -> None:
    partner = "reno3pl" if name.startswith("945") else "abf"
    result = _run(partners, partner, samples.x12_malformed / name)
    assert result.status in (UploadStatus.REJECTED, UploadStatus.PARTIAL)
    assert result.problems and all(p.describe() for p in result.problems)
    report = result.report()
    assert name in report and result.status.value.upper() in report
