"""EDIFACT codec: samples, UNA and release characters, round trips, malformed catalogue with CONTRL codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradelane.connectors.edi_common import EdiParseError, EdiRenderError, InterchangeStatus, remember
from tradelane.connectors.edifact import (
    MESSAGES,
    ContrlOptions,
    EdifactInterchange,
    Message,
    Segment,
    ServiceChars,
    parse_edifact,
    render_edifact,
)

SAMPLES = Path(__file__).parents[3] / "src" / "tradelane" / "connectors" / "edifact" / "samples"
SAMPLE_FILES = sorted(SAMPLES.glob("*.edi"))


def _contrl(ack: str | None) -> list[Segment]:
    assert ack is not None
    result = parse_edifact(ack)
    assert result.status is InterchangeStatus.ACCEPTED, result.issues
    (contrl,) = result.sets
    assert contrl.set_id == "CONTRL"
    return list(contrl.document.segments)


def _sample(name: str) -> str:
    return (SAMPLES / name).read_bytes().decode("latin-1")


def test_samples_cover_every_message_type() -> None:
    types = {s.set_id for p in SAMPLE_FILES for s in parse_edifact(p.read_bytes()).sets}
    assert types == set(MESSAGES)


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_samples_parse_and_are_accepted(path: Path) -> None:
    result = parse_edifact(path.read_bytes())
    assert result.status is InterchangeStatus.ACCEPTED, [s.issues for s in result.sets]
    if result.ack is not None:
        uci = _contrl(result.ack)[0]
        assert uci.tag == "UCI" and uci.get(4) == "7" and uci.get(1) == result.control_number


def test_release_characters_and_latin1_are_decoded() -> None:
    result = parse_edifact((SAMPLES / "iftsta_d01b_release_chars.edi").read_bytes())
    body = result.sets[0].document.segments
    nad = next(s for s in body if s.tag == "NAD" and s.get(1) == "CZ")
    assert nad.get(5) == "12 Rue de l'Église"
    sts = next(s for s in body if s.tag == "STS")
    assert sts.get(3, 4) == "ARRIVED: UNLOADED + CHECKED"
    ftx = next(s for s in body if s.tag == "FTX")
    assert "12?5 EUR" in ftx.get(4)
    assert (result.sender_id, result.sender_qualifier) == ("DHLFREIGHT", "ZZ")


def test_una_less_file_uses_default_service_characters() -> None:
    raw = _sample("iftmin_no_una.edi")
    assert not raw.startswith("UNA")
    result = parse_edifact(raw)
    assert result.status is InterchangeStatus.ACCEPTED
    assert result.document is not None and result.document.syntax_id == "UNOA"


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("una", [True, False])
def test_render_parse_round_trip(path: Path, una: bool) -> None:
    first = parse_edifact(path.read_bytes())
    assert first.document is not None
    text = render_edifact(first.document, una=una, suffix="\n")
    second = parse_edifact(text)
    assert second.status is InterchangeStatus.ACCEPTED
    assert second.document == first.document


def test_render_with_custom_service_characters_releases_data() -> None:
    chars = ServiceChars("|", "^", ",", "\\", " ", "~")
    msg = Message(
        "IFTSTA",
        "1",
        segments=(
            Segment.of("BGM", "23", "A^B|C~D\\E"),
            Segment.of("CNI", "1"),
            Segment.of("STS", "1", ["Z04"]),
        ),
    )
    ic = EdifactInterchange("S", "ZZ", "R", "ZZ", "231107", "1200", "REF1", messages=(msg,))
    text = render_edifact(ic, chars)
    assert text.startswith("UNA|^,\\ ~") and "A\\^B\\|C\\~D\\\\E" in text
    back = parse_edifact(text)
    assert back.status is InterchangeStatus.ACCEPTED
    assert back.sets[0].document.segments[0].get(2) == "A^B|C~D\\E"


def test_render_without_release_character_refuses_separators() -> None:
    chars = ServiceChars(":", "+", ".", " ", " ", "'")
    msg = Message("IFTSTA", "1", segments=(Segment.of("BGM", "23", "A+B"),))
    with pytest.raises(EdiRenderError):
        render_edifact(EdifactInterchange("S", "", "R", "", "231107", "1200", "R1", messages=(msg,)), chars)


# --- malformed catalogue ----------------------------------------------------------------------------------

BASE = _sample("iftmin_no_una.edi")


def _uci(text: str | bytes, **kw: object) -> tuple[str, str, str]:
    result = parse_edifact(text, **kw)  # type: ignore[arg-type]
    assert result.status is InterchangeStatus.REJECTED and not result.accepted_sets
    uci = _contrl(result.ack)[0]
    return uci.get(4), uci.get(5), uci.get(6)


def _ucm(text: str | bytes) -> list[Segment]:
    result = parse_edifact(text)
    segs = _contrl(result.ack)
    assert segs[0].get(4) == "7"
    return segs[1:]


def test_interchange_reference_mismatch() -> None:
    assert _uci(BASE.replace("UNZ+1+BK0000120", "UNZ+1+BK0000121")) == ("4", "28", "UNZ")


def test_interchange_count_mismatch() -> None:
    assert _uci(BASE.replace("UNZ+1+BK0000120", "UNZ+3+BK0000120")) == ("4", "29", "UNZ")


def test_truncated_interchange() -> None:
    assert _uci(BASE[: BASE.index("GID+1")] + "GID+1+24:P") == ("4", "13", "UNZ")


def test_unsupported_syntax_level() -> None:
    assert _uci(BASE.replace("UNOA:2", "UNOQ:2")) == ("4", "2", "UNB")


def test_bad_interchange_date() -> None:
    assert _uci(BASE.replace("231107:0930", "231307:0930")) == ("4", "12", "UNB")


def test_duplicate_interchange() -> None:
    first = parse_edifact(BASE)
    assert _uci(BASE, seen=remember(first.key, frozenset())) == ("4", "26", "UNB")


def test_message_segment_count_mismatch() -> None:
    ucm = _ucm(BASE.replace("UNT+21+1", "UNT+20+1"))[0]
    assert (ucm.get(3), ucm.get(4), ucm.get(5)) == ("4", "29", "UNT")


def test_missing_mandatory_segment() -> None:
    text = BASE.replace("BGM+610+BK-2023-11-0042+9'", "").replace("UNT+21+1", "UNT+20+1")
    ucm, ucs = _ucm(text)[:2]
    assert ucm.get(3) == "4"
    assert (ucs.tag, ucs.get(1), ucs.get(2)) == ("UCS", "2", "13")


def test_segment_not_supported_in_position_and_too_many_repetitions() -> None:
    text = BASE.replace("TSR+27+2'", "TSR+27+2'BGM+1'").replace("UNT+21+1", "UNT+22+1")
    segs = _ucm(text)
    assert ("5", "15") in [(s.get(1), s.get(2)) for s in segs if s.tag == "UCS"]


def test_element_errors_are_reported_with_ucd() -> None:
    text = (
        BASE.replace("DTM+137:20231107:102", "DTM+137:20231345:102")
        .replace("CNT+7:4200:KGM", "CNT+7:42X0:KGM")
        .replace("TOD+6++FCA", "TOD+6++FCA+EXTRA")
        .replace("LOC+1+USLAX", "LOC+1+USLAX:::" + "L" * 300)
    )
    segs = _ucm(text)
    ucd = {(s.get(1), s.get(2, 1), s.get(2, 2)) for s in segs if s.tag == "UCD"}
    assert ("12", "1", "2") in ucd  # invalid date
    assert ("37", "1", "2") in ucd  # letter in a numeric element
    assert ("16", "4", "") in ucd  # too many constituents
    assert ("39", "2", "4") in ucd  # too long


def test_non_ascii_junk_in_a_unoa_interchange() -> None:
    raw = BASE.encode("latin-1").replace(b"FRAGILE", b"FRAG\xffLE\x01")
    segs = _ucm(raw)
    assert ("21", "4", "1") in {(s.get(1), s.get(2, 1), s.get(2, 2)) for s in segs if s.tag == "UCD"}


def test_too_short_value() -> None:
    text = BASE.replace("UNB+UNOA:2+TRADELANEHUB", "UNB+UNOA:2+TRADELANEHUB").replace(
        "TDT+20+VOY123+1++MAEU:172:20", "TDT+20+VOY123+1++MAEU:172:20+++:"
    )
    assert parse_edifact(text).status is InterchangeStatus.ACCEPTED  # empty trailing composite is absent
    unb = BASE.replace("231107:0930", "2311:0930")
    assert _uci(unb) == ("4", "40", "UNB")


def test_unknown_message_type() -> None:
    text = BASE.replace("IFTMIN:D:99B:UN", "ORDERS:D:96A:UN")
    ucm = _ucm(text)[0]
    assert (ucm.get(3), ucm.get(4), ucm.get(5)) == ("4", "14", "UNH")


def test_partly_bad_group_accepts_the_good_message() -> None:
    raw = _sample("desadv_d96a_groups.edi").replace("QTY+12:6", "QTY+12:6:TOOLONGUNIT")
    result = parse_edifact(raw)
    assert result.status is InterchangeStatus.PARTIAL
    assert [s.control_number for s in result.accepted_sets] == ["ASN1"]
    assert [s.control_number for s in result.rejected_sets] == ["ASN2"]
    segs = _contrl(result.ack)
    assert [s.get(3) for s in segs if s.tag == "UCM"] == ["7", "4"]
    assert [s.get(4) for s in segs if s.tag == "UCF"] == ["7"]
    assert ("39", "1", "3") in {(s.get(1), s.get(2, 1), s.get(2, 2)) for s in segs if s.tag == "UCD"}


def test_group_reference_mismatch_rejects_the_group() -> None:
    raw = _sample("desadv_d96a_groups.edi").replace("UNE+2+G7703", "UNE+2+G7704")
    result = parse_edifact(raw)
    assert result.status is InterchangeStatus.REJECTED
    ucf = next(s for s in _contrl(result.ack) if s.tag == "UCF")
    assert (ucf.get(4), ucf.get(5), ucf.get(6)) == ("4", "28", "UNE")


def test_contrl_options_and_addressing() -> None:
    from datetime import datetime

    result = parse_edifact(BASE, ack=ContrlOptions(control_reference="CT42", now=datetime(2023, 11, 8, 9, 5)))
    back = parse_edifact(result.ack or "")
    assert back.control_number == "CT42"
    assert (back.sender_id, back.receiver_id) == ("MAERSKLINE", "TRADELANEHUB")
    assert back.document is not None and (back.document.date, back.document.time) == ("231108", "0905")


def test_inbound_contrl_is_not_acknowledged() -> None:
    assert parse_edifact(_sample("contrl_inbound.edi")).ack is None


@pytest.mark.parametrize(
    "data", [b"", b"garbage'", b"UNA:+", b"UNH+1+IFTSTA:D:01B:UN'", "UNA" + "AAAAAA"], ids=repr
)
def test_unreadable_input_raises_the_declared_parse_error(data: bytes | str) -> None:
    with pytest.raises(EdiParseError):
        parse_edifact(data)
