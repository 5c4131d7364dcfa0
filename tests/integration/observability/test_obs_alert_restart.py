"""Alert state survives a restart (table ``alert_state``, SQLite and PostgreSQL): a hub whose deliveries to
``tms`` are dead-lettered fires the ``dead-letters`` alert at a real webhook receiver on loopback; the hub is
stopped and a new one started on the same database while the condition still holds — nothing is sent again;
the dead letter is then replayed to a fixed partner and the alert resolves, exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tradelane.ports.delivery import DeliveryFilter
from tradelane.testing.delivery import delivery_settings, milestone
from tradelane.testing.net import free_port
from tradelane.testing.sink import WebhookSink
from tradelane.testing.wait import wait_until

#: evaluations watched after the restart, to see that nothing is repeated
QUIET_ROUNDS = 10


@pytest.fixture
def side_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop in its own thread for the loopback sinks, so they outlive each hub's server loop."""
    loop = asyncio.new_event_loop()
    t = threading.Thread(target=loop.run_forever, daemon=True)
    t.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    t.join(10)


@contextlib.contextmanager
def _serve(settings: Any) -> Iterator[Any]:
    """A hub behind uvicorn on loopback until the block ends (then stopped: the "restart")."""
    import time

    import uvicorn

    from tradelane.api.app import create_app
    from tradelane.bootstrap import build_hub

    @dataclass
    class Served:
        hub: Any
        base_url: str
        loop: asyncio.AbstractEventLoop

        def call(self, coro: Any) -> Any:
            return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

        def key(self, tenant: str | None) -> str:
            from tradelane.security.keyring import create_api_key

            secret = self.hub.settings.resolved_secret_key()
            k, _ = self.call(create_api_key(self.hub.store, secret, name="test", tenant=tenant,
                                            scopes=("events:write", "events:read")))
            return str(k)

    hub = build_hub(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(hub), host="127.0.0.1", port=port, log_level="warning"))
    loop = asyncio.new_event_loop()
    t = threading.Thread(target=lambda: loop.run_until_complete(server.serve()), daemon=True)
    t.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and t.is_alive(), "the hub did not start"
        time.sleep(0.02)
    try:
        yield Served(hub, f"http://127.0.0.1:{port}", loop)
    finally:
        server.should_exit = True
        t.join(30)
        loop.close()


def _on(loop: asyncio.AbstractEventLoop, coro: Any) -> Any:
    return asyncio.run_coroutine_threadsafe(coro, loop).result(30)


def test_a_restarted_hub_does_not_resend_a_firing_alert_and_resolves_it_once(
    db_url: str, tmp_path: Path, side_loop: asyncio.AbstractEventLoop
) -> None:
    answers: dict[str, int | None] = {"tms": 422}
    receiver = WebhookSink(port=free_port())
    tms = WebhookSink(port=free_port(), status_for=lambda doc: answers["tms"])
    _on(side_loop, receiver.start())
    _on(side_loop, tms.start())
    rules = tmp_path / "alerts.yaml"
    rules.write_text(f"""
interval_s: 0.1
defaults: {{repeat_after: 1h, channels: [hook]}}
channels:
  hook: {{kind: webhook, url: "{receiver.url}", allow: ["127.0.0.1"]}}
rules:
  - name: dead-letters
    metric: tradelane_dlq_size
    above: 0
""")
    settings = delivery_settings(
        tmp_path, db_url, {"tms": {"url": tms.url}},
        [{"name": "to-tms", "events": ["tradelane.shipment.milestone.v1"], "destination": "tms"}],
        observability={"alerts_file": str(rules)},
    )

    def notes(status: str) -> list[dict[str, Any]]:
        return [d for d in receiver.effects.values() if d.get("rule") == "dead-letters" and d.get("status") == status]

    try:
        with _serve(settings) as first:
            key = first.key("carrier")
            r = httpx2.post(f"{first.base_url}/v1/events", content=milestone(1, "shp_restart", 1).model_dump_json(),
                            headers={"Authorization": f"Bearer {key}",
                                     "Content-Type": "application/cloudevents+json"}, timeout=30)
            assert r.status_code == 201, r.text
            wait_until(lambda: notes("firing"), "the alert at the webhook")
            fp = notes("firing")[0]["fingerprint"]
        # the first hub is gone; its state is in the database
        with _serve(settings) as second:
            hub = second.hub
            states = second.call(hub.alerts.states.load_alert_states())
            assert [(s.fingerprint, s.firing, sorted(s.sent)) for s in states] == [(fp, True, ["hook"])]
            wait_until(lambda: hub.alerts.rounds >= QUIET_ROUNDS, "evaluations after the restart")
            assert len(notes("firing")) == 1 and notes("resolved") == []

            answers["tms"] = None
            second.call(hub.store.replay_deliveries(DeliveryFilter(status="dead"), "test", datetime.now(UTC), 10))
            hub.worker.wake()
            wait_until(lambda: notes("resolved"), "the resolved notification")
            seen = hub.alerts.rounds
            wait_until(lambda: hub.alerts.rounds >= seen + QUIET_ROUNDS, "more evaluations")
            assert len(notes("resolved")) == 1 and len(notes("firing")) == 1
            assert notes("resolved")[0]["fingerprint"] == fp
            assert second.call(hub.alerts.states.load_alert_states()) == []  # the episode is over
    finally:
        _on(side_loop, receiver.stop())
        _on(side_loop, tms.stop())
