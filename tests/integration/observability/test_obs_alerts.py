"""Alerts end to end: a hub on loopback whose deliveries to ``tms`` are dead-lettered and whose SLA runs out;
the alert rules (a YAML file) notify a real webhook receiver on loopback and a real SMTP server on loopback
(aiosmtpd), each once while the condition lasts (a webhook failure is retried), and once more when it clears."""

from __future__ import annotations

import email
import threading
from pathlib import Path
from typing import Any

import httpx2
import pytest
from aiosmtpd.controller import Controller

from tradelane.testing.delivery import delivery_settings, milestone
from tradelane.testing.net import free_port
from tradelane.testing.sink import WebhookSink
from tradelane.testing.wait import wait_until

#: evaluations watched after the first notification, to see that nothing is repeated
QUIET_ROUNDS = 10


class Mailbox:
    """aiosmtpd handler keeping every message received."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def subjects(self) -> list[str]:
        with self.lock:
            return [str(m["Subject"]) for m in self.messages]


@pytest.fixture
def smtp() -> Any:
    box = Mailbox()
    ctl = Controller(box, hostname="127.0.0.1", port=free_port())
    ctl.start()
    try:
        yield ctl, box
    finally:
        ctl.stop()


def test_dead_letters_and_sla_breaches_alert_webhook_and_mail_once(
    sqlite_url: str, tmp_path: Path, hub_server: Any, smtp: Any
) -> None:
    ctl, box = smtp
    answers: dict[str, int | None] = {"tms": 422}
    hook_failures_left = [1]

    def hook_status(doc: dict[str, Any]) -> int | None:
        if hook_failures_left[0] > 0:
            hook_failures_left[0] -= 1
            return 500
        return None

    receiver = WebhookSink(port=free_port(), status_for=hook_status)
    tms = WebhookSink(port=free_port(), status_for=lambda doc: answers["tms"])
    rules = tmp_path / "alerts.yaml"
    rules.write_text(f"""
interval_s: 0.2
defaults: {{repeat_after: 1h, channels: [log]}}
channels:
  log: {{kind: log}}
  hook: {{kind: webhook, url: "{receiver.url}", allow: ["127.0.0.1"]}}
  mail: {{kind: email, host: 127.0.0.1, port: {ctl.port}, starttls: false, sender: hub@example.com,
          to: [ops@example.com]}}
rules:
  - name: dead-letters
    metric: tradelane_dlq_size
    above: 0
    severity: high
    channels: [hook, mail, log]
  - name: tracking-sla
    sla_breaches: {{window: 1h, flow: tracking}}
    above: 0
    channels: [hook]
""")
    settings = delivery_settings(
        tmp_path, sqlite_url, {"tms": {"url": tms.url}},
        [{"name": "to-tms", "events": ["tradelane.shipment.milestone.v1"], "destination": "tms"}],
        observability={"alerts_file": str(rules)},
        flows={"tracking": {"owner_team": "transport", "slas": [{
            "name": "milestone-to-delivery", "start": "tradelane.shipment.milestone.v1",
            "stop": "tradelane.shipment.delivered.v1", "within": "1s", "key": "partitionkey"}]}},
        flow_runtime={"settle_s": 0, "sla_interval_s": 0.2},
    )
    running = hub_server(settings)
    running.call(receiver.start())
    running.call(tms.start())
    hub = running.hub
    key = running.key("carrier")
    try:
        with httpx2.Client(base_url=running.base_url, timeout=30) as c:
            r = c.post("/v1/events", content=milestone(1, "shp_alert_1", 1).model_dump_json(),
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/cloudevents+json"})
            assert r.status_code == 201, r.text

        def firing(rule: str) -> list[dict[str, Any]]:
            return [d for d in receiver.effects.values() if d.get("rule") == rule and d.get("status") == "firing"]

        wait_until(lambda: firing("dead-letters") and firing("tracking-sla"), "both alerts at the webhook")
        wait_until(lambda: any("FIRING dead-letters" in s for s in box.subjects()), "the alert e-mail")
        dead = firing("dead-letters")[0]
        assert dead["severity"] == "high" and dead["value"] == 1 and dead["instance"] == settings.instance_name
        sla = firing("tracking-sla")[0]
        assert sla["labels"] == {"flow": "tracking", "sla": "milestone-to-delivery"}
        assert "shp_alert_1" in sla["detail"]
        mail = next(m for m in box.messages if "FIRING dead-letters" in str(m["Subject"]))
        assert mail["To"] == "ops@example.com" and "tradelane_dlq_size is 1, above 0" in mail.get_payload()
        # the webhook's first answer was a 500: that notification was retried, and only the hook's
        assert receiver.requests >= 3 and hook_failures_left == [0]

        # many more evaluations while both conditions hold: nothing is sent again
        seen = hub.alerts.rounds
        wait_until(lambda: hub.alerts.rounds >= seen + QUIET_ROUNDS, "more alert evaluations")
        assert len(firing("dead-letters")) == 1 and len(firing("tracking-sla")) == 1
        assert sum("FIRING" in s for s in box.subjects()) == 1

        # the partner is fixed and the dead letter replayed: the DLQ alert resolves, once per channel
        answers["tms"] = None
        from datetime import UTC, datetime

        from tradelane.ports.delivery import DeliveryFilter

        running.call(hub.store.replay_deliveries(DeliveryFilter(status="dead"), "test", datetime.now(UTC), 10))
        hub.worker.wake()

        def resolved() -> list[dict[str, Any]]:
            return [d for d in receiver.effects.values()
                    if d.get("rule") == "dead-letters" and d.get("status") == "resolved"]

        wait_until(resolved, "the resolved notification")
        wait_until(lambda: any("RESOLVED dead-letters" in s for s in box.subjects()), "the resolved e-mail")
        seen = hub.alerts.rounds
        wait_until(lambda: hub.alerts.rounds >= seen + QUIET_ROUNDS, "more alert evaluations")
        assert len(resolved()) == 1 and sum("RESOLVED" in s for s in box.subjects()) == 1
        assert len(firing("tracking-sla")) == 1  # the SLA breach is still within its window
    finally:
        running.call(receiver.stop())
        running.call(tms.stop())
