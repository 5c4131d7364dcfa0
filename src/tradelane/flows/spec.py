"""Flow and SLA declarations as the runtime uses them, and the pure helpers that parse them.

The settings (``flows:`` in the hub config) are validated with these helpers, so a bad duration, key
expression or cron is reported at ``tradelane config check`` with its key; the runtime then works on the
compiled :class:`SlaSpec` and :class:`FlowSpec`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from tradelane.ports.flows import ProjectedEvent

__all__ = ["BUILTIN_KEYS", "FlowSpec", "SlaSpec", "compile_key", "entity_of", "parse_duration"]

#: key names that read an envelope attribute directly; anything else is a JMESPath expression
BUILTIN_KEYS = ("subject", "partitionkey", "correlationid")
#: ``1d2h30m15s`` style durations (at least one part)
_DURATION = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$")
#: longest SLA: a year is plenty and stops typos like ``15000000m``
MAX_DURATION = timedelta(days=366)
#: longest key a timer stores
MAX_KEY = 300

KeyFn = Callable[[ProjectedEvent], str | None]


def parse_duration(text: str) -> timedelta:
    """``"15m"``, ``"4h"``, ``"1h30m"``, ``"24h"``, ``"90s"``, ``"2d"`` → a positive :class:`timedelta`.

    :raises ValueError: with a message naming the accepted form
    """
    m = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if not m or not any(m.groupdict().values()):
        raise ValueError(f"{text!r} is not a duration; use e.g. 90s, 15m, 4h, 1h30m or 2d")
    parts = {k: int(v) for k, v in m.groupdict().items() if v}
    delta = timedelta(
        days=parts.get("d", 0), hours=parts.get("h", 0), minutes=parts.get("m", 0), seconds=parts.get("s", 0)
    )
    if delta <= timedelta(0):
        raise ValueError("a duration must be longer than zero")
    if delta > MAX_DURATION:
        raise ValueError(f"{text!r} is longer than {MAX_DURATION.days} days")
    return delta


def compile_key(key: str) -> KeyFn:
    """The function that extracts a timer key from an event: a built-in name or a JMESPath expression over
    ``{type, subject, partitionkey, correlationid, tenant, data}``. A missing or empty value gives ``None``.

    :raises ValueError: when the expression does not compile
    """
    if key == "subject":
        return lambda ev: _text(ev.subject)
    if key == "partitionkey":
        return lambda ev: _text(ev.partition_key)
    if key == "correlationid":
        return lambda ev: _text(ev.correlation_id)
    try:
        expr = jmespath.compile(key)
    except JMESPathError as exc:
        raise ValueError(f"not a built-in key ({', '.join(BUILTIN_KEYS)}) nor valid JMESPath: {exc}") from None

    def extract(ev: ProjectedEvent) -> str | None:
        try:
            return _text(expr.search(ev.as_document()))
        except JMESPathError:
            return None

    return extract


def _text(value: Any) -> str | None:
    if value is None or value == "" or isinstance(value, dict | list):
        return None
    return str(value)[:MAX_KEY]


def entity_of(event_type: str) -> str:
    """The entity kind named by an event type: ``tradelane.order.released.v1`` → ``order``."""
    parts = event_type.split(".")
    return parts[1] if len(parts) >= 3 else "event"


@dataclass(frozen=True)
class SlaSpec:
    """One SLA of one flow: a start event arms a timer per key, a stop event meets it, ``within`` bounds it."""

    flow: str
    name: str
    start: frozenset[str]
    stop: frozenset[str]
    within: timedelta
    key: str
    severity: str
    owner_team: str
    entity_kind: str
    extract: KeyFn = field(compare=False, repr=False, default=lambda ev: None)

    @classmethod
    def build(
        cls, flow: str, name: str, start: list[str] | str, stop: list[str] | str, within: str, key: str,
        severity: str, owner_team: str, entity_kind: str | None = None,
    ) -> SlaSpec:
        starts = [start] if isinstance(start, str) else list(start)
        stops = [stop] if isinstance(stop, str) else list(stop)
        return cls(
            flow=flow,
            name=name,
            start=frozenset(starts),
            stop=frozenset(stops),
            within=parse_duration(within),
            key=key,
            severity=severity,
            owner_team=owner_team,
            entity_kind=entity_kind or entity_of(starts[0]),
            extract=compile_key(key),
        )


@dataclass(frozen=True)
class FlowSpec:
    """A flow of the catalogue."""

    name: str
    description: str
    mode: str
    cron: str | None
    owner_team: str
    dlq: bool
    retry_schedule: tuple[float, ...]
    slas: tuple[SlaSpec, ...] = ()
