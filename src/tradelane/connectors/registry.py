"""Finding connectors and computing what each can do.

Connectors come from two places: the built-ins shipped with Tradelane (:data:`BUILTINS`) and any installed
distribution that declares an entry point in the group :data:`ENTRY_POINT_GROUP`::

    [project.entry-points."tradelane.connectors"]
    acme_tms = "acme_tradelane.tms"        # a module with METADATA, or a ConnectorSpec object

A connector's ``METADATA`` is a :class:`~tradelane.ports.connector.ConnectorSpec`; the older dict form
(``{"id", "kind", "operations": {name: function}}``, used by the Odoo connector) is read too. Capabilities
are computed: from the functions the mapper, proxy and hooks implement, or the callables of the
``operations`` dict, or — for a partner described only by a mapping file — the mapping's operations. A
connector that fails to load is listed with its error instead of breaking the listing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

from tradelane.core.registry import registry
from tradelane.mapping.spec import PartnerMapping
from tradelane.ports.connector import ConnectorSpec, Direction, implemented_operations

__all__ = [
    "BUILTINS",
    "ENTRY_POINT_GROUP",
    "Capability",
    "CapabilityMatrix",
    "ConnectorInfo",
    "capability_matrix",
    "describe",
    "describe_mapping",
    "discover",
]

#: the entry point group third-party connectors register under
ENTRY_POINT_GROUP = "tradelane.connectors"
#: connectors shipped with Tradelane: (origin name, module)
BUILTINS: tuple[tuple[str, str], ...] = (
    ("odoo", "tradelane.connectors.odoo"),
    ("wms_rest", "tradelane.connectors.wms_rest"),
    ("tms_rest", "tradelane.connectors.tms_rest"),
    ("carrier_webhook", "tradelane.connectors.carrier_webhook"),
    ("yard", "tradelane.connectors.yard"),
    ("portal_api", "tradelane.connectors.portal_api"),
)


@dataclass(frozen=True, order=True)
class Capability:
    """Something a connector can do: a direction and a canonical event (``inbound shipment.booked``) or, for
    connectors that expose named calls, the call's name (``call outbound.ship_confirm_many``)."""

    #: ``outbound``, ``inbound`` or ``call``
    direction: str
    #: ``<entity>.<verb>`` of the event type, or the call's name
    name: str

    def __str__(self) -> str:
        return f"{self.direction} {self.name}"


def _short(event_type: str) -> str:
    et = registry.get(event_type)
    return event_type if et is None else f"{et.entity}.{et.verb}"


@dataclass(frozen=True)
class ConnectorInfo:
    """A discovered connector and its computed capabilities."""

    id: str
    kind: str
    #: ``builtin``, ``entry point <dist>`` or ``mapping <file version>``
    origin: str
    description: str = ""
    #: the operation names it implements
    operations: tuple[str, ...] = ()
    capabilities: frozenset[Capability] = field(default_factory=frozenset)
    #: why it could not be loaded, when it could not
    error: str | None = None


def describe(target: Any, origin: str) -> ConnectorInfo:
    """Describe a connector from its module, its ``METADATA`` or a :class:`ConnectorSpec`."""
    meta = getattr(target, "METADATA", target) if isinstance(target, ModuleType) else target
    if isinstance(meta, ConnectorSpec):
        ops = implemented_operations(meta)
        caps = frozenset(
            Capability(str(op.direction), _short(et)) for op in ops for et in op.event_types
        )
        return ConnectorInfo(meta.id, meta.kind, origin, meta.description, tuple(op.name for op in ops), caps)
    if isinstance(meta, dict) and isinstance(meta.get("id"), str):
        calls = meta.get("operations") or {}
        names = tuple(sorted(name for name, fn in calls.items() if callable(fn)))
        return ConnectorInfo(
            id=meta["id"],
            kind=str(meta.get("kind", "")),
            origin=origin,
            description=str(meta.get("description", "")),
            operations=names,
            capabilities=frozenset(Capability("call", name) for name in names),
        )
    name = getattr(target, "__name__", repr(target))
    return ConnectorInfo(id=name, kind="?", origin=origin, error="no METADATA (a ConnectorSpec) found")


def describe_mapping(mapping: PartnerMapping) -> ConnectorInfo:
    """Describe a partner configured only by a mapping file: its capabilities are its operations."""
    caps = {Capability(str(Direction.INBOUND), _short(op.event)) for op in mapping.inbound.values()}
    caps |= {Capability(str(Direction.OUTBOUND), _short(op.event)) for op in mapping.outbound.values()}
    return ConnectorInfo(
        id=mapping.partner,
        kind=mapping.kind,
        origin=f"mapping v{mapping.version}",
        description=mapping.description,
        operations=mapping.operations,
        capabilities=frozenset(caps),
    )


def _load(loader: Callable[[], Any], origin: str, fallback_id: str) -> ConnectorInfo:
    try:
        return describe(loader(), origin)
    except Exception as exc:  # a broken third-party connector must not hide the others
        return ConnectorInfo(id=fallback_id, kind="?", origin=origin, error=f"{type(exc).__name__}: {exc}")


def discover(*, builtins: Iterable[tuple[str, str]] = BUILTINS, group: str = ENTRY_POINT_GROUP) -> list[ConnectorInfo]:
    """Every connector: the built-ins, then the entry points of ``group``; the first of an id wins.

    :param builtins: (name, module) pairs of built-in connectors
    :param group: the entry point group to read
    """
    found: list[ConnectorInfo] = []
    for name, module in builtins:
        found.append(_load(lambda m=module: importlib.import_module(m), "builtin", name))  # type: ignore[misc]
    for ep in sorted(metadata.entry_points(group=group), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist is not None else "?"
        found.append(_load(ep.load, f"entry point {dist}", ep.name))
    seen: set[str] = set()
    unique = []
    for info in found:
        if info.id not in seen:
            seen.add(info.id)
            unique.append(info)
    return unique


@dataclass(frozen=True)
class CapabilityMatrix:
    """Connectors × capabilities, computed."""

    connectors: tuple[ConnectorInfo, ...]
    #: every capability any connector has, sorted
    capabilities: tuple[Capability, ...]

    def has(self, connector_id: str, capability: Capability) -> bool:
        return any(c.id == connector_id and capability in c.capabilities for c in self.connectors)

    def rows(self) -> list[tuple[Capability, tuple[bool, ...]]]:
        """One row per capability, one flag per connector (in :attr:`connectors` order)."""
        return [(cap, tuple(cap in c.capabilities for c in self.connectors)) for cap in self.capabilities]


def capability_matrix(connectors: Iterable[ConnectorInfo] | None = None) -> CapabilityMatrix:
    """The capability matrix of ``connectors`` (default: :func:`discover`)."""
    infos = tuple(discover() if connectors is None else connectors)
    caps = sorted({cap for info in infos for cap in info.capabilities})
    return CapabilityMatrix(connectors=infos, capabilities=tuple(caps))
