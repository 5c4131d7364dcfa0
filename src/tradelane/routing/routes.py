"""Routes: event type patterns + a JMESPath filter → one delivery per destination.

The router is pure and runs inside ingest, so the planned deliveries are written in the same transaction as
the event (transactional outbox): an event is never stored without its deliveries, nor a delivery without
its event. A route whose type matches but whose filter is falsy still yields a row — ``filtered``, with the
reason — so ``accepted = delivered ∪ dead-lettered ∪ filtered`` can be checked exactly.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import ConfigError
from tradelane.ports.delivery import PlannedDelivery

__all__ = ["RouteSpec", "Router"]

#: JMESPath functions available in filters (beyond the standard library)
_OPTIONS = jmespath.Options()


@dataclass(frozen=True)
class RouteSpec:
    """One routing rule (built from ``routes:`` in the config)."""

    name: str
    events: tuple[str, ...]
    destination: str
    filter: str | None = None
    lane: str = "critical"
    ordered: bool = False
    _compiled: Any = field(default=None, compare=False, repr=False)
    _patterns: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.lane not in ("critical", "bulk"):
            raise ConfigError(f"route {self.name!r}: lane must be critical or bulk", key="lane")
        if self.filter is not None:
            try:
                object.__setattr__(self, "_compiled", jmespath.compile(self.filter))
            except JMESPathError as exc:
                raise ConfigError(f"route {self.name!r}: bad filter: {exc}", key="filter") from None
        object.__setattr__(self, "_patterns", tuple(re.compile(fnmatch.translate(p)) for p in self.events))

    def matches_type(self, event_type: str) -> bool:
        return any(p.match(event_type) for p in self._patterns)

    def passes(self, doc: dict[str, Any]) -> bool:
        if self._compiled is None:
            return True
        try:
            return bool(self._compiled.search(doc, options=_OPTIONS))
        except JMESPathError:
            return False


class Router:
    """Plans deliveries for events; type → matching routes is cached."""

    def __init__(self, routes: Sequence[RouteSpec]) -> None:
        self.routes = tuple(routes)
        self._by_type: dict[str, tuple[RouteSpec, ...]] = {}

    def __bool__(self) -> bool:
        return bool(self.routes)

    def routes_for(self, event_type: str) -> tuple[RouteSpec, ...]:
        found = self._by_type.get(event_type)
        if found is None:
            found = tuple(r for r in self.routes if r.matches_type(event_type))
            if len(self._by_type) < 10_000:
                self._by_type[event_type] = found
        return found

    def plan(self, event: CloudEvent) -> tuple[PlannedDelivery, ...]:
        routes = self.routes_for(event.type)
        if not routes:
            return ()
        doc: dict[str, Any] | None = None
        key = event.partitionkey or event.subject
        out = []
        for r in routes:
            reason = None
            if r.filter is not None:
                if doc is None:
                    doc = event.model_dump(mode="json", exclude_none=True)
                if not r.passes(doc):
                    reason = f"filter: {r.filter}"[:300]
            out.append(PlannedDelivery(r.name, r.destination, r.lane, r.ordered, key, reason))
        return tuple(out)
