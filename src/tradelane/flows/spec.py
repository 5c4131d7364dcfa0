"""Flow and SLA declarations as the runtime uses them, and the pure helpers that parse them.

The settings (``flows:`` in the hub config) are validated with these helpers, so a bad duration, key
expression or cron is reported at ``tradelane config check`` with its key; the runtime then works on the
compiled :class:`SlaSpec` and :class:`FlowSpec`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from tradelane.mapping.functions import options as mapping_functions
from tradelane.ports.flows import ProjectedEvent

__all__ = [
    "BUILTIN_KEYS",
    "FlowSpec",
    "SlaSpec",
    "compile_due",
    "compile_filter",
    "compile_key",
    "compile_keys",
    "entity_of",
    "parse_duration",
]

#: key names that read an envelope attribute directly; anything else is a JMESPath expression
BUILTIN_KEYS = ("subject", "partitionkey", "correlationid")
#: ``1d2h30m15s`` style durations (at least one part)
_DURATION = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$")
#: longest SLA: a year is plenty and stops typos like ``15000000m``
MAX_DURATION = timedelta(days=366)
#: longest key a timer stores
MAX_KEY = 300

KeyFn = Callable[[ProjectedEvent], str | None]
KeysFn = Callable[[ProjectedEvent], tuple[str, ...]]
Predicate = Callable[[ProjectedEvent], bool]
DueFn = Callable[[ProjectedEvent], datetime | None]


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


def _compile(text: str, what: str) -> Any:
    try:
        return jmespath.compile(text)
    except JMESPathError as exc:
        raise ValueError(f"not valid JMESPath ({what}): {exc}") from None


def _search(expr: Any, ev: ProjectedEvent) -> Any:
    try:
        return expr.search(ev.as_document(), options=mapping_functions())
    except JMESPathError:
        return None


def compile_key(key: str) -> KeyFn:
    """The function that extracts a timer key from an event: a built-in name or a JMESPath expression over
    ``{type, source, subject, partitionkey, correlationid, tenant, data}`` (the mapping functions such as
    ``concat``, ``lower`` and ``replace`` are available). A missing or empty value gives ``None``.

    :raises ValueError: when the expression does not compile
    """
    many = compile_keys(key)

    def extract(ev: ProjectedEvent) -> str | None:
        keys = many(ev)
        return keys[0] if len(keys) == 1 else None

    return extract


def compile_keys(key: str) -> KeysFn:
    """Like :func:`compile_key`, but an expression may yield a list: one key per (non-empty) element, e.g.
    ``data.invoice.shipment_refs`` stops the timer of every shipment a carrier invoice bills.

    :raises ValueError: when the expression does not compile
    """
    if key == "subject":
        return lambda ev: _one(ev.subject)
    if key == "partitionkey":
        return lambda ev: _one(ev.partition_key)
    if key == "correlationid":
        return lambda ev: _one(ev.correlation_id)
    try:
        expr = jmespath.compile(key)
    except JMESPathError as exc:
        raise ValueError(f"not a built-in key ({', '.join(BUILTIN_KEYS)}) nor valid JMESPath: {exc}") from None

    def extract(ev: ProjectedEvent) -> tuple[str, ...]:
        value = _search(expr, ev)
        if isinstance(value, list):
            return tuple(dict.fromkeys(k for k in (_text(v) for v in value) if k is not None))
        return _one(value)

    return extract


def compile_filter(text: str) -> Predicate:
    """A JMESPath condition over the same document as keys (``tenant == 'hub' && data.tracking_number !=
    null``): the event counts when the result is truthy in JMESPath's sense (not false, null or empty).

    :raises ValueError: when the expression does not compile
    """
    expr = _compile(text, "filter")
    return lambda ev: _truthy(_search(expr, ev))


def compile_due(text: str) -> DueFn:
    """A JMESPath expression yielding the timestamp a timer is due at (``data.new_eta``); an event without a
    parseable, zone-qualified ISO 8601 value there gives ``None``.

    :raises ValueError: when the expression does not compile
    """
    expr = _compile(text, "due_at")

    def due(ev: ProjectedEvent) -> datetime | None:
        value = _search(expr, ev)
        if not isinstance(value, str):
            return None
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return when.astimezone(UTC) if when.tzinfo is not None else None

    return due


def _truthy(value: Any) -> bool:
    return not (value is None or value is False or value == "" or value == [] or value == {})


def _one(value: Any) -> tuple[str, ...]:
    text = _text(value)
    return () if text is None else (text,)


def _text(value: Any) -> str | None:
    if value is None or value == "" or isinstance(value, dict | list):
        return None
    return str(value)[:MAX_KEY]


def entity_of(event_type: str) -> str:
    """The entity kind named by an event type: ``tradelane.order.released.v1`` → ``order``."""
    parts = event_type.split(".")
    return parts[1] if len(parts) >= 3 else "event"


def _always(ev: ProjectedEvent) -> bool:
    return True


def _no_due(ev: ProjectedEvent) -> datetime | None:
    return None


@dataclass(frozen=True)
class SlaSpec:
    """One SLA of one flow: a start event arms a timer per key, a stop event meets it, ``within`` bounds it.

    Scope: ``where`` must hold for both start and stop events, ``start_where`` / ``stop_where`` for one side
    (JMESPath conditions, e.g. ``tenant == 'hub'``, ``source == 'urn:tradelane:flow:outbound'``,
    ``data.event.milestone == 'delivered'``); an event outside the scope is not timed at all. ``stop_key``
    reads the key from stop events when they name the entity differently (default: ``key``). ``due_at`` takes
    the due time from the start event (e.g. an ETA) plus ``within`` as grace; a later start event with a new
    due time moves an armed timer's due time (the ETA moved).
    """

    flow: str
    name: str
    start: frozenset[str]
    stop: frozenset[str]
    within: timedelta
    key: str
    severity: str
    owner_team: str
    entity_kind: str
    where: str | None = None
    start_where: str | None = None
    stop_where: str | None = None
    stop_key: str | None = None
    due_at: str | None = None
    extract: KeyFn = field(compare=False, repr=False, default=lambda ev: None)
    start_keys: KeysFn = field(compare=False, repr=False, default=lambda ev: ())
    stop_keys: KeysFn = field(compare=False, repr=False, default=lambda ev: ())
    starts: Predicate = field(compare=False, repr=False, default=_always)
    stops: Predicate = field(compare=False, repr=False, default=_always)
    due: DueFn = field(compare=False, repr=False, default=_no_due)

    @classmethod
    def build(
        cls, flow: str, name: str, start: list[str] | str, stop: list[str] | str, within: str | None, key: str,
        severity: str, owner_team: str, entity_kind: str | None = None, *, where: str | None = None,
        start_where: str | None = None, stop_where: str | None = None, stop_key: str | None = None,
        due_at: str | None = None,
    ) -> SlaSpec:
        """:raises ValueError: a bad duration or expression, or neither ``within`` nor ``due_at``"""
        starts = [start] if isinstance(start, str) else list(start)
        stops = [stop] if isinstance(stop, str) else list(stop)
        if within is None and due_at is None:
            raise ValueError("an SLA needs 'within' (a duration) or 'due_at' (a due time read from the start)")
        scope = compile_filter(where) if where else _always
        start_only = compile_filter(start_where) if start_where else _always
        stop_only = compile_filter(stop_where) if stop_where else _always
        return cls(
            flow=flow,
            name=name,
            start=frozenset(starts),
            stop=frozenset(stops),
            within=parse_duration(within) if within is not None else timedelta(0),
            key=key,
            severity=severity,
            owner_team=owner_team,
            entity_kind=entity_kind or entity_of(starts[0]),
            where=where,
            start_where=start_where,
            stop_where=stop_where,
            stop_key=stop_key,
            due_at=due_at,
            extract=compile_key(key),
            start_keys=compile_keys(key),
            stop_keys=compile_keys(stop_key or key),
            starts=lambda ev: scope(ev) and start_only(ev),
            stops=lambda ev: scope(ev) and stop_only(ev),
            due=compile_due(due_at) if due_at else _no_due,
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
