"""Running a partner mapping: partner document → canonical events, canonical event → partner document.

Evaluation is pure and collects *every* problem instead of stopping at the first: each is a
:class:`~tradelane.core.errors.FieldProblem` with the output field's path, the rule that failed (its
``code``: ``required``, ``expression``, ``code_table``, ``convert``, ``type``, ``datetime``, ``each``,
``xref``, ``operation``, or the payload model's own error type such as ``sscc_check_digit``) and the
offending value; the message names the mapping rule (YAML key) the value came from. Problems are raised
together as one :class:`~tradelane.core.errors.MappingError`. Nothing is returned half-mapped.

Cross references are looked up in one batch per kind after evaluation, through the
:class:`~tradelane.ports.xref.XrefStore` port — the only awaited step. Inbound events are validated through
the registry's typed envelope (envelope and payload in one pass). Every result carries the
:class:`~tradelane.mapping.spec.MappingRef` (partner, version, digest) to record on the message.
"""

from __future__ import annotations

import contextlib
import dataclasses
import decimal
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from jmespath.exceptions import JMESPathError
from pydantic import ValidationError

from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import FieldProblem, MappingError
from tradelane.core.milestones import milestone_from_carrier_status, milestone_from_x12
from tradelane.core.registry import registry
from tradelane.core.units import IncompatibleUnitsError, UnknownUnitError, convert_value, normalize_unit
from tradelane.mapping.functions import document_root, element_scope, options
from tradelane.mapping.spec import (
    Each,
    InboundOperation,
    Leaf,
    MappingRef,
    Node,
    Obj,
    OnMissing,
    OutboundOperation,
    PartnerMapping,
)
from tradelane.ports.xref import XrefField, XrefStore

__all__ = [
    "InboundResult",
    "MissingXref",
    "OutboundResult",
    "only_missing_xrefs",
    "format_problems",
    "select_inbound",
    "select_outbound",
    "to_canonical",
    "to_partner",
]

_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f"})
#: epoch formats a datetime rule understands besides strptime patterns
_EPOCH_SCALE = {"epoch": 1, "epoch_ms": 1000}


@dataclass(frozen=True)
class InboundResult:
    """Canonical events mapped from one partner document."""

    #: the mapping used (record ``str(mapping)`` and ``mapping.digest`` on the message)
    mapping: MappingRef
    #: the inbound operation that matched
    operation: str
    #: the events, validated
    events: tuple[CloudEvent, ...]


@dataclass(frozen=True)
class OutboundResult:
    """A partner document mapped from one canonical event."""

    #: the mapping used
    mapping: MappingRef
    #: the outbound operation used
    operation: str
    #: the canonical event type that was mapped
    event_type: str
    #: the partner document (JSON-ready)
    document: Any


@dataclass(frozen=True)
class MissingXref(FieldProblem):
    """A ``xref`` problem of a rule with ``on_missing: wait``: no cross reference for the value *yet*.

    Unlike every other problem it may go away on its own: the reference is often written moments later
    (the WMS's delivery number is known only once its ``202`` comes back, and the WMS may call back sooner).
    The webhook route answers a document whose *only* problems are these with a retryable status.
    """

    #: the cross-reference kind (``shipment``, ``product`` …)
    kind: str = ""
    #: the partner whose table was searched
    partner: str = ""
    #: the side that was looked up (``partner``, ``canonical`` or ``odoo``)
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "kind": self.kind, "partner": self.partner, "source": self.source}


def only_missing_xrefs(problems: list[FieldProblem]) -> list[MissingXref]:
    """The problems when every one is a :class:`MissingXref` (a retryable refusal), else ``[]``."""
    if problems and all(isinstance(p, MissingXref) for p in problems):
        return [p for p in problems if isinstance(p, MissingXref)]
    return []


@dataclass
class _Pending:
    """A value waiting for its cross-reference lookup."""

    kind: str
    source: XrefField
    target: XrefField
    on_missing: OnMissing
    value: str
    path: str
    where: str


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Evaluator:
    def __init__(self, mapping: PartnerMapping, *, inbound: bool) -> None:
        self.mapping = mapping
        self.inbound = inbound
        self.problems: list[FieldProblem] = []
        self.pending: list[_Pending] = []
        self.origin: dict[str, str] = {}

    def problem(self, path: str, code: str, message: str, value: Any, where: str) -> None:
        self.problems.append(FieldProblem(path=path, message=f"{message} (rule {where})", code=code, value=value))

    def search(self, expr: Any, text: str | None, ctx: Any, path: str, where: str) -> Any:
        try:
            return expr.search(ctx, options=options())
        except JMESPathError as exc:
            self.problem(path, "expression", f"expression {text!r} failed: {exc}", None, where)
            return None

    # -- nodes ------------------------------------------------------------------------------------------
    def node(self, node: Node, ctx: Any, path: str) -> Any:
        if isinstance(node, Obj):
            out = {}
            for key, child in node.fields.items():
                value = self.node(child, ctx, _join(path, key))
                if value is not None:
                    out[key] = value
            return out or None
        if isinstance(node, Each):
            return self.each(node, ctx, path)
        return self.leaf(node, ctx, path)

    def each(self, node: Each, ctx: Any, path: str) -> Any:
        items = self.search(node.source, node.source_text, ctx, path, node.where)
        if items is None:
            if node.required:
                self.problem(path, "required", f"{node.source_text!r} gave no list", None, node.where)
            return None
        if not isinstance(items, list):
            self.problem(path, "each", f"{node.source_text!r} must give a list", items, node.where)
            return None
        out = []
        for i, item in enumerate(items):
            with element_scope(item):
                out.append(self.node(node.item, item, f"{path}[{i}]"))
        return out

    def leaf(self, leaf: Leaf, ctx: Any, path: str) -> Any:
        self.origin[path] = leaf.where if leaf.expr_text is None else f"{leaf.where} `{leaf.expr_text}`"
        before = len(self.problems)
        if leaf.expr is not None:
            value = self.search(leaf.expr, leaf.expr_text, ctx, path, leaf.where)
        else:
            value = leaf.const
        if len(self.problems) > before:
            return None
        if _missing(value):
            value = leaf.default
        if _missing(value):
            if leaf.required:
                source = f"{leaf.expr_text!r}" if leaf.expr_text else "the rule"
                self.problem(path, "required", f"{source} gave no value", None, leaf.where)
            return None
        if leaf.table is not None:
            value = self.table(leaf, value, path)
        if value is not None and leaf.convert is not None:
            value = self.convert(leaf, value, ctx, path)
        if value is not None and leaf.as_type is not None:
            value = self.coerce(leaf, value, path)
        if value is not None and leaf.xref is not None:
            rule = leaf.xref
            source = rule.source or (XrefField.PARTNER if self.inbound else XrefField.CANONICAL)
            target = rule.target or (XrefField.CANONICAL if self.inbound else XrefField.PARTNER)
            pending = _Pending(rule.kind, source, target, rule.on_missing, _text(value), path, leaf.where)
            self.pending.append(pending)
            return pending
        if isinstance(value, Decimal):
            return str(value)
        return value

    # -- rules ------------------------------------------------------------------------------------------
    def table(self, leaf: Leaf, value: Any, path: str) -> Any:
        name = leaf.table
        assert name is not None
        code = _text(value)
        try:
            if name == "@units":
                return normalize_unit(code)
            if name in ("@carrier_status", "@x12_status"):
                if not self.inbound:
                    self.problem(path, "code_table", f"built-in table {name} is inbound only", value, leaf.where)
                    return None
                fn = milestone_from_carrier_status if name == "@carrier_status" else milestone_from_x12
                return str(fn(code))
        except (UnknownUnitError, MappingError):
            found = None
        else:
            table = self.mapping.tables[name]
            rows = table.forward if self.inbound else table.reverse()
            found = rows.get(code)
            if found is None:
                folded = {k.casefold(): v for k, v in rows.items()}
                found = folded.get(code.strip().casefold())
            if found is not None:
                return found
        if leaf.on_missing is OnMissing.KEEP:
            return value
        if leaf.on_missing is OnMissing.ERROR:
            self.problem(path, "code_table", f"{code!r} is not in code table {name}", value, leaf.where)
        return None

    def convert(self, leaf: Leaf, value: Any, ctx: Any, path: str) -> Decimal | None:
        conv = leaf.convert
        assert conv is not None
        from_unit = conv.from_unit
        if conv.from_expr is not None:
            raw = self.search(conv.from_expr, None, ctx, path, leaf.where)
            if _missing(raw):
                self.problem(path, "convert", "the unit to convert from is missing", raw, leaf.where)
                return None
            from_unit = _text(raw)
        assert from_unit is not None
        try:
            amount = Decimal(_text(value))
            result = convert_value(amount, from_unit, conv.to_unit)
        except (InvalidOperation, ValueError, TypeError):
            self.problem(path, "convert", f"{value!r} is not a number", value, leaf.where)
            return None
        except (UnknownUnitError, IncompatibleUnitsError) as exc:
            self.problem(path, "convert", str(exc), from_unit, leaf.where)
            return None
        if conv.round is not None:
            with decimal.localcontext() as ctx_dec:
                ctx_dec.rounding = decimal.ROUND_HALF_EVEN
                result = result.quantize(Decimal(1).scaleb(-conv.round))
        return result

    def coerce(self, leaf: Leaf, value: Any, path: str) -> Any:
        kind = leaf.as_type
        try:
            if kind == "string":
                return _text(value)
            if kind in ("decimal", "integer", "number"):
                if isinstance(value, bool):
                    raise ValueError
                number = Decimal(_text(value).strip())
                if not number.is_finite():
                    raise ValueError
                if kind == "decimal":
                    return number
                if kind == "integer":
                    if number != number.to_integral_value():
                        raise ValueError
                    return int(number)
                return int(number) if number == number.to_integral_value() else float(number)
            if kind == "boolean":
                if isinstance(value, bool):
                    return value
                word = _text(value).strip().casefold()
                if word in _TRUE or word in _FALSE:
                    return word in _TRUE
                raise ValueError
            return self.when(leaf, value, path)
        except (InvalidOperation, ValueError, TypeError, OverflowError):
            self.problem(path, "type", f"cannot read {value!r} as {kind}", value, leaf.where)
            return None

    def when(self, leaf: Leaf, value: Any, path: str) -> str | int | None:
        """Datetimes and dates: parse the partner's form inbound, produce it outbound."""
        fmt = leaf.format
        tz_name = leaf.timezone or self.mapping.timezone
        parse_fmt = fmt if self.inbound else None
        try:
            moment = self.parse_moment(value, parse_fmt)
        except (ValueError, TypeError, OverflowError, OSError):
            shown = f" with format {parse_fmt!r}" if parse_fmt else ""
            self.problem(path, "datetime", f"cannot read {value!r} as a {leaf.as_type}{shown}", value, leaf.where)
            return None
        if isinstance(moment, datetime) and moment.tzinfo is None:
            if tz_name is None:
                self.problem(path, "datetime", f"{value!r} has no UTC offset and the mapping names no "
                             "timezone", value, leaf.where)
                return None
            moment = moment.replace(tzinfo=ZoneInfo(tz_name))
        if leaf.as_type == "date":
            if isinstance(moment, datetime):
                moment = moment.astimezone(ZoneInfo(tz_name)) if tz_name else moment
                moment = moment.date()
            return moment.strftime(fmt) if (fmt and not self.inbound) else moment.isoformat()
        assert isinstance(moment, datetime)
        if self.inbound:
            return moment.isoformat()
        if tz_name is not None:
            moment = moment.astimezone(ZoneInfo(tz_name))
        if fmt in _EPOCH_SCALE:
            return int(moment.timestamp() * _EPOCH_SCALE[fmt])
        return moment.strftime(fmt) if fmt else moment.isoformat()

    @staticmethod
    def parse_moment(value: Any, fmt: str | None) -> datetime | date:
        if fmt in _EPOCH_SCALE:
            if isinstance(value, bool):
                raise ValueError
            return datetime.fromtimestamp(float(Decimal(_text(value))) / _EPOCH_SCALE[fmt], UTC)
        if not isinstance(value, str):
            raise ValueError
        if fmt:
            return datetime.strptime(value.strip(), fmt)
        text = value.strip()
        if len(text) == len("2026-11-16"):
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)

    # -- cross references ------------------------------------------------------------------------------
    async def resolve(self, tree: Any, xrefs: XrefStore, tenant: str) -> Any:
        groups: dict[tuple[str, XrefField], set[str]] = {}
        for p in self.pending:
            groups.setdefault((p.kind, p.source), set()).add(p.value)
        found: dict[tuple[str, XrefField], dict[str, Any]] = {}
        for (kind, source), values in sorted(groups.items()):
            found[(kind, source)] = await xrefs.find_many(tenant, self.mapping.partner, kind, source, values)
        resolved: dict[int, Any] = {}
        for p in self.pending:
            entry = found[(p.kind, p.source)].get(p.value)
            answer = None if entry is None else entry.value_of(p.target)
            if answer is not None and p.target is XrefField.ODOO:
                resolved[id(p)] = int(answer)
            elif answer is not None:
                resolved[id(p)] = answer
            elif p.on_missing is OnMissing.KEEP:
                resolved[id(p)] = p.value
            else:
                resolved[id(p)] = None
                message = (f"no {p.target.value} for {p.kind} {p.source.value} {p.value!r} of partner "
                           f"{self.mapping.partner} (tenant {tenant})")
                if p.on_missing is OnMissing.ERROR:
                    self.problem(p.path, "xref", message, p.value, p.where)
                elif p.on_missing is OnMissing.WAIT:  # may still be written: the sender should retry
                    self.problems.append(MissingXref(path=p.path, message=f"{message} (rule {p.where})",
                                                     code="xref", value=p.value, kind=p.kind,
                                                     partner=self.mapping.partner, source=p.source.value))
        return _substitute(tree, resolved)


def _substitute(tree: Any, resolved: Mapping[int, Any]) -> Any:
    if isinstance(tree, _Pending):
        return resolved[id(tree)]
    if isinstance(tree, dict):
        out = {}
        for key, value in tree.items():
            new = _substitute(value, resolved)
            if new is not None:
                out[key] = new
        return out or None
    if isinstance(tree, list):
        return [_substitute(item, resolved) for item in tree]
    return tree


def _loc_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out = f"{out}[{part}]" if isinstance(part, int) else _join(out, str(part))
    return out


def _validation_problems(
    exc: ValidationError, prefix: str, origin: Mapping[str, str], reported: set[str]
) -> list[FieldProblem]:
    out: list[FieldProblem] = []
    for err in exc.errors():
        path = _join(prefix, _loc_path(tuple(err["loc"])))
        if any(path == r or path.startswith(r + ".") or path.startswith(r + "[") for r in reported):
            continue  # already reported by the rule that failed to produce it
        source = next((origin[p] for p in _prefixes(path) if p in origin), None)
        message = err["msg"] + (f" (from rule {source})" if source else "")
        value = None if err["type"] == "missing" else err.get("input")
        out.append(FieldProblem(path=path, message=message, code=err["type"], value=value))
    # a container's complaint caused by its failing elements (``too_short`` …) adds nothing to theirs
    paths = [p.path for p in out] + list(reported)
    return [p for p in out if not any(q != p.path and q.startswith((p.path + ".", p.path + "[")) for q in paths)]


def _prefixes(path: str) -> list[str]:
    out = [path]
    while True:
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 0:
            return out
        path = path[:cut]
        out.append(path)


def _error(ref: MappingRef, operation: str, problems: list[FieldProblem]) -> MappingError:
    noun = "problem" if len(problems) == 1 else "problems"
    return MappingError(f"{len(problems)} {noun} mapping {operation} with {ref}", problems)


# --- selection ---------------------------------------------------------------------------------------------


def select_inbound(mapping: PartnerMapping, document: Any, operation: str | None = None) -> InboundOperation:
    """The inbound operation for ``document``: the one named, else the only one whose ``match`` holds.

    :raises MappingError: (rule ``operation``) when none or several match, or the name is unknown
    """
    if operation is not None:
        op = mapping.inbound.get(operation)
        if op is None:
            raise _error(mapping.ref, operation, [FieldProblem(
                "operation", f"no inbound operation {operation!r}; known: {', '.join(mapping.inbound) or 'none'}",
                "operation", operation)])
        return op
    candidates = list(mapping.inbound.values())
    if len(candidates) != 1:
        with document_root(document):
            candidates = [
                op for op in candidates
                if op.match is not None and _truthy(op.match.search(document, options=options()))
            ]
    if len(candidates) == 1:
        return candidates[0]
    names = ", ".join(op.name for op in candidates) or "none"
    raise _error(mapping.ref, "inbound", [FieldProblem(
        "operation", f"{len(candidates)} inbound operations match the document ({names}); name one",
        "operation", None)])


def _truthy(value: Any) -> bool:
    return value not in (None, False, "", [], {})


def select_outbound(mapping: PartnerMapping, event_type: str, operation: str | None = None) -> OutboundOperation:
    """The outbound operation for ``event_type``: the one named, else the only one for that type.

    :raises MappingError: (rule ``operation``) when none or several fit
    """
    if operation is not None:
        op = mapping.outbound.get(operation)
        if op is None or op.event != event_type:
            why = "unknown" if op is None else f"maps {op.event}, not {event_type}"
            raise _error(mapping.ref, operation, [FieldProblem(
                "operation", f"outbound operation {operation!r}: {why}", "operation", operation)])
        return op
    fits = [op for op in mapping.outbound.values() if op.event == event_type]
    if len(fits) == 1:
        return fits[0]
    names = ", ".join(op.name for op in fits) or "none"
    raise _error(mapping.ref, "outbound", [FieldProblem(
        "operation", f"{len(fits)} outbound operations map {event_type} ({names})", "operation", event_type)])


# --- directions --------------------------------------------------------------------------------------------


async def to_canonical(
    mapping: PartnerMapping,
    document: Any,
    *,
    xrefs: XrefStore,
    tenant: str,
    operation: str | None = None,
) -> InboundResult:
    """Map a partner document to validated canonical events.

    :param mapping: the partner's mapping
    :param document: the partner document, parsed from JSON
    :param xrefs: where cross references are looked up
    :param tenant: the tenant the cross references belong to
    :param operation: the inbound operation; by default the one whose ``match`` holds
    :raises MappingError: listing every problem (path, rule, value)
    """
    op = select_inbound(mapping, document, operation)
    ev = _Evaluator(mapping, inbound=True)
    drafts: list[tuple[str, dict[str, Any]]] = []
    with document_root(document):
        elements: list[Any] = [document]
        if op.foreach is not None:
            found = ev.search(op.foreach, op.foreach_text, document, "events", f"inbound.{op.name}.foreach")
            if not isinstance(found, list):
                if found is not None:
                    ev.problem("events", "each", f"{op.foreach_text!r} must give a list", found,
                               f"inbound.{op.name}.foreach")
                raise _error(mapping.ref, op.name, ev.problems or [FieldProblem(
                    "events", f"{op.foreach_text!r} gave no events", "required", None)])
            elements = found
        for i, element in enumerate(elements):
            prefix = f"events[{i}]" if op.foreach is not None else ""
            scope = element_scope(element) if op.foreach is not None else contextlib.nullcontext()
            with scope:
                envelope: dict[str, Any] = {"source": mapping.source, "type": op.event}
                for key, leaf in (("id", op.id), ("time", op.time), ("subject", op.subject),
                                  ("sequence", op.sequence)):
                    if leaf is None:
                        continue
                    if key == "time" and leaf.as_type is None:
                        leaf = _with_type(leaf, "datetime")
                    value = ev.leaf(leaf, element, _join(prefix, key))
                    if value is not None:
                        envelope[key] = _text(value) if key in ("id", "subject") and not isinstance(value, _Pending) \
                            else value
                envelope["data"] = ev.node(op.data, element, _join(prefix, "data")) or {}
                drafts.append((prefix, envelope))
    resolved = await ev.resolve([d for _, d in drafts], xrefs, tenant)
    reported = {p.path for p in ev.problems}
    typed = registry.typed_envelope(op.event)
    et = registry.get(op.event)
    assert typed is not None and et is not None
    events: list[CloudEvent] = []
    for (prefix, _), envelope in zip(drafts, resolved, strict=True):
        envelope = envelope or {}
        data = envelope.get("data") or {}
        if et.key_field and isinstance(data.get(et.key_field), str):
            envelope.setdefault("partitionkey", data[et.key_field])
        if "id" not in envelope and _join(prefix, "id") not in reported:
            ev.problems.append(FieldProblem(_join(prefix, "id"), "the event id is missing", "required", None))
            reported.add(_join(prefix, "id"))
        try:
            events.append(typed.model_validate(envelope))
        except ValidationError as exc:
            ev.problems.extend(_validation_problems(exc, prefix, ev.origin, reported))
    if ev.problems:
        raise _error(mapping.ref, op.name, ev.problems)
    return InboundResult(mapping=mapping.ref, operation=op.name, events=tuple(events))


def _with_type(leaf: Leaf, as_type: str) -> Leaf:
    return dataclasses.replace(leaf, as_type=as_type)


async def to_partner(
    mapping: PartnerMapping,
    event: CloudEvent | Mapping[str, Any],
    *,
    xrefs: XrefStore,
    tenant: str,
    event_type: str | None = None,
    operation: str | None = None,
) -> OutboundResult:
    """Map a canonical event (or its ``data`` with ``event_type``) to the partner's document.

    The payload is validated against its model first, so the mapping reads normalised canonical JSON.

    :raises MappingError: listing every problem (path, rule, value)
    """
    if isinstance(event, CloudEvent):
        event_type, data = event.type, event.data
    else:
        data = dict(event)
    if event_type is None:
        raise _error(mapping.ref, "outbound", [FieldProblem("type", "the event type is needed", "required", None)])
    op = select_outbound(mapping, event_type, operation)
    et = registry.get(event_type)
    assert et is not None  # select_outbound found an operation, and operations name registered types
    try:
        payload = et.model.model_validate(data)
    except ValidationError as exc:
        raise _error(mapping.ref, op.name, _validation_problems(exc, "data", {}, set())) from exc
    canonical = payload.model_dump(mode="json", exclude_none=True)
    ev = _Evaluator(mapping, inbound=False)
    with document_root(canonical):
        tree = ev.node(op.document, canonical, "document")
    document = await ev.resolve(tree, xrefs, tenant)
    if ev.problems:
        raise _error(mapping.ref, op.name, ev.problems)
    return OutboundResult(mapping=mapping.ref, operation=op.name, event_type=event_type, document=document)


def format_problems(error: MappingError) -> list[str]:
    """One line per problem: ``path  [rule]  value=…  message``."""
    lines = []
    for p in error.problems:
        shown = "" if p.value is None else f"  value={p.value!r}"
        lines.append(f"{p.path}  [{p.code}]{shown}  {p.message}")
    return lines
