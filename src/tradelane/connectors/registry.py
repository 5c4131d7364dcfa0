"""Finding connectors and computing what each can do.

Connectors come from two places: the built-ins shipped with Tradelane (:data:`BUILTINS`) and any installed
distribution that declares an entry point in the group :data:`ENTRY_POINT_GROUP`::

    [project.entry-points."tradelane.connectors"]
    acme_tms = "acme_tradelane.tms"        # a module with METADATA, or a ConnectorSpec object

A connector's ``METADATA`` is a :class:`~tradelane.ports.connector.ConnectorSpec`; the older dict form
(``{"id", "kind", "operations": {name: function}}``, used by the Odoo connector) is read too. Capabilities
are computed: from the functions the mapper, proxy and hooks implement — narrowed, for a connector whose
hooks bind its operations to a mapping (``TEMPLATE``, ``INBOUND``, ``OUTBOUND``), to the event types that
mapping really maps — or the callables of the ``operations`` dict, or — for a partner described only by a
mapping file — the mapping's operations. A connector that fails to load is listed with its error instead of
breaking the listing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

from tradelane.connectors.rest_common import MappedHooks, WebhookPartnerSettings
from tradelane.core.errors import ConfigError
from tradelane.core.registry import registry
from tradelane.mapping.loader import load_mapping
from tradelane.mapping.spec import PartnerMapping
from tradelane.ports.connector import ConnectorSpec, Direction, implemented_operations
from tradelane.ports.xref import XrefStore

__all__ = [
    "BUILTINS",
    "ENTRY_POINT_GROUP",
    "Capability",
    "CapabilityMatrix",
    "ConnectorInfo",
    "build_partner_hooks",
    "capability_matrix",
    "describe",
    "describe_mapping",
    "discover",
    "load_spec",
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
        served = _served_events(meta)
        caps_of: dict[str, frozenset[Capability]] = {}
        for op in implemented_operations(meta):
            types = op.event_types if served is None else tuple(
                et for et in op.event_types if et in served.get((str(op.direction), op.name), ())
            )
            if types:
                caps_of[op.name] = frozenset(Capability(str(op.direction), _short(et)) for et in types)
        caps = frozenset(c for cs in caps_of.values() for c in cs)
        return ConnectorInfo(meta.id, meta.kind, origin, meta.description, tuple(caps_of), caps)
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


def _served_events(spec: ConnectorSpec) -> dict[tuple[str, str], frozenset[str]] | None:
    """For a connector whose hooks bind its operations to a mapping (``TEMPLATE`` plus ``INBOUND`` /
    ``OUTBOUND``): (direction, operation) → the event types its mapping operations really map. An operation
    the code implements but the mapping does not serve claims nothing; neither does an event type the
    operation could carry but its mapping never produces (a yard's ``tracking`` maps milestones, not ETAs).
    ``None`` when the connector has no such binding (its operations' declared event types then count)."""
    hooks = spec.hooks
    template = getattr(hooks, "TEMPLATE", "")
    if not template:
        return None
    mapping = load_mapping(template)
    out: dict[tuple[str, str], frozenset[str]] = {}
    for direction, routes, ops in (
        (Direction.INBOUND, getattr(hooks, "INBOUND", {}), mapping.inbound),
        (Direction.OUTBOUND, getattr(hooks, "OUTBOUND", {}), mapping.outbound),
    ):
        for name, mapping_ops in routes.items():
            out[(str(direction), name)] = frozenset(ops[m].event for m in mapping_ops if m in ops)
    return out


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


# --- inbound hooks of configured partners ------------------------------------------------------------------


def load_spec(connector_id: str, *, builtins: Iterable[tuple[str, str]] = BUILTINS,
              group: str = ENTRY_POINT_GROUP) -> ConnectorSpec:
    """The :class:`ConnectorSpec` of ``connector_id`` (a built-in, else an entry point of ``group``).

    :raises ConfigError: when no connector has that id
    """
    for name, module in builtins:
        if name == connector_id:
            meta = getattr(importlib.import_module(module), "METADATA", None)
            if isinstance(meta, ConnectorSpec):
                return meta
    for ep in metadata.entry_points(group=group):
        if ep.name == connector_id:
            target = ep.load()
            meta = getattr(target, "METADATA", target)
            if isinstance(meta, ConnectorSpec):
                return meta
    known = ", ".join(sorted(name for name, module in builtins if name != "odoo"))
    raise ConfigError(f"no partner connector {connector_id!r}; built-in: {known}")


def build_partner_hooks(hooks: Mapping[str, Any], xrefs: XrefStore) -> dict[str, MappedHooks]:
    """The document hooks of every configured webhook sender that posts its own documents.

    :param hooks: ``settings.hooks``: name → settings with ``connector``, ``mapping``, ``tenant``, ``scheme``
    :param xrefs: where the mappings look cross references up
    :raises ConfigError: naming ``hooks.<name>.connector`` or ``hooks.<name>.mapping``
    """
    out: dict[str, MappedHooks] = {}
    for name, cfg in hooks.items():
        if cfg.connector is None and cfg.mapping is None:
            continue  # a CloudEvents sender
        settings = WebhookPartnerSettings.model_construct(
            tenant=cfg.tenant, signature_scheme=cfg.scheme, tolerance_s=cfg.tolerance_s
        )
        mapping = None
        if cfg.mapping is not None:
            try:
                mapping = load_mapping(cfg.mapping)
            except ConfigError as exc:
                raise ConfigError(exc.message, key=f"hooks.{name}.mapping") from exc
        if cfg.connector is None:
            assert mapping is not None
            out[name] = _mapping_hooks(mapping)(settings, xrefs, mapping=mapping)
            continue
        try:
            spec = load_spec(cfg.connector)
        except ConfigError as exc:
            raise ConfigError(exc.message, key=f"hooks.{name}.connector") from exc
        if not (isinstance(spec.hooks, type) and issubclass(spec.hooks, MappedHooks)):
            raise ConfigError(f"connector {cfg.connector!r} takes no mapped callbacks",
                              key=f"hooks.{name}.connector")
        out[name] = spec.hooks(settings, xrefs, mapping=mapping)
    return out


def _mapping_hooks(mapping: PartnerMapping) -> type[MappedHooks]:
    """Hooks for a partner described only by its mapping file: every inbound operation it declares."""
    return type(f"{mapping.partner}Hooks", (MappedHooks,), {"INBOUND": {op: (op,) for op in mapping.inbound}})
