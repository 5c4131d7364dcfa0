"""Alert rules: the YAML file (errors name the key and line), evaluation against an exposition, and
de-duplication (fire once, repeat after ``repeat_after``, resolve once, ``for`` holds back) — through the
real log channel, observed with caplog. Retries of a failing channel are in the integration tests."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tradelane.core.errors import ConfigError
from tradelane.observability.alerts import (
    AlertConfig,
    AlertEngine,
    LogChannel,
    load_alert_config,
    parse_samples,
)

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

EXPOSITION = """# HELP tradelane_dlq_size Deliveries in the dead-letter status
# TYPE tradelane_dlq_size gauge
tradelane_dlq_size {dlq}
# HELP tradelane_destination_pending Pending deliveries per destination
# TYPE tradelane_destination_pending gauge
tradelane_destination_pending{{endpoint="tms"}} {tms}
tradelane_destination_pending{{endpoint="wms"}} {wms}
"""


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class Figures:
    dlq: int = 0
    tms: int = 0
    wms: int = 0

    async def exposition(self) -> bytes:
        return EXPOSITION.format(dlq=self.dlq, tms=self.tms, wms=self.wms).encode()


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "alerts.yaml"
    p.write_text(text)
    return p


def _engine(config: AlertConfig, figures: Figures, clock: Clock, **kw: Any) -> AlertEngine:
    return AlertEngine(config, metrics=figures.exposition, channels={"log": LogChannel()}, clock=clock,
                       instance="unit-hub", **kw)


def _alert_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    out = [r.getMessage() for r in caplog.records if r.name == "tradelane.alerts"]
    caplog.clear()
    return out


def test_parse_samples_reads_names_labels_and_values() -> None:
    samples = parse_samples(EXPOSITION.format(dlq=3, tms=2, wms=0))
    assert ("tradelane_dlq_size", {}, 3.0) in samples
    assert ("tradelane_destination_pending", {"endpoint": "tms"}, 2.0) in samples


def test_fires_once_repeats_after_the_interval_and_resolves_once(caplog: pytest.LogCaptureFixture) -> None:
    import asyncio

    caplog.set_level(logging.INFO, logger="tradelane.alerts")
    config = AlertConfig.model_validate({
        "defaults": {"repeat_after": "1h"},
        "rules": [{"name": "dead-letters", "metric": "tradelane_dlq_size", "above": 0}],
    })
    figures, clock = Figures(dlq=2), Clock()
    engine = _engine(config, figures, clock)
    run = lambda: asyncio.run(engine.run_once())  # noqa: E731

    assert [n.status for n in run()] == ["firing"]
    assert _alert_lines(caplog) == ["[unit-hub] FIRING dead-letters: tradelane_dlq_size is 2, above 0"]
    for _ in range(5):  # still firing: de-duplicated
        clock.advance(minutes=5)
        assert run() == []
    clock.advance(minutes=40)  # 65 minutes after the first notification
    assert [n.status for n in run()] == ["firing"]
    figures.dlq = 0
    clock.advance(minutes=1)
    resolved = run()
    assert [n.status for n in resolved] == ["resolved"] and resolved[0].since == T0
    assert _alert_lines(caplog)[-1] == (
        "[unit-hub] RESOLVED dead-letters: no longer true: tradelane_dlq_size is 2, above 0")
    assert run() == [] and engine.state == {}


def test_labels_select_samples_and_each_label_set_is_its_own_alert() -> None:
    import asyncio

    config = AlertConfig.model_validate({"rules": [
        {"name": "backlog", "metric": "tradelane_destination_pending", "above": 10},
        {"name": "tms-backlog", "metric": "tradelane_destination_pending", "labels": {"endpoint": "tms"},
         "above": 0},
    ]})
    figures, clock = Figures(tms=20, wms=30), Clock()
    sent = asyncio.run(_engine(config, figures, clock).run_once())
    assert sorted((n.alert.rule, n.alert.labels["endpoint"]) for n in sent) == [
        ("backlog", "tms"), ("backlog", "wms"), ("tms-backlog", "tms")]
    assert len({n.alert.fingerprint for n in sent}) == 3


def test_for_holds_an_alert_back_until_the_condition_lasted() -> None:
    import asyncio

    config = AlertConfig.model_validate(
        {"rules": [{"name": "dead", "metric": "tradelane_dlq_size", "above": 0, "for": "2m"}]}
    )
    figures, clock = Figures(dlq=1), Clock()
    engine = _engine(config, figures, clock)
    assert asyncio.run(engine.run_once()) == []
    clock.advance(seconds=90)
    assert asyncio.run(engine.run_once()) == []
    clock.advance(seconds=31)
    assert [n.status for n in asyncio.run(engine.run_once())] == ["firing"]
    # a blip that clears before "for" elapsed never notifies, nor resolves
    figures.dlq = 0
    asyncio.run(engine.run_once())
    figures.dlq = 1
    engine2 = _engine(config, figures, clock)
    assert asyncio.run(engine2.run_once()) == []
    figures.dlq = 0
    assert asyncio.run(engine2.run_once()) == [] and engine2.state == {}


@pytest.mark.parametrize(
    ("text", "key", "line", "message"),
    [
        ("rules:\n  - name: a\n    metric: tradelane_dlq_size\n", "rules.0", 2, "exactly one of above or below"),
        ("rules:\n  - name: a\n    metric: x\n    above: 1\n    for: soon\n", "rules.0", 2, "not a duration"),
        ("rules:\n  - name: a\n    metric: x\n    above: 1\n    channels: [pager]\n", "rules.0.channels", 5,
         "unknown channel 'pager'"),
        ("channels:\n  hook:\n    kind: webhook\n    url: http://169.254.169.254/x\n", "channels.hook", 2,
         "url refused"),
        ("channels:\n  mail:\n    kind: email\n    host: smtp\n    sender: a@b\n    to: [c@d]\n    password: x\n",
         "channels.mail.password", 7, "secrets may not be written"),
        ("channels:\n  mail:\n    kind: carrier-pigeon\n", "channels.mail", 2, "kind"),
        ("rules: [", None, 1, "not valid YAML"),
    ],
)
def test_bad_rules_files_name_the_key_and_line(tmp_path: Path, text: str, key: str | None, line: int,
                                               message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_alert_config(_write(tmp_path, text))
    assert message in str(err.value)
    assert err.value.key == key
    assert err.value.line == line


def test_a_good_file_loads(tmp_path: Path) -> None:
    cfg = load_alert_config(_write(tmp_path, """
interval_s: 5
defaults: {repeat_after: 30m, channels: [log]}
channels:
  log: {kind: log}
  hook: {kind: webhook, url: "http://127.0.0.1:9/alerts", allow: ["127.0.0.1"]}
  mail: {kind: email, host: 127.0.0.1, port: 2525, starttls: false, sender: hub@example.com, to: [ops@example.com]}
rules:
  - {name: dead, metric: tradelane_dlq_size, above: 0, channels: [hook, mail]}
  - {name: sla, sla_breaches: {window: 1h, flow: f}, above: 0}
"""))
    assert cfg.interval_s == 5 and [r.name for r in cfg.rules] == ["dead", "sla"]
    assert cfg.rules[1].sla_breaches is not None and cfg.rules[1].sla_breaches.flow == "f"
