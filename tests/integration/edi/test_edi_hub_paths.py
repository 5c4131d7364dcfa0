"""The hub's EDI paths driven step by step (no background loops): a real hub's ingest service and database
(SQLite and PostgreSQL), real folders. Ingest outages, partly bad groups, EDIFACT channels, the folder lock,
retried deliveries and the control-number counter."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tradelane.bootstrap import build_hub
from tradelane.connectors.edifact import parse_edifact
from tradelane.core.envelope import CloudEvent
from tradelane.core.examples import example
from tradelane.edi.hub import _folder_lock
from tradelane.edi.service import UploadStatus
from tradelane.ports.store import EventFilter
from tradelane.settings import load_settings

CONNECTORS = Path(__file__).parents[3] / "src" / "tradelane" / "connectors"


@pytest.fixture
async def hub(db_url: str, tmp_path: Path) -> AsyncIterator[Any]:
    settings = load_settings(
        None,
        data_dir=tmp_path / "data",
        database={"url": db_url},
        edi={"filedrop": {"root": str(tmp_path / "edi"), "partners": ["abf", "dhl-freight", "reno3pl"]}},
    )
    built = build_hub(settings, role="api")
    await built.ingest.start()
    try:
        yield built
    finally:
        await built.stop()


def _drop(hub: Any, partner: str, sample: str, name: str | None = None) -> Path:
    target = hub.edi.folder(partner, "inbound") / (name or Path(sample).name)
    shutil.copyfile(CONNECTORS / sample, target)
    return target


async def _stored(hub: Any, source: str) -> list[Any]:
    page = await hub.store.list_events(EventFilter(), None, 500)
    return [e for e in page.items if e.event.source == source]


async def test_an_ingest_outage_leaves_the_file_for_the_next_poll(hub: Any) -> None:
    dropped = _drop(hub, "abf", "x12/samples/214_4010_crlf.x12")
    await hub.ingest.stop()
    with pytest.raises(RuntimeError, match="not running"):
        await hub.edi.poll_once()
    assert dropped.exists() and list(hub.edi.folder("abf", "archive").iterdir()) == []
    await hub.ingest.start()
    (outcome,) = await hub.edi.poll_once()
    assert outcome.received.outcome == "stored" and outcome.moved_to.parent.name == "archive"
    assert len(await _stored(hub, "/partners/abf/edi")) == 3


async def test_a_crash_after_commit_is_a_replay_not_a_duplicate(hub: Any) -> None:
    data = (CONNECTORS / "x12/samples/214_4010_crlf.x12").read_bytes()
    partner = hub.edi.partners["abf"]
    first = await hub.edi.receive(partner, data, tenant="hub", file_name="a.x12")
    # the hub died before moving the file: the next poll reads it again
    _drop(hub, "abf", "x12/samples/214_4010_crlf.x12")
    (again,) = await hub.edi.poll_once()
    assert (first.outcome, again.received.outcome) == ("stored", "replayed")
    assert again.received.hub_ids == first.hub_ids and again.moved_to.parent.name == "archive"
    assert len(await _stored(hub, "/partners/abf/edi")) == 3


async def test_partly_bad_group_stores_the_good_set_and_files_a_report(hub: Any) -> None:
    _drop(hub, "abf", "x12/samples/malformed/214_partly_bad_group.x12")
    (outcome,) = await hub.edi.poll_once()
    assert outcome.received.result.status is UploadStatus.PARTIAL and outcome.received.outcome == "stored"
    assert outcome.moved_to.parent.name == "error" and outcome.report_path is not None
    assert "element 05, set 214 #0002: AT705: invalid date" in outcome.report_path.read_text()
    assert {e.event.data["shipment_id"] for e in await _stored(hub, "/partners/abf/edi")} == {"SHP20231105A"}
    assert outcome.ack_path is not None and b"AK5*R" in outcome.ack_path.read_bytes()


async def test_edifact_partner_gets_a_contrl(hub: Any) -> None:
    _drop(hub, "dhl-freight", "edifact/samples/iftsta_d01b_release_chars.edi")
    (outcome,) = await hub.edi.poll_once()
    assert outcome.received.outcome == "stored" and outcome.moved_to.parent.name == "archive"
    assert outcome.ack_path is not None and outcome.ack_path.name == "contrl-iftsta_d01b_release_chars.edi"
    contrl = parse_edifact(outcome.ack_path.read_bytes())
    assert contrl.control_number == "1" and contrl.sets[0].set_id == "CONTRL"
    assert len(await _stored(hub, "/partners/dhl-freight/edi")) == 2


async def test_another_process_holding_the_folder_lock_is_left_alone(hub: Any) -> None:
    dropped = _drop(hub, "abf", "x12/samples/214_4010_crlf.x12")
    root = hub.edi.folder("abf")

    def hold_and_poll() -> list[Any]:
        with _folder_lock(root) as mine:
            assert mine
            return asyncio.run_coroutine_threadsafe(hub.edi.poll_once(), loop).result(30)

    loop = asyncio.get_running_loop()
    # flock is per open file: a second open in the same process conflicts like another process would
    assert await asyncio.to_thread(hold_and_poll) == []
    assert dropped.exists()
    assert len(await hub.edi.poll_once()) == 1


def _release() -> CloudEvent:
    return CloudEvent(
        id="rel-1",
        source="/odoo",
        type="tradelane.order.released.v1",
        time="2026-11-15T06:00:00Z",
        data=example("tradelane.order.released.v1"),
    )


async def test_a_retried_delivery_rewrites_the_same_file_under_the_same_number(hub: Any) -> None:
    reno = hub.edi.partners["reno3pl"].model_copy(update={"locations": {"RTM": "loc_dc_rtm"}})
    first = await hub.edi.send([_release()], reno, "940", tenant="acme", delivery_id="dlv_1")
    again = await hub.edi.send([_release()], reno, "940", tenant="acme", delivery_id="dlv_1")
    other = await hub.edi.send([_release()], reno, "940", tenant="acme", delivery_id="dlv_2")
    assert (first.id, first.control_number) == (again.id, again.control_number) == (first.id, "000000001")
    assert other.control_number == "000000002" and other.file_name == "940-000000002.x12"
    outbound = sorted(p.name for p in hub.edi.folder("reno3pl", "outbound").iterdir())
    assert outbound == ["940-000000001.x12", "940-000000002.x12"]
    records = await hub.edi.store.list_outbound("reno3pl")
    assert len(records) == 2 and all(r.sent_at and r.ack_due_at for r in records)
    assert records[0].refs == (example("tradelane.order.released.v1")["order_id"],)
    # the partner's inbound acks take numbers from the same counter
    assert await hub.edi.store.next_control_number("reno3pl", first.created_at) == 3


async def test_duplicates_are_still_caught_after_the_idempotency_claim_expired(hub: Any) -> None:
    data = (CONNECTORS / "x12/samples/214_4010_crlf.x12").read_bytes()
    partner = hub.edi.partners["abf"]
    first = await hub.edi.receive(partner, data, tenant="hub", file_name="a.x12")
    assert first.outcome == "stored"
    purged = await hub.store.purge_idempotency(datetime.now(UTC) + timedelta(days=30))
    assert purged >= 1
    changed = data.replace(b"SHP20231105A", b"SHP20231105B")
    dup = await hub.edi.receive(partner, changed, tenant="hub", file_name="b.x12")
    assert dup.outcome == "duplicate" and dup.result.ack is not None and b"*R*025~" in dup.result.ack
    same = await hub.edi.receive(partner, data, tenant="hub", file_name="a-again.x12")
    assert (
        same.outcome == "stored" and same.hub_ids == first.hub_ids
    )  # the events are known: none stored twice
    assert len(await _stored(hub, "/partners/abf/edi")) == 3
    # another tenant's interchanges are its own
    other = await hub.edi.receive(partner, changed, tenant="globex", file_name="c.x12")
    assert other.outcome == "stored"


async def test_edi_sent_lists_what_was_sent_and_its_ack_state(hub: Any, tmp_path: Path) -> None:
    import json

    import yaml
    from typer.testing import CliRunner

    from tradelane.cli.edi import edi_app

    reno = hub.edi.partners["reno3pl"].model_copy(update={"locations": {"RTM": "loc_dc_rtm"}})
    await hub.edi.send([_release()], reno, "940", tenant="acme", delivery_id="dlv_9")
    config = tmp_path / "hub.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(hub.settings.data_dir),
                "database": {"url": hub.settings.database_url()},
                "edi": {"filedrop": {"root": str(hub.edi.folder("reno3pl").parent)}},
            }
        )
    )
    result = await asyncio.to_thread(
        CliRunner().invoke, edi_app, ["sent", "--config", str(config), "--partner", "reno3pl", "--json"]
    )
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]  # stdout only: logs go to stderr
    assert (row["control_number"], row["doc_type"], row["state"], row["delivery_id"]) == (
        "000000001",
        "940",
        "awaiting ack",
        "dlv_9",
    )


async def test_an_oversized_file_is_refused_unread_with_a_report(
    hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tradelane.edi.hub as edi_hub

    monkeypatch.setattr(edi_hub, "MAX_FILE_BYTES", 512)  # the sample has ~1 KB
    _drop(hub, "abf", "x12/samples/214_4010_crlf.x12")
    (outcome,) = await hub.edi.poll_once()
    assert outcome.received.outcome == "rejected" and outcome.ack_path is None
    assert outcome.moved_to.parent.name == "error" and outcome.report_path is not None
    assert "interchanges of at most 512 bytes are read" in outcome.report_path.read_text()
    assert await _stored(hub, "/partners/abf/edi") == []


async def test_an_ack_landing_while_the_exception_is_opened_is_not_lost(hub: Any) -> None:
    from tradelane.edi.tracking import AckMatch

    reno = hub.edi.partners["reno3pl"].model_copy(update={"locations": {"RTM": "loc_dc_rtm"}})
    record = await hub.edi.send([_release()], reno, "940", tenant="acme", delivery_id="dlv_race")
    later = datetime.now(UTC) + timedelta(hours=2)
    (due,) = await hub.edi.store.due_unacknowledged(later, 10)
    assert due.id == record.id
    # the 999 is stored between the due scan and set_exception: the exception must not stick to it
    (acked,) = await hub.edi.store.acknowledge("reno3pl", [AckMatch("1", "999", True)], later)
    assert acked.exception_id is None
    assert await hub.edi.store.set_exception(record.id, "exc_x") is False
    assert await hub.edi.store.due_unacknowledged(later, 10) == []
