"""The partner mapping file: its YAML shape, checked and compiled once when loaded.

One YAML file per partner::

    partner: acme-wms             # the partner id (cross references are kept per partner)
    version: 3                    # recorded on every message mapped with this file
    kind: wms                     # wms, tms, carrier, yard, portal, erp, edi
    timezone: Europe/Amsterdam    # for partner datetimes without an offset
    tables:                       # code tables: partner code → canonical code (reversed outbound)
      status: {PICKED: picked, SHIPPED: shipped}
    inbound:                      # partner document → canonical events, one entry per operation
      ship_confirm:
        event: tradelane.shipment.shipped.v1
        match: "messageType == 'SHIP_CONFIRM'"   # picks the operation when none is named
        foreach: null                            # a list expression: one event per element
        id: messageId                            # envelope: id (required), time, subject, sequence
        data:                                    # the payload, field by field
          shipment_id: {expr: shipmentRef, xref: shipment}
          shipment:
            lines:
              each: lines
              fields:
                quantity: {value: {expr: qty, as: decimal}, unit: {expr: uom, table: "@units"}}
    outbound:                     # canonical event → partner document
      release_order:
        event: tradelane.order.released.v1
        document: {orderNo: number, lines: {each: lines, fields: {sku: product.sku}}}

A field is either a JMESPath expression (a string), a *rule* (a mapping with ``expr``, ``const``, ``each``
or ``fields``), or a nested object (any other mapping: its keys are output fields). Rule keys, applied in
this order:

``expr``
    JMESPath on the current element (the document, or the list element inside ``each``/``foreach``);
    ``root()`` is the whole document. ``const`` gives a fixed value instead.
``default`` / ``required``
    the value when the expression yields null / a ``required`` problem when it still is null.
``table``
    a code table name, or a built-in: ``@units`` (unit aliases → canonical), ``@carrier_status`` and
    ``@x12_status`` (→ canonical milestone). ``on_missing: error | keep | null`` (default ``error``).
``convert``
    ``{from: LB, to: KG, round: 3}`` unit conversion (``from_expr`` reads the unit from the document).
``as``
    ``string``, ``integer``, ``decimal`` (text, exact), ``number``, ``boolean``, ``datetime``, ``date``;
    ``datetime`` takes ``format`` (strptime/strftime, ``epoch``, ``epoch_ms``) and ``timezone``.
``xref``
    a kind (``shipment``) or ``{kind, from, to, on_missing}`` with ``from``/``to`` among ``partner``,
    ``canonical``, ``odoo``. Inbound defaults partner → canonical, outbound canonical → partner.
    ``on_missing: wait`` marks a reference that may be written after the document arrives: an inbound
    webhook naming it is answered "retry later" (``503``) instead of ``422``.
``each`` + ``fields``
    a list: one output element per element of the ``each`` expression.

Null outputs are left out, so the payload model's defaults apply.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jmespath
import yaml
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

from tradelane.core import catalog as _catalog  # noqa: F401  (registers the event types)
from tradelane.core.errors import ConfigError
from tradelane.core.registry import registry
from tradelane.core.units import UnknownUnitError, normalize_unit
from tradelane.ports.xref import XrefField

__all__ = [
    "BUILTIN_TABLES",
    "CodeTable",
    "Convert",
    "Each",
    "InboundOperation",
    "Leaf",
    "MappingRef",
    "Node",
    "Obj",
    "OnMissing",
    "OutboundOperation",
    "PartnerMapping",
    "XrefRule",
    "parse_mapping",
]

#: built-in code tables (inbound only, except ``@units`` which is the identity on canonical codes outbound)
BUILTIN_TABLES = ("@units", "@carrier_status", "@x12_status")
#: the ``as`` conversions a rule may ask for
AS_TYPES = ("string", "integer", "decimal", "number", "boolean", "datetime", "date")
#: keys that make a mapping a rule rather than a nested object
_RULE_MARKERS = frozenset({"expr", "const", "each", "fields"})
_RULE_KEYS = _RULE_MARKERS | {
    "default", "required", "table", "on_missing", "convert", "as", "format", "timezone", "xref", "round",
}
_TOP_KEYS = {"partner", "version", "kind", "description", "timezone", "source", "tables", "inbound", "outbound"}
_INBOUND_KEYS = {"event", "description", "match", "foreach", "id", "time", "subject", "sequence", "data"}
_OUTBOUND_KEYS = {"event", "description", "document"}
_XREF_SIDES = {"partner": XrefField.PARTNER, "canonical": XrefField.CANONICAL, "odoo": XrefField.ODOO}


class OnMissing(StrEnum):
    """What a table or cross-reference lookup does with a value it does not know."""

    ERROR = "error"
    KEEP = "keep"
    NULL = "null"
    #: cross references only: an error the sender should retry — the reference may still be written (a
    #: partner-assigned number the hub records from the partner's own synchronous answer, which a fast
    #: partner's callback can beat). ``/v1/hooks`` answers ``503`` + ``Retry-After`` for a bounded time.
    WAIT = "wait"


@dataclass(frozen=True)
class MappingRef:
    """Which mapping produced a result: recorded on the message."""

    #: the partner id
    partner: str
    #: the ``version`` of the mapping file
    version: str
    #: first 16 hex digits of the SHA-256 of the file's text (tells edits without a version bump apart)
    digest: str

    def __str__(self) -> str:
        return f"{self.partner}@{self.version}"


@dataclass(frozen=True)
class CodeTable:
    """Partner code → canonical code; reversed for outbound (the first partner code listed wins)."""

    name: str
    forward: Mapping[str, str]

    def reverse(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for partner_code, canonical in self.forward.items():
            out.setdefault(canonical, partner_code)
        return out


@dataclass(frozen=True)
class Convert:
    """A unit conversion of a numeric value."""

    to_unit: str
    from_unit: str | None = None
    from_expr: ParsedResult | None = None
    round: int | None = None


@dataclass(frozen=True)
class XrefRule:
    """A cross-reference lookup of the field's value."""

    kind: str
    source: XrefField | None
    target: XrefField | None
    on_missing: OnMissing = OnMissing.ERROR


@dataclass(frozen=True)
class Leaf:
    """A rule producing one value."""

    #: where in the YAML (dotted key path), for messages
    where: str
    expr: ParsedResult | None = None
    expr_text: str | None = None
    const: Any = None
    default: Any = None
    required: bool = False
    table: str | None = None
    on_missing: OnMissing = OnMissing.ERROR
    convert: Convert | None = None
    as_type: str | None = None
    format: str | None = None
    timezone: str | None = None
    xref: XrefRule | None = None


@dataclass(frozen=True)
class Obj:
    """A nested object: output field → node."""

    fields: Mapping[str, Node]
    where: str = ""


@dataclass(frozen=True)
class Each:
    """A list: one ``item`` per element of ``source``."""

    where: str
    source: ParsedResult
    source_text: str
    item: Node
    required: bool = False


Node = Leaf | Obj | Each


@dataclass(frozen=True)
class InboundOperation:
    """Partner document → canonical event(s) of one type."""

    name: str
    event: str
    data: Obj
    id: Leaf
    match: ParsedResult | None = None
    match_text: str | None = None
    foreach: ParsedResult | None = None
    foreach_text: str | None = None
    time: Leaf | None = None
    subject: Leaf | None = None
    sequence: Leaf | None = None
    description: str = ""


@dataclass(frozen=True)
class OutboundOperation:
    """Canonical event of one type → partner document."""

    name: str
    event: str
    document: Node
    description: str = ""


@dataclass(frozen=True)
class PartnerMapping:
    """A loaded, checked partner mapping."""

    partner: str
    version: str
    kind: str
    ref: MappingRef
    source: str
    timezone: str | None = None
    description: str = ""
    tables: Mapping[str, CodeTable] = field(default_factory=dict)
    inbound: Mapping[str, InboundOperation] = field(default_factory=dict)
    outbound: Mapping[str, OutboundOperation] = field(default_factory=dict)

    @property
    def operations(self) -> tuple[str, ...]:
        """Every operation name, inbound then outbound."""
        return (*self.inbound, *self.outbound)


# --- parsing ------------------------------------------------------------------------------------------------


class _Lines:
    """Line numbers of the keys of a YAML document, by dotted path."""

    def __init__(self, text: str) -> None:
        self.lines: dict[str, int] = {}
        try:
            node = yaml.compose(text)
        except yaml.YAMLError:
            return
        if node is not None:
            self._walk(node, "")

    def _walk(self, node: yaml.Node, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                child = f"{path}.{key_node.value}" if path else str(key_node.value)
                self.lines[child] = key_node.start_mark.line + 1
                self._walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, f"{path}[{i}]")

    def at(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path.rsplit(".", 1)[0] if "." in path else ""
        return None


class _Parser:
    def __init__(self, text: str) -> None:
        self.lines = _Lines(text)
        self.tables: dict[str, CodeTable] = {}

    def fail(self, message: str, where: str) -> ConfigError:
        return ConfigError(message, key=where, line=self.lines.at(where))

    def compile(self, text: Any, where: str) -> ParsedResult:
        if not isinstance(text, str) or not text.strip():
            raise self.fail("expected a JMESPath expression (text)", where)
        try:
            return jmespath.compile(text)
        except JMESPathError as exc:
            raise self.fail(f"invalid JMESPath expression {text!r}: {exc}", where) from exc

    def node(self, spec: Any, where: str) -> Node:
        if isinstance(spec, str):
            return Leaf(where=where, expr=self.compile(spec, where), expr_text=spec)
        if isinstance(spec, Mapping):
            if _RULE_MARKERS & spec.keys():
                return self.rule(spec, where)
            return self.obj(spec, where)
        if spec is None or isinstance(spec, bool | int | float):
            raise self.fail("a field is an expression, a rule or a nested object; use const: for a value", where)
        raise self.fail(f"cannot read a field from {type(spec).__name__}", where)

    def obj(self, spec: Mapping[str, Any], where: str) -> Obj:
        if not spec:
            raise self.fail("an object needs at least one field", where)
        return Obj({str(k): self.node(v, f"{where}.{k}") for k, v in spec.items()}, where=where)

    def rule(self, spec: Mapping[str, Any], where: str) -> Node:
        unknown = sorted(set(spec) - _RULE_KEYS)
        if unknown:
            raise self.fail(f"unknown rule key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_RULE_KEYS))}",
                            f"{where}.{unknown[0]}")
        if "each" in spec:
            source_text = spec["each"]
            rest = {k: v for k, v in spec.items() if k not in ("each", "required")}
            if "fields" in rest:
                if set(rest) != {"fields"}:
                    raise self.fail("each with fields takes no other rule keys", where)
                if not isinstance(rest["fields"], Mapping):
                    raise self.fail("fields must be a mapping", f"{where}.fields")
                item: Node = self.obj(rest["fields"], f"{where}.fields")
            else:
                item = self.leaf({"expr": "@", **rest}, where)
            return Each(where, self.compile(source_text, f"{where}.each"), source_text, item,
                        required=bool(spec.get("required", False)))
        if "fields" in spec:
            if set(spec) != {"fields"}:
                raise self.fail("fields without each takes no other rule keys", where)
            if not isinstance(spec["fields"], Mapping):
                raise self.fail("fields must be a mapping", f"{where}.fields")
            return self.obj(spec["fields"], f"{where}.fields")
        return self.leaf(spec, where)

    def leaf(self, spec: Mapping[str, Any], where: str) -> Leaf:
        if ("expr" in spec) == ("const" in spec):
            raise self.fail("a rule needs exactly one of expr or const", where)
        expr_text = spec.get("expr")
        table = spec.get("table")
        if table is not None and table not in self.tables and table not in BUILTIN_TABLES:
            raise self.fail(f"unknown code table {table!r}", f"{where}.table")
        as_type = spec.get("as")
        if as_type is not None and as_type not in AS_TYPES:
            raise self.fail(f"unknown type {as_type!r}; one of {', '.join(AS_TYPES)}", f"{where}.as")
        if spec.get("round") is not None and "convert" not in spec:
            raise self.fail("round applies to convert; put it inside convert", f"{where}.round")
        return Leaf(
            where=where,
            expr=None if expr_text is None else self.compile(expr_text, f"{where}.expr"),
            expr_text=expr_text,
            const=spec.get("const"),
            default=spec.get("default"),
            required=bool(spec.get("required", False)),
            table=table,
            on_missing=self.on_missing(spec.get("on_missing"), f"{where}.on_missing"),
            convert=None if "convert" not in spec else self.convert(spec["convert"], f"{where}.convert"),
            as_type=as_type,
            format=spec.get("format"),
            timezone=self.tz(spec.get("timezone"), f"{where}.timezone"),
            xref=None if "xref" not in spec else self.xref(spec["xref"], f"{where}.xref"),
        )

    def tz(self, name: Any, where: str) -> str | None:
        if name is None:
            return None
        try:
            ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise self.fail(f"unknown time zone {name!r}", where) from exc
        return str(name)

    def on_missing(self, value: Any, where: str, *, xref: bool = False) -> OnMissing:
        allowed = [m for m in OnMissing if xref or m is not OnMissing.WAIT]
        try:
            found = OnMissing(value or "error")
        except ValueError:
            found = None
        if found not in allowed:
            raise self.fail(f"on_missing must be one of {', '.join(m.value for m in allowed)}", where) from None
        return found

    def unit(self, code: Any, where: str) -> str:
        try:
            return normalize_unit(str(code))
        except UnknownUnitError as exc:
            raise self.fail(str(exc), where) from exc

    def convert(self, spec: Any, where: str) -> Convert:
        if not isinstance(spec, Mapping) or "to" not in spec or ("from" in spec) == ("from_expr" in spec):
            raise self.fail("convert needs to: and exactly one of from: or from_expr:", where)
        rounding = spec.get("round")
        if rounding is not None and (not isinstance(rounding, int) or rounding < 0):
            raise self.fail("round is a number of decimal places", f"{where}.round")
        return Convert(
            to_unit=self.unit(spec["to"], f"{where}.to"),
            from_unit=None if "from" not in spec else self.unit(spec["from"], f"{where}.from"),
            from_expr=None if "from_expr" not in spec else self.compile(spec["from_expr"], f"{where}.from_expr"),
            round=rounding,
        )

    def xref(self, spec: Any, where: str) -> XrefRule:
        if isinstance(spec, str):
            return XrefRule(kind=spec, source=None, target=None)
        if not isinstance(spec, Mapping) or not isinstance(spec.get("kind"), str):
            raise self.fail("xref is a kind, or a mapping with kind:, from:, to:, on_missing:", where)
        sides: dict[str, XrefField | None] = {}
        for side in ("from", "to"):
            value = spec.get(side)
            if value is not None and value not in _XREF_SIDES:
                raise self.fail(f"xref {side} must be partner, canonical or odoo", f"{where}.{side}")
            sides[side] = None if value is None else _XREF_SIDES[value]
        return XrefRule(kind=spec["kind"], source=sides["from"], target=sides["to"],
                        on_missing=self.on_missing(spec.get("on_missing"), f"{where}.on_missing", xref=True))

    def event_type(self, name: Any, where: str) -> str:
        if not isinstance(name, str) or name not in registry:
            raise self.fail(f"unknown event type {name!r}", where)
        return name

    def inbound(self, name: str, spec: Any, where: str) -> InboundOperation:
        if not isinstance(spec, Mapping):
            raise self.fail("an operation is a mapping", where)
        unknown = sorted(set(spec) - _INBOUND_KEYS)
        if unknown:
            raise self.fail(f"unknown key {unknown[0]!r}", f"{where}.{unknown[0]}")
        event = self.event_type(spec.get("event"), f"{where}.event")
        if "id" not in spec:
            raise self.fail("an inbound operation needs id: (the event id expression)", where)
        data = spec.get("data")
        if not isinstance(data, Mapping) or not data:
            raise self.fail("an inbound operation needs data: (the payload fields)", f"{where}.data")
        et = registry.get(event)
        assert et is not None
        extra = sorted(set(data) - set(et.model.model_fields))
        if extra:
            raise self.fail(f"{extra[0]!r} is not a field of {event}", f"{where}.data.{extra[0]}")

        def envelope(key: str) -> Leaf | None:
            if spec.get(key) is None:
                return None
            node = self.node(spec[key], f"{where}.{key}")
            if not isinstance(node, Leaf):
                raise self.fail(f"{key} is a single value", f"{where}.{key}")
            return node

        ident = envelope("id")
        assert ident is not None
        return InboundOperation(
            name=name,
            event=event,
            data=self.obj(data, f"{where}.data"),
            id=ident,
            match=None if spec.get("match") is None else self.compile(spec["match"], f"{where}.match"),
            match_text=spec.get("match"),
            foreach=None if spec.get("foreach") is None else self.compile(spec["foreach"], f"{where}.foreach"),
            foreach_text=spec.get("foreach"),
            time=envelope("time"),
            subject=envelope("subject"),
            sequence=envelope("sequence"),
            description=str(spec.get("description", "")),
        )

    def outbound(self, name: str, spec: Any, where: str) -> OutboundOperation:
        if not isinstance(spec, Mapping):
            raise self.fail("an operation is a mapping", where)
        unknown = sorted(set(spec) - _OUTBOUND_KEYS)
        if unknown:
            raise self.fail(f"unknown key {unknown[0]!r}", f"{where}.{unknown[0]}")
        event = self.event_type(spec.get("event"), f"{where}.event")
        if spec.get("document") is None:
            raise self.fail("an outbound operation needs document: (the partner document)", where)
        return OutboundOperation(
            name=name,
            event=event,
            document=self.node(spec["document"], f"{where}.document"),
            description=str(spec.get("description", "")),
        )


def _tables(parser: _Parser, spec: Any) -> dict[str, CodeTable]:
    if spec is None:
        return {}
    if not isinstance(spec, Mapping):
        raise parser.fail("tables is a mapping of table name → {partner code: canonical code}", "tables")
    out: dict[str, CodeTable] = {}
    for name, rows in spec.items():
        if str(name).startswith("@"):
            raise parser.fail("table names starting with @ are reserved for built-ins", f"tables.{name}")
        if not isinstance(rows, Mapping) or not rows:
            raise parser.fail("a code table maps partner codes to canonical codes", f"tables.{name}")
        out[str(name)] = CodeTable(str(name), {str(k): str(v) for k, v in rows.items()})
    return out


def parse_mapping(text: str) -> PartnerMapping:
    """Read and check a mapping file's text.

    :raises ConfigError: naming the key (dotted path) and line of the first problem
    """
    parser = _Parser(text)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"not valid YAML: {exc}", line=None if mark is None else mark.line + 1) from exc
    if not isinstance(doc, Mapping):
        raise ConfigError("a mapping file is a YAML mapping with partner:, version:, inbound:/outbound:")
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise parser.fail(f"unknown key {unknown[0]!r}", unknown[0])
    for key in ("partner", "version"):
        if doc.get(key) is None or str(doc[key]).strip() == "":
            raise parser.fail(f"{key} is required", key)
    partner = str(doc["partner"])
    version = str(doc["version"])
    parser.tables = _tables(parser, doc.get("tables"))
    inbound_spec = doc.get("inbound") or {}
    outbound_spec = doc.get("outbound") or {}
    if not isinstance(inbound_spec, Mapping) or not isinstance(outbound_spec, Mapping):
        raise parser.fail("inbound and outbound map operation names to operations", "inbound")
    if not inbound_spec and not outbound_spec:
        raise parser.fail("a mapping needs at least one inbound or outbound operation", "inbound")
    clash = sorted(set(inbound_spec) & set(outbound_spec))
    if clash:
        raise parser.fail(f"operation {clash[0]!r} is both inbound and outbound", f"outbound.{clash[0]}")
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return PartnerMapping(
        partner=partner,
        version=version,
        kind=str(doc.get("kind", "partner")),
        ref=MappingRef(partner, version, digest),
        source=str(doc.get("source") or f"/partners/{partner}"),
        timezone=parser.tz(doc.get("timezone"), "timezone"),
        description=str(doc.get("description", "")),
        tables=parser.tables,
        inbound={str(k): parser.inbound(str(k), v, f"inbound.{k}") for k, v in inbound_spec.items()},
        outbound={str(k): parser.outbound(str(k), v, f"outbound.{k}") for k, v in outbound_spec.items()},
    )
