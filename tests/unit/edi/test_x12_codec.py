"""X12 codec: samples, round trips, the malformed catalogue with its TA1/997/999 codes, rendering guards."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradelane.connectors.x12 import (
    TRANSACTIONS,
    AckOptions,
    Delimiters,
    EdiParseError,
    EdiRenderError,
    Interchange,
    InterchangeKey,
    InterchangeStatus,
    Segment,
    parse_x12,
    remember,
    render_interchange,
)

SAMPLES = Path(__file__).parents[3] / "src" / "tradelane" / "connectors" / "x12" / "samples"
SAMPLE_FILES = sorted(SAMPLES.glob("*.x12"))


def _ack_segments(ack: str) -> list[Segment]:
    """Every segment of an ack interchange, read back with our own parser."""
    doc = parse_x12(ack).document
    assert doc is not None
    out = list(doc.ta1s)
    for group in doc.groups:
        for ts in group.sets:
            out.append(Segment("ST", (ts.set_id, ts.control_number)))
            out.extend(ts.segments)
    return out


def _tags(ack: str, tag: str) -> list[Segment]:
    return [s for s in _ack_segments(ack) if s.tag == tag]


def _sample(name: str) -> str:
    return (SAMPLES / name).read_bytes().decode("latin-1")


def test_every_sample_is_present_for_every_business_set() -> None:
    seen = {parse_x12(p.read_bytes()).sets[0].set_id for p in SAMPLE_FILES if parse_x12(p.read_bytes()).sets}
    assert seen == set(TRANSACTIONS)


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_samples_parse_and_are_accepted(path: Path) -> None:
    result = parse_x12(path.read_bytes())
    assert result.status is InterchangeStatus.ACCEPTED, [s.issues for s in result.sets]
    assert all(s.accepted for s in result.sets)
    assert result.standard == "X12"
    if result.ack is not None:
        assert parse_x12(result.ack).status is InterchangeStatus.ACCEPTED


def test_sample_quirks_crlf_and_trailing_whitespace_are_read() -> None:
    raw = (SAMPLES / "214_4010_crlf.x12").read_bytes()
    assert b"~\r\n" in raw and b"~   \r\n" in raw
    result = parse_x12(raw)
    assert result.version == "00401"
    assert result.sender_id == "ABFCARRIER" and result.sender_qualifier == "ZZ"
    assert [s.control_number for s in result.accepted_sets] == ["0001", "0002"]
    at7 = [s for s in result.sets[0].document.segments if s.tag == "AT7"]
    assert at7[0].get(1) == "X3" and at7[0].get(5) == "20231106"


def test_5010_repetition_separator_and_component_separator() -> None:
    result = parse_x12(_sample("204_5010.x12"))
    assert result.document is not None
    ta1 = _tags(result.ack or "", "TA1")
    assert ta1 and ta1[0].get(4) == "A" and ta1[0].get(5) == "000"  # ISA14 = 1 asks for a TA1
    assert result.ack is not None and result.ack.startswith("ISA*00*")
    assert result.ack[104] == ":" and result.ack[82] == "^"


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_render_parse_round_trip(path: Path) -> None:
    first = parse_x12(path.read_bytes())
    assert first.document is not None
    text = render_interchange(first.document)
    second = parse_x12(text)
    assert second.status is InterchangeStatus.ACCEPTED
    assert second.document is not None
    assert second.document.groups == first.document.groups
    assert second.document.ta1s == first.document.ta1s
    assert second.control_number == first.control_number


def test_render_computes_counts_and_control_numbers() -> None:
    doc = parse_x12(_sample("990_4010.x12")).document
    assert doc is not None
    text = render_interchange(doc, Delimiters("|", "\\", "\n", None))
    lines = text.splitlines()
    assert lines[0].startswith("ISA|") and len(lines[0]) == 105
    assert "SE|5|1001" in lines and "SE|4|1002" in lines
    assert "GE|2|8801" in lines and lines[-1] == "IEA|1|000008801"


def test_render_refuses_values_containing_a_delimiter() -> None:
    doc = Interchange("ZZ", "A", "ZZ", "B", "231107", "1200", "1")
    with pytest.raises(EdiRenderError):
        render_interchange(Interchange("ZZ", "A*B", "ZZ", "B", "231107", "1200", "1"))
    with pytest.raises(EdiRenderError):
        render_interchange(Interchange("ZZ", "A" * 16, "ZZ", "B", "231107", "1200", "1"))
    assert render_interchange(doc).endswith("IEA*0*000000001~")


# --- malformed catalogue --------------------------------------------------------------------------------

BASE = _sample("214_4010_crlf.x12")


def _first_set_only(text: str) -> str:
    """The 214 sample cut down to one set, to keep expectations readable."""
    head, rest = text.split("ST*214*0002~", 1)
    tail = rest.split("SE*10*0002~\r\n", 1)[1]
    return head.replace("GS*QM", "GS*QM") + tail.replace("GE*2*4711", "GE*1*4711")


ONE_SET = _first_set_only(BASE)


def test_catalogue_base_is_valid() -> None:
    assert parse_x12(ONE_SET).status is InterchangeStatus.ACCEPTED


def _ta1(text: str) -> tuple[str, str]:
    result = parse_x12(text)
    assert result.ack_kind == "TA1"
    assert result.status is InterchangeStatus.REJECTED and not result.accepted_sets
    (ta1,) = _tags(result.ack or "", "TA1")
    return ta1.get(4), ta1.get(5)


def test_bad_isa_length_is_read_leniently_and_rejected_with_the_field_note() -> None:
    text = ONE_SET.replace("ABFCARRIER     ", "ABFCARRIER    ", 1)
    assert _ta1(text) == ("R", "006")


def test_interchange_control_number_mismatch() -> None:
    assert _ta1(ONE_SET.replace("IEA*1*000004711", "IEA*1*000004712")) == ("R", "001")


def test_group_count_mismatch() -> None:
    assert _ta1(ONE_SET.replace("IEA*1*000004711", "IEA*2*000004711")) == ("R", "021")


def test_invalid_segment_terminator() -> None:
    text = ONE_SET.replace(">~\r\nGS", ">A\r\nGS", 1)
    assert _ta1(text) == ("R", "004")


def test_invalid_gs_content() -> None:
    assert _ta1(ONE_SET.replace("*20231107*1602*4711*", "*20231399*1602*4711*")) == ("R", "024")


def test_truncated_file() -> None:
    cut = ONE_SET[: ONE_SET.index("LX*2")] + "LX*"
    assert _ta1(cut) == ("R", "023")


def test_duplicate_interchange() -> None:
    first = parse_x12(ONE_SET)
    seen = remember(first.key, frozenset())
    assert first.key.control_number == "000004711"
    assert _ta1_with_seen(ONE_SET, seen) == ("R", "025")


def _ta1_with_seen(text: str, seen: frozenset[InterchangeKey]) -> tuple[str, str]:
    result = parse_x12(text, seen=seen)
    (ta1,) = _tags(result.ack or "", "TA1")
    return ta1.get(4), ta1.get(5)


def _997(text: str | bytes, **kw: object) -> tuple[list[Segment], InterchangeStatus]:
    result = parse_x12(text, **kw)  # type: ignore[arg-type]
    assert result.ack_kind == "997"
    return _ack_segments(result.ack or ""), result.status


def test_wrong_se_count() -> None:
    segs, status = _997(ONE_SET.replace("SE*22*0001", "SE*21*0001"))
    assert status is InterchangeStatus.REJECTED
    ak5 = next(s for s in segs if s.tag == "AK5")
    assert (ak5.get(1), ak5.get(2)) == ("R", "4")
    ak9 = next(s for s in segs if s.tag == "AK9")
    assert [ak9.get(i) for i in range(1, 5)] == ["R", "1", "1", "0"]


def test_set_control_number_mismatch() -> None:
    segs, _ = _997(ONE_SET.replace("SE*22*0001", "SE*22*0009"))
    assert next(s for s in segs if s.tag == "AK5").get(2) == "3"


def test_group_control_number_mismatch() -> None:
    segs, status = _997(ONE_SET.replace("GE*1*4711", "GE*1*4712"))
    assert status is InterchangeStatus.REJECTED
    ak9 = next(s for s in segs if s.tag == "AK9")
    assert (ak9.get(1), ak9.get(5)) == ("R", "4")


def test_missing_mandatory_segment() -> None:
    text = ONE_SET.replace("B10*PRO884422*SHP20231105A*ABFS~\r\n", "").replace("SE*22*0001", "SE*21*0001")
    segs, _ = _997(text)
    ak3 = next(s for s in segs if s.tag == "AK3")
    assert (ak3.get(1), ak3.get(2), ak3.get(4)) == ("B10", "2", "3")
    assert [s.get(1) for s in segs if s.tag == "AK5"] == ["R"]
    assert next(s for s in segs if s.tag == "AK5").get(2) == "5"


def test_unrecognized_and_unexpected_segments() -> None:
    text = ONE_SET.replace("LX*1~", "ZZ9*WHAT~\r\nB2A*00~\r\nLX*1~").replace("SE*22*0001", "SE*24*0001")
    segs, _ = _997(text)
    codes = [(s.get(1), s.get(4)) for s in segs if s.tag == "AK3"]
    assert ("ZZ9", "1") in codes and ("B2A", "2") in codes


def test_bad_code_value() -> None:
    text = _sample("990_4010.x12").replace("20231107*A~", "20231107*X~")
    result = parse_x12(text)
    segs = _ack_segments(result.ack or "")
    ak4 = next(s for s in segs if s.tag == "AK4")
    assert (ak4.get(1), ak4.get(2), ak4.get(3), ak4.get(4)) == ("4", "558", "7", "X")
    assert next(s for s in segs if s.tag == "AK3").get(4) == "8"
    ak9 = next(s for s in segs if s.tag == "AK9")
    assert [ak9.get(i) for i in range(1, 5)] == ["P", "2", "2", "1"]


def test_bad_date_and_bad_time() -> None:
    text = ONE_SET.replace("AT7*X3*NS***20231106*0815", "AT7*X3*NS***20231345*2561")
    segs, _ = _997(text)
    ak4s = [(s.get(1), s.get(3), s.get(4)) for s in segs if s.tag == "AK4"]
    assert ("5", "8", "20231345") in ak4s and ("6", "9", "2561") in ak4s


def test_partly_bad_group_accepts_the_good_set() -> None:
    text = BASE.replace("AT7*D1*NS***20231107*1530", "AT7*D1*NS***20231307*1530")
    result = parse_x12(text)
    assert result.status is InterchangeStatus.PARTIAL
    assert [s.control_number for s in result.accepted_sets] == ["0001"]
    assert [s.control_number for s in result.rejected_sets] == ["0002"]
    assert result.rejected_sets[0].issues[0].code == "8"
    segs = _ack_segments(result.ack or "")
    assert [s.get(1) for s in segs if s.tag == "AK5"] == ["A", "R"]
    ak9 = next(s for s in segs if s.tag == "AK9")
    assert [ak9.get(i) for i in range(1, 5)] == ["P", "2", "2", "1"]


def test_non_ascii_junk_inside_an_element() -> None:
    raw = ONE_SET.encode("latin-1").replace(b"ACME DISTRIBUTION", b"ACME \xff\xfe\x01DISTRIBUTION")
    segs, status = _997(raw)
    assert status is InterchangeStatus.REJECTED
    ak4 = next(s for s in segs if s.tag == "AK4")
    assert (ak4.get(1), ak4.get(3)) == ("2", "6")
    assert ak4.get(4) == "ACME ???DISTRIBUTION CENTER"


def test_999_reports_the_same_errors_with_ik_segments() -> None:
    text = ONE_SET.replace("AT7*X3*NS***20231106*0815", "AT7*X3*NS***20231345*0815")
    result = parse_x12(text, ack=AckOptions(kind="999", control_number="000000777"))
    assert result.ack_kind == "999"
    segs = _ack_segments(result.ack or "")
    assert segs[0].get(1) == "999"
    ik3 = next(s for s in segs if s.tag == "IK3")
    ik4 = next(s for s in segs if s.tag == "IK4")
    assert (ik3.get(1), ik3.get(4)) == ("AT7", "8") and (ik4.get(1), ik4.get(3)) == ("5", "8")
    assert next(s for s in segs if s.tag == "IK5").get(1) == "R"
    assert parse_x12(result.ack or "").control_number == "000000777"


def test_hl_hierarchy_parent_errors() -> None:
    text = _sample("856_4010.x12").replace("HL*4*3*I*0", "HL*4*9*I*0")
    segs, _ = _997(text)
    notes = [(s.get(1), s.get(2), s.get(3)) for s in segs if s.tag == "AK4"]
    # HL 4 names an unknown parent, and HL 3 now claims a child it does not have
    assert notes == [("4", "736", "7"), ("2", "734", "7")]
    wrong_level = _sample("856_4010.x12").replace("HL*2*1*O*1", "HL*2*1*I*1")
    segs, _ = _997(wrong_level)
    assert ("3", "735", "7") in [(s.get(1), s.get(2), s.get(3)) for s in segs if s.tag == "AK4"]


def test_ack_addressing_swaps_sender_and_receiver() -> None:
    result = parse_x12(ONE_SET, ack=AckOptions(control_number="000000042"))
    ack = parse_x12(result.ack or "")
    assert (ack.sender_id, ack.receiver_id) == ("TRADELANEHUB", "ABFCARRIER")
    assert ack.control_number == "000000042"
    assert ack.document is not None and ack.document.groups[0].functional_id == "FA"


def test_acknowledgments_are_not_acknowledged() -> None:
    assert parse_x12(_sample("997_4010.x12")).ack is None


@pytest.mark.parametrize(
    "data", [b"", b"hello world", b"ISA*00*", b"\x00\x01\x02ISA", "ISA1" + "x" * 200], ids=repr
)
def test_unreadable_input_raises_the_declared_parse_error(data: bytes | str) -> None:
    with pytest.raises(EdiParseError):
        parse_x12(data)
