"""Alerts: rules on the hub's metrics and on SLA breaches, sent to a webhook, e-mail (SMTP) or the log,
de-duplicated.

Rules live in their own YAML file, named by ``observability.alerts_file``::

    interval_s: 30                  # how often rules are evaluated
    defaults: {repeat_after: 4h, channels: [log]}
    channels:
      ops-hook: {kind: webhook, url: "https://alerts.example.com/tradelane", allow: []}
      ops-mail: {kind: email, host: smtp.example.com, port: 587, starttls: true, sender: hub@example.com,
                 to: [ops@example.com], username: hub, password_env: TRADELANE_SMTP_PASSWORD}
      log: {kind: log}
    rules:
      - name: dead-letters                       # a metric sample of /metrics (counters end in _total)
        metric: tradelane_dlq_size
        above: 0
        severity: high
        channels: [ops-hook, ops-mail]
      - name: partner-lag
        metric: tradelane_destination_oldest_pending_age_seconds
        labels: {endpoint: tms}                  # only samples with these labels
        above: 300
        for: 2m                                  # the condition must hold this long before it fires
      - name: sla-breaches                       # SLA timers breached within the window, per flow and SLA
        sla_breaches: {window: 1h, flow: order-to-delivery}
        above: 0

Each rule yields one *alert* per matching sample (metric rules: per label set; SLA rules: per flow and SLA),
identified by a fingerprint of the rule and the labels. De-duplication: an alert is sent when it starts
firing, again only after ``repeat_after`` while it keeps firing, and once when it resolves
(``send_resolved``). A channel that fails is retried at the next evaluation; the others are not repeated.
The rules run in the ``all``/``api`` roles; their state (firing since, what each channel was told) is kept
in the database (``alert_state``, through :class:`~tradelane.ports.alerts.AlertStates`), so a restarted hub
does not re-send alerts still firing and sends each "resolved" once. Without a state store (unit tests) it
lives in memory.

Secrets (the SMTP password) come from the environment variable named by ``password_env``, never the file.
A bad file is a :class:`~tradelane.core.errors.ConfigError` naming the key and its line.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import smtplib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

import httpx2
import orjson
import yaml
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tradelane.core.errors import ConfigError
from tradelane.ports.alerts import AlertStateRecord, AlertStates

__all__ = [
    "Alert",
    "AlertConfig",
    "AlertEngine",
    "EmailChannel",
    "LogChannel",
    "Notification",
    "RuleConfig",
    "WebhookChannel",
    "build_alert_engine",
    "load_alert_config",
    "parse_samples",
]

log = logging.getLogger("tradelane.alerts")

#: most breached SLA timers read per evaluation
SLA_SCAN_CAP = 5000
#: seconds a webhook or SMTP call may take
DEFAULT_TIMEOUT_S = 10.0


def _duration(text: Any) -> timedelta:
    from tradelane.flows.spec import parse_duration

    if isinstance(text, int | float):
        return timedelta(seconds=float(text))
    return parse_duration(str(text))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class WebhookConfig(_Model):
    kind: Literal["webhook"]
    #: where alerts are POSTed as JSON
    url: str = Field(min_length=1, max_length=2000)
    #: hosts/CIDRs allowed although private (the outbound URL guard refuses them otherwise)
    allow: list[str] = Field(default_factory=list)
    timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0, le=120)

    @model_validator(mode="after")
    def _safe(self) -> WebhookConfig:
        from tradelane.security.urlguard import UnsafeURL, check_url

        try:
            check_url(self.url, self.allow)
        except UnsafeURL as exc:
            raise ValueError(f"url refused: {exc}") from None
        return self


class EmailConfig(_Model):
    kind: Literal["email"]
    host: str = Field(min_length=1, max_length=255)
    port: int = Field(default=587, ge=1, le=65535)
    #: upgrade the connection with STARTTLS before sending (turn off only for a relay on loopback)
    starttls: bool = True
    sender: str = Field(min_length=3, max_length=320)
    to: list[str] = Field(min_length=1)
    username: str | None = None
    #: environment variable holding the SMTP password
    password_env: str | None = None
    timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0, le=120)


class LogConfig(_Model):
    kind: Literal["log"]


ChannelConfig = WebhookConfig | EmailConfig | LogConfig


def _default_channels() -> dict[str, ChannelConfig]:
    return {"log": LogConfig(kind="log")}


class SlaSelector(_Model):
    #: breaches counted over this long a window
    window: str = "1h"
    flow: str | None = None
    sla: str | None = None

    @field_validator("window")
    @classmethod
    def _window(cls, v: str) -> str:
        _duration(v)
        return v


class RuleConfig(_Model):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
    #: a sample name of the ``/metrics`` exposition
    metric: str | None = Field(default=None, pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
    #: only samples carrying these label values
    labels: dict[str, str] = Field(default_factory=dict)
    #: count breached SLA timers instead of reading a metric
    sla_breaches: SlaSelector | None = None
    #: fire when the value is above (or below) this
    above: float | None = None
    below: float | None = None
    #: the condition must hold this long before the alert fires
    for_: str = Field(default="0s", alias="for")
    severity: Literal["low", "medium", "high", "critical"] = "high"
    #: channel names (default: ``defaults.channels``)
    channels: list[str] | None = None
    #: send again while still firing after this long (default: ``defaults.repeat_after``)
    repeat_after: str | None = None
    send_resolved: bool = True
    summary: str | None = Field(default=None, max_length=300)

    @model_validator(mode="after")
    def _one_source_one_bound(self) -> RuleConfig:
        if (self.metric is None) == (self.sla_breaches is None):
            raise ValueError("give exactly one of metric or sla_breaches")
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above or below")
        if self.for_ != "0s":
            _duration(self.for_)
        if self.repeat_after is not None:
            _duration(self.repeat_after)
        return self


class Defaults(_Model):
    repeat_after: str = "4h"
    channels: list[str] = Field(default_factory=lambda: ["log"])

    @field_validator("repeat_after")
    @classmethod
    def _repeat(cls, v: str) -> str:
        _duration(v)
        return v


class AlertConfig(_Model):
    interval_s: float = Field(default=30.0, gt=0, le=3600)
    defaults: Defaults = Defaults()
    channels: dict[str, Annotated[ChannelConfig, Field(discriminator="kind")]] = Field(
        default_factory=_default_channels
    )
    rules: list[RuleConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names_resolve(self) -> AlertConfig:
        seen: set[str] = set()
        for i, rule in enumerate(self.rules):
            if rule.name in seen:
                raise ValueError(f"rules.{i}.name: duplicate rule name {rule.name!r}")
            seen.add(rule.name)
            for ch in rule.channels or self.defaults.channels:
                if ch not in self.channels:
                    raise ValueError(f"rules.{i}.channels: unknown channel {ch!r}")
        return self


# -- loading ----------------------------------------------------------------------------------------------
def _lines(text: str) -> dict[tuple[str, ...], int]:
    out: dict[tuple[str, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                out[(*path, str(k.value))] = k.start_mark.line + 1
                walk(v, (*path, str(k.value)))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                out[(*path, str(i))] = v.start_mark.line + 1
                walk(v, (*path, str(i)))

    root = yaml.compose(text)
    if root is not None:
        walk(root, ())
    return out


def load_alert_config(path: str | Path) -> AlertConfig:
    """Read and validate an alert rules file.

    :raises ConfigError: naming the key and its line
    """
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read alert rules {p}: {exc.strerror}", key="observability.alerts_file") from exc
    try:
        doc = yaml.safe_load(text) or {}
        lines = _lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"{p}: not valid YAML", line=(mark.line + 1) if mark else None) from exc
    if not isinstance(doc, dict):
        raise ConfigError(f"{p}: the top level must be a mapping", line=1)
    for secret in ("password", "smtp_password", "token"):
        for name, ch in (doc.get("channels") or {}).items():
            if isinstance(ch, dict) and secret in ch:
                raise ConfigError(f"{p}: secrets may not be written in the rules file; use password_env",
                                  key=f"channels.{name}.{secret}", line=lines.get(("channels", str(name), secret)))
    try:
        return AlertConfig.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(str(x) for x in err["loc"] if not (isinstance(x, str) and x in {"webhook", "email", "log"}))
        msg = str(err["msg"]).removeprefix("Value error, ")
        if "." in msg.split(":")[0] and ":" in msg:  # a model validator naming its own key
            key, _, rest = msg.partition(": ")
            loc, msg = tuple(key.split(".")), rest
        line = None
        for n in range(len(loc), 0, -1):
            line = lines.get(loc[:n])
            if line:
                break
        raise ConfigError(f"{p}: {msg}", key=".".join(loc) or None, line=line) from exc


# -- samples ----------------------------------------------------------------------------------------------
Sample = tuple[str, Mapping[str, str], float]


def parse_samples(exposition: bytes | str) -> list[Sample]:
    """Every sample of a Prometheus text exposition: ``(name, labels, value)``."""
    text = exposition.decode() if isinstance(exposition, bytes) else exposition
    out: list[Sample] = []
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.append((s.name, dict(s.labels), float(s.value)))
    return out


# -- alerts and notifications -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Alert:
    """One alert instance: a rule and the labels of the sample that matched."""

    rule: str
    labels: Mapping[str, str]
    value: float
    severity: str
    summary: str
    #: for SLA rules, the keys of the breached timers (first ones)
    detail: str = ""

    @property
    def fingerprint(self) -> str:
        raw = self.rule + "\x00" + "\x00".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Notification:
    """What a channel is given: the alert, whether it fires or resolved, since when."""

    status: Literal["firing", "resolved"]
    alert: Alert
    since: datetime
    at: datetime
    instance: str

    def as_dict(self) -> dict[str, Any]:
        a = self.alert
        return {
            "status": self.status, "rule": a.rule, "severity": a.severity, "labels": dict(a.labels),
            "value": a.value, "summary": a.summary, "detail": a.detail, "fingerprint": a.fingerprint,
            "since": self.since.isoformat().replace("+00:00", "Z"), "at": self.at.isoformat().replace("+00:00", "Z"),
            "instance": self.instance,
        }

    @property
    def text(self) -> str:
        """The alert's summary, as of this notification."""
        return self.alert.summary if self.status == "firing" else f"no longer true: {self.alert.summary}"

    @property
    def subject(self) -> str:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(self.alert.labels.items()))
        return f"[{self.instance}] {self.status.upper()} {self.alert.rule}" + (f" ({labels})" if labels else "")


class Channel(Protocol):
    name: str

    async def send(self, n: Notification) -> None:
        """Deliver one notification; raise on failure (the engine retries at the next evaluation)."""
        ...

    async def close(self) -> None: ...


class LogChannel:
    """Writes alerts to the ``tradelane.alerts`` log (one JSON log line each with the structured logger)."""

    def __init__(self, name: str = "log") -> None:
        self.name = name

    async def send(self, n: Notification) -> None:
        level = logging.WARNING if n.status == "firing" else logging.INFO
        log.log(level, "%s: %s", n.subject, n.text, extra={"alert": n.as_dict()})

    async def close(self) -> None:
        return None


class WebhookChannel:
    """POSTs each notification as JSON through the outbound URL guard; any 2xx is success."""

    def __init__(self, name: str, cfg: WebhookConfig) -> None:
        from tradelane.security.urlguard import guarded_client

        self.name = name
        self.url = cfg.url
        self._client = guarded_client(allow_list=cfg.allow, timeout=httpx2.Timeout(cfg.timeout_s))

    async def send(self, n: Notification) -> None:
        # a receiver can drop repeats of one notification (a retry after a lost answer) by webhook-id
        wid = f"alert_{n.alert.fingerprint}_{n.status}_{int(n.at.timestamp() * 1000)}"
        r = await self._client.post(self.url, content=orjson.dumps(n.as_dict()),
                                    headers={"Content-Type": "application/json", "webhook-id": wid})
        if not 200 <= r.status_code < 300:
            raise RuntimeError(f"webhook {self.name} answered HTTP {r.status_code}")

    async def close(self) -> None:
        await self._client.aclose()


class EmailChannel:
    """Sends each notification as a plain-text e-mail over SMTP (STARTTLS and login when configured)."""

    def __init__(self, name: str, cfg: EmailConfig) -> None:
        self.name = name
        self.cfg = cfg

    def _send_sync(self, msg: EmailMessage) -> None:
        cfg = self.cfg
        with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_s) as smtp:
            if cfg.starttls:
                smtp.starttls()
            if cfg.username:
                password = os.environ.get(cfg.password_env or "", "")
                smtp.login(cfg.username, password)
            smtp.send_message(msg)

    async def send(self, n: Notification) -> None:
        msg = EmailMessage()
        msg["Subject"] = n.subject
        msg["From"] = self.cfg.sender
        msg["To"] = ", ".join(self.cfg.to)
        msg["X-Tradelane-Alert"] = n.alert.fingerprint
        d = n.as_dict()
        body = [n.text, "", f"status:   {n.status}", f"rule:     {n.alert.rule}",
                f"severity: {n.alert.severity}", f"value:    {n.alert.value:g}", f"since:    {d['since']}"]
        body += [f"{k}: {v}" for k, v in sorted(n.alert.labels.items())]
        if n.alert.detail:
            body += ["", n.alert.detail]
        msg.set_content("\n".join(body) + "\n")
        await asyncio.to_thread(self._send_sync, msg)

    async def close(self) -> None:
        return None


def build_channel(name: str, cfg: ChannelConfig) -> Channel:
    if isinstance(cfg, WebhookConfig):
        return WebhookChannel(name, cfg)
    if isinstance(cfg, EmailConfig):
        return EmailChannel(name, cfg)
    return LogChannel(name)


# -- the engine -------------------------------------------------------------------------------------------
MetricsSource = Callable[[], Awaitable[bytes]]
SlaSource = Callable[[str | None, str | None, int], Awaitable[Sequence[Any]]]


@dataclass
class _State:
    since: datetime
    #: when the condition was first seen (before ``for`` elapsed the alert is pending, not firing)
    pending_since: datetime
    firing: bool = False
    alert: Alert | None = None
    #: channel → when the firing notification last went out
    sent: dict[str, datetime] = field(default_factory=dict)
    #: channels still owed a "resolved" notification
    owe_resolved: set[str] = field(default_factory=set)


class AlertEngine:
    """Evaluates the rules every ``interval_s`` and notifies the channels, de-duplicated.

    :param metrics: returns the current ``/metrics`` exposition
    :param sla_timers: ``(flow, sla, limit)`` → breached timers (with ``flow``, ``sla``, ``key``, ``breached_at``)
    """

    def __init__(
        self,
        config: AlertConfig,
        *,
        metrics: MetricsSource | None = None,
        sla_timers: SlaSource | None = None,
        channels: Mapping[str, Channel] | None = None,
        instance: str = "tradelane",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        states: AlertStates | None = None,
    ) -> None:
        self.config = config
        self.metrics = metrics
        self.sla_timers = sla_timers
        self.channels = dict(channels) if channels is not None else {
            n: build_channel(n, c) for n, c in config.channels.items()
        }
        self.instance = instance
        self.clock = clock
        self.state: dict[str, _State] = {}
        #: notifications sent, by channel (for the metrics page and tests)
        self.sent_count: dict[str, int] = {}
        #: evaluations done
        self.rounds = 0
        self._task: asyncio.Task[None] | None = None
        #: where the state survives restarts (``None``: in memory only, a restart re-sends firing alerts)
        self.states = states
        self._loaded = states is None
        #: what :attr:`states` holds, per fingerprint, as last written
        self._persisted: dict[str, AlertStateRecord] = {}

    # persistence
    async def _load(self) -> None:
        assert self.states is not None
        for rec in await self.states.load_alert_states():
            a = rec.alert
            labels = a.get("labels")
            alert = Alert(rec.rule, dict(labels) if isinstance(labels, dict) else {}, float(a.get("value") or 0.0),
                          str(a.get("severity") or "warning"), str(a.get("summary") or ""), str(a.get("detail") or ""))
            self.state[rec.fingerprint] = _State(since=rec.since, pending_since=rec.pending_since, firing=rec.firing,
                                                 alert=alert, sent=dict(rec.sent), owe_resolved=set(rec.owe_resolved))
            self._persisted[rec.fingerprint] = rec
        self._loaded = True

    async def _save(self) -> None:
        """Write the states that changed since the last save, and forget the ones that ended."""
        assert self.states is not None
        now_records: dict[str, AlertStateRecord] = {}
        for fp, st in self.state.items():
            if st.alert is None:
                continue
            a = st.alert
            now_records[fp] = AlertStateRecord(
                fingerprint=fp, rule=a.rule,
                alert={"labels": dict(a.labels), "value": a.value, "severity": a.severity, "summary": a.summary,
                       "detail": a.detail},
                firing=st.firing, since=st.since, pending_since=st.pending_since, sent=dict(st.sent),
                owe_resolved=tuple(sorted(st.owe_resolved)),
            )
        changed = [r for fp, r in now_records.items() if self._persisted.get(fp) != r]
        removed = [fp for fp in self._persisted if fp not in now_records]
        if changed or removed:
            await self.states.save_alert_states(changed, removed, self.clock())
            self._persisted = now_records

    # evaluation
    async def _current(self, now: datetime) -> list[tuple[RuleConfig, Alert]]:
        out: list[tuple[RuleConfig, Alert]] = []
        samples: list[Sample] | None = None
        for rule in self.config.rules:
            if rule.metric is not None:
                if samples is None:
                    samples = parse_samples(await self.metrics()) if self.metrics is not None else []
                for name, labels, value in samples:
                    if name != rule.metric or any(labels.get(k) != v for k, v in rule.labels.items()):
                        continue
                    if _breaks(rule, value):
                        out.append((rule, Alert(rule.name, labels, value, rule.severity, _summary(rule, value))))
            elif rule.sla_breaches is not None and self.sla_timers is not None:
                sel = rule.sla_breaches
                since = now - _duration(sel.window)
                groups: dict[tuple[str, str], list[str]] = {}
                for t in await self.sla_timers(sel.flow, sel.sla, SLA_SCAN_CAP):
                    at = t.breached_at
                    if at is not None and (at if at.tzinfo else at.replace(tzinfo=UTC)) >= since:
                        groups.setdefault((t.flow, t.sla), []).append(t.key)
                if not groups and rule.below is not None:
                    groups[(sel.flow or "*", sel.sla or "*")] = []
                for (flow, sla), keys in sorted(groups.items()):
                    value = float(len(keys))
                    if _breaks(rule, value):
                        detail = "breached: " + ", ".join(keys[:20]) + (" …" if len(keys) > 20 else "")
                        out.append((rule, Alert(rule.name, {"flow": flow, "sla": sla}, value, rule.severity,
                                                _summary(rule, value, f"SLA {flow}/{sla} breaches in {sel.window}"),
                                                detail if keys else "")))
        return out

    async def evaluate(self) -> list[tuple[str, Notification]]:
        """One evaluation: which (channel, notification) pairs are due now. Updates the firing state; the
        sent state is updated by :meth:`run_once` as each send succeeds."""
        now = self.clock()
        self.rounds += 1
        due: list[tuple[str, Notification]] = []
        seen: set[str] = set()
        rules = {r.name: r for r in self.config.rules}
        for rule, alert in await self._current(now):
            fp = alert.fingerprint
            seen.add(fp)
            st = self.state.get(fp)
            if st is None:
                st = self.state[fp] = _State(since=now, pending_since=now)
            st.alert = alert
            hold = _duration(rule.for_) if rule.for_ != "0s" else timedelta(0)
            if not st.firing and now - st.pending_since >= hold:
                # (re)starts firing: a new episode, whatever was sent for the last one
                st.firing, st.since, st.sent, st.owe_resolved = True, now, {}, set()
            if not st.firing:
                continue
            repeat = _duration(rule.repeat_after or self.config.defaults.repeat_after)
            for ch in rule.channels or self.config.defaults.channels:
                last = st.sent.get(ch)
                if last is None or now - last >= repeat:
                    due.append((ch, Notification("firing", alert, st.since, now, self.instance)))
        for fp, st in list(self.state.items()):
            if fp in seen:
                continue
            gone = rules.get(st.alert.rule) if st.alert else None
            if st.firing and st.alert is not None and gone is not None and gone.send_resolved and not st.owe_resolved:
                st.owe_resolved = set(st.sent)
            st.firing = False
            for ch in sorted(st.owe_resolved):
                assert st.alert is not None
                due.append((ch, Notification("resolved", st.alert, st.since, now, self.instance)))
            if not st.owe_resolved:
                del self.state[fp]
        return due

    async def run_once(self) -> list[Notification]:
        """Evaluate and send; returns what was sent. A failing channel is logged and retried next time.

        With :attr:`states`, the state is read once before the first evaluation and written after each round,
        so a restart re-sends nothing already sent (a crash between a send and its write sends it once more)."""
        if not self._loaded:
            await self._load()
        sent: list[Notification] = []
        for ch, n in await self.evaluate():
            channel = self.channels.get(ch)
            if channel is None:
                continue
            try:
                await channel.send(n)
            except Exception as exc:  # one failing channel never stops the others, nor the loop
                log.warning("alert %s to %s failed: %s", n.alert.rule, ch, exc)
                continue
            st = self.state.get(n.alert.fingerprint)
            if st is not None:
                if n.status == "firing":
                    st.sent[ch] = n.at
                else:
                    st.owe_resolved.discard(ch)
                    if not st.owe_resolved and not st.firing:
                        del self.state[n.alert.fingerprint]
            self.sent_count[ch] = self.sent_count.get(ch, 0) + 1
            sent.append(n)
        if self.states is not None:
            await self._save()
        return sent

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # the metrics or the database may be briefly away
                log.exception("alert evaluation failed")
            await asyncio.sleep(self.config.interval_s)

    async def start(self) -> None:
        if self._task is None and self.config.rules:
            self._task = asyncio.create_task(self._loop(), name="tradelane-alerts")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for ch in self.channels.values():
            await ch.close()


def _breaks(rule: RuleConfig, value: float) -> bool:
    if rule.above is not None:
        return value > rule.above
    return rule.below is not None and value < rule.below


def _summary(rule: RuleConfig, value: float, what: str | None = None) -> str:
    bound = f"above {rule.above:g}" if rule.above is not None else f"below {rule.below:g}"
    return rule.summary or f"{what or rule.metric} is {value:g}, {bound}"


def build_alert_engine(settings: Any, store: Any, flows: Any, states: AlertStates | None = None
                       ) -> AlertEngine | None:
    """The engine for ``observability.alerts_file`` (``None`` when unset), reading the hub's ``/metrics``
    exposition (store gauges included) and the flow runtime's breached SLA timers, keeping its state in
    ``states`` (``None``: in memory)."""
    path = getattr(settings.observability, "alerts_file", None)
    if path is None:
        return None
    config = load_alert_config(path)

    async def metrics() -> bytes:
        from tradelane.observability.metrics import exposition

        return await exposition(store)

    async def sla_timers(flow: str | None, sla: str | None, limit: int) -> Sequence[Any]:
        from tradelane.ports.flows import SlaTimerFilter

        if flows is None:
            return []
        rows, _ = await flows.store.list_sla_timers(SlaTimerFilter(status="breached", flow=flow, sla=sla), limit)
        return list(rows)

    return AlertEngine(config, metrics=metrics, sla_timers=sla_timers, instance=settings.instance_name,
                       states=states)
