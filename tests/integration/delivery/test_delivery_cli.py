"""The operator commands around delivery and security: dlq, endpoints, keys rotate, audit verify, run roles."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tradelane.bootstrap import build_hub
from tradelane.cli.main import app
from tradelane.ports.delivery import DeliveryFilter
from tradelane.settings import load_settings
from tradelane.testing.delivery import milestone
from tradelane.testing.sink import WebhookSink

runner = CliRunner(env={"COLUMNS": "200"})  # wide enough that tables are not truncated


@pytest.fixture
def dead_letters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config whose database holds three dead-lettered deliveries (the partner answered 400)."""
    monkeypatch.setenv("TRADELANE_SECRET_KEY", "cli-test-secret")
    cfg = {
        "data_dir": str(tmp_path / "data"),
        "database": {"url": f"sqlite:///{tmp_path / 'tl.db'}"},
        "endpoints": {"wms": {"url": "http://127.0.0.1:9/x", "allow": ["127.0.0.1"]}},
        "routes": [{"name": "to-wms", "events": ["*"], "destination": "wms"}],
        "delivery": {"poll_interval_s": 0.05},
    }

    async def make() -> None:
        sink = await WebhookSink(status_for=lambda doc: 400).start()
        cfg["endpoints"]["wms"]["url"] = sink.url  # type: ignore[index]
        hub = build_hub(load_settings(None, **cfg))
        await hub.start()
        try:
            await hub.ingest.submit("acme", [milestone(i, "shp_cli", i) for i in range(3)], batch=True)
            for _ in range(200):
                if await hub.store.count_deliveries(DeliveryFilter(status="dead")) == 3:
                    break
                await asyncio.sleep(0.05)
        finally:
            await hub.stop()
            await sink.stop()

    asyncio.run(make())
    path = tmp_path / "tradelane.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _count(config: Path, status: str) -> int:
    async def q() -> int:
        hub = build_hub(load_settings(config), role="api")
        try:
            return await hub.store.count_deliveries(DeliveryFilter(status=status))
        finally:
            await hub.store.close()

    return asyncio.run(q())


def test_dlq_list_dry_run_and_replay(dead_letters: Path) -> None:
    out = runner.invoke(app, ["dlq", "list", "-c", str(dead_letters)])
    assert out.exit_code == 0, out.output
    assert out.output.count("to-wms") == 3 and "http_4xx" in out.output
    dry = runner.invoke(app, ["dlq", "replay", "--route", "to-wms", "--dry-run", "-c", str(dead_letters)])
    assert dry.exit_code == 0 and "3 dead-lettered deliveries match" in dry.output
    assert _count(dead_letters, "dead") == 3  # a dry run changes nothing
    no = runner.invoke(app, ["dlq", "replay", "--error-class", "http_4xx", "-c", str(dead_letters)], input="n\n")
    assert no.exit_code == 1 and _count(dead_letters, "dead") == 3  # declined at the prompt
    yes = runner.invoke(app, ["dlq", "replay", "--error-class", "http_4xx", "--yes", "-c", str(dead_letters)])
    assert yes.exit_code == 0, yes.output
    assert "replayed 3 deliveries" in yes.output
    assert _count(dead_letters, "dead") == 0 and _count(dead_letters, "pending") == 3


def test_dlq_bad_time_and_unknown_delivery_are_clear_errors(dead_letters: Path) -> None:
    bad = runner.invoke(app, ["dlq", "replay", "--since", "yesterday", "-c", str(dead_letters)])
    assert bad.exit_code == 2 and "--since: not an ISO 8601 time" in bad.output
    missing = runner.invoke(app, ["dlq", "show", "dlv_nope", "-c", str(dead_letters)])
    assert missing.exit_code == 1 and "no delivery dlv_nope" in missing.output


def test_endpoints_disable_enable_and_list(dead_letters: Path) -> None:
    off = runner.invoke(app, ["endpoints", "disable", "wms", "--reason", "partner maintenance", "-c", str(dead_letters)])
    assert off.exit_code == 0
    listed = runner.invoke(app, ["endpoints", "list", "-c", str(dead_letters)])
    assert "partner maintenance" in listed.output and "wms" in listed.output
    on = runner.invoke(app, ["endpoints", "enable", "wms", "-c", str(dead_letters)])
    assert on.exit_code == 0
    assert "partner maintenance" not in runner.invoke(app, ["endpoints", "list", "-c", str(dead_letters)]).output


def test_endpoints_disable_and_enable_refuse_an_unknown_name_and_name_the_known_ones(dead_letters: Path) -> None:
    for verb in ("disable", "enable"):
        out = runner.invoke(app, ["endpoints", verb, "wsm", "-c", str(dead_letters)])
        assert out.exit_code == 2, out.output
        assert "unknown endpoint 'wsm'" in out.output and "configured endpoints: wms" in out.output
    # nothing was written for the typo

    async def states() -> set[str]:
        hub = build_hub(load_settings(dead_letters), role="api")
        try:
            return set(await hub.store.endpoint_states())
        finally:
            await hub.store.close()

    assert "wsm" not in asyncio.run(states())


def test_keys_rotate_and_audit_verify(dead_letters: Path) -> None:
    created = runner.invoke(app, ["keys", "create", "wms", "--tenant", "acme", "-c", str(dead_letters)])
    assert created.exit_code == 0, created.output
    key_id = created.output.split("key id ", 1)[1].split()[0]
    rotated = runner.invoke(app, ["keys", "rotate", key_id, "--overlap-hours", "1", "-c", str(dead_letters)])
    assert rotated.exit_code == 0, rotated.output
    assert f"replaces {key_id}" in rotated.output and "tl_pk_" in rotated.output
    again = runner.invoke(app, ["keys", "rotate", key_id, "-c", str(dead_letters)])
    assert again.exit_code == 1  # already rotated
    verified = runner.invoke(app, ["audit", "verify", "-c", str(dead_letters)])
    assert verified.exit_code == 0, verified.output
    assert "audit chain intact: 3 rows" in verified.output  # the hub's start (hub.started) + created + rotated
    bad = runner.invoke(app, ["audit", "verify", "--checkpoint", "x:y", "-c", str(dead_letters)])
    assert bad.exit_code == 2 and "SEQ:HASH" in bad.output


def test_run_refuses_an_unknown_role_and_a_relay_without_nats(dead_letters: Path) -> None:
    out = runner.invoke(app, ["run", "--role", "janitor", "-c", str(dead_letters)])
    assert out.exit_code == 2 and "unknown role 'janitor'" in out.output
    relay = runner.invoke(app, ["run", "--role", "relay", "-c", str(dead_letters)])
    assert relay.exit_code == 2 and "bus.url" in relay.output


def test_a_worker_process_serves_its_own_metrics(dead_letters: Path) -> None:
    """Distributed roles have no API: ``--metrics-port`` exposes the worker's delivery counters."""
    import os
    import subprocess
    import sys
    import urllib.request

    from tradelane.testing.net import free_port
    from tradelane.testing.wait import wait_until

    port = free_port()
    tradelane = str(Path(sys.executable).parent / "tradelane")
    worker = subprocess.Popen(
        [tradelane, "run", "--role", "worker", "--metrics-port", str(port), "-c", str(dead_letters)],
        env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        # the partner is gone now: the replayed deliveries fail to connect and are retried
        replayed = runner.invoke(app, ["dlq", "replay", "--route", "to-wms", "--yes", "-c", str(dead_letters)])
        assert replayed.exit_code == 0, replayed.output

        def retried() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    text = r.read().decode()
            except OSError:
                return False
            sample = 'tradelane_delivery_attempts_total{endpoint="wms",outcome="retry"} '
            lines = [ln for ln in text.splitlines() if ln.startswith(sample)]
            return bool(lines) and float(lines[0].split()[-1]) >= 3  # each replayed delivery tried at least once

        wait_until(retried, "the worker's attempt counter at its /metrics")
    finally:
        worker.terminate()
        worker.wait(30)
    api = runner.invoke(app, ["run", "--role", "api", "--metrics-port", str(port), "-c", str(dead_letters)])
    assert api.exit_code == 2 and "the API serves /metrics itself" in api.output
