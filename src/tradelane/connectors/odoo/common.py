"""Helpers shared by the operations: external ids, idempotent re-runs, grouping writes, common look-ups.

Idempotency rules used everywhere:

* the key of a record is written **in the same call that creates it** (a reference field such as
  ``res.partner.ref``, ``product.product.default_code``, ``account.move.ref`` or a marker in a chatter body),
  so a lost reply never leads to a second record: the re-run finds it by that key;
* the hub key is also recorded as an external id (``ir.model.data``, module :data:`XMLID_MODULE`) so other
  Odoo tools and later look-ups can resolve it;
* every operation may be re-run as a whole: :func:`idempotent` re-runs it on transient failures, including a
  lost reply (:class:`~.errors.AmbiguousOutcome`).
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

import stamina

from tradelane.core.errors import BusinessError, TransientError

from .client import OdooClient

__all__ = [
    "XMLID_MODULE",
    "chunks",
    "event_marker",
    "grouped_writes",
    "idempotent",
    "lookup_xmlids",
    "m2o_id",
    "m2o_name",
    "product_ids_by_ref",
    "products_by_ref",
    "record_xmlids",
    "write_rows",
    "xmlid_name",
]

#: the ``ir.model.data.module`` under which the hub records its external ids
XMLID_MODULE = "tradelane"
#: longest ``ir.model.data.name`` we produce (readable slug + hash)
XMLID_SLUG_MAX = 48
#: ids per ``in`` domain / per batched call; keeps one RPC well under the server's limits
BATCH_SIZE = 500
#: operation-level re-runs after a transient failure (each re-run re-reads Odoo first)
OPERATION_ATTEMPTS = 6
#: first/longest wait between operation re-runs, seconds
OPERATION_WAIT_INITIAL_S = 0.05
OPERATION_WAIT_MAX_S = 2.0
#: absolute tolerance when comparing float quantities and prices read back from Odoo
FLOAT_TOLERANCE = 1e-6

P = ParamSpec("P")
T = TypeVar("T")
_SLUG = re.compile(r"[^a-z0-9_]+")


def idempotent(op: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Re-run a whole idempotent operation on :class:`TransientError` (lost replies included)."""

    @functools.wraps(op)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        async for attempt in stamina.retry_context(
            on=TransientError,
            attempts=OPERATION_ATTEMPTS,
            timeout=None,
            wait_initial=OPERATION_WAIT_INITIAL_S,
            wait_max=OPERATION_WAIT_MAX_S,
            wait_jitter=OPERATION_WAIT_INITIAL_S,
        ):
            with attempt:
                return await op(*args, **kwargs)
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


def xmlid_name(kind: str, key: str) -> str:
    """A stable ``ir.model.data.name`` for a hub key, e.g. ``partner_acme_corp_1a2b3c4d5e``."""
    digest = hashlib.sha256(f"{kind}\0{key}".encode()).hexdigest()[:10]
    slug = _SLUG.sub("_", key.lower()).strip("_")[:XMLID_SLUG_MAX]
    return f"{kind}_{slug}_{digest}" if slug else f"{kind}_{digest}"


def event_marker(hub_event_id: str) -> str:
    """The text put in chatter bodies / descriptions so a replay can find what an event already wrote."""
    return f"[tradelane:{html.escape(hub_event_id, quote=True)}]"


def m2o_id(value: Any) -> int | None:
    """The id of a many2one read value (``[id, name]``, a bare id or ``False``)."""
    if isinstance(value, list | tuple) and value:
        return int(value[0])
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def m2o_name(value: Any) -> str | None:
    """The display name of a many2one read value."""
    if isinstance(value, list | tuple) and len(value) > 1:
        return str(value[1])
    return None


def text(value: Any) -> str | None:
    """Odoo returns ``False`` for empty char fields."""
    return None if value is False or value is None else str(value)


def same(current: Any, wanted: Any) -> bool:
    """Compare a value read from Odoo with one we would write."""
    if isinstance(wanted, bool) or isinstance(current, bool):
        return bool(current) == bool(wanted) if isinstance(wanted, bool) else current == wanted
    if isinstance(wanted, float | int) and isinstance(current, float | int):
        return abs(float(current) - float(wanted)) <= FLOAT_TOLERANCE
    if isinstance(current, list | tuple) and isinstance(wanted, int):
        return m2o_id(current) == wanted
    if wanted is None:
        return current in (False, None)
    return bool(current == wanted)


def changed_vals(row: dict[str, Any], vals: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``vals`` that differs from what ``row`` holds."""
    return {k: v for k, v in vals.items() if not same(row.get(k), v)}


def chunks(items: Sequence[T], size: int = BATCH_SIZE) -> Iterator[Sequence[T]]:
    """Slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _freeze(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def grouped_writes(pending: Iterable[tuple[int, dict[str, Any]]]) -> list[tuple[list[int], dict[str, Any]]]:
    """Group ``(id, vals)`` pairs by identical ``vals`` so each group is one ``write`` call."""
    groups: dict[Hashable, tuple[list[int], dict[str, Any]]] = {}
    for rid, vals in pending:
        if not vals:
            continue
        key = _freeze(vals)
        groups.setdefault(key, ([], vals))[0].append(rid)
    return list(groups.values())


async def write_grouped(
    client: OdooClient,
    model: str,
    pending: Iterable[tuple[int, dict[str, Any]]],
    *,
    context: dict[str, Any] | None = None,
) -> int:
    """Write ``(id, vals)`` pairs with one call per distinct ``vals``; returns the number of calls."""
    calls = 0
    for ids, vals in grouped_writes(pending):
        for part in chunks(ids):
            await client.write(model, part, vals, context=context)
            calls += 1
    return calls


#: distinct value sets above which :func:`write_rows` sends one ``load`` instead of one ``write`` per set
LOAD_MIN_GROUPS = 3


def _load_cell(value: Any) -> str | None:
    """A value as an import cell, or ``None`` when ``load`` cannot carry it faithfully."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    return None


async def write_rows(
    client: OdooClient,
    model: str,
    pending: Iterable[tuple[int, dict[str, Any]]],
    *,
    many2one: frozenset[str] = frozenset(),
    context: dict[str, Any] | None = None,
) -> int:
    """Write per-record values (``(id, vals)`` pairs) in as few calls as possible; returns the calls made.

    Pairs sharing their ``vals`` become one ``write``. When the values differ record by record (tracking
    numbers, prices) the batch goes through ``load`` with a ``.id`` column instead: Odoo's import API updates
    each named record with ``write`` inside one transaction, so N different values cost one call, not N.
    ``many2one`` names the fields whose values are database ids (sent as ``field/.id`` columns). Values that an
    import cell cannot carry faithfully (booleans, ``None``, lists) fall back to grouped writes.
    """
    rows = [(rid, vals) for rid, vals in pending if vals]
    groups = grouped_writes(rows)
    loadable = all(_load_cell(v) is not None for _, vals in rows for v in vals.values())
    if len(groups) < LOAD_MIN_GROUPS or not loadable:
        return await write_grouped(client, model, rows, context=context)
    by_columns: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for rid, vals in rows:
        by_columns[tuple(sorted(vals))].append((rid, vals))
    calls = 0
    for columns, members in by_columns.items():
        header = [".id", *(f"{c}/.id" if c in many2one else c for c in columns)]
        for part in chunks(members):
            data = [[str(rid), *(_load_cell(vals[c]) for c in columns)] for rid, vals in part]
            result = await client.execute_kw(model, "load", [header, data], context=context)
            calls += 1
            if not isinstance(result, dict) or not result.get("ids"):
                messages = result.get("messages") if isinstance(result, dict) else result
                text_ = "; ".join(str(m.get("message", m)) for m in messages or [] if isinstance(m, dict))
                raise BusinessError(
                    f"{model}.load refused the update: {text_ or messages!r}", kind="UserError"
                )
    return calls


async def lookup_xmlids(client: OdooClient, names: Iterable[str]) -> dict[str, tuple[str, int]]:
    """``name → (model, res_id)`` for the hub's external ids that exist."""
    wanted = sorted(set(names))
    out: dict[str, tuple[str, int]] = {}
    for part in chunks(wanted):
        rows = await client.search_read(
            "ir.model.data",
            [("module", "=", XMLID_MODULE), ("name", "in", list(part))],
            ["name", "model", "res_id"],
        )
        out.update({r["name"]: (r["model"], int(r["res_id"])) for r in rows})
    return out


async def record_xmlids(
    client: OdooClient, model: str, wanted: dict[str, int], known: dict[str, tuple[str, int]] | None = None
) -> None:
    """Create the external ids in ``wanted`` (``name → res_id``) that do not exist yet, in one call.

    ``known`` is the result of a :func:`lookup_xmlids` made earlier in the same operation.
    """
    existing = known if known is not None else await lookup_xmlids(client, wanted)
    missing = [
        {"module": XMLID_MODULE, "name": name, "model": model, "res_id": rid, "noupdate": True}
        for name, rid in sorted(wanted.items())
        if name not in existing
    ]
    for part in chunks(missing):
        await client.create("ir.model.data", part)


async def products_by_ref(
    client: OdooClient, refs: Iterable[str], fields: Sequence[str] = ()
) -> dict[str, dict[str, Any]]:
    """``default_code → product.product row`` with ``id`` and ``fields`` (archived products included; the
    first by id when two share a code)."""
    wanted = sorted({r for r in refs if r})
    out: dict[str, dict[str, Any]] = {}
    for part in chunks(wanted):
        rows = await client.search_read(
            "product.product",
            [("default_code", "in", list(part))],
            ["default_code", *fields],
            context={"active_test": False},
            order="id",
        )
        for row in rows:
            out.setdefault(str(row["default_code"]), row)
    return out


async def product_ids_by_ref(client: OdooClient, refs: Iterable[str]) -> dict[str, int]:
    """``default_code → product.product id`` (archived products included)."""
    return {ref: int(row["id"]) for ref, row in (await products_by_ref(client, refs)).items()}


async def product_refs_by_id(client: OdooClient, ids: Iterable[int]) -> dict[int, str | None]:
    """``product.product id → default_code``."""
    wanted = sorted(set(ids))
    out: dict[int, str | None] = {}
    for part in chunks(wanted):
        rows = await client.read("product.product", list(part), ["default_code"])
        out.update({int(r["id"]): text(r.get("default_code")) for r in rows})
    return out


def by_key(rows: Iterable[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    """Group rows by a many2one (or plain) field."""
    out: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        value = row.get(key)
        out[m2o_id(value) if isinstance(value, list | tuple) else value].append(row)
    return out


#: Odoo's datetime wire format: naive UTC, seconds (reference §0)
ODOO_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def to_odoo_datetime(value: datetime) -> str:
    """Naive-UTC ``YYYY-MM-DD HH:MM:SS``; aware values are converted (Odoo ignores offsets silently, §7.1)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime(ODOO_DATETIME_FORMAT)


def from_odoo_datetime(value: str) -> datetime:
    """Parse an Odoo datetime string (fractions, if any, are dropped) as naive UTC."""
    return datetime.strptime(value[:19].replace("T", " "), ODOO_DATETIME_FORMAT)
