"""SQL of the flow runtime: exceptions (with history and the Odoo-mirror outbox), the SLA projector and due
scan, ownership conflicts. Functions take an open connection inside the caller's transaction;
:class:`~tradelane.store.sql.SqlStore` wraps each in one.

* **Dedupe of exceptions**: ``open_key`` (tenant + dedupe key) is unique and cleared on resolve, so the same
  breach is never open twice, even when two hubs race (insert-or-ignore, then read the winner).
* **Projector**: tails ``events`` by ``seq`` from a cursor row in ``flow_cursors``. The cursor row is locked
  (``FOR UPDATE SKIP LOCKED`` on PostgreSQL: a second hub skips the round) and advanced in the same
  transaction that arms and stops timers, so a crash never loses or repeats a step. PostgreSQL may commit
  events out of ``seq`` order (concurrent ingest transactions); events younger than ``settle_s`` are left for
  the next round so that a lower ``seq`` committed late is not skipped.
* **Due scan**: ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) AND status = 'armed' RETURNING``
  marks breached timers; their exceptions are opened in the same transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import orjson
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from tradelane.core.errors import ConflictError, NotFound
from tradelane.core.ids import new_id
from tradelane.ports.flows import (
    ArmTimer,
    ConflictFilter,
    ConflictView,
    ExceptionFilter,
    ExceptionView,
    NewConflict,
    NewException,
    ProjectedEvent,
    ProjectionResult,
    SlaBreach,
    SlaTimerFilter,
    SlaTimerView,
    StopTimer,
    TimerOp,
    TimerPlanner,
)
from tradelane.store.engine import WRITE
from tradelane.store.tables import (
    conflicts,
    events,
    exception_history,
    exceptions,
    flow_cursors,
    job_runs,
    sla_timers,
)

__all__ = [
    "SqlCursorPositions",
    "breach_due_timers",
    "claim_job_run",
    "claim_mirrors",
    "count_timers",
    "decide_conflict",
    "finish_job_run",
    "finish_mirror",
    "get_conflict",
    "get_exception",
    "last_job_runs",
    "list_conflicts",
    "list_exceptions",
    "list_timers",
    "open_exception",
    "project",
    "read_position",
    "record_conflicts",
    "transition_exception",
    "write_position",
]

#: longest stored note / detail
NOTE_MAX = 2000
#: exception type of an SLA breach
SLA_BREACH = "sla_breach"
#: from status → allowed transitions (action → new status)
TRANSITIONS: dict[str, dict[str, str]] = {
    "open": {"acknowledge": "acknowledged", "resolve": "resolved"},
    "acknowledged": {"resolve": "resolved"},
    "resolved": {},
}


def _pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _insert_ignore(conn: Connection, table: Any, values: dict[str, Any], key: list[str]) -> bool:
    """Insert unless a unique key already holds a row; ``True`` when inserted (portable ON CONFLICT DO NOTHING)."""
    if _pg(conn):
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    # RETURNING, not rowcount: psycopg reports -1 as the rowcount of INSERT … ON CONFLICT through SQLAlchemy
    stmt = dialect_insert(table).values(**values).on_conflict_do_nothing(index_elements=key)
    return conn.execute(stmt.returning(*table.primary_key.columns)).first() is not None


def _clip(text: str | None, n: int = NOTE_MAX) -> str | None:
    return None if text is None else text[:n]


# -- exceptions ---------------------------------------------------------------------------------------------
def _exception_view(r: Any, history: tuple[Mapping[str, Any], ...] = ()) -> ExceptionView:
    return ExceptionView(
        id=r.id,
        tenant=r.tenant,
        type=r.type,
        severity=r.severity,
        status=r.status,
        entity_kind=r.entity_kind,
        entity_id=r.entity_id,
        owner_team=r.owner_team,
        summary=r.summary,
        detail=r.detail,
        flow=r.flow,
        dedupe_key=r.dedupe_key,
        links=r.links or {},
        opened_at=r.opened_at,
        updated_at=r.updated_at,
        acknowledged_at=r.acknowledged_at,
        resolved_at=r.resolved_at,
        resolution=r.resolution,
        version=r.version,
        mirror_state=r.mirror_state,
        mirror_ref=r.mirror_ref,
        mirror_error=r.mirror_error,
        history=history,
    )


def _history(conn: Connection, exception_id: str) -> tuple[Mapping[str, Any], ...]:
    h = exception_history
    return tuple(
        {
            "at": r.at,
            "actor": r.actor,
            "action": r.action,
            "from_status": r.from_status,
            "to_status": r.to_status,
            "note": r.note,
        }
        for r in conn.execute(select(h).where(h.c.exception_id == exception_id).order_by(h.c.seq))
    )


def _log(conn: Connection, exception_id: str, now: datetime, actor: str, action: str,
         from_status: str | None, to_status: str | None, note: str | None) -> None:
    conn.execute(
        insert(exception_history).values(
            exception_id=exception_id, at=now, actor=actor[:200], action=action, from_status=from_status,
            to_status=to_status, note=_clip(note),
        )
    )


def _open_key(tenant: str, dedupe_key: str | None) -> str | None:
    return None if dedupe_key is None else f"{tenant}\x1f{dedupe_key}"[:420]


def _merge_links(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(old)
    for k, v in new.items():
        if isinstance(v, list | tuple) and isinstance(out.get(k), list):
            out[k] = list(dict.fromkeys([*out[k], *v]))
        elif k not in out or out[k] is None:
            out[k] = list(v) if isinstance(v, tuple) else v
    return out


def _links(links: Mapping[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in links.items()}


def open_exception(
    conn: Connection, new: NewException, now: datetime, mirror: bool, actor: str = "hub"
) -> tuple[ExceptionView, bool]:
    """Open ``new`` or join the unresolved exception with the same dedupe key (its links are merged)."""
    key = _open_key(new.tenant, new.dedupe_key)
    eid = new_id("exc")
    values = {
        "id": eid,
        "tenant": new.tenant,
        "type": new.type,
        "severity": new.severity,
        "status": "open",
        "entity_kind": new.entity_kind,
        "entity_id": new.entity_id,
        "owner_team": new.owner_team,
        "summary": new.summary[:300],
        "detail": _clip(new.detail),
        "flow": new.flow,
        "dedupe_key": new.dedupe_key,
        "open_key": key,
        "links": _links(new.links),
        "opened_at": now,
        "updated_at": now,
        "version": 1,
        "mirror_state": None,
        "mirror_due_at": now if mirror else None,
        "mirror_attempts": 0,
    }
    if key is None:
        conn.execute(insert(exceptions).values(**values))
        created = True
    else:
        created = _insert_ignore(conn, exceptions, values, ["open_key"])
    if created:
        _log(conn, eid, now, actor, "opened", None, "open", new.detail)
        row = conn.execute(select(exceptions).where(exceptions.c.id == eid)).one()
        return _exception_view(row), True
    stmt = select(exceptions).where(exceptions.c.open_key == key)
    if _pg(conn):
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).one()
    merged = _merge_links(row.links or {}, new.links)
    if merged != (row.links or {}):
        conn.execute(
            update(exceptions).where(exceptions.c.id == row.id).values(links=merged, updated_at=now)
        )
        _log(conn, row.id, now, actor, "linked", row.status, row.status, "seen again")
        row = conn.execute(select(exceptions).where(exceptions.c.id == row.id)).one()
    return _exception_view(row), False


def transition_exception(
    conn: Connection, exception_id: str, tenant: str | None, action: str, actor: str, note: str | None,
    now: datetime, mirror: bool,
) -> ExceptionView:
    x = exceptions
    stmt = select(x).where(x.c.id == exception_id)
    if tenant is not None:
        stmt = stmt.where(x.c.tenant == tenant)
    if _pg(conn):
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFound(f"no exception {exception_id}")
    target = TRANSITIONS.get(row.status, {}).get(action)
    if target is None:
        allowed = ", ".join(sorted(TRANSITIONS.get(row.status, {}))) or "nothing"
        raise ConflictError(f"exception {exception_id} is {row.status}: cannot {action} (allowed: {allowed})")
    values: dict[str, Any] = {"status": target, "updated_at": now, "version": row.version + 1}
    if target == "acknowledged":
        values["acknowledged_at"] = now
    else:
        values.update(resolved_at=now, resolution=_clip(note), open_key=None)
    if mirror:
        values["mirror_due_at"] = now
    res = conn.execute(update(x).where(x.c.id == exception_id, x.c.status == row.status).values(**values))
    if res.rowcount != 1:  # SQLite has a single writer and PostgreSQL holds the row lock: never expected
        raise ConflictError(f"exception {exception_id} changed concurrently; retry")
    _log(conn, exception_id, now, actor, action, row.status, target, note)
    new = conn.execute(select(x).where(x.c.id == exception_id)).one()
    return _exception_view(new, _history(conn, exception_id))


def get_exception(conn: Connection, exception_id: str, tenant: str | None) -> ExceptionView | None:
    stmt = select(exceptions).where(exceptions.c.id == exception_id)
    if tenant is not None:
        stmt = stmt.where(exceptions.c.tenant == tenant)
    row = conn.execute(stmt).first()
    return None if row is None else _exception_view(row, _history(conn, exception_id))


def list_exceptions(
    conn: Connection, flt: ExceptionFilter, limit: int, after: str | None
) -> tuple[list[ExceptionView], str | None]:
    x = exceptions
    equal = (
        (x.c.tenant, flt.tenant),
        (x.c.status, flt.status),
        (x.c.type, flt.type),
        (x.c.owner_team, flt.owner_team),
        (x.c.entity_kind, flt.entity_kind),
        (x.c.entity_id, flt.entity_id),
        (x.c.flow, flt.flow),
    )
    conds: list[Any] = [col == v for col, v in equal if v is not None]
    if after:
        conds.append(x.c.id > after)
    rows = conn.execute(select(x).where(*conds).order_by(x.c.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [_exception_view(r) for r in rows], (rows[-1].id if more and rows else None)


def claim_mirrors(conn: Connection, now: datetime, limit: int, lease_s: float) -> list[ExceptionView]:
    x = exceptions
    sub = select(x.c.id).where(x.c.mirror_due_at <= now).order_by(x.c.mirror_due_at).limit(limit)
    if _pg(conn):
        sub = sub.with_for_update(skip_locked=True)
    ids = [r.id for r in conn.execute(sub)]
    if not ids:
        return []
    conn.execute(update(x).where(x.c.id.in_(ids)).values(mirror_due_at=now + timedelta(seconds=lease_s)))
    return [_exception_view(r) for r in conn.execute(select(x).where(x.c.id.in_(ids)).order_by(x.c.id))]


def finish_mirror(
    conn: Connection, exception_id: str, mirrored_status: str | None, ref: str | None, error: str | None,
    retry_at: datetime | None, now: datetime,
) -> None:
    x = exceptions
    stmt = select(x.c.status, x.c.mirror_attempts, x.c.mirror_state).where(x.c.id == exception_id)
    if _pg(conn):
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        return
    if error is not None:
        conn.execute(
            update(x).where(x.c.id == exception_id).values(
                mirror_error=error[:500], mirror_attempts=row.mirror_attempts + 1, mirror_due_at=retry_at
            )
        )
        return
    # the status may have moved on while we mirrored: then stay due
    due = None if mirrored_status == row.status else now
    state = mirrored_status if mirrored_status is not None else row.mirror_state
    conn.execute(
        update(x).where(x.c.id == exception_id).values(
            mirror_state=state, mirror_ref=ref, mirror_error=None, mirror_attempts=0, mirror_due_at=due
        )
    )
    _log(conn, exception_id, now, "mirror", "mirrored", None, mirrored_status, ref)


# -- SLA timers ---------------------------------------------------------------------------------------------
def _lock_cursor(conn: Connection, name: str, now: datetime, from_history: bool) -> int | None:
    """The cursor's position, locked for this transaction; ``None`` when another hub holds it. A new cursor
    starts after the newest event (``from_history``: before the oldest), so turning SLAs on for a database
    with a long history does not open an exception for every old order."""
    c = flow_cursors
    start = 0 if from_history else int(conn.execute(select(func.coalesce(func.max(events.c.seq), 0))).scalar_one())
    _insert_ignore(conn, c, {"name": name, "position": start, "updated_at": now}, ["name"])
    stmt = select(c.c.position).where(c.c.name == name)
    if _pg(conn):
        stmt = stmt.with_for_update(skip_locked=True)
    row = conn.execute(stmt).first()
    return None if row is None else int(row.position)


def _timer_for_update(conn: Connection, op: TimerOp) -> Any:
    t = sla_timers
    stmt = select(t).where(t.c.tenant == op.tenant, t.c.flow == op.flow, t.c.sla == op.sla, t.c.key == op.key)
    if _pg(conn):
        stmt = stmt.with_for_update()
    return conn.execute(stmt).first()


def _breach(conn: Connection, timer: Any, now: datetime, mirror: bool, late_stop: datetime | None) -> SlaBreach:
    """Open (or join) the exception of a breached timer and point the timer at it."""
    detail = f"{timer.flow}/{timer.sla}: due {timer.due_at.isoformat()}"
    detail += f", stop event at {late_stop.isoformat()}" if late_stop else ", no stop event yet"
    links: dict[str, Any] = {"hub_ids": [h for h in (timer.start_hub_id, timer.stop_hub_id) if h]}
    if timer.correlation_id:
        links["correlation_id"] = timer.correlation_id
    view, _ = open_exception(
        conn,
        NewException(
            tenant=timer.tenant,
            type=SLA_BREACH,
            severity=timer.severity,
            entity_kind=timer.entity_kind,
            entity_id=timer.key,
            owner_team=timer.owner_team,
            summary=f"SLA {timer.sla} of flow {timer.flow} breached for {timer.entity_kind} {timer.key}",
            detail=detail,
            flow=timer.flow,
            dedupe_key=f"sla:{timer.flow}:{timer.sla}:{timer.key}",
            links=links,
        ),
        now,
        mirror,
        actor="sla",
    )
    conn.execute(update(sla_timers).where(sla_timers.c.id == timer.id).values(exception_id=view.id))
    return SlaBreach(timer.id, timer.tenant, timer.flow, timer.sla, timer.key, view.id)


def _apply(conn: Connection, op: TimerOp, now: datetime, mirror: bool) -> tuple[str, SlaBreach | None]:
    t = sla_timers
    row = _timer_for_update(conn, op)
    if isinstance(op, ArmTimer):
        if row is None:
            _insert_ignore(
                conn, t,
                {
                    "id": new_id("sla"), "tenant": op.tenant, "flow": op.flow, "sla": op.sla, "key": op.key,
                    "entity_kind": op.entity_kind, "status": "armed", "severity": op.severity,
                    "owner_team": op.owner_team, "started_at": op.started_at, "due_at": op.due_at,
                    "start_hub_id": op.hub_id, "correlation_id": op.correlation_id,
                    "created_at": now, "updated_at": now,
                },
                ["tenant", "flow", "sla", "key"],
            )
            return "armed", None
        if row.started_at is not None:
            if op.rearm and row.status == "armed" and row.due_at != op.due_at:
                conn.execute(update(t).where(t.c.id == row.id).values(due_at=op.due_at, updated_at=now))
                return "armed", None  # the due time moved (a new ETA)
            return "ignored", None  # a repeated start: the first one counts
        # the stop came first: fill in the start; the stop decides whether the SLA was met
        late = row.stopped_at is not None and row.stopped_at > op.due_at
        conn.execute(
            update(t).where(t.c.id == row.id).values(
                started_at=op.started_at, due_at=op.due_at, start_hub_id=op.hub_id,
                correlation_id=row.correlation_id or op.correlation_id,
                status="breached" if late else row.status, breached_at=now if late else None, updated_at=now,
            )
        )
        if late:
            return "armed", _breach(conn, _reload(conn, row.id), now, mirror, row.stopped_at)
        return "armed", None
    assert isinstance(op, StopTimer)
    if row is None:  # out of order: the stop arrived before its start
        _insert_ignore(
            conn, t,
            {
                "id": new_id("sla"), "tenant": op.tenant, "flow": op.flow, "sla": op.sla, "key": op.key,
                "entity_kind": op.entity_kind, "status": "met", "severity": op.severity,
                "owner_team": op.owner_team, "stopped_at": op.stopped_at, "stop_hub_id": op.hub_id,
                "created_at": now, "updated_at": now,
            },
            ["tenant", "flow", "sla", "key"],
        )
        return "stopped", None
    if row.stopped_at is not None:
        return "ignored", None
    if row.status == "armed":
        late = row.due_at is not None and op.stopped_at > row.due_at
        conn.execute(
            update(t).where(t.c.id == row.id).values(
                status="breached" if late else "met", stopped_at=op.stopped_at, stop_hub_id=op.hub_id,
                breached_at=now if late else None, updated_at=now,
            )
        )
        if late:
            return "stopped", _breach(conn, _reload(conn, row.id), now, mirror, op.stopped_at)
        return "stopped", None
    # already breached by the due scan: record the stop on the timer and in the exception's history
    conn.execute(
        update(t).where(t.c.id == row.id).values(stopped_at=op.stopped_at, stop_hub_id=op.hub_id, updated_at=now)
    )
    if row.exception_id:
        x = conn.execute(select(exceptions.c.status).where(exceptions.c.id == row.exception_id)).first()
        if x is not None:
            _log(conn, row.exception_id, now, "sla", "stop_received", x.status, x.status,
                 f"stop event {op.hub_id} at {op.stopped_at.isoformat()}")
    return "stopped", None


def _reload(conn: Connection, timer_id: str) -> Any:
    return conn.execute(select(sla_timers).where(sla_timers.c.id == timer_id)).one()


def project(
    conn: Connection, cursor: str, types: frozenset[str], plan: TimerPlanner, now: datetime, limit: int,
    settle_s: float, mirror: bool, from_history: bool = False,
) -> ProjectionResult:
    position = _lock_cursor(conn, cursor, now, from_history)
    if position is None:
        return ProjectionResult(ran=False)
    e = events
    rows = conn.execute(
        select(
            e.c.seq, e.c.hub_id, e.c.tenant, e.c.type, e.c.subject, e.c.partition_key, e.c.correlation_id,
            e.c.time, e.c.received_at, e.c.data, e.c.source,
        )
        .where(e.c.seq > position, e.c.type.in_(sorted(types)))
        .order_by(e.c.seq)
        .limit(limit)
    ).all()
    settled = now - timedelta(seconds=settle_s)
    counts = {"armed": 0, "stopped": 0, "ignored": 0}
    breaches: list[SlaBreach] = []
    last = position
    n = 0
    for r in rows:
        if r.received_at > settled:
            break  # too young: a lower seq may still commit; read again next round
        ev = ProjectedEvent(
            seq=r.seq, hub_id=r.hub_id, tenant=r.tenant, type=r.type, subject=r.subject,
            partition_key=r.partition_key, correlation_id=r.correlation_id, time=r.time or r.received_at,
            data=r.data, source=r.source,
        )
        for op in plan(ev):
            outcome, breach = _apply(conn, op, now, mirror)
            counts[outcome] += 1
            if breach is not None:
                breaches.append(breach)
        last = r.seq
        n += 1
    if last != position:
        conn.execute(update(flow_cursors).where(flow_cursors.c.name == cursor).values(position=last, updated_at=now))
    return ProjectionResult(
        events=n, armed=counts["armed"], stopped=counts["stopped"], ignored=counts["ignored"],
        breaches=tuple(breaches),
    )


def breach_due_timers(conn: Connection, now: datetime, limit: int, mirror: bool) -> list[SlaBreach]:
    t = sla_timers
    sub = select(t.c.id).where(t.c.status == "armed", t.c.due_at <= now).order_by(t.c.due_at).limit(limit)
    if _pg(conn):
        sub = sub.with_for_update(skip_locked=True)
    claimed = conn.execute(
        update(t)
        .where(t.c.id.in_(sub.scalar_subquery()), t.c.status == "armed")
        .values(status="breached", breached_at=now, updated_at=now)
        .returning(t.c.id)
    ).all()
    out: list[SlaBreach] = []
    for (timer_id,) in sorted(claimed):
        out.append(_breach(conn, _reload(conn, timer_id), now, mirror, None))
    return out


def _timer_view(r: Any) -> SlaTimerView:
    return SlaTimerView(**{k: getattr(r, k) for k in SlaTimerView.__dataclass_fields__})


def _timer_conds(flt: SlaTimerFilter) -> list[Any]:
    t = sla_timers
    equal = ((t.c.tenant, flt.tenant), (t.c.flow, flt.flow), (t.c.sla, flt.sla), (t.c.status, flt.status),
             (t.c.key, flt.key))
    return [col == v for col, v in equal if v is not None]


def list_timers(
    conn: Connection, flt: SlaTimerFilter, limit: int, after: str | None
) -> tuple[list[SlaTimerView], str | None]:
    t = sla_timers
    conds = _timer_conds(flt)
    if after:
        conds.append(t.c.id > after)
    rows = conn.execute(select(t).where(*conds).order_by(t.c.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [_timer_view(r) for r in rows], (rows[-1].id if more and rows else None)


def count_timers(conn: Connection, flt: SlaTimerFilter) -> dict[str, int]:
    t = sla_timers
    stmt = select(t.c.status, func.count().label("n")).where(*_timer_conds(flt)).group_by(t.c.status)
    return {r.status: int(r.n) for r in conn.execute(stmt)}


# -- conflicts ----------------------------------------------------------------------------------------------
def _conflict_key(c: NewConflict) -> str:
    raw = orjson.dumps(
        [c.tenant, c.entity_kind, c.entity_id, c.field, c.source, c.event_id, c.proposed],
        option=orjson.OPT_SORT_KEYS,
        default=str,
    )
    return hashlib.sha256(raw).hexdigest()


def _conflict_view(r: Any) -> ConflictView:
    return ConflictView(
        id=r.id, tenant=r.tenant, entity_kind=r.entity_kind, entity_id=r.entity_id, field=r.field,
        source=r.source, owners=tuple(r.owners or ()), current=r.current, proposed=r.proposed,
        event_id=r.event_id, status=r.status, decided_by=r.decided_by, decided_at=r.decided_at, note=r.note,
        created_at=r.created_at, updated_at=r.updated_at,
    )


def record_conflicts(conn: Connection, items: list[NewConflict], now: datetime) -> list[tuple[ConflictView, bool]]:
    out: list[tuple[ConflictView, bool]] = []
    for c in items:
        key = _conflict_key(c)
        created = _insert_ignore(
            conn, conflicts,
            {
                "id": new_id("cfl"), "tenant": c.tenant, "entity_kind": c.entity_kind, "entity_id": c.entity_id,
                "field": c.field[:500], "source": c.source, "owners": list(c.owners), "current": c.current,
                "proposed": c.proposed, "event_id": c.event_id, "status": "open", "dedupe_key": key,
                "created_at": now, "updated_at": now,
            },
            ["dedupe_key"],
        )
        row = conn.execute(select(conflicts).where(conflicts.c.dedupe_key == key)).one()
        out.append((_conflict_view(row), created))
    return out


def list_conflicts(
    conn: Connection, flt: ConflictFilter, limit: int, after: str | None
) -> tuple[list[ConflictView], str | None]:
    c = conflicts
    equal = ((c.c.tenant, flt.tenant), (c.c.status, flt.status), (c.c.entity_kind, flt.entity_kind),
             (c.c.entity_id, flt.entity_id), (c.c.source, flt.source))
    conds: list[Any] = [col == v for col, v in equal if v is not None]
    if after:
        conds.append(c.c.id > after)
    rows = conn.execute(select(c).where(*conds).order_by(c.c.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [_conflict_view(r) for r in rows], (rows[-1].id if more and rows else None)


def get_conflict(conn: Connection, conflict_id: str, tenant: str | None) -> ConflictView | None:
    stmt = select(conflicts).where(conflicts.c.id == conflict_id)
    if tenant is not None:
        stmt = stmt.where(conflicts.c.tenant == tenant)
    row = conn.execute(stmt).first()
    return None if row is None else _conflict_view(row)


def decide_conflict(
    conn: Connection, conflict_id: str, tenant: str | None, decision: Literal["accepted", "rejected"],
    actor: str, note: str | None, now: datetime,
) -> ConflictView:
    c = conflicts
    current = get_conflict(conn, conflict_id, tenant)
    if current is None:
        raise NotFound(f"no conflict {conflict_id}")
    res = conn.execute(
        update(c)
        .where(c.c.id == conflict_id, c.c.status == "open")
        .values(status=decision, decided_by=actor[:200], decided_at=now, note=_clip(note), updated_at=now)
    )
    if res.rowcount != 1:
        now_status = get_conflict(conn, conflict_id, tenant)
        raise ConflictError(f"conflict {conflict_id} is already {now_status.status if now_status else 'gone'}")
    decided = get_conflict(conn, conflict_id, tenant)
    assert decided is not None
    return decided


# -- scheduled batch runs (the job_runs table of 0002) ------------------------------------------------------
def claim_job_run(conn: Connection, job: str, fire_time: datetime, owner: str, now: datetime) -> bool:
    """Take the single run of ``job`` at ``fire_time``; ``False`` when another instance already took it."""
    return _insert_ignore(
        conn, job_runs,
        {"job": job[:100], "fire_time": fire_time, "owner": owner[:100], "status": "running", "detail": None,
         "started_at": now, "finished_at": None},
        ["job", "fire_time"],
    )


def finish_job_run(
    conn: Connection, job: str, fire_time: datetime, status: str, detail: Mapping[str, Any] | None, now: datetime
) -> None:
    conn.execute(
        update(job_runs)
        .where(job_runs.c.job == job[:100], job_runs.c.fire_time == fire_time)
        .values(status=status, detail=dict(detail) if detail is not None else None, finished_at=now)
    )


def last_job_runs(conn: Connection, jobs: list[str]) -> dict[str, dict[str, Any]]:
    """The latest run of each job: ``{fire_time, status, owner, finished_at, detail}``."""
    out: dict[str, dict[str, Any]] = {}
    j = job_runs
    for name in jobs:
        r = conn.execute(select(j).where(j.c.job == name[:100]).order_by(j.c.fire_time.desc()).limit(1)).first()
        if r is not None:
            out[name] = {"fire_time": r.fire_time, "status": r.status, "owner": r.owner,
                         "finished_at": r.finished_at, "detail": r.detail}
    return out


# -- named positions (``flow_cursors``) for other tailers: e.g. the change capture of Odoo -------------------
def read_position(conn: Connection, name: str) -> int | None:
    """The stored position of cursor ``name`` (``None``: never written)."""
    row = conn.execute(select(flow_cursors.c.position).where(flow_cursors.c.name == name[:100])).first()
    return None if row is None else int(row.position)


def write_position(conn: Connection, name: str, position: int, now: datetime) -> None:
    """Store ``position`` for cursor ``name`` (insert or overwrite)."""
    if not _insert_ignore(conn, flow_cursors, {"name": name[:100], "position": position, "updated_at": now},
                          ["name"]):
        conn.execute(update(flow_cursors).where(flow_cursors.c.name == name[:100])
                     .values(position=position, updated_at=now))


class SqlCursorPositions:
    """:class:`~tradelane.ports.flows.CursorPositions` over ``flow_cursors`` (build with an engine from
    ``make_engine``). The SLA projector's row is its own; these are other named rows of the same table."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    async def _run(self, fn: Any, *, write: bool = False) -> Any:
        def run() -> Any:
            conn = self.engine.connect()
            if write:
                conn = conn.execution_options(**WRITE)
            with conn, conn.begin():
                return fn(conn)

        return await asyncio.to_thread(run)

    async def get(self, name: str) -> int | None:
        result: int | None = await self._run(lambda c: read_position(c, name))
        return result

    async def put(self, name: str, position: int) -> None:
        now = datetime.now(UTC)
        await self._run(lambda c: write_position(c, name, position, now), write=True)
