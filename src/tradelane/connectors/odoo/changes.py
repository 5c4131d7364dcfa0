"""Change capture: poll a model by ``write_date`` with an overlap window, and read automation-rule webhooks.

Why the overlap and the dedupe (reference §7.1): ``write_date`` is the *transaction start* time and comes back
truncated to seconds, so a long transaction can commit after our poll with an older ``write_date``, and
``>`` on the watermark repeats the same second. Each poll therefore re-reads from ``watermark - overlap``,
pages by keyset ``(write_date, id)`` in that order, and drops records already emitted. A record is "already
emitted" when its id, its ``write_date`` *and* a digest of the fields read match: a second update inside the
same second leaves the truncated ``write_date`` unchanged, so ``(id, write_date)`` alone would lose it.
Deletions are invisible; flows use ``active``/``state`` semantics.

The webhook that an Odoo 17 automation rule sends is unsigned and can describe a state that a later error
rolls back (§7.2), so :func:`parse_automation_webhook` only yields a :class:`ChangeHint` that triggers an
early poll; nothing is trusted from it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import orjson

from tradelane.core.errors import MappingError

from .client import OdooClient
from .common import from_odoo_datetime, to_odoo_datetime
from .models import ChangeBatch, ChangeCursor, ChangeHint

__all__ = ["DEFAULT_OVERLAP", "DEFAULT_PAGE_SIZE", "parse_automation_webhook", "poll_changes"]

#: how far back each poll re-reads, to catch transactions that committed late with an older write_date
DEFAULT_OVERLAP = timedelta(seconds=60)
#: records per page (one RPC each)
DEFAULT_PAGE_SIZE = 500
#: pages per poll before returning ``more=True`` (bounds one poll's duration)
DEFAULT_MAX_PAGES = 10


def _version(row: dict[str, Any]) -> tuple[int, str]:
    """``(id, "write_date digest")``: what identifies one emitted state of a record in the cursor."""
    digest = hashlib.blake2b(orjson.dumps(row, option=orjson.OPT_SORT_KEYS), digest_size=8).hexdigest()
    return int(row["id"]), f"{row['write_date']} {digest}"


def _keyset_after(write_date: str, read_ids: Sequence[int]) -> list[Any]:
    """The rest of a ``write_date asc, id asc`` scan after the second ``write_date`` was partly read.

    Odoo stores ``write_date`` with microseconds but returns it truncated to the second (reference §7.1):
    ``write_date = '<second>'`` matches nothing, ``write_date > '<second>'`` still matches that second, and
    within one second the rows are ordered by their hidden microseconds, not by id. So the next page is
    everything from that second on, minus the ids of that second already read.
    """
    if not read_ids:
        return [("write_date", ">=", write_date)]
    next_second = to_odoo_datetime(from_odoo_datetime(write_date) + timedelta(seconds=1))
    return [
        "|",
        ("write_date", ">=", next_second),
        "&",
        ("write_date", ">=", write_date),
        ("id", "not in", sorted(set(read_ids))),
    ]


def _last_second(
    rows: Sequence[dict[str, Any]], resumed: tuple[str, tuple[int, ...]] | None
) -> tuple[str, tuple[int, ...]]:
    """The ``write_date`` second of the last row read and every id read in that second (this poll's and,
    when the poll resumed inside that same second, the ids the cursor carried)."""
    last = str(rows[-1]["write_date"])
    ids = {int(r["id"]) for r in rows if str(r["write_date"]) == last}
    if resumed is not None and resumed[0] == last:
        ids |= set(resumed[1])
    return last, tuple(sorted(ids))


async def poll_changes(
    client: OdooClient,
    cursor: ChangeCursor,
    fields: Sequence[str],
    *,
    domain: Sequence[Any] = (),
    overlap: timedelta = DEFAULT_OVERLAP,
    page_size: int = DEFAULT_PAGE_SIZE,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> ChangeBatch:
    """Records of ``cursor.model`` changed since the cursor, oldest first, each (id, write_date) once.

    :param fields: fields to read; ``write_date`` is always added.
    :param domain: an extra filter, e.g. ``[("state", "=", "sale")]``.
    """
    read_fields = sorted({*fields, "write_date"})
    base = list(domain)
    if cursor.resume_after is not None:
        start_domain = base + _keyset_after(*cursor.resume_after)
    elif cursor.watermark is not None:
        since = to_odoo_datetime(from_odoo_datetime(cursor.watermark) - overlap)
        start_domain = [*base, ("write_date", ">=", since)]
    else:
        start_domain = base
    rows: list[dict[str, Any]] = []
    page_domain = start_domain
    more = False
    for page in range(max_pages):
        batch = await client.search_read(
            cursor.model, page_domain, read_fields, order="write_date asc, id asc", limit=page_size
        )
        rows += batch
        if len(batch) < page_size:
            break
        page_domain = start_domain + _keyset_after(*_last_second(rows, cursor.resume_after))
        more = page == max_pages - 1
    fresh = [r for r in rows if _version(r) not in cursor.seen]
    watermark = cursor.watermark
    for r in rows:
        if watermark is None or str(r["write_date"]) > watermark:
            watermark = str(r["write_date"])
    seen = set(cursor.seen) | {_version(r) for r in rows}
    if watermark is not None:
        floor = to_odoo_datetime(from_odoo_datetime(watermark) - overlap)
        seen = {(i, w) for i, w in seen if w >= floor}
    resume = _last_second(rows, cursor.resume_after) if more and rows else None
    new_cursor = ChangeCursor(cursor.model, watermark, frozenset(seen), resume)
    return ChangeBatch(cursor.model, tuple(fresh), new_cursor, more)


def parse_automation_webhook(body: bytes | str | dict[str, Any]) -> ChangeHint:
    """Read the JSON an automation-rule "Send Webhook Notification" action posts.

    Accepts the real payload (``_model``/``_id``/``_action``) and the UI sample (``_name``/``id``).
    Raises :class:`MappingError` when the body is not such a payload.
    """
    try:
        data = body if isinstance(body, dict) else orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MappingError(f"Odoo webhook body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise MappingError("Odoo webhook body is not a JSON object")
    model = data.get("_model") or data.get("_name")
    raw_id = data.get("_id", data.get("id"))
    if not isinstance(model, str) or not model:
        raise MappingError("Odoo webhook has no _model")
    try:
        record_id = int(raw_id)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise MappingError(f"Odoo webhook has no usable _id: {raw_id!r}") from exc
    write_date = data.get("write_date")
    return ChangeHint(
        model=model,
        record_id=record_id,
        action=data.get("_action") if isinstance(data.get("_action"), str) else None,
        write_date=str(write_date)[:19] if isinstance(write_date, str) else None,
        values={k: v for k, v in data.items() if not k.startswith("_")},
    )
