"""Secrets encrypted at rest: the vault on SQLite and PostgreSQL, the ``tradelane secrets`` commands, and a hub
that signs and verifies webhooks with secrets it reads from the vault (none in its environment)."""

from __future__ import annotations

import base64
import json
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from tradelane.cli.main import app
from tradelane.delivery.signing import generate_secret, sign
from tradelane.security.secretbox import SecretBox, SecretBoxError, generate_key, key_id
from tradelane.security.vault import SecretSource, SecretVault
from tradelane.testing.delivery import delivery_settings, milestone
from tradelane.testing.net import free_port
from tradelane.testing.sink import WebhookSink
from tradelane.testing.wait import wait_until


def _ring(*keys: str) -> SecretBox:
    return SecretBox([base64.b64decode(k) for k in keys])


async def test_vault_stores_only_sealed_values_and_rotates(sql_store: Any) -> None:
    old, new = generate_key(), generate_key()
    vault = SecretVault(sql_store, _ring(old))
    canary = "CANARY-" + uuid.uuid4().hex
    assert await vault.set("TL_A", canary) is False
    assert await vault.set("TL_B", "second") is False
    assert await vault.set("TL_B", "second, replaced") is True
    assert await vault.get("TL_A") == canary and await vault.get("TL_missing") is None
    with sql_store.engine.connect() as c:
        dump = [tuple(r) for r in c.execute(text("SELECT * FROM secrets"))]
    assert len(dump) == 2 and canary not in repr(dump) and "replaced" not in repr(dump)
    with pytest.raises(ValueError):
        await vault.set("has space", "x")
    with pytest.raises(ValueError):
        await vault.set("TL_EMPTY", "")
    # rotation: the new key goes first, every row is re-sealed under it, then the old key can go
    rotating = SecretVault(sql_store, _ring(new, old))
    assert await rotating.rotate() == 2 and await rotating.rotate() == 0
    assert {i.key_id for i in await rotating.list_secrets()} == {rotating.box.current}
    after = SecretVault(sql_store, _ring(new))
    assert await after.get("TL_A") == canary and await after.get("TL_B") == "second, replaced"
    with pytest.raises(SecretBoxError):
        await SecretVault(sql_store, _ring(old)).get("TL_A")
    # a sealed value moved onto another name does not open there
    with sql_store.engine.begin() as c:
        c.execute(text("UPDATE secrets SET sealed = (SELECT sealed FROM secrets WHERE name = 'TL_A') "
                       "WHERE name = 'TL_B'"))
    with pytest.raises(SecretBoxError, match="TL_B"):
        await after.get("TL_B")
    source = SecretSource(lambda: after, environ={"TL_B": "from the environment"})
    assert source.get("TL_B") == "from the environment"  # the environment wins
    assert source.get("TL_A") == canary and source.get("TL_nowhere") == ""
    assert await after.delete("TL_A") and not await after.delete("TL_A")


def test_a_hub_uses_vault_secrets_and_the_commands_rotate_the_key(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, hub_server: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    old, new = generate_key(), generate_key()
    caplog.set_level(logging.DEBUG)
    monkeypatch.delenv("TRADELANE_CONFIG", raising=False)
    monkeypatch.setenv("TRADELANE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRADELANE_DATABASE__URL", sqlite_url)
    monkeypatch.setenv("TRADELANE_ENCRYPTION_KEYS", old)
    hook_secret, out_secret = generate_secret(), generate_secret()
    monkeypatch.setenv("TL_STAGING_VALUE", out_secret)
    runner = CliRunner()
    r = runner.invoke(app, ["secrets", "set", "TL_VAULT_HOOK"], input=hook_secret + "\n", catch_exceptions=False)
    assert r.exit_code == 0 and "stored" in r.output and hook_secret not in r.output
    r = runner.invoke(app, ["secrets", "set", "TL_VAULT_OUT", "--from-env", "TL_STAGING_VALUE"])
    assert r.exit_code == 0, r.output
    monkeypatch.delenv("TL_STAGING_VALUE")
    assert "TL_VAULT_HOOK" not in os.environ and "TL_VAULT_OUT" not in os.environ
    sink = WebhookSink(port=free_port(), secrets=(out_secret,))
    running = hub_server(delivery_settings(
        tmp_path, sqlite_url,
        {"wms": {"url": sink.url, "secrets_env": "TL_VAULT_OUT"}},
        [{"name": "to-wms", "events": ["tradelane.shipment.*"], "destination": "wms"}],
        hooks={"carrier": {"scheme": "standard", "secrets_env": "TL_VAULT_HOOK", "tenant": "carrier-co"}},
    ))
    running.call(sink.start())
    try:
        body = json.dumps(milestone(1, "shp_vault", 1).to_wire()).encode()
        headers = {"content-type": "application/json",
                   **sign([hook_secret], "msg_" + uuid.uuid4().hex, int(time.time()), body)}
        r2 = httpx2.post(f"{running.base_url}/v1/hooks/carrier", content=body, headers=headers)
        assert r2.status_code == 201, r2.text  # verified with the secret read from the vault
        forged = {**headers, **sign([generate_secret()], headers["webhook-id"], int(time.time()), body)}
        assert httpx2.post(f"{running.base_url}/v1/hooks/carrier", content=body, headers=forged).status_code == 401
        wait_until(lambda: sink.effects, "the delivery signed with the vault's secret")
        assert sink.bad_signatures == 0
    finally:
        running.call(sink.stop())
    # rotate the encryption key: new key first, re-seal, then the old key can be dropped
    monkeypatch.setenv("TRADELANE_ENCRYPTION_KEYS", f"{new} {old}")
    r = runner.invoke(app, ["secrets", "rotate-key"], catch_exceptions=False)
    assert r.exit_code == 0 and "re-sealed 2" in r.output
    monkeypatch.setenv("TRADELANE_ENCRYPTION_KEYS", new)
    listed = runner.invoke(app, ["secrets", "list"], catch_exceptions=False).output
    assert "TL_VAULT_HOOK" in listed and key_id(base64.b64decode(new)) in listed and "old key" not in listed
    assert hook_secret not in listed and out_secret not in listed
    # the old key alone no longer opens anything: a clear error, exit 1, no secret shown
    monkeypatch.setenv("TRADELANE_ENCRYPTION_KEYS", old)
    r = runner.invoke(app, ["secrets", "rotate-key"])
    assert r.exit_code == 1 and "not in the key ring" in " ".join(r.output.split())
    monkeypatch.setenv("TRADELANE_ENCRYPTION_KEYS", "short")
    r = runner.invoke(app, ["secrets", "list"])
    assert r.exit_code == 2 and "TRADELANE_ENCRYPTION_KEYS" in " ".join(r.output.split())
    rows = [json.loads(x) for x in runner.invoke(app, ["audit", "list", "--json"]).stdout.splitlines()]
    actions = [(row["action"], row["target"]) for row in rows]
    assert ("cli.secrets.set", "TL_VAULT_HOOK") in actions and ("cli.secrets.rotate-key", None) in actions
    assert hook_secret not in json.dumps(rows) and out_secret not in json.dumps(rows)
    # canaries: neither the secrets nor the keys are in the database files or any log line
    db_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("tradelane.db*"))
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for canary in (hook_secret, out_secret, old, new):
        assert canary.encode() not in db_bytes and canary not in logged, canary[:10]
    assert b"tlenc1." in db_bytes  # what is there is the sealed form
