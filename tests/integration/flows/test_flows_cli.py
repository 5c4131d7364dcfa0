"""``tradelane flows list``, ``exceptions list|show|ack|resolve``, ``conflicts list|accept|reject`` and
``config check`` of the flows section, on a real SQLite database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tradelane.bootstrap import build_hub
from tradelane.cli.main import app
from tradelane.ports.flows import NewException
from tradelane.routing.ownership import Conflict
from tradelane.settings import load_settings

runner = CliRunner(env={"COLUMNS": "220"})  # wide enough that tables are not truncated

FLOWS = {
    "order-release": {
        "owner_team": "warehouse",
        "description": "release orders",
        "slas": [{"name": "wms-ack", "start": "tradelane.order.released.v1",
                  "stop": "tradelane.shipment.picked.v1", "within": "1h30m"}],
    },
    "settlement": {"mode": "batch", "cron": "30 2 * * *", "owner_team": "finance"},
}


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, Any]]:
    monkeypatch.setenv("TRADELANE_SECRET_KEY", "cli-test-secret")
    monkeypatch.delenv("TRADELANE_ODOO_URL", raising=False)
    cfg = {"data_dir": str(tmp_path / "data"), "database": {"url": f"sqlite:///{tmp_path / 'tl.db'}"},
           "flows": FLOWS}
    ids: dict[str, Any] = {}

    async def make() -> None:
        hub = build_hub(load_settings(None, **cfg))
        assert hub.flows is not None
        try:
            x, _ = await hub.flows.exceptions.open(NewException(
                tenant="acme", type="short_shipped", severity="high", entity_kind="shipment", entity_id="SHP9",
                owner_team="warehouse", summary="short pick SHP9",
            ))
            ids["exc"] = x.id
            [c] = await hub.flows.conflicts.record(
                "acme", [Conflict("order", "SO1", "carrier_id", "acme-wms", ("tms",), "DHL", "UPS")], "evt_1"
            )
            ids["cfl"] = c.id
        finally:
            await hub.store.close()

    asyncio.run(make())
    path = tmp_path / "tradelane.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path, ids


def test_flows_list(seeded: tuple[Path, dict[str, Any]]) -> None:
    path, _ = seeded
    out = runner.invoke(app, ["flows", "list", "-c", str(path)])
    assert out.exit_code == 0, out.output
    assert "order-release" in out.output and "wms-ack ≤ 1h30m" in out.output and "30 2 * * *" in out.output
    js = runner.invoke(app, ["flows", "list", "-c", str(path), "--json"])
    rows = {r["name"]: r for r in json.loads(js.stdout)}
    assert rows["settlement"]["next_run"].endswith("T02:30:00Z") and rows["order-release"]["mode"] == "realtime"


def test_exceptions_commands(seeded: tuple[Path, dict[str, Any]]) -> None:
    path, ids = seeded
    listed = runner.invoke(app, ["exceptions", "list", "-c", str(path), "--status", "open"])
    assert listed.exit_code == 0 and ids["exc"] in listed.output and "shipment/SHP9" in listed.output
    bad = runner.invoke(app, ["exceptions", "list", "-c", str(path), "--entity", "SHP9"])
    assert bad.exit_code == 2 and "KIND/ID" in bad.output
    assert runner.invoke(app, ["exceptions", "ack", ids["exc"], "-c", str(path), "--note", "on it"]).exit_code == 0
    twice = runner.invoke(app, ["exceptions", "ack", ids["exc"], "-c", str(path)])
    assert twice.exit_code == 1 and "acknowledged" in twice.output
    assert runner.invoke(app, ["exceptions", "resolve", ids["exc"], "-c", str(path)]).exit_code == 2  # --note
    done = runner.invoke(app, ["exceptions", "resolve", ids["exc"], "-c", str(path), "--note", "recounted"])
    assert done.exit_code == 0 and "resolved" in done.output
    shown = runner.invoke(app, ["exceptions", "show", ids["exc"], "-c", str(path)])
    doc = json.loads(shown.stdout)
    assert doc["status"] == "resolved" and [h["actor"] for h in doc["history"]] == ["hub", "cli", "cli"]
    assert runner.invoke(app, ["exceptions", "show", "exc_nope", "-c", str(path)]).exit_code == 1


def test_conflicts_commands(seeded: tuple[Path, dict[str, Any]]) -> None:
    path, ids = seeded
    listed = runner.invoke(app, ["conflicts", "list", "-c", str(path)])
    assert listed.exit_code == 0 and ids["cfl"] in listed.output and "carrier_id" in listed.output
    ok = runner.invoke(app, ["conflicts", "accept", ids["cfl"], "-c", str(path), "--note", "TMS confirmed"])
    assert ok.exit_code == 0 and '"UPS"' in ok.output
    again = runner.invoke(app, ["conflicts", "reject", ids["cfl"], "-c", str(path)])
    assert again.exit_code == 1 and "accepted" in again.output
    assert ids["cfl"] not in runner.invoke(app, ["conflicts", "list", "-c", str(path)]).output


@pytest.mark.parametrize(
    ("flow", "key", "needle"),
    [
        ({"mode": "batch", "owner_team": "x"}, "flows.f.cron", "needs a cron"),
        ({"cron": "0 2 * * *", "owner_team": "x"}, "flows.f.cron", "only batch flows"),
        ({"mode": "batch", "cron": "0 25 * * *", "owner_team": "x"}, "flows.f.cron", "crontab"),
        ({"mode": "sometimes", "owner_team": "x"}, "flows.f.mode", ""),
        ({"owner_team": "x", "slas": [{"name": "a", "start": "tradelane.order.released.v1",
                                        "stop": "tradelane.shipment.picked.v1", "within": "soon"}]},
         "flows.f.slas.0.within", "not a duration"),
        ({"owner_team": "x", "slas": [{"name": "a", "start": "order released",
                                        "stop": "tradelane.shipment.picked.v1", "within": "1h"}]},
         "flows.f.slas.0.start", "not an event type"),
        ({"owner_team": "x", "slas": [{"name": "a", "start": "tradelane.order.released.v1",
                                        "stop": "tradelane.shipment.picked.v1", "within": "1h", "key": "data.["}]},
         "flows.f.slas.0.key", "JMESPath"),
        ({"owner_team": "x", "slas": [
            {"name": "a", "start": "tradelane.order.released.v1", "stop": "tradelane.shipment.picked.v1",
             "within": "1h"},
            {"name": "a", "start": "tradelane.order.released.v1", "stop": "tradelane.shipment.picked.v1",
             "within": "2h"}]},
         "flows.f.slas", "duplicate SLA"),
    ],
)
def test_config_check_names_the_bad_key(tmp_path: Path, flow: dict[str, Any], key: str, needle: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"flows": {"f": flow}}))
    out = runner.invoke(app, ["config", "check", str(path)])
    assert out.exit_code == 2
    text = " ".join(out.output.split())
    assert f"'{key}'" in text and needle in text
    if key != "flows.f.cron" or "cron" in flow:  # a key that is in the file is shown with its line
        assert "(line " in text
