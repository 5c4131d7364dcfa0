"""The system-of-record matrix: which system owns which field of which entity, and what each destination
may receive.

Configured as data (``ownership:`` in the hub config)::

    default: allow                 # fields no rule names: any system may write them (``deny``: nobody)
    entities:
      order:
        keys: {lines: line_id}     # lists of objects matched by a key field, not by position
        fields:
          lines: odoo                          # order lines belong to Odoo …
          lines[*].picked_quantity: wms        # … except the picked quantity, which the WMS reports
          promised_delivery_at: odoo
      shipment:
        fields:
          carrier_id: [tms, carrier]
          tracking_number: [tms, carrier]
    receive:
      carrier:                     # a destination's id or kind
        order: {deny: ["lines[*].unit_price"]}
      portal:
        shipment: {allow: [shipment_id, reference, tracking_number, ship_to]}

Field patterns are dotted paths; ``[*]`` stands for any element of a list. The most specific pattern (the
longest) that is a prefix of a field decides. A system is named by its id (``acme-wms``) or its kind
(``wms``); an owner entry matches either.

:func:`split_update` turns an inbound update into fields to apply and :class:`Conflict` records (source,
field, current, proposed) for fields the source does not own; :func:`filter_outbound` removes what a
destination may not receive. Both are pure. For events, the entity is the event type's entity
(``tradelane.order.released.v1`` → ``order``) and field paths are paths in the event's ``data``
(:func:`filter_event_data`).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tradelane.core import catalog as _catalog  # noqa: F401  (registers the event types entity_of reads)
from tradelane.core.errors import ConfigError
from tradelane.core.registry import registry
from tradelane.ports.delivery import ClaimedDelivery

__all__ = [
    "WILDCARD",
    "Conflict",
    "EntityOwnership",
    "OutboundFilter",
    "OwnershipMatrix",
    "OwnedUpdate",
    "ReceiveFilter",
    "ReceivePolicy",
    "SystemRef",
    "UpdateSplit",
    "entity_of",
    "filter_event_data",
    "filter_outbound",
    "flatten",
    "screen_update",
    "split_update",
]

#: the pattern segment matching any element of a list
WILDCARD = "[*]"

#: one step of a field path: a key of an object, the position in a list, or a keyed list element
Segment = str | int | tuple[str, str]
Path = tuple[Segment, ...]


@dataclass(frozen=True)
class SystemRef:
    """A system taking part in an exchange: its id and, when known, its kind (``wms``, ``odoo`` …)."""

    #: the partner or system id, e.g. ``acme-wms`` or ``odoo``
    id: str
    #: the kind of system, e.g. ``wms``, ``tms``, ``carrier``, ``odoo``
    kind: str | None = None

    def matches(self, tokens: Iterable[str]) -> bool:
        """Whether this system is one of ``tokens`` (by id or by kind)."""
        names = {self.id} if self.kind is None else {self.id, self.kind}
        return not names.isdisjoint(tokens)

    def __str__(self) -> str:
        return self.id if self.kind is None or self.kind == self.id else f"{self.id} ({self.kind})"


def render(path: Path) -> str:
    """A path as text: ``lines[line_id=2].quantity`` or ``lines[0].unit_price``."""
    out = ""
    for seg in path:
        if isinstance(seg, tuple):
            out += f"[{seg[0]}={seg[1]}]"
        elif isinstance(seg, int):
            out += f"[{seg}]"
        else:
            out = f"{out}.{seg}" if out else seg
    return out


def _parse_pattern(text: str, where: str) -> tuple[str, ...]:
    if not isinstance(text, str) or not text.strip():
        raise ConfigError("a field pattern is a dotted path such as lines[*].quantity", key=where)
    out: list[str] = []
    for part in text.strip().split("."):
        name, star, rest = part.partition(WILDCARD)
        if rest or not name or "[" in name or "]" in name:
            raise ConfigError(f"invalid field pattern {text!r}", key=where)
        out.append(name)
        if star:
            out.append(WILDCARD)
    return tuple(out)


def _pattern_prefix_of(pattern: tuple[str, ...], path: Path) -> bool:
    if len(pattern) > len(path):
        return False
    for p, seg in zip(pattern, path, strict=False):
        if p == WILDCARD:
            if isinstance(seg, str):
                return False
        elif seg != p:
            return False
    return True


def _path_prefix_of(path: Path, pattern: tuple[str, ...]) -> bool:
    """Whether ``path`` leads towards ``pattern`` (an ancestor of what it names)."""
    if len(path) > len(pattern):
        return False
    return _pattern_prefix_of(pattern[: len(path)], path)


@dataclass(frozen=True)
class EntityOwnership:
    """The owners of the fields of one entity."""

    #: field pattern → owning system ids or kinds
    fields: Mapping[tuple[str, ...], frozenset[str]] = field(default_factory=dict)
    #: list field (dotted, without ``[*]``) → the key field of its elements
    keys: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReceivePolicy:
    """What one destination may receive of one entity: an allow list, a deny list, or both."""

    allow: tuple[tuple[str, ...], ...] | None = None
    deny: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class OwnershipMatrix:
    """Field ownership per entity, and receive policies per destination."""

    entities: Mapping[str, EntityOwnership] = field(default_factory=dict)
    #: whether a field no rule names may be written by any system (``allow``) or by none (``deny``)
    default: Literal["allow", "deny"] = "allow"
    #: destination id or kind → entity → policy
    receive: Mapping[str, Mapping[str, ReceivePolicy]] = field(default_factory=dict)

    @classmethod
    def from_config(cls, data: Mapping[str, Any] | None) -> OwnershipMatrix:
        """Build from the ``ownership:`` config section.

        :raises ConfigError: naming the offending key
        """
        data = data or {}
        unknown = sorted(set(data) - {"default", "entities", "receive"})
        if unknown:
            raise ConfigError(f"unknown key {unknown[0]!r}", key=f"ownership.{unknown[0]}")
        default = data.get("default", "allow")
        if default not in ("allow", "deny"):
            raise ConfigError("default must be allow or deny", key="ownership.default")
        entities: dict[str, EntityOwnership] = {}
        for name, spec in (data.get("entities") or {}).items():
            where = f"ownership.entities.{name}"
            if not isinstance(spec, Mapping):
                raise ConfigError("an entity has fields: and optional keys:", key=where)
            fields: dict[tuple[str, ...], frozenset[str]] = {}
            for pattern, owners in (spec.get("fields") or {}).items():
                owner_list = [owners] if isinstance(owners, str) else owners
                if not isinstance(owner_list, list) or not owner_list or not all(
                    isinstance(o, str) and o for o in owner_list
                ):
                    raise ConfigError("owners are a system id or kind, or a list of them",
                                      key=f"{where}.fields.{pattern}")
                fields[_parse_pattern(pattern, f"{where}.fields.{pattern}")] = frozenset(owner_list)
            keys = spec.get("keys") or {}
            if not isinstance(keys, Mapping) or not all(isinstance(v, str) for v in keys.values()):
                raise ConfigError("keys maps a list field to the key field of its elements", key=f"{where}.keys")
            entities[str(name)] = EntityOwnership(fields, {str(k): v for k, v in keys.items()})
        receive: dict[str, dict[str, ReceivePolicy]] = {}
        for dest, per_entity in (data.get("receive") or {}).items():
            if not isinstance(per_entity, Mapping):
                raise ConfigError("a destination maps entities to allow:/deny: lists", key=f"ownership.receive.{dest}")
            receive[str(dest)] = {}
            for entity, spec in per_entity.items():
                where = f"ownership.receive.{dest}.{entity}"
                if not isinstance(spec, Mapping) or not set(spec) <= {"allow", "deny"}:
                    raise ConfigError("a receive policy has allow: and/or deny:", key=where)
                allow = spec.get("allow")
                receive[str(dest)][str(entity)] = ReceivePolicy(
                    allow=None if allow is None else tuple(_parse_pattern(p, f"{where}.allow") for p in allow),
                    deny=tuple(_parse_pattern(p, f"{where}.deny") for p in spec.get("deny") or ()),
                )
        return cls(entities=entities, default=default, receive=receive)

    def owners(self, entity: str, path: Path) -> frozenset[str] | None:
        """The owners of field ``path`` of ``entity`` (``None`` when no rule names it)."""
        spec = self.entities.get(entity)
        if spec is None:
            return None
        best: tuple[int, frozenset[str]] | None = None
        for pattern, owners in spec.fields.items():
            if _pattern_prefix_of(pattern, path) and (best is None or len(pattern) > best[0]):
                best = (len(pattern), owners)
        return None if best is None else best[1]

    def may_write(self, system: SystemRef, entity: str, path: Path) -> bool:
        """Whether ``system`` may change field ``path`` of ``entity``."""
        owners = self.owners(entity, path)
        if owners is None:
            return self.default == "allow"
        return system.matches(owners)

    def keys_of(self, entity: str) -> Mapping[str, str]:
        spec = self.entities.get(entity)
        return {} if spec is None else spec.keys


# --- flattening ----------------------------------------------------------------------------------------------


def flatten(document: Mapping[str, Any], keys: Mapping[str, str] | None = None) -> dict[Path, Any]:
    """The leaves of ``document`` by path. Lists named in ``keys`` (dotted field → key field) whose elements
    all carry the key become keyed elements; any other list is one leaf. Empty objects and empty keyed
    lists have no leaves (in an update they propose nothing)."""
    out: dict[Path, Any] = {}
    keys = keys or {}

    def walk(value: Any, path: Path, dotted: str) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(v, (*path, str(k)), f"{dotted}.{k}" if dotted else str(k))
            return  # an empty object proposes nothing
        key_field = keys.get(dotted)
        if key_field is not None and value == []:
            return  # an empty keyed list proposes nothing (elements are merged by key, never dropped)
        if (
            key_field is not None
            and isinstance(value, list)
            and value
            and all(isinstance(item, Mapping) and item.get(key_field) is not None for item in value)
        ):
            for item in value:
                key = (key_field, str(item[key_field]))
                for k, v in item.items():
                    if k != key_field:
                        walk(v, (*path, key, str(k)), f"{dotted}.{k}")
            return
        out[path] = value

    for k, v in document.items():
        walk(v, (str(k),), str(k))
    return out


def _assign(document: dict[str, Any], path: Path, value: Any) -> None:
    node: Any = document
    for i, seg in enumerate(path):
        last = i == len(path) - 1
        if isinstance(seg, tuple):
            key_field, key = seg
            match = next((item for item in node if str(item.get(key_field)) == key), None)
            if match is None:
                match = {key_field: key}
                node.append(match)
            node = match
            continue
        assert isinstance(seg, str)
        if last:
            node[seg] = value
            return
        following = path[i + 1]
        child = node.get(seg)
        if isinstance(following, tuple):
            if not isinstance(child, list):
                child = node[seg] = []
        elif not isinstance(child, dict):
            child = node[seg] = {}
        node = child


# --- inbound updates -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    """A change proposed by a system that does not own the field; it is not applied."""

    #: the entity kind, e.g. ``order``
    entity: str
    #: the entity's canonical id
    entity_id: str
    #: the field, e.g. ``lines[line_id=2].quantity.value``
    field: str
    #: the system that proposed the change
    source: str
    #: the systems that own the field
    owners: tuple[str, ...]
    #: the value now held
    current: Any
    #: the value the source proposed
    proposed: Any


@dataclass(frozen=True)
class UpdateSplit:
    """An inbound update split by ownership."""

    #: fields the source owns and changes: path → new value
    applied: Mapping[Path, Any]
    #: changes refused because the source does not own the field
    conflicts: tuple[Conflict, ...]
    #: proposed fields whose value is already the current one
    unchanged: tuple[Path, ...]

    def merged(self, current: Mapping[str, Any]) -> dict[str, Any]:
        """``current`` with the applied changes (a new document; ``current`` is not modified)."""
        out = copy.deepcopy(dict(current))
        for path, value in self.applied.items():
            _assign(out, path, value)
        return out


def split_update(
    matrix: OwnershipMatrix,
    entity: str,
    entity_id: str,
    source: SystemRef,
    current: Mapping[str, Any],
    proposed: Mapping[str, Any],
) -> UpdateSplit:
    """Split ``proposed`` (a partial document: the fields present are proposed) into changes to apply and
    conflicts, by who owns each field.

    :param matrix: the ownership configuration
    :param entity: the entity kind (``order``, ``shipment`` …)
    :param entity_id: the entity's canonical id, recorded on conflicts
    :param source: the system the update came from
    :param current: the entity as held now
    :param proposed: the fields the source sends
    """
    keys = matrix.keys_of(entity)
    now = flatten(current, keys)
    applied: dict[Path, Any] = {}
    conflicts: list[Conflict] = []
    unchanged: list[Path] = []
    for path, value in flatten(proposed, keys).items():
        held = now.get(path)
        if path in now and held == value:
            unchanged.append(path)
        elif matrix.may_write(source, entity, path):
            applied[path] = value
        else:
            owners = matrix.owners(entity, path) or frozenset()
            conflicts.append(Conflict(entity, entity_id, render(path), source.id, tuple(sorted(owners)), held, value))
    return UpdateSplit(applied=applied, conflicts=tuple(conflicts), unchanged=tuple(unchanged))


# --- outbound filtering --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboundFilter:
    """A document cut down to what a destination may receive."""

    #: what is sent
    document: dict[str, Any]
    #: the fields removed, as paths (``lines[0].unit_price``)
    removed: tuple[str, ...]


def _policies(matrix: OwnershipMatrix, destination: SystemRef, entity: str) -> Iterator[ReceivePolicy]:
    for name in (destination.kind, destination.id):
        if name is not None and entity in matrix.receive.get(name, {}):
            yield matrix.receive[name][entity]


def filter_outbound(
    matrix: OwnershipMatrix, entity: str, document: Mapping[str, Any], destination: SystemRef
) -> OutboundFilter:
    """``document`` without the fields ``destination`` may not receive.

    Policies for the destination's kind and for its id both apply (a field must pass both). A deny pattern
    removes the field and everything under it; an allow list keeps only the fields it names (with
    everything under them).
    """
    policies = list(_policies(matrix, destination, entity))
    removed: list[str] = []

    def allowed(path: Path) -> Literal["keep", "drop", "descend"]:
        verdict: Literal["keep", "drop", "descend"] = "keep"
        for policy in policies:
            if any(_pattern_prefix_of(p, path) for p in policy.deny):
                return "drop"
            if policy.allow is not None and not any(_pattern_prefix_of(p, path) for p in policy.allow):
                if any(_path_prefix_of(path, p) for p in policy.allow):
                    verdict = "descend"
                else:
                    return "drop"
            if any(_path_prefix_of(path, p) and len(p) > len(path) for p in policy.deny):
                verdict = "descend"
        return verdict

    def walk(value: Any, path: Path) -> tuple[bool, Any]:
        verdict = allowed(path) if path else "descend"
        if verdict == "drop":
            removed.append(render(path))
            return False, None
        if verdict == "keep" and not _has_deeper_rules(path):
            return True, copy.deepcopy(value)
        if isinstance(value, Mapping):
            out = {}
            for k, v in value.items():
                keep, new = walk(v, (*path, str(k)))
                if keep:
                    out[str(k)] = new
            return True, out
        if isinstance(value, list):
            items = []
            for i, item in enumerate(value):
                keep, new = walk(item, (*path, i))
                if keep:
                    items.append(new)
            return True, items
        if verdict == "descend" and any(
            policy.allow is not None and not any(_pattern_prefix_of(p, path) for p in policy.allow)
            for policy in policies
        ):
            removed.append(render(path))  # leads towards an allowed field but is itself a plain value
            return False, None
        return True, value

    def _has_deeper_rules(path: Path) -> bool:
        return any(
            _path_prefix_of(path, p) and len(p) > len(path)
            for policy in policies
            for p in (*policy.deny, *(policy.allow or ()))
        )

    _, filtered = walk(dict(document), ())
    return OutboundFilter(document=filtered, removed=tuple(removed))


def entity_of(event_type: str) -> str:
    """The entity an event type is about (``tradelane.shipment.milestone.v1`` → ``shipment``)."""
    et = registry.get(event_type)
    return et.entity if et is not None else event_type


def filter_event_data(
    matrix: OwnershipMatrix, event_type: str, data: Mapping[str, Any], destination: SystemRef
) -> OutboundFilter:
    """An event's ``data`` cut down to what ``destination`` may receive of the event's entity."""
    return filter_outbound(matrix, entity_of(event_type), data, destination)


class ReceiveFilter:
    """A delivery destination (any object with ``send(delivery)`` and ``close()``) that is sent only what it
    may receive: each event's ``data`` is cut down by the matrix's receive policies for ``destination``
    before the wrapped sender sees it (the stored event is not changed)."""

    def __init__(self, inner: Any, matrix: OwnershipMatrix, destination: SystemRef) -> None:
        self.inner = inner
        self.matrix = matrix
        self.destination = destination

    def prepare(self, delivery: ClaimedDelivery) -> ClaimedDelivery:
        """``delivery`` with its event's data filtered (the same object when nothing is removed)."""
        event = delivery.event
        data, event_type = event.get("data"), event.get("type")
        if not isinstance(data, Mapping) or not isinstance(event_type, str):
            return delivery
        allowed = filter_event_data(self.matrix, event_type, data, self.destination)
        if not allowed.removed:
            return delivery
        return dataclasses.replace(delivery, event={**event, "data": allowed.document})

    async def send(self, delivery: ClaimedDelivery) -> Any:
        return await self.inner.send(self.prepare(delivery))

    async def close(self) -> None:
        await self.inner.close()

    def __getattr__(self, name: str) -> Any:  # the wrapped sender's other attributes (limits, URL …)
        return getattr(self.inner, name)


# --- inbound events at ingest ----------------------------------------------------------------------------


def _remove(document: dict[str, Any], path: Path) -> None:
    node: Any = document
    for i, seg in enumerate(path):
        last = i == len(path) - 1
        if isinstance(seg, tuple):
            key_field, key = seg
            node = next((item for item in node if str(item.get(key_field)) == key), None) if isinstance(
                node, list) else None
        elif isinstance(seg, int):
            node = node[seg] if isinstance(node, list) and seg < len(node) else None
        elif last:
            if isinstance(node, dict):
                node.pop(seg, None)
            return
        else:
            node = node.get(seg) if isinstance(node, dict) else None
        if node is None:
            return


@dataclass(frozen=True)
class OwnedUpdate:
    """An inbound event's data split by ownership, against the aggregate's owned document."""

    #: the event's data as accepted: each field the source does not own keeps the owner's current value
    #: (or is left out when there is none)
    accepted: dict[str, Any]
    #: the aggregate's document after the accepted changes
    document: dict[str, Any]
    #: the refused changes, to record for a person to decide
    conflicts: tuple[Conflict, ...]


def screen_update(
    matrix: OwnershipMatrix,
    event_type: str,
    entity_id: str,
    source: SystemRef,
    document: Mapping[str, Any],
    data: Mapping[str, Any],
) -> OwnedUpdate:
    """Apply the system-of-record matrix to one inbound event (its ``data`` proposes the fields it carries).

    :param document: what the hub holds for the aggregate (the owned fields applied so far)
    """
    entity = entity_of(event_type)
    split = split_update(matrix, entity, entity_id, source, document, data)
    merged = split.merged(document)
    if not split.conflicts:
        return OwnedUpdate(dict(data), merged, ())
    keys = matrix.keys_of(entity)
    now = flatten(document, keys)
    refused = [p for p in flatten(data, keys) if p not in split.applied and p not in split.unchanged]
    accepted = copy.deepcopy(dict(data))
    for path in refused:
        if path in now:
            _assign(accepted, path, copy.deepcopy(now[path]))
        else:
            _remove(accepted, path)
    return OwnedUpdate(accepted, merged, split.conflicts)
