"""The security commands over a real database: exports without prices, audited operator commands,
checkpoint export and tamper detection against it (``tradelane`` run in process with Typer's runner)."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import httpx2
import pytest
from typer.testing import CliRunner

from tradelane.cli.main import app
from tradelane.core.examples import EXAMPLES
from tradelane.settings import load_settings

CHARGED = "tradelane.freight.charged.v1"


@pytest.fixture
def cli_env(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, hub_server: Any) -> Any:
    """A served hub and the environment that points the CLI at the same database and server secret."""
    config = tmp_path / "tradelane.yaml"  # one partner endpoint, so `endpoints disable wms` names a known one
    config.write_text("endpoints:\n  wms:\n    url: http://127.0.0.1:9/hook\n    allow: [127.0.0.1]\n")
    monkeypatch.setenv("TRADELANE_CONFIG", str(config))
    monkeypatch.setenv("TRADELANE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRADELANE_DATABASE__URL", sqlite_url)
    return hub_server(load_settings(config, data_dir=tmp_path / "data", database={"url": sqlite_url}))


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_export_strips_prices_unless_asked_and_is_audited(cli_env: Any, tmp_path: Path) -> None:
    charged = {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/partners/acme-carrier", "type": CHARGED,
               "data": copy.deepcopy(EXAMPLES[CHARGED])}
    writer = {"Authorization": f"Bearer {cli_env.key('acme')}"}
    assert httpx2.post(f"{cli_env.base_url}/v1/events", json=charged, headers=writer).status_code == 201
    plain, priced = tmp_path / "plain.ndjson", tmp_path / "priced.ndjson"
    assert run("events", "export", "--tenant", "acme", "-o", str(plain)).exit_code == 0
    assert run("events", "export", "--with-pricing", "-o", str(priced)).exit_code == 0
    [hidden] = [json.loads(line) for line in plain.read_text().splitlines()]
    [shown] = [json.loads(line) for line in priced.read_text().splitlines()]
    assert shown["data"]["charges"] == charged["data"]["charges"]
    assert "charges" not in hidden["data"] and "amount" not in json.dumps(hidden)
    assert hidden["id"] == shown["id"] == charged["id"]
    naive = run("events", "export", "--since", "2026-01-01T00:00:00")
    assert naive.exit_code == 2 and "UTC offset" in naive.output
    rows = [json.loads(line) for line in run("audit", "list", "--json").stdout.splitlines()]
    exports = [r for r in rows if r["action"] == "events.exported"]
    assert [(r["detail"]["pricing"], r["detail"]["events"], r["tenant"]) for r in exports] == [
        (False, 1, "acme"),
        (True, 1, None),
    ]
    assert all(r["actor"].startswith("cli") for r in exports)


def test_operator_commands_are_audited_and_checkpoints_catch_a_cut_tail(cli_env: Any, tmp_path: Path) -> None:
    assert run("endpoints", "disable", "wms", "--reason", "partner maintenance").exit_code == 0
    assert run("dlq", "replay", "--since", "2026-01-01T00:00:00+00:00", "--yes").exit_code == 0
    failed = run("dlq", "replay", "--id", "dlv_nope", "--yes")
    assert failed.exit_code == 1  # a command that fails changes nothing and writes no audit row
    rows = [json.loads(line) for line in run("audit", "list", "--json").stdout.splitlines()]
    by_action = {r["action"]: r for r in rows}
    started = by_action["hub.started"]  # the served hub recorded the configuration it runs with
    assert len(started["detail"]["config_sha256"]) == 64 and "security" in started["detail"]["sections"]
    assert by_action["cli.endpoints.disable"]["target"] == "wms"
    assert by_action["cli.endpoints.disable"]["detail"]["reason"] == "partner maintenance"
    assert by_action["cli.dlq.replay"]["detail"]["since"].startswith("2026-01-01")
    assert [r["action"] for r in rows].count("cli.dlq.replay") == 1
    cp_file = tmp_path / "checkpoints.txt"
    cp = run("audit", "checkpoint", "-o", str(cp_file))
    assert cp.exit_code == 0
    checkpoint = cp.stdout.strip()
    seq, _, digest = checkpoint.partition(":")
    assert int(seq) == rows[-1]["seq"] and digest == rows[-1]["hash"]
    assert cp_file.read_text().startswith(checkpoint + " ")
    assert run("audit", "verify", "--checkpoint", checkpoint).exit_code == 0
    # someone with database access removes the last row (after dropping the append-only triggers)
    from sqlalchemy import text

    from tradelane.store.engine import make_engine

    engine = make_engine(str(cli_env.hub.settings.database_url()))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        conn.execute(text("DELETE FROM audit_log WHERE seq = :s"), {"s": int(seq)})
    engine.dispose()
    assert run("audit", "verify").exit_code == 0  # without the checkpoint a clean cut is invisible
    cut = run("audit", "verify", "--checkpoint", checkpoint)
    assert cut.exit_code == 1 and f"row {seq}" in cut.output and "truncated" in cut.output


def test_changing_the_server_secret_ends_every_key_and_rotation_reissues_them(
    cli_env: Any, monkeypatch: pytest.MonkeyPatch, hub_server: Any
) -> None:
    """The README's server-secret procedure: new TRADELANE_SECRET_KEY, then `keys rotate --overlap-hours 0`."""
    from tradelane.security.apikeys import parse_key

    old_key = cli_env.key("acme", ("events:read",))
    parsed = parse_key(old_key)
    assert parsed is not None
    monkeypatch.setenv("TRADELANE_SECRET_KEY", "a-new-server-secret-" + uuid.uuid4().hex)
    rotated = run("keys", "rotate", parsed.key_id, "--overlap-hours", "0")
    assert rotated.exit_code == 0, rotated.output
    new_key = rotated.stdout.strip().splitlines()[-1]
    assert new_key.startswith("tl_pk_") and new_key != old_key
    # a hub started with the new secret: the old key is refused, its successor works
    settings = load_settings(None, data_dir=cli_env.hub.settings.data_dir,
                             database={"url": str(cli_env.hub.settings.database_url())})
    assert settings.resolved_secret_key() != cli_env.hub.settings.resolved_secret_key()
    restarted = hub_server(settings)
    url = f"{restarted.base_url}/v1/events"
    assert httpx2.get(url, headers={"Authorization": f"Bearer {old_key}"}).status_code == 401
    assert httpx2.get(url, headers={"Authorization": f"Bearer {new_key}"}).status_code == 200
