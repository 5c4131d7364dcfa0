"""The file-drop channel on a real file system: inbound → events, acks in outbound, archive and error folders
with reports, the JSON-lines ledger across channel instances, crash safety, and outbound documents."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tradelane.connectors.edifact import parse_edifact
from tradelane.connectors.x12 import parse_x12
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import ConfigError
from tradelane.core.examples import example
from tradelane.edi import (
    ControlNumberCounter,
    FileDropChannel,
    JsonlInterchangeLedger,
    UploadStatus,
    atomic_write,
    builtin_partners,
)
from tradelane.edi.partners import PartnerSettings

SAMPLES = Path(__file__).parents[3] / "src" / "tradelane" / "connectors"


class Sink:
    """Collects events like an ingest service would; can be told to fail once."""

    def __init__(self) -> None:
        self.events: list[CloudEvent] = []
        self.fail_next = False

    def __call__(self, events: Sequence[CloudEvent]) -> None:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("ingest is down")
        self.events.extend(events)


def _drop(channel: FileDropChannel, sample: str, name: str | None = None) -> Path:
    source = SAMPLES / sample
    target = channel.folder("inbound") / (name or source.name)
    shutil.copyfile(source, target)
    return target


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob(".tmp-*")]


@pytest.fixture
def abf() -> PartnerSettings:
    return builtin_partners()["abf"]


def test_good_file_is_archived_with_its_ack(tmp_path: Path, abf: PartnerSettings) -> None:
    sink = Sink()
    channel = FileDropChannel(tmp_path / "abf", abf, sink=sink)
    _drop(channel, "x12/samples/214_4010_crlf.x12")
    (outcome,) = channel.process_inbox()
    assert outcome.result.status is UploadStatus.ACCEPTED
    assert (
        outcome.moved_to == tmp_path / "abf" / "archive" / "214_4010_crlf.x12" and outcome.moved_to.exists()
    )
    assert [e.data["event"]["milestone"] for e in sink.events] == [
        "arrived_at_pickup",
        "departed",
        "delivered",
    ]
    assert outcome.ack_path is not None and outcome.ack_path.parent.name == "outbound"
    ack = parse_x12(outcome.ack_path.read_bytes())
    assert ack.sets[0].set_id == "997" and ack.control_number == "000000001"  # the channel's own counter
    assert list(channel.folder("inbound").iterdir()) == [] and outcome.report_path is None
    ledger = [json.loads(line) for line in (tmp_path / "abf" / "ledger.jsonl").read_text().splitlines()]
    assert ledger == [
        {
            "control_number": "000004711",
            "events": 3,
            "partner": "abf",
            "sha256": outcome.result.digest,
            "status": "accepted",
        }
    ]
    assert _leftovers(tmp_path) == []


def test_bad_files_go_to_error_with_a_report(tmp_path: Path, abf: PartnerSettings) -> None:
    sink = Sink()
    channel = FileDropChannel(tmp_path / "abf", abf, sink=sink)
    _drop(channel, "x12/samples/malformed/214_iea_control_mismatch.x12", "a-envelope.x12")
    _drop(channel, "x12/samples/malformed/214_partly_bad_group.x12", "b-partly-bad.x12")
    _drop(channel, "x12/samples/malformed/214_not_edi.x12", "c-letter.x12")
    envelope, partly, letter = channel.process_inbox()
    assert [o.result.status for o in (envelope, partly, letter)] == [
        UploadStatus.REJECTED,  # not remembered: the same control number may come again, fixed
        UploadStatus.PARTIAL,
        UploadStatus.REJECTED,
    ]
    assert {e.data["shipment_id"] for e in sink.events} == {"SHP20231105A"}  # only the good set's events
    for outcome in (partly, envelope, letter):
        assert outcome.moved_to.parent == tmp_path / "abf" / "error"
        assert (
            outcome.report_path is not None
            and outcome.report_path.name == outcome.moved_to.name + ".report.txt"
        )
    report = partly.report_path.read_text() if partly.report_path else ""
    assert "verdict:        PARTIAL — 1 of 2 sets accepted, 2 events emitted" in report
    assert "line 31, segment 31 (AT7), element 05, set 214 #0002: AT705: invalid date" in report
    assert (
        envelope.ack_path is not None and b"TA1*000004711*231107*1602*R*001" in envelope.ack_path.read_bytes()
    )
    assert letter.ack_path is None
    # only the partly accepted interchange is remembered: a fixed resend of the rejected one is welcome
    ledger = JsonlInterchangeLedger(tmp_path / "abf" / "ledger.jsonl")
    assert ledger.seen("abf", "000004711")
    assert _leftovers(tmp_path) == []


def test_duplicate_across_channel_instances(tmp_path: Path, abf: PartnerSettings) -> None:
    first = FileDropChannel(tmp_path / "abf", abf, sink=Sink())
    _drop(first, "x12/samples/214_4010_crlf.x12", "monday.x12")
    assert first.process_inbox()[0].result.status is UploadStatus.ACCEPTED
    sink = Sink()
    second = FileDropChannel(tmp_path / "abf", abf, sink=sink)  # a new process reads the ledger file
    _drop(second, "x12/samples/214_4010_crlf.x12", "tuesday.x12")
    (outcome,) = second.process_inbox()
    assert outcome.result.status is UploadStatus.DUPLICATE and sink.events == []
    assert outcome.moved_to.parent.name == "error"
    assert outcome.ack_path is not None and b"*R*025~" in outcome.ack_path.read_bytes()
    assert "already received" in (outcome.report_path.read_text() if outcome.report_path else "")


def test_a_crash_before_the_move_is_safe_to_repeat(tmp_path: Path, abf: PartnerSettings) -> None:
    sink = Sink()
    sink.fail_next = True
    channel = FileDropChannel(tmp_path / "abf", abf, sink=sink)
    dropped = _drop(channel, "x12/samples/214_4010_crlf.x12")
    with pytest.raises(RuntimeError, match="ingest is down"):
        channel.process_inbox()
    assert dropped.exists() and not (tmp_path / "abf" / "ledger.jsonl").exists()
    (outcome,) = channel.process_inbox()  # not mistaken for a duplicate of itself
    assert outcome.result.status is UploadStatus.ACCEPTED and len(sink.events) == 3
    replay = FileDropChannel(tmp_path / "replay", abf, sink=Sink())
    _drop(replay, "x12/samples/214_4010_crlf.x12")
    assert [e.id for e in replay.process_inbox()[0].result.events] == [e.id for e in sink.events]


def test_edifact_channel_and_hidden_files(tmp_path: Path) -> None:
    dhl = builtin_partners()["dhl-freight"]
    sink = Sink()
    channel = FileDropChannel(tmp_path / "dhl", dhl, sink=sink)
    _drop(channel, "edifact/samples/iftsta_d01b_release_chars.edi")
    (channel.folder("inbound") / ".partial-upload.edi").write_bytes(b"UNB+")  # still being written by SFTP
    (outcome,) = channel.process_inbox()
    assert outcome.result.status is UploadStatus.ACCEPTED and len(sink.events) == 2
    assert outcome.ack_path is not None and outcome.ack_path.name == "contrl-iftsta_d01b_release_chars.edi"
    contrl = parse_edifact(outcome.ack_path.read_bytes())
    assert contrl.control_number == "1" and contrl.sets[0].set_id == "CONTRL"
    assert (channel.folder("inbound") / ".partial-upload.edi").exists()


def test_send_writes_outbound_documents_with_increasing_control_numbers(tmp_path: Path) -> None:
    reno = builtin_partners()["reno3pl"].model_copy(update={"locations": {"RTM": "loc_dc_rtm"}})
    channel = FileDropChannel(tmp_path / "reno", reno)
    release = CloudEvent(
        id="r1",
        source="/odoo",
        type="tradelane.order.released.v1",
        time="2026-11-15T06:00:00Z",
        data=example("tradelane.order.released.v1"),
    )
    first = channel.send([release], "940")
    second = channel.send([release], "940")
    assert (first.name, second.name) == ("940-000000001.x12", "940-000000002.x12")
    parsed = parse_x12(second.read_bytes())
    assert parsed.status.value == "accepted" and parsed.control_number == "000000002"
    assert b"N1*WH*Tradelane DC Reno*93*RTM~" in first.read_bytes()
    assert json.loads((tmp_path / "reno" / "control-number.json").read_text()) == {"next": 3}
    assert _leftovers(tmp_path) == []


def test_atomic_write_replaces_whole_files_only(tmp_path: Path) -> None:
    target = tmp_path / "out" / "ack.x12"
    atomic_write(target, b"first")
    atomic_write(target, b"second version")
    assert target.read_bytes() == b"second version"
    assert sorted(p.name for p in target.parent.iterdir()) == ["ack.x12"]


def test_missing_acknowledgment_opens_an_exception_until_the_997_arrives(tmp_path: Path) -> None:
    swift = builtin_partners()["swift"].model_copy(
        update={"currency": "EUR", "locations": {"RTM": "loc_dc_rtm", "KLN": "loc_cust_cafe_central"}}
    )
    channel = FileDropChannel(tmp_path / "swift", swift, sink=Sink())
    tender = CloudEvent(
        id="t1",
        source="/odoo",
        type="tradelane.shipment.tendered.v1",
        time="2026-11-15T07:10:00Z",
        data=example("tradelane.shipment.tendered.v1"),
        partitionkey="shp_so0042_1",
    )
    sent_at = datetime(2026, 11, 15, 7, 10, tzinfo=UTC)
    channel.send([tender], "204", now=sent_at)
    assert channel.missing_acks(sent_at + timedelta(minutes=10)) == []  # still inside swift's 30 minutes
    (late,) = channel.missing_acks(sent_at + timedelta(minutes=31))
    assert late.type == "tradelane.exception.opened.v1"
    assert "shp_so0042_1" in late.data["exception"]["detail"]
    # swift's 997 for our group 1 arrives in the inbox
    ack = (SAMPLES / "x12/samples/997_4010.x12").read_bytes().replace(b"AK1*SM*120~", b"AK1*SM*1~")
    (channel.folder("inbound") / "997-from-swift.x12").write_bytes(ack)
    (outcome,) = channel.process_inbox()
    assert outcome.result.status is UploadStatus.ACCEPTED and outcome.result.ack is None
    assert channel.missing_acks(sent_at + timedelta(hours=5)) == []


def test_a_fault_in_our_code_moves_the_file_aside_instead_of_blocking_the_inbox(
    tmp_path: Path, abf: PartnerSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tradelane.edi import x12_mapping

    def broken(*_: object) -> list[object]:
        raise KeyError("bug in a mapper")

    monkeypatch.setitem(x12_mapping.READERS, "214", broken)
    channel = FileDropChannel(tmp_path / "abf", abf, sink=Sink())
    _drop(channel, "x12/samples/214_4010_crlf.x12")
    (outcome,) = channel.process_inbox()
    assert outcome.result.status is UploadStatus.REJECTED and outcome.moved_to.parent.name == "error"
    assert outcome.report_path is not None
    assert "KeyError" in outcome.report_path.read_text()
    assert channel.waiting() == []


def test_ledger_survives_a_torn_last_line_and_a_bad_counter_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    path.write_text(
        '{"partner": "abf", "control_number": "000000001", "status": "accepted"}\n{"partner": "ab'
    )
    ledger = JsonlInterchangeLedger(path)
    assert ledger.seen("abf", "000000001") and not ledger.seen("abf", "000000002")
    ledger.record("abf", "000000002", status="accepted", digest="d", events=1)
    reread = JsonlInterchangeLedger(path)
    assert reread.seen("abf", "000000001") and reread.seen("abf", "000000002")
    counter_file = tmp_path / "control-number.json"
    counter_file.write_text("{oops")
    with pytest.raises(ConfigError, match="unreadable"):
        ControlNumberCounter(counter_file).next()
