"""``tradelane mapping xref …`` and ``mapping test`` against the configured database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradelane.cli.mapping import mapping_app
from tradelane.mapping.loader import template_dir

runner = CliRunner()


@pytest.fixture(autouse=True)
def database(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TRADELANE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRADELANE_DATABASE__URL", db_url)
    monkeypatch.delenv("TRADELANE_CONFIG", raising=False)
    return db_url


def test_xref_set_get_list_delete() -> None:
    res = runner.invoke(
        mapping_app, ["xref", "set", "acme-wms", "shipment", "WH/OUT/00042", "shp_1", "--odoo-id", "118"]
    )
    assert res.exit_code == 0, res.output
    assert "WH/OUT/00042 → shp_1 (odoo 118)" in res.stdout
    runner.invoke(mapping_app, ["xref", "set", "acme-wms", "location", "RTM1", "loc_dc_rtm"])
    runner.invoke(mapping_app, ["xref", "set", "acme-wms", "shipment", "WH/OUT/00042", "shp_2"])  # replaces

    got = runner.invoke(mapping_app, ["xref", "get", "acme-wms", "shipment", "WH/OUT/00042"])
    assert got.exit_code == 0
    entry = json.loads(got.stdout)
    assert (entry["canonical_id"], entry["odoo_id"], entry["tenant"]) == ("shp_2", None, "hub")
    by_canonical = runner.invoke(
        mapping_app, ["xref", "get", "acme-wms", "shipment", "shp_2", "--by", "canonical"]
    )
    assert json.loads(by_canonical.stdout)["partner_value"] == "WH/OUT/00042"
    missing = runner.invoke(mapping_app, ["xref", "get", "acme-wms", "shipment", "nope"])
    assert missing.exit_code == 1 and "no shipment cross reference" in missing.stderr
    other_tenant = runner.invoke(
        mapping_app, ["xref", "get", "acme-wms", "shipment", "WH/OUT/00042", "--tenant", "t2"]
    )
    assert other_tenant.exit_code == 1

    listed = runner.invoke(mapping_app, ["xref", "list", "--partner", "acme-wms", "--json"])
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["kind"], r["partner_value"]) for r in rows] == [
        ("location", "RTM1"),
        ("shipment", "WH/OUT/00042"),
    ]
    table = runner.invoke(mapping_app, ["xref", "list", "--kind", "location"], env={"COLUMNS": "200"})
    assert "loc_dc_rtm" in table.stdout and "WH/OUT" not in table.stdout

    assert runner.invoke(mapping_app, ["xref", "delete", "acme-wms", "location", "RTM1"]).exit_code == 0
    again = runner.invoke(mapping_app, ["xref", "delete", "acme-wms", "location", "RTM1"])
    assert again.exit_code == 1


def test_mapping_test_reads_cross_references_from_the_database() -> None:
    sample = str(template_dir("wms-rest").joinpath("samples", "pick_confirm.json"))
    before = runner.invoke(mapping_app, ["test", "wms-rest", sample])
    assert before.exit_code == 1
    assert "data.shipment_id  [xref]  value='WH/OUT/00042'" in before.stderr
    runner.invoke(mapping_app, ["xref", "set", "acme-wms", "shipment", "WH/OUT/00042", "shp_so0042_1"])
    runner.invoke(mapping_app, ["xref", "set", "acme-wms", "location", "RTM1", "loc_dc_rtm"])
    after = runner.invoke(mapping_app, ["test", "wms-rest", sample])
    assert after.exit_code == 0, after.output
    event = json.loads(after.stdout)["events"][0]
    assert event["partitionkey"] == "shp_so0042_1" and event["data"]["warehouse_id"] == "loc_dc_rtm"
