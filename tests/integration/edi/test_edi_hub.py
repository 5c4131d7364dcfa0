"""EDI in a running hub: the file-drop poll, outbound 204s from routed tenders, and the missing-ack check.

A real hub (uvicorn on loopback, SQLite and PostgreSQL) with ``edi.filedrop`` pointing at real folders.
Files are dropped into ``inbound/`` and the hub's own poll picks them up; time for the acknowledgment SLA
is advanced through the hub's injectable EDI clock, never by sleeping.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml

from tradelane.connectors.x12 import parse_x12
from tradelane.core.envelope import utc_now
from tradelane.core.examples import example
from tradelane.edi.partners import builtin_partners
from tradelane.ports.flows import ExceptionFilter
from tradelane.settings import load_settings
from tradelane.testing.wait import wait_until

SAMPLES = Path(__file__).parents[3] / "src" / "tradelane" / "connectors" / "x12" / "samples"
TENANT = "acme"


class Clock:
    """The hub's EDI clock, moved by the test."""

    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now


def _partners_file(tmp_path: Path) -> Path:
    """The built-in partners, swift set up for the core example story (euros, Rotterdam and Cologne)."""
    book = builtin_partners()
    rows = []
    for p in book:
        if p.id == "swift":
            p = p.model_copy(
                update={
                    "currency": "EUR",
                    "locations": {"RTM": "loc_dc_rtm", "CAFE-KLN": "loc_cust_cafe_central"},
                }
            )
        rows.append(p.model_dump(mode="json", exclude_defaults=True))
    path = tmp_path / "partners.yaml"
    path.write_text(yaml.safe_dump({"partners": rows}, allow_unicode=True))
    return path


@pytest.fixture
def edi_hub(db_url: str, tmp_path: Path, hub_server: Any) -> Any:
    settings = load_settings(
        None,
        data_dir=tmp_path / "data",
        database={"url": db_url},
        edi={
            "partners_file": str(_partners_file(tmp_path)),
            "filedrop": {
                "root": str(tmp_path / "edi"),
                "partners": ["abf", "swift"],
                "poll_seconds": 0.1,
                "tenant": TENANT,
            },
            "ack_check_seconds": 0.1,
        },
        endpoints={"swift-edi": {"kind": "edi", "edi": {"partner": "swift", "document": "204"}}},
        routes=[
            {
                "name": "tenders-to-swift",
                "events": ["tradelane.shipment.tendered.v1"],
                "destination": "swift-edi",
                "retry": {"schedule": [0.2, 0.2, 0.2]},
            }
        ],
        delivery={"poll_interval_s": 0.05},
    )
    running = hub_server(settings)
    running.clock = Clock()
    running.hub.edi.clock = running.clock
    running.root = tmp_path / "edi"
    return running


def _drop(root: Path, partner: str, data: bytes, name: str) -> None:
    """Write under a hidden name and rename, as an SFTP client should, so the poll never sees half a file."""
    inbound = root / partner / "inbound"
    tmp = inbound / f".{name}.part"
    tmp.write_bytes(data)
    tmp.rename(inbound / name)


def _arrived(root: Path, partner: str, folder: str, name: str) -> Path | None:
    path = root / partner / folder / name
    return path if path.exists() else None


def test_dropped_files_are_ingested_acknowledged_and_filed(edi_hub: Any) -> None:
    root: Path = edi_hub.root
    data = (SAMPLES / "214_4010_crlf.x12").read_bytes()
    _drop(root, "abf", data, "214-monday.x12")
    wait_until(lambda: _arrived(root, "abf", "archive", "214-monday.x12"), "the 214 to be archived")
    assert list((root / "abf" / "inbound").iterdir()) == []
    ack = parse_x12((root / "abf" / "outbound" / "997-214-monday.x12").read_bytes())
    assert ack.sets[0].set_id == "997" and ack.control_number == "000000001"  # the hub's counter for abf
    key = edi_hub.key(TENANT, ("events:read", "events:write"))
    auth = {"Authorization": f"Bearer {key}"}
    with httpx2.Client(base_url=edi_hub.base_url, timeout=20) as c:
        listed = c.get("/v1/events?limit=100", headers=auth).json()["items"]
        milestones = [e for e in listed if e["source"] == "/partners/abf/edi"]
        assert sorted(e["data"]["event"]["milestone"] for e in milestones) == [
            "arrived_at_pickup",
            "delivered",
            "departed",
        ]
        # the folder and HTTP share duplicate detection: the same control number over HTTP is a 409
        changed = data.replace(b"SHP20231105A", b"SHP20231105B")
        dup = c.post("/v1/edi/abf/interchanges", content=changed, headers=auth)
        assert dup.status_code == 409 and dup.json()["ack_kind"] == "TA1"

    # the same control number with other content, through the folder: TA1 025, error folder with a report
    _drop(root, "abf", changed, "214-tuesday.x12")
    report = wait_until(
        lambda: _arrived(root, "abf", "error", "214-tuesday.x12.report.txt"), "the duplicate's report"
    )
    assert "already received" in report.read_text()
    assert b"*R*025~" in (root / "abf" / "outbound" / "ta1-214-tuesday.x12").read_bytes()

    # a malformed interchange: the TA1 it deserves, nothing stored, a readable report
    _drop(root, "abf", (SAMPLES / "malformed" / "214_iea_control_mismatch.x12").read_bytes(), "214-bad.x12")
    report = wait_until(
        lambda: _arrived(root, "abf", "error", "214-bad.x12.report.txt"), "the bad file's report"
    )
    text = report.read_text()
    assert "verdict:        REJECTED" in text and "line 1" in text
    assert b"TA1*000004711*231107*1602*R*001" in (root / "abf" / "outbound" / "ta1-214-bad.x12").read_bytes()
    with httpx2.Client(base_url=edi_hub.base_url, timeout=20) as c:
        listed = c.get("/v1/events?limit=100", headers=auth).json()["items"]
        assert len([e for e in listed if e["source"] == "/partners/abf/edi"]) == 3  # nothing new


def _open_ack_exceptions(edi_hub: Any) -> list[Any]:
    flt = ExceptionFilter(tenant=TENANT, type="integration_failure", status="open")
    items, _ = edi_hub.call(edi_hub.hub.flows.exceptions.list(flt, 50))
    return list(items)


def test_routed_tender_becomes_a_204_and_a_missing_997_opens_an_exception(edi_hub: Any) -> None:
    root: Path = edi_hub.root
    clock: Clock = edi_hub.clock
    key = edi_hub.key(TENANT, ("events:read", "events:write"))
    tender = {
        "specversion": "1.0",
        "id": "tender-0042",
        "source": "/odoo",
        "type": "tradelane.shipment.tendered.v1",
        "time": "2026-11-15T07:10:00Z",
        "partitionkey": "shp_so0042_1",
        "data": example("tradelane.shipment.tendered.v1"),
    }
    with httpx2.Client(base_url=edi_hub.base_url, timeout=20) as c:
        posted = c.post("/v1/events", json=tender, headers={"Authorization": f"Bearer {key}"})
        assert posted.status_code in (200, 201), posted.text

    sent = wait_until(lambda: _arrived(root, "swift", "outbound", "204-000000001.x12"), "the 204 for swift")
    doc = parse_x12(sent.read_bytes())
    assert doc.status.value == "accepted" and doc.control_number == "000000001"
    assert b"B2**SWFT**shp_so0042_1**PP~" in sent.read_bytes()
    (record,) = wait_until(
        lambda: [r for r in edi_hub.call(edi_hub.hub.edi.store.list_outbound("swift")) if r.sent_at],
        "the sent record",
    )
    assert record.tenant == TENANT and record.refs == ("shp_so0042_1",) and record.delivery_id
    assert record.ack_due_at == record.sent_at + timedelta(minutes=30)  # swift's SLA

    # inside swift's 30 minutes nothing happens; the check runs every 0.1 s on the hub's clock
    clock.now = record.sent_at + timedelta(minutes=29)
    edi_hub.call(edi_hub.hub.edi.check_acks())
    assert _open_ack_exceptions(edi_hub) == []
    clock.now = record.sent_at + timedelta(minutes=31)
    (exc,) = wait_until(lambda: _open_ack_exceptions(edi_hub), "the missing-ack exception")
    assert (exc.entity_kind, exc.entity_id, exc.owner_team) == ("party", "party_swift", "integration")
    assert "204 interchange 000000001" in exc.summary and "shp_so0042_1" in (exc.detail or "")
    assert exc.links["delivery_ids"] == [record.delivery_id]
    wait_until(
        lambda: [
            r for r in edi_hub.call(edi_hub.hub.edi.store.list_outbound("swift")) if r.exception_id == exc.id
        ],
        "the exception to be recorded on the interchange",
    )
    assert edi_hub.call(edi_hub.hub.edi.check_acks()) == []  # opened once, not on every round
    assert [e.id for e in _open_ack_exceptions(edi_hub)] == [exc.id]

    # swift's 997 for our group 1 arrives late in the inbox: acknowledged, the exception resolved
    ack = (SAMPLES / "997_4010.x12").read_bytes().replace(b"AK1*SM*120~", b"AK1*SM*1~")
    _drop(root, "swift", ack, "997-from-swift.x12")
    wait_until(lambda: _arrived(root, "swift", "archive", "997-from-swift.x12"), "the 997 to be archived")
    assert not (root / "swift" / "outbound" / "997-997-from-swift.x12").exists()  # acks are not acknowledged
    (acked,) = edi_hub.call(edi_hub.hub.edi.store.list_outbound("swift"))
    assert (acked.ack_kind, acked.ack_accepted, acked.exception_id) == ("997", True, exc.id)
    resolved = wait_until(
        lambda: (
            (v := edi_hub.call(edi_hub.hub.flows.exceptions.get(exc.id, TENANT)))
            and v.status == "resolved"
            and v
        ),
        "the exception to be resolved",
    )
    assert "997 received" in (resolved.resolution or "")


def test_a_tender_that_cannot_be_written_is_dead_lettered_without_using_a_number(edi_hub: Any) -> None:
    key = edi_hub.key(TENANT, ("events:read", "events:write"))
    data = example("tradelane.shipment.tendered.v1")
    data["offered_rate"] = {"amount": "212.00", "currency": "USD"}  # swift is set up to bill in EUR
    tender = {
        "specversion": "1.0",
        "id": "tender-usd",
        "source": "/odoo",
        "type": "tradelane.shipment.tendered.v1",
        "time": "2026-11-15T07:10:00Z",
        "data": data,
    }
    with httpx2.Client(base_url=edi_hub.base_url, timeout=20) as c:
        auth = {"Authorization": f"Bearer {key}"}
        assert c.post("/v1/events", json=tender, headers=auth).status_code in (200, 201)
        dead = wait_until(
            lambda: c.get("/v1/deliveries?status=dead", headers=auth).json()["deliveries"],
            "the dead delivery",
        )
        (attempt,) = c.get(f"/v1/deliveries/{dead[0]['id']}", headers=auth).json()["attempt_log"]
    assert "permanent" in attempt["detail"] and "bills in EUR" in attempt["detail"]
    assert list((edi_hub.root / "swift" / "outbound").iterdir()) == []
    assert edi_hub.call(edi_hub.hub.edi.store.list_outbound("swift")) == []


def test_edi_settings_name_the_bad_key(tmp_path: Path) -> None:
    from tradelane.bootstrap import build_hub
    from tradelane.core.errors import ConfigError

    base: dict[str, Any] = {"data_dir": tmp_path / "d", "database": {"url": f"sqlite:///{tmp_path / 'x.db'}"}}
    with pytest.raises(ConfigError) as unknown:
        build_hub(load_settings(None, **base, edi={"filedrop": {"folders": {"nobody": str(tmp_path)}}}))
    assert unknown.value.key == "edi.filedrop.nobody"
    with pytest.raises(ConfigError) as no_folder:
        build_hub(
            load_settings(
                None, **base, endpoints={"e": {"kind": "edi", "edi": {"partner": "swift", "document": "204"}}}
            )
        )
    assert no_folder.value.key == "edi.filedrop.root"
    with pytest.raises(ConfigError) as wrong_doc:
        build_hub(
            load_settings(
                None,
                **base,
                edi={"filedrop": {"root": str(tmp_path / "edi")}},
                endpoints={"e": {"kind": "edi", "edi": {"partner": "swift", "document": "IFTMIN"}}},
            )
        )
    assert wrong_doc.value.key == "endpoints.e.edi.document"
    shutil.rmtree(tmp_path / "edi", ignore_errors=True)
