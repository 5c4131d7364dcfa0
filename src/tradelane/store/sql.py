"""SQL implementation of :class:`tradelane.ports.store.Store` for SQLite and PostgreSQL.

Writes are serialised (SQLite allows one writer; on PostgreSQL one writer per process is what group
commit wants anyway). On PostgreSQL the whole write transaction runs in a dedicated writer thread (its
network round trips would block the event loop). On SQLite the transaction's statements run on the event
loop's own thread on a dedicated connection (in-process C calls; handing them all to a thread that then
waits for the GIL measured slower), but a durable ``COMMIT`` — whose fsync held the loop for about a fifth
of its time under load — runs in the writer thread, which sqlite3 lets run without the GIL: while it syncs,
the loop parses and validates the next group. Waiting for another process's write lock (``BEGIN
IMMEDIATE`` returning busy) happens in asyncio, never in C.
Reads go through a small thread pool. Each write is one
transaction: a group of submissions is classified (idempotency replay, duplicate, conflict) with two
``IN`` queries and inserted with ``executemany`` — a 2xx is answered only after that commit.
If a unique constraint still fires (another process won a race), the group is retried one submission per
transaction, so one loser never fails its neighbours.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import operator
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import orjson
from sqlalchemy import JSON, and_, bindparam, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from tradelane.core.envelope import CloudEvent
from tradelane.core.ids import new_id
from tradelane.ports.delivery import (
    BreakerUpdate,
    ClaimedDelivery,
    ClaimRequest,
    DeliveryFilter,
    DeliveryResult,
    DeliveryView,
    EndpointState,
    IngestClaimer,
)
from tradelane.ports.flows import (
    ConflictFilter,
    ConflictView,
    ExceptionFilter,
    ExceptionView,
    NewConflict,
    NewException,
    ProjectionResult,
    SlaBreach,
    SlaTimerFilter,
    SlaTimerView,
    TimerPlanner,
)
from tradelane.ports.store import (
    ApiKeyRecord,
    EventFilter,
    EventPage,
    StoredEvent,
    Submission,
    SubmissionResult,
)
from tradelane.routing import ownership as _ownership
from tradelane.routing import resequence as _resequence
from tradelane.routing import staleness as _staleness
from tradelane.store import flows, outbox
from tradelane.store.engine import WRITE
from tradelane.store.outbox import delivery_rows as _delivery_rows
from tradelane.store.tables import (
    UtcDateTime,
    aggregates,
    api_keys,
    deliveries,
    events,
    history,
    idempotency_keys,
    inbox,
)
from tradelane.store.web_reads import WebReadsMixin

__all__ = ["SqlStore", "default_dedupe_key"]

T = TypeVar("T")

#: most bound parameters in one IN (…) list, comfortably under SQLite's limit
IN_CHUNK = 400
#: reader threads
READER_THREADS = 4
#: seconds between background WAL checkpoints (SQLite)
CHECKPOINT_INTERVAL_S = 0.5
#: first and longest pause between attempts to take SQLite's write lock held by another process
LOCK_POLL_MIN_S = 0.001
LOCK_POLL_MAX_S = 0.05


def default_dedupe_key(tenant: str, ev: CloudEvent) -> str:
    """The dedupe key of an API event: CloudEvents identity (source + id) within a tenant."""
    return f"ev:{tenant}:{ev.source}:{ev.id}"


def _chunks(items: list[T], n: int = IN_CHUNK) -> Iterable[list[T]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s{seq}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("s"):
            raise ValueError
        return int(raw[1:])
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("invalid cursor") from exc


def _event_from_row(row: Any) -> StoredEvent:
    ev = CloudEvent.model_construct(
        specversion="1.0",
        id=row.event_id,
        source=row.source,
        type=row.type,
        subject=row.subject,
        time=row.time,
        datacontenttype="application/json",
        dataschema=None,
        data=row.data,
        correlationid=row.correlation_id,
        causationid=row.causation_id,
        partitionkey=row.partition_key,
        sequence=row.sequence,
        idempotencykey=row.idempotency_key,
    )
    return StoredEvent(hub_id=row.hub_id, tenant=row.tenant, received_at=row.received_at, event=ev,
                       mapping=row.mapping, mapping_digest=row.mapping_digest, staleness=row.staleness)


#: the last ``received_at`` rendered by :func:`_accepted_entry` and its text (a group's events share it)
_last_received: tuple[datetime | None, str] = (None, "")


def _accepted_entry(hub_id: str, ev: CloudEvent, status: str, received_at: datetime) -> dict[str, Any]:
    global _last_received
    last = _last_received
    if last[0] is received_at:
        text = last[1]
    else:
        text = received_at.isoformat().replace("+00:00", "Z")
        _last_received = (received_at, text)
    return {
        "hubid": hub_id,
        "id": ev.id,
        "source": ev.source,
        "type": ev.type,
        "status": status,
        "receivedat": text,
    }


#: the ``tenant`` column of ``aggregates`` rows: aggregates are hub-wide (see ``SqlStore._load_screen``)
AGGREGATE_SCOPE = "*"


class _FastInsert:
    """``INSERT`` of many rows through the DBAPI's ``executemany`` with the statement compiled once.

    The statement text comes from SQLAlchemy (``insert(table)`` compiled for the engine's dialect); only the
    per-row parameter processing is done here, because SQLAlchemy's generic per-row bind processing was
    the largest cost of the group commit (measured: ~60 % of the writer thread's time).
    """

    def __init__(self, table: Any, engine: Engine) -> None:
        auto = table.autoincrement_column
        columns = [c.key for c in table.c if c is not auto]
        compiled = insert(table).compile(dialect=engine.dialect, column_keys=columns)
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)
        self.keys = list(compiled.positiontup or []) if self.positional else columns
        sqlite = engine.dialect.name == "sqlite"
        converters: dict[str, Callable[[Any], Any]] = {}
        for col in table.c:
            if isinstance(col.type, JSON):
                converters[col.key] = _json_text
            elif isinstance(col.type, UtcDateTime):
                converters[col.key] = _sqlite_datetime if sqlite else _identity
        self.converters = converters

        #: all of a row's values in column order, in one C call (rows missing a key take the slow path)
        self._values = operator.itemgetter(*self.keys) if len(self.keys) > 1 else lambda r: (r[self.keys[0]],)
        #: (position, converter) of the columns whose values are converted before binding
        self._converted = [(i, converters[k]) for i, k in enumerate(self.keys) if k in converters]

    def _row(self, row: dict[str, Any]) -> Any:
        conv = self.converters
        values = [conv[k](row.get(k)) if k in conv else row.get(k) for k in self.keys]
        return tuple(values) if self.positional else dict(zip(self.keys, values, strict=True))

    def run(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        if not self.positional:
            conn.exec_driver_sql(self.sql, [self._row(r) for r in rows])
            return
        # SQLite hot path: a group's rows share their ``received_at``/``created_at`` datetime, so each distinct
        # datetime is converted once; the DBAPI cursor runs the statement (SQLAlchemy's execution context
        # adds nothing to a precompiled INSERT), inside the connection's transaction
        memo: dict[Any, Any] = {}
        take, converted, keys = self._values, self._converted, self.keys
        params = []
        for row in rows:
            try:
                values = list(take(row))
            except KeyError:  # a key left out means NULL, as ``row.get`` gives it
                values = [row.get(k) for k in keys]
            for i, conv in converted:
                v = values[i]
                if v is not None:
                    if conv is _sqlite_datetime:
                        c = memo.get(v)
                        if c is None:
                            c = memo[v] = conv(v)
                        values[i] = c
                    else:
                        values[i] = conv(v)
            params.append(values)
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cur.executemany(self.sql, params)
        finally:
            cur.close()


class _KnownEvents:
    """``dedupe_key → (body_hash, hub_id, received_at)`` of stored events, one ``IN (…)`` query per chunk.

    The statement text is built once per chunk length and run on the DBAPI cursor: compiling SQLAlchemy's
    expanding ``IN`` for every group was a tenth of the group commit's time (profiled).
    """

    def __init__(self, engine: Engine) -> None:
        self.sqlite = engine.dialect.name == "sqlite"
        self.mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._sql: dict[int, str] = {}

    def _statement(self, n: int) -> str:
        sql = self._sql.get(n)
        if sql is None:
            marks = ", ".join([self.mark] * n)
            sql = self._sql[n] = (
                f"SELECT dedupe_key, body_hash, hub_id, received_at FROM {events.name} WHERE dedupe_key IN ({marks})"
            )
        return sql

    def run(self, conn: Connection, keys: list[str]) -> dict[str, tuple[str, str, datetime]]:
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cur.execute(self._statement(len(keys)), tuple(keys))
            rows = cur.fetchall()
        finally:
            cur.close()
        return {key: (body_hash, hub_id, self._received(at)) for key, body_hash, hub_id, at in rows}

    def _received(self, value: Any) -> datetime:
        if self.sqlite:  # SQLAlchemy's SQLite DATETIME text, naive UTC
            return datetime.fromisoformat(value).replace(tzinfo=UTC) if isinstance(value, str) else value
        return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _identity(v: Any) -> Any:
    return v


def _json_text(v: Any) -> Any:
    return None if v is None else orjson.dumps(v).decode()


def _sqlite_datetime(v: datetime | None) -> str | None:
    # SQLAlchemy's SQLite DATETIME storage format, so range comparisons on the text agree
    if v is None:
        return None
    return v.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _screened_deliveries(rows: list[dict[str, Any]], new_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A late event is kept in the history but changes nothing downstream: its deliveries are ``filtered``
    with the reason (so accepted = delivered ∪ dead ∪ filtered still holds)."""
    late = {r["hub_id"]: r["staleness"] for r in new_rows if r.get("staleness")}
    if not late:
        return rows
    for row in rows:
        flag = late.get(row["hub_id"])
        if flag is not None and row["status"] == "pending":
            row.update(status="filtered", filter_reason=f"{flag}: a late event does not change its aggregate",
                       completed_at=row["created_at"])
    return rows


def _payload_valid(event_type: str, data: Any) -> bool:
    from pydantic import ValidationError

    from tradelane.core.registry import registry

    et = registry.get(event_type)
    if et is None:
        return True
    try:
        et.model.model_validate(data)
    except ValidationError:
        return False
    return True


def _history_rows(
    tenant: str, judged: list[tuple[str, _staleness.Screened, CloudEvent]], now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "tenant": tenant,
            "aggregate": v.aggregate,
            "hub_id": hub_id,
            "kind": v.flag or "applied",
            "type": ev.type,
            "sequence": ev.sequence,
            "time": ev.time,
            "recorded_at": now,
        }
        for hub_id, v, ev in judged
    ]


class SqlStore(WebReadsMixin):
    """The SQL store. Build with an engine from :func:`tradelane.store.engine.make_engine`."""

    def __init__(self, engine: Engine, busy_timeout_ms: int = 5000) -> None:
        self.engine = engine
        self._events_insert = _FastInsert(events, engine)
        self._deliveries_insert = _FastInsert(deliveries, engine)
        self._known_events = _KnownEvents(engine)
        self._inline_writes = engine.dialect.name == "sqlite"
        self._write_lock = asyncio.Lock()
        self._wconn: Connection | None = None
        self._busy_timeout_s = busy_timeout_ms / 1000
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tradelane-writer")
        self._readers = ThreadPoolExecutor(max_workers=READER_THREADS, thread_name_prefix="tradelane-read")
        self._checkpointer: threading.Thread | None = None
        self._closing = threading.Event()
        #: route → seconds an ordered delivery may be held for its missing predecessor (routes' ``resequence_s``)
        self.resequence: dict[str, float] = {}
        #: the system-of-record matrix applied to inbound events (``ownership.entities``); ``None``: not applied
        self.ownership: _ownership.OwnershipMatrix | None = None
        #: embedded mode: the worker of this process, which claims inside each ingest transaction that wrote
        #: pending deliveries (see :class:`~tradelane.ports.delivery.IngestClaimer`); ``None``: no such claims
        self.ingest_claimer: IngestClaimer | None = None

    # -- plumbing -------------------------------------------------------------------------------------
    async def _write(self, fn: Callable[[Connection], T], *, durable: bool = True) -> T:
        """Run ``fn`` in one write transaction.

        ``durable=False`` is for bookkeeping whose loss on *power failure* is harmless because the outbox
        protocol repairs it: a lost claim is a lease that never existed, a lost completion means the delivery
        is sent again (the receiver dedupes on its id). Such commits skip the fsync (SQLite
        ``synchronous=NORMAL`` in WAL mode, PostgreSQL ``synchronous_commit=off``); they still survive a
        process crash. Ingest, replays and everything a 2xx promises stay fully durable.
        """
        loop = asyncio.get_running_loop()
        async with self._write_lock:
            if not self._inline_writes:

                def run() -> T:
                    with self.engine.connect().execution_options(**WRITE) as conn:
                        with conn.begin():
                            if not durable:
                                conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                            return fn(conn)

                return await loop.run_in_executor(self._writer, run)
            conn = await self._sqlite_writer()
            raw = conn.connection.driver_connection
            if not durable:
                raw.execute("PRAGMA synchronous=NORMAL")  # type: ignore[union-attr]
            try:
                tx = await self._begin_without_blocking(conn)
                try:
                    result = fn(conn)
                    if durable:
                        await self._commit_in_writer(tx)
                    else:
                        tx.commit()
                except BaseException:
                    if tx.is_active:
                        tx.rollback()
                    raise
            finally:
                if not durable:
                    raw.execute("PRAGMA synchronous=FULL")  # type: ignore[union-attr]
            return result

    async def _commit_in_writer(self, tx: Any) -> None:
        """``COMMIT`` (and its fsync) in the writer thread; sqlite3 releases the GIL around it, so the loop
        parses and validates the next group meanwhile (measured: the fsync had held the loop for about a
        fifth of its time). The write lock stays held until the commit returns, so nothing else touches the
        connection; a cancelled caller still waits for the commit to end before the lock is released."""
        fut = asyncio.get_running_loop().run_in_executor(self._writer, tx.commit)
        try:
            await asyncio.shield(fut)
        except asyncio.CancelledError:
            while not fut.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait([fut])
            raise

    async def _sqlite_writer(self) -> Connection:
        """The dedicated SQLite write connection, with busy_timeout 0 (lock waits happen in asyncio)."""
        if self._wconn is None or self._wconn.closed or self._wconn.invalidated:
            conn = self.engine.connect().execution_options(**WRITE)
            # straight to the driver: through SQLAlchemy the PRAGMA would autobegin a (blocking) transaction
            conn.connection.driver_connection.execute("PRAGMA busy_timeout=0")  # type: ignore[union-attr]
            # WAL checkpoints copy pages into the database file and fsync it: tens of milliseconds that,
            # run inside a commit, would stall the event loop. A background thread does them instead.
            conn.connection.driver_connection.execute("PRAGMA wal_autocheckpoint=0")  # type: ignore[union-attr]
            self._wconn = conn
            if self._checkpointer is None:
                self._checkpointer = threading.Thread(
                    target=self._checkpoint_loop, name="tradelane-wal-checkpoint", daemon=True
                )
                self._checkpointer.start()
        return self._wconn

    async def _begin_without_blocking(self, conn: Connection) -> Any:
        """``BEGIN IMMEDIATE``; while another process holds the write lock, wait in asyncio (not in C)."""
        deadline = time.monotonic() + self._busy_timeout_s
        delay = LOCK_POLL_MIN_S
        while True:
            try:
                return conn.begin()
            except OperationalError as exc:
                if "locked" not in str(exc.orig) and "busy" not in str(exc.orig):
                    raise
                if conn.in_transaction():
                    conn.rollback()
                if time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, LOCK_POLL_MAX_S)

    async def _read(self, fn: Callable[[Connection], T]) -> T:
        def run() -> T:
            with self.engine.connect() as conn:
                with conn.begin():
                    return fn(conn)

        return await asyncio.get_running_loop().run_in_executor(self._readers, run)

    def _checkpoint_loop(self) -> None:
        """Checkpoint the SQLite WAL every :data:`CHECKPOINT_INTERVAL_S` from its own connection (PASSIVE:
        never waits for or blocks the writer; readers keep their snapshots)."""
        while not self._closing.wait(CHECKPOINT_INTERVAL_S):
            try:
                with self.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # a busy database or a closing engine: try again next time
                continue

    async def close(self) -> None:
        self._closing.set()
        if self._checkpointer is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._checkpointer.join, 5)
        if self._wconn is not None:
            self._wconn.close()
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        self.engine.dispose()

    async def ping(self) -> None:
        await self._read(lambda c: c.exec_driver_sql("SELECT 1").scalar())

    # -- ingest ---------------------------------------------------------------------------------------
    async def commit_submissions(self, submissions: list[Submission]) -> list[SubmissionResult]:
        claimer = self.ingest_claimer
        lanes = (
            frozenset(
                p.lane
                for s in submissions
                if s.deliveries is not None
                for plans in s.deliveries
                for p in plans
                if p.filtered_reason is None
            )
            if claimer is not None
            else frozenset()
        )
        requests = claimer.ingest_claims(lanes) if claimer is not None and lanes else []
        claimed: list[tuple[ClaimRequest, list[ClaimedDelivery]]] = [(r, []) for r in requests]
        committed = False
        try:
            results, claimed = await self._write(lambda c: self._commit_and_claim(c, submissions, requests))
            committed = True
            return results
        except IntegrityError:
            if len(submissions) == 1:
                # lost a race with another process: the retry sees the winner's row
                return await self._write(lambda c: self._commit_group(c, submissions))
            out: list[SubmissionResult] = []
            for sub in submissions:
                out.extend(await self.commit_submissions([sub]))
            return out
        finally:
            if claimer is not None and requests:  # the worker sends what was claimed and frees its slots
                claimer.adopt(claimed, committed)

    def _commit_and_claim(
        self, conn: Connection, subs: list[Submission], requests: list[ClaimRequest]
    ) -> tuple[list[SubmissionResult], list[tuple[ClaimRequest, list[ClaimedDelivery]]]]:
        """The ingest transaction, plus (embedded mode) the worker's claims in the same transaction: the
        claim no longer waits for the write lock behind the next ingest group (measured: that wait was most
        of the commit → send latency at 500 events/s)."""
        results = self._commit_group(conn, subs)
        claimed: list[tuple[ClaimRequest, list[ClaimedDelivery]]] = []
        now = datetime.now(UTC)
        for req in requests:
            got: list[ClaimedDelivery] = []
            try:
                with conn.begin_nested():  # a failed claim must never fail the ingest: the worker claims later
                    got = outbox.claim(
                        conn, req.worker, req.lane, req.limit, req.lease_s, now, req.exclude_destinations
                    )
            except Exception:
                logging.getLogger("tradelane.store").exception("claim inside the ingest transaction failed")
            claimed.append((req, got))
        return results, claimed

    def _commit_group(self, conn: Connection, subs: list[Submission]) -> list[SubmissionResult]:
        now = datetime.now(UTC)
        # 1. what is already stored: idempotency keys and dedupe keys, two IN queries
        claims = [(s.idempotency.scope, s.idempotency.key) for s in subs if s.idempotency]
        stored_claims: dict[tuple[str, str], Any] = {}
        for claim_chunk in _chunks(claims):
            rows = conn.execute(
                select(
                    idempotency_keys.c.scope,
                    idempotency_keys.c.key,
                    idempotency_keys.c.request_hash,
                    idempotency_keys.c.status_code,
                    idempotency_keys.c.response,
                ).where(tuple_(idempotency_keys.c.scope, idempotency_keys.c.key).in_(claim_chunk))
            )
            for r in rows:
                stored_claims[(r.scope, r.key)] = r
        keys_per_sub = [
            list(s.dedupe_keys) if s.dedupe_keys else [default_dedupe_key(s.tenant, e) for e in s.events]
            for s in subs
        ]
        all_keys = sorted({k for ks in keys_per_sub for k in ks})
        known: dict[str, tuple[str, str, datetime]] = {}
        for chunk in _chunks(all_keys):
            known.update(self._known_events.run(conn, chunk))

        screen = self._load_screen(conn, subs)

        # 2. classify in order; later submissions see earlier ones of the same group
        event_rows: list[dict[str, Any]] = []
        raw_rows: list[dict[str, Any]] = []
        idem_rows: list[dict[str, Any]] = []
        delivery_rows: list[dict[str, Any]] = []
        history_rows: list[dict[str, Any]] = []
        conflict_rows: list[NewConflict] = []
        results: list[SubmissionResult] = []
        for sub, keys in zip(subs, keys_per_sub, strict=True):
            claim = sub.idempotency
            if claim is not None and (claim.scope, claim.key) in stored_claims:
                prior = stored_claims[(claim.scope, claim.key)]
                if prior.request_hash == claim.request_hash:
                    results.append(SubmissionResult("replayed", prior.status_code, prior.response))
                else:
                    results.append(SubmissionResult("key_mismatch", 422, None))
                continue
            entries: list[dict[str, Any]] = []
            conflicts: list[str] = []
            new_rows: list[dict[str, Any]] = []
            staged: dict[str, tuple[str, str, datetime]] = {}
            judged: list[tuple[str, _staleness.Screened, CloudEvent]] = []
            refused: list[NewConflict] = []
            owned = screen is not None and self._owned(sub)
            if screen is not None and (sub.screen or owned):
                screen.checkpoint()
            for ev, h, key in zip(sub.events, sub.event_hashes, keys, strict=True):
                prior_ev = known.get(key) or staged.get(key)
                if prior_ev is not None:
                    if prior_ev[0] != h:
                        conflicts.append(f"{ev.source} {ev.id}")
                    else:
                        entries.append(_accepted_entry(prior_ev[1], ev, "duplicate", prior_ev[2]))
                    continue
                hub_id = new_id("evt")
                verdict = screen.judge(hub_id, ev, AGGREGATE_SCOPE) if screen is not None and sub.screen else None
                if verdict is not None and verdict.verdict is _staleness.Verdict.DUPLICATE:
                    # the exact same content under another id: dropped, answered with the first copy
                    entries.append(_accepted_entry(verdict.original or "", ev, "duplicate", now))
                    continue
                if verdict is not None and verdict.aggregate is not None:
                    judged.append((hub_id, verdict, ev))
                staged[key] = (h, hub_id, now)
                entries.append(_accepted_entry(hub_id, ev, "accepted", now))
                if verdict is not None and verdict.flag is not None:
                    entries[-1]["staleness"] = verdict.flag
                data = ev.data
                if owned and screen is not None and (verdict is None or verdict.flag is None):
                    data, found = self._own(screen, sub, hub_id, ev)
                    if found:
                        refused.extend(found)
                        entries[-1]["conflicts"] = len(found)
                new_rows.append(
                    {
                        "hub_id": hub_id,
                        "msg_id": sub.msg_id,
                        "tenant": sub.tenant,
                        "channel": sub.channel,
                        "dedupe_key": key,
                        "body_hash": h,
                        "event_id": ev.id,
                        "source": ev.source,
                        "type": ev.type,
                        "subject": ev.subject,
                        "time": ev.time,
                        "partition_key": ev.partitionkey,
                        "sequence": ev.sequence,
                        "correlation_id": ev.correlationid,
                        "causation_id": ev.causationid,
                        "idempotency_key": ev.idempotencykey,
                        "data": data,
                        "received_at": now,
                        "mapping": sub.mapping,
                        "mapping_digest": sub.mapping_digest,
                        "staleness": verdict.flag if verdict is not None else None,
                    }
                )
            if conflicts:
                if screen is not None and (sub.screen or owned):
                    screen.rollback()
                results.append(
                    SubmissionResult(
                        "conflict", 409, {"conflicts": conflicts, "detail": "event id reused with another payload"}
                    )
                )
                continue
            known.update(staged)
            event_rows.extend(new_rows)
            if sub.deliveries is not None and new_rows:
                delivery_rows.extend(_screened_deliveries(_delivery_rows(sub, new_rows, now), new_rows))
            history_rows.extend(_history_rows(sub.tenant, judged, now))
            conflict_rows.extend(refused)
            if sub.raw is not None and new_rows:  # a repeated raw message brings only duplicate events
                raw_rows.append(
                    {
                        "msg_id": sub.raw.msg_id,
                        "tenant": sub.tenant,
                        "channel": sub.channel,
                        "dedupe_key": sub.raw.dedupe_key,
                        "body_hash": sub.raw.body_hash,
                        "received_at": now,
                    }
                )
            outcome = "created" if new_rows else "duplicate"
            status = 201 if new_rows else 200
            body: Any = {"events": entries} if sub.batch else entries[0]
            if claim is not None:
                idem_rows.append(
                    {
                        "scope": claim.scope,
                        "key": claim.key,
                        "request_hash": claim.request_hash,
                        "status_code": status,
                        "response": body,
                        "created_at": now,
                    }
                )
            results.append(SubmissionResult(outcome, status, body))  # type: ignore[arg-type]

        # 3. insert everything with executemany, in one transaction
        if raw_rows:
            conn.execute(insert(inbox), raw_rows)
        if event_rows:
            self._events_insert.run(conn, event_rows)
        if idem_rows:
            conn.execute(insert(idempotency_keys), idem_rows)
        if delivery_rows:
            self._deliveries_insert.run(conn, delivery_rows)
            if self.resequence:
                self._resequence(conn, delivery_rows, event_rows, now)
        if history_rows:
            conn.execute(insert(history), history_rows)
        if conflict_rows:
            flows.record_conflicts(conn, conflict_rows, now)
        if screen is not None:
            self._save_screen(conn, screen, now)
        return results

    # -- resequencing (tradelane.routing.resequence), inside the ingest transaction -------------------
    def _resequence(
        self, conn: Connection, rows: list[dict[str, Any]], event_rows: list[dict[str, Any]], now: datetime
    ) -> None:
        """Hold new ordered deliveries whose predecessor is missing; re-order and release a key's waiting
        deliveries when it arrives. Only pending deliveries never attempted nor leased are touched."""
        by_hub = {r["hub_id"]: r for r in event_rows}
        groups: dict[tuple[str, str, str, str], float] = {}
        for row in rows:
            wait = self.resequence.get(row["route"])
            ev = by_hub.get(row["hub_id"])
            if not wait or not row["ordered"] or row["status"] != "pending" or row["partition_key"] is None \
                    or ev is None or ev["sequence"] is None:
                continue
            group = (row["tenant"], row["destination"], row["partition_key"], ev["source"])
            groups[group] = max(groups.get(group, 0.0), wait)
        if not groups:
            return
        new_ids = {r["id"] for r in rows}
        routes = sorted(self.resequence)
        for (tenant, destination, key, source), wait in groups.items():
            found = conn.execute(
                select(deliveries.c.id, deliveries.c.event_seq, deliveries.c.next_attempt_at, events.c.sequence)
                .join(events, events.c.hub_id == deliveries.c.hub_id)
                .where(
                    deliveries.c.destination == destination,
                    deliveries.c.partition_key == key,
                    deliveries.c.status == "pending",
                    deliveries.c.attempts == 0,
                    deliveries.c.lease_owner.is_(None),
                    deliveries.c.route.in_(routes),
                    events.c.tenant == tenant,
                    events.c.source == source,
                    events.c.sequence.is_not(None),
                )
            ).all()
            waiting = [
                _resequence.Waiting(r.id, r.event_seq, r.sequence, r.next_attempt_at, r.id in new_ids) for r in found
            ]
            wanted = sorted({w.sequence - 1 for w in waiting})
            present: set[int] = set()
            for chunk in _chunks(wanted):
                present.update(
                    conn.execute(
                        select(events.c.sequence).where(
                            events.c.tenant == tenant,
                            events.c.partition_key == key,
                            events.c.source == source,
                            events.c.sequence.in_(chunk),
                        )
                    ).scalars()
                )
            for change in _resequence.resequence(waiting, present, now, wait):
                conn.execute(
                    update(deliveries)
                    .where(deliveries.c.id == change.id, deliveries.c.lease_owner.is_(None),
                           deliveries.c.attempts == 0)
                    .values(event_seq=change.event_seq, next_attempt_at=change.next_attempt_at, updated_at=now)
                )

    # -- stale-event screen (tradelane.routing.staleness), inside the ingest transaction ---------------
    def _load_screen(self, conn: Connection, subs: list[Submission]) -> _staleness.Screen | None:
        """The stored states of the aggregates the screened submissions touch. Aggregates are hub-wide: a
        partition key is a canonical id (a shipment, an order), and the carrier's POD, the TMS's milestones and
        Odoo's changes to it arrive under different tenants. On PostgreSQL the rows are locked until commit,
        so two processes never both move one aggregate from the same state; an aggregate two processes create
        at once fails one unique insert, and that group is retried one submission at a time."""
        matrix = self.ownership
        owned_entities = matrix.entities if matrix is not None else {}
        if not owned_entities and not any(s.screen for s in subs):
            return None  # nothing is screened nor owned (the common case: skip the per-event look-ups)
        wanted = sorted({
            (AGGREGATE_SCOPE, agg) for s in subs for e in s.events
            if (s.screen or _ownership.entity_of(e.type) in owned_entities)
            and (agg := _staleness.aggregate_of(e)) is not None
        })
        if not wanted:
            return None
        stored: dict[tuple[str, str], Any] = dict.fromkeys(wanted)
        for chunk in _chunks([agg for _, agg in wanted]):
            stmt = select(aggregates.c.tenant, aggregates.c.aggregate, aggregates.c.state).where(
                aggregates.c.tenant == AGGREGATE_SCOPE, aggregates.c.aggregate.in_(chunk)
            )
            if not self._inline_writes:  # PostgreSQL: other processes' writers wait (SQLite has one writer)
                stmt = stmt.with_for_update()
            rows = conn.execute(stmt)
            for r in rows:
                stored[(r.tenant, r.aggregate)] = r.state
        return _staleness.screen(stored)

    def _owned(self, sub: Submission) -> bool:
        """Whether the system-of-record matrix applies to ``sub`` (an ownership matrix with entities)."""
        return self.ownership is not None and bool(self.ownership.entities)

    def _own(
        self, screen: _staleness.Screen, sub: Submission, hub_id: str, ev: CloudEvent
    ) -> tuple[dict[str, Any], list[NewConflict]]:
        """The event's data as accepted (fields its source does not own keep the owner's value) and the
        conflicts to record; the aggregate's owned document moves on."""
        matrix = self.ownership
        agg = _staleness.aggregate_of(ev)
        if matrix is None or agg is None or _ownership.entity_of(ev.type) not in matrix.entities:
            return ev.data, []
        system = _ownership.SystemRef(sub.system or sub.tenant, sub.system_kind or (
            "odoo" if sub.channel == "odoo" else None))
        owned = _ownership.screen_update(matrix, ev.type, agg, system, screen.document(agg, AGGREGATE_SCOPE),
                                         ev.data)
        screen.set_document(agg, _ownership.entity_of(ev.type), owned.document, AGGREGATE_SCOPE)
        data = owned.accepted
        if owned.conflicts and not _payload_valid(ev.type, data):
            data = ev.data  # the owner's values cannot stand in (a required field): kept as sent, conflicts noted
        found = [
            NewConflict(tenant=sub.tenant, entity_kind=c.entity, entity_id=c.entity_id, field=c.field,
                        source=c.source, owners=c.owners, current=c.current, proposed=c.proposed, event_id=hub_id)
            for c in owned.conflicts
        ]
        return data, found

    def _save_screen(self, conn: Connection, screen: _staleness.Screen, now: datetime) -> None:
        """Write the moved aggregates back: one ``executemany`` update and one insert (rows were locked when
        read; a row another process created meanwhile fails the insert and the group is retried)."""
        updates, inserts = [], []
        for (tenant, agg), (kind, state) in screen.changed().items():
            if (tenant, agg) in screen.existing:
                updates.append({"b_tenant": tenant, "b_agg": agg, "b_state": state, "b_now": now})
            else:
                inserts.append({"tenant": tenant, "aggregate": agg, "kind": kind, "state": state, "updated_at": now})
        if updates:
            conn.execute(
                update(aggregates)
                .where(aggregates.c.tenant == bindparam("b_tenant"), aggregates.c.aggregate == bindparam("b_agg"))
                .values(state=bindparam("b_state"), updated_at=bindparam("b_now")),
                updates,
            )
        if inserts:
            conn.execute(insert(aggregates), inserts)

    async def lookup_idempotency(self, scope: str, key: str) -> tuple[str, int, Any] | None:
        def q(c: Connection) -> tuple[str, int, Any] | None:
            r = c.execute(
                select(idempotency_keys).where(
                    and_(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)
                )
            ).first()
            return (r.request_hash, r.status_code, r.response) if r else None

        return await self._read(q)

    async def purge_idempotency(self, before: datetime) -> int:
        """Forget stored Idempotency-Key responses created before ``before``."""
        return await self._write(
            lambda c: c.execute(delete(idempotency_keys).where(idempotency_keys.c.created_at < before)).rowcount
        )

    # -- events ---------------------------------------------------------------------------------------
    async def get_event(self, hub_id: str, tenant: str | None) -> StoredEvent | None:
        def q(c: Connection) -> StoredEvent | None:
            stmt = select(events).where(events.c.hub_id == hub_id)
            if tenant is not None:
                stmt = stmt.where(events.c.tenant == tenant)
            row = c.execute(stmt).first()
            return _event_from_row(row) if row else None

        return await self._read(q)

    async def list_events(self, flt: EventFilter, cursor: str | None, limit: int) -> EventPage:
        after = _decode_cursor(cursor) if cursor else None

        def q(c: Connection) -> EventPage:
            stmt = select(events)
            conds = []
            if flt.tenant is not None:
                conds.append(events.c.tenant == flt.tenant)
            if flt.correlation_id is not None:
                conds.append(events.c.correlation_id == flt.correlation_id)
            if flt.partition_key is not None:
                conds.append(events.c.partition_key == flt.partition_key)
            if flt.type is not None:
                conds.append(events.c.type == flt.type)
            if flt.since is not None:
                conds.append(events.c.received_at >= flt.since)
            if flt.until is not None:
                conds.append(events.c.received_at < flt.until)
            if after is not None:
                conds.append(events.c.seq > after)
            if conds:
                stmt = stmt.where(and_(*conds))
            rows = c.execute(stmt.order_by(events.c.seq).limit(limit + 1)).all()
            more = len(rows) > limit
            rows = rows[:limit]
            nxt = _encode_cursor(rows[-1].seq) if more and rows else None
            return EventPage(items=[_event_from_row(r) for r in rows], next_cursor=nxt)

        return await self._read(q)

    async def count_events(self) -> int:
        return await self._read(lambda c: int(c.execute(select(func.count()).select_from(events)).scalar_one()))

    # -- API keys -------------------------------------------------------------------------------------
    async def add_api_key(self, record: ApiKeyRecord) -> None:
        await self._write(
            lambda c: c.execute(
                insert(api_keys).values(
                    key_id=record.key_id,
                    name=record.name,
                    tenant=record.tenant,
                    key_hash=record.key_hash,
                    scopes=list(record.scopes),
                    created_at=record.created_at,
                    expires_at=record.expires_at,
                    revoked_at=record.revoked_at,
                )
            )
        )

    @staticmethod
    def _key_from_row(r: Any) -> ApiKeyRecord:
        return ApiKeyRecord(
            key_id=r.key_id,
            name=r.name,
            tenant=r.tenant,
            key_hash=r.key_hash,
            scopes=tuple(r.scopes),
            created_at=r.created_at,
            expires_at=r.expires_at,
            revoked_at=r.revoked_at,
        )

    async def get_api_key(self, key_id: str) -> ApiKeyRecord | None:
        def q(c: Connection) -> ApiKeyRecord | None:
            r = c.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
            return self._key_from_row(r) if r else None

        return await self._read(q)

    async def list_api_keys(self, tenant: str | None = None) -> list[ApiKeyRecord]:
        def q(c: Connection) -> list[ApiKeyRecord]:
            stmt = select(api_keys).order_by(api_keys.c.created_at)
            if tenant is not None:
                stmt = stmt.where(api_keys.c.tenant == tenant)
            return [self._key_from_row(r) for r in c.execute(stmt)]

        return await self._read(q)

    async def revoke_api_key(self, key_id: str, when: datetime) -> bool:
        return await self._write(
            lambda c: c.execute(
                update(api_keys)
                .where(
                    and_(
                        api_keys.c.key_id == key_id,
                        # a key in its rotation overlap (revocation scheduled later) can be revoked early
                        or_(api_keys.c.revoked_at.is_(None), api_keys.c.revoked_at > when),
                    )
                )
                .values(revoked_at=when)
            ).rowcount
            == 1
        )

    # -- delivery outbox (see tradelane.store.outbox) --------------------------------------------------
    async def claim_deliveries(
        self,
        worker: str,
        lane: str | None,
        limit: int,
        lease_s: float,
        now: datetime,
        exclude_destinations: frozenset[str] = frozenset(),
        ids: tuple[tuple[str, int], ...] | None = None,
        with_events: bool = True,
    ) -> list[ClaimedDelivery]:
        return await self._write(
            lambda c: outbox.claim(c, worker, lane, limit, lease_s, now, exclude_destinations, ids, with_events),
            durable=False,
        )

    async def renew_leases(
        self, worker: str, pairs: tuple[tuple[str, int], ...], lease_s: float, now: datetime
    ) -> set[str]:
        if not pairs:
            return set()
        return await self._write(lambda c: outbox.renew_leases(c, worker, pairs, lease_s, now), durable=False)

    async def complete_deliveries(
        self, worker: str, results: list[DeliveryResult], breaker: BreakerUpdate, now: datetime
    ) -> list[bool]:
        if not results:
            return []
        return await self._write(lambda c: outbox.complete(c, worker, results, breaker, now), durable=False)

    async def endpoint_states(self) -> dict[str, EndpointState]:
        return await self._read(outbox.endpoint_states)

    async def take_rate_tokens(
        self, name: str, rate_per_s: float, burst: float, want: int, now: datetime
    ) -> tuple[int, float]:
        return await self._write(
            lambda c: outbox.take_tokens(c, name, rate_per_s, burst, want, now), durable=False
        )

    async def try_probe(self, name: str, version: int, now: datetime) -> bool:
        return await self._write(lambda c: outbox.try_probe(c, name, version, now))

    async def set_endpoint_disabled(self, name: str, reason: str | None, now: datetime) -> None:
        await self._write(lambda c: outbox.set_disabled(c, name, reason, now))

    async def list_deliveries(
        self, flt: DeliveryFilter, limit: int, after: str | None = None
    ) -> tuple[list[DeliveryView], str | None]:
        return await self._read(lambda c: outbox.list_deliveries(c, flt, limit, after))

    async def get_delivery(self, delivery_id: str, tenant: str | None = None) -> DeliveryView | None:
        return await self._read(lambda c: outbox.get_delivery(c, delivery_id, tenant))

    async def count_deliveries(self, flt: DeliveryFilter) -> int:
        return await self._read(lambda c: outbox.count(c, flt))

    async def replay_deliveries(self, flt: DeliveryFilter, actor: str, now: datetime, limit: int) -> list[str]:
        return await self._write(lambda c: outbox.replay(c, flt, actor, now, limit))

    async def delivery_stats(self) -> dict[str, Any]:
        now = datetime.now(UTC)
        return await self._read(lambda c: outbox.stats(c, now))

    async def notifications(self, limit: int = 50) -> list[dict[str, Any]]:
        return await self._read(lambda c: outbox.recent_notifications(c, limit))

    async def dispatchable(
        self, now: datetime, limit: int, lease_s: float, exclude_destinations: frozenset[str] = frozenset()
    ) -> list[tuple[str, str, int]]:
        claimed = await self._write(
            lambda c: outbox.claim(
                c, "relay", None, limit, lease_s, now, exclude_destinations, None, with_events=False
            ),
            durable=False,
        )
        return [(d.id, d.lane, d.fence) for d in claimed]

    # -- flow runtime (see tradelane.store.flows) -------------------------------------------------------
    async def open_exception(self, new: NewException, now: datetime, mirror: bool) -> tuple[ExceptionView, bool]:
        try:
            return await self._write(lambda c: flows.open_exception(c, new, now, mirror))
        except IntegrityError:  # lost an insert race on another unique key: the retry joins the winner
            return await self._write(lambda c: flows.open_exception(c, new, now, mirror))

    async def transition_exception(
        self, exception_id: str, tenant: str | None, action: Literal["acknowledge", "resolve"], actor: str,
        note: str | None, now: datetime, mirror: bool,
    ) -> ExceptionView:
        return await self._write(
            lambda c: flows.transition_exception(c, exception_id, tenant, action, actor, note, now, mirror)
        )

    async def get_exception(self, exception_id: str, tenant: str | None) -> ExceptionView | None:
        return await self._read(lambda c: flows.get_exception(c, exception_id, tenant))

    async def list_exceptions(
        self, flt: ExceptionFilter, limit: int, after: str | None = None
    ) -> tuple[list[ExceptionView], str | None]:
        return await self._read(lambda c: flows.list_exceptions(c, flt, limit, after))

    async def claim_exception_mirrors(self, now: datetime, limit: int, lease_s: float) -> list[ExceptionView]:
        return await self._write(lambda c: flows.claim_mirrors(c, now, limit, lease_s), durable=False)

    async def finish_exception_mirror(
        self, exception_id: str, mirrored_status: str | None, ref: str | None, error: str | None,
        retry_at: datetime | None, now: datetime,
    ) -> None:
        await self._write(lambda c: flows.finish_mirror(c, exception_id, mirrored_status, ref, error, retry_at, now))

    async def project_sla_events(
        self, cursor: str, types: frozenset[str], plan: TimerPlanner, now: datetime, limit: int,
        settle_s: float, mirror: bool, from_history: bool = False,
    ) -> ProjectionResult:
        return await self._write(
            lambda c: flows.project(c, cursor, types, plan, now, limit, settle_s, mirror, from_history)
        )

    async def breach_due_timers(self, now: datetime, limit: int, mirror: bool) -> list[SlaBreach]:
        return await self._write(lambda c: flows.breach_due_timers(c, now, limit, mirror))

    async def list_sla_timers(
        self, flt: SlaTimerFilter, limit: int, after: str | None = None
    ) -> tuple[list[SlaTimerView], str | None]:
        return await self._read(lambda c: flows.list_timers(c, flt, limit, after))

    async def count_sla_timers(self, flt: SlaTimerFilter) -> dict[str, int]:
        return await self._read(lambda c: flows.count_timers(c, flt))

    async def record_conflicts(self, conflicts: list[NewConflict], now: datetime) -> list[tuple[ConflictView, bool]]:
        if not conflicts:
            return []
        return await self._write(lambda c: flows.record_conflicts(c, conflicts, now))

    async def list_conflicts(
        self, flt: ConflictFilter, limit: int, after: str | None = None
    ) -> tuple[list[ConflictView], str | None]:
        return await self._read(lambda c: flows.list_conflicts(c, flt, limit, after))

    async def get_conflict(self, conflict_id: str, tenant: str | None) -> ConflictView | None:
        return await self._read(lambda c: flows.get_conflict(c, conflict_id, tenant))

    async def decide_conflict(
        self, conflict_id: str, tenant: str | None, decision: Literal["accepted", "rejected"], actor: str,
        note: str | None, now: datetime,
    ) -> ConflictView:
        return await self._write(lambda c: flows.decide_conflict(c, conflict_id, tenant, decision, actor, note, now))

    async def claim_job_run(self, job: str, fire_time: datetime, owner: str, now: datetime) -> bool:
        return await self._write(lambda c: flows.claim_job_run(c, job, fire_time, owner, now))

    async def finish_job_run(
        self, job: str, fire_time: datetime, status: str, detail: dict[str, Any] | None, now: datetime
    ) -> None:
        await self._write(lambda c: flows.finish_job_run(c, job, fire_time, status, detail, now))

    async def last_job_runs(self, jobs: list[str]) -> dict[str, dict[str, Any]]:
        return await self._read(lambda c: flows.last_job_runs(c, jobs))
