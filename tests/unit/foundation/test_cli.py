"""The ``tradelane`` command, run in process on a temporary embedded database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradelane.cli.main import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRADELANE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TRADELANE_CONFIG", raising=False)
    return tmp_path / "data"


def test_config_check_points_at_key_and_line(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("api:\n  port: 8080\n  portt: 1\n")
    res = runner.invoke(app, ["config", "check", str(cfg)])
    assert res.exit_code == 2
    assert "api.portt" in res.output and "line 3" in res.output
    cfg.write_text("api:\n  port: 8080\n")
    res = runner.invoke(app, ["config", "check", str(cfg)])
    assert res.exit_code == 0 and "configuration OK" in res.output


def test_db_upgrade_and_keys_lifecycle() -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    res = runner.invoke(app, ["keys", "create", "acme wms", "--tenant", "acme"])
    assert res.exit_code == 0, res.output
    key = res.stdout.strip().splitlines()[-1]
    assert key.startswith("tl_pk_")
    listed = runner.invoke(app, ["keys", "list"])
    assert "acme" in listed.output and key not in listed.output
    key_id = key[len("tl_pk_") : len("tl_pk_") + 16]
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 1
    bad = runner.invoke(app, ["keys", "create", "x", "--tenant", "a", "--scope", "root"])
    assert bad.exit_code == 2 and "unknown scope" in bad.output


def test_schema_export(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    res = runner.invoke(app, ["schema", "export", str(out)])
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in out.glob("*.json"))
    assert "tradelane.shipment.shipped.v1.json" in files and "envelope.json" in files
    schema = json.loads((out / "tradelane.shipment.shipped.v1.json").read_text())
    assert schema.get("description")


def test_events_show_unknown_id() -> None:
    runner.invoke(app, ["db", "upgrade"])
    res = runner.invoke(app, ["events", "show", "evt_nope"])
    assert res.exit_code == 1 and "no event" in res.output


def test_the_readme_configuration_example_passes_config_check(tmp_path: Path) -> None:
    """The YAML shown in the README's "Configuration" section is a configuration the hub accepts."""
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert "flows:" in example and "web:" in example
    path = tmp_path / "tradelane.yaml"
    path.write_text(example, encoding="utf-8")
    result = runner.invoke(app, ["config", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "configuration OK" in result.output
