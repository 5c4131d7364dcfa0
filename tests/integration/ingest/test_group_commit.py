"""Group commit and in-flight idempotency in the ingest service, on a real SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import ConflictError
from tradelane.ingest.service import IngestService
from tradelane.ports.store import IdempotencyClaim
from tradelane.store.engine import make_engine, upgrade
from tradelane.store.sql import SqlStore


def ev(i: int) -> CloudEvent:
    return CloudEvent(id=f"e{i}", source="/s", type="tradelane.shipment.milestone.v1", data={"n": i})


@pytest.fixture
def store(tmp_path: Path) -> SqlStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    return SqlStore(engine)


async def test_concurrent_submissions_share_transactions(store: SqlStore) -> None:
    svc = IngestService(store)
    await svc.start()
    results = await asyncio.gather(*(svc.submit("t", [ev(i)]) for i in range(200)))
    await svc.stop()
    assert [r.outcome for r in results] == ["created"] * 200
    assert await store.count_events() == 200
    assert svc.submissions == 200
    assert svc.transactions < 200  # grouped: many callers shared one commit
    await store.close()


async def test_duplicates_within_one_group(store: SqlStore) -> None:
    svc = IngestService(store)
    await svc.start()
    results = await asyncio.gather(*(svc.submit("t", [ev(1)]) for _ in range(20)))
    await svc.stop()
    outcomes = sorted(r.outcome for r in results)
    assert outcomes.count("created") == 1 and outcomes.count("duplicate") == 19
    assert await store.count_events() == 1
    await store.close()


async def test_same_key_in_flight_is_409(store: SqlStore, tmp_path: Path) -> None:
    svc = IngestService(store)
    await svc.start()
    claim = IdempotencyClaim(scope="k1", key="same", request_hash="h")
    blocker = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # hold the write lock so the first commit waits
    first = asyncio.create_task(svc.submit("t", [ev(1)], idempotency=claim))
    await asyncio.sleep(0.2)
    with pytest.raises(ConflictError):
        await svc.submit("t", [ev(1)], idempotency=claim)
    blocker.execute("ROLLBACK")
    blocker.close()
    assert (await first).outcome == "created"
    replay = await svc.submit("t", [ev(1)], idempotency=claim)
    assert replay.outcome == "replayed" and replay.body == (await first).body
    await svc.stop()
    await store.close()


async def test_failed_commit_fails_every_caller_and_stores_nothing(store: SqlStore, tmp_path: Path) -> None:
    svc = IngestService(store)
    await svc.start()
    blocker = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None, timeout=0)
    blocker.execute("PRAGMA busy_timeout=0")
    store.engine.dispose()
    # an absurdly short busy timeout makes the writer give up while the lock is held
    from sqlalchemy import event

    @event.listens_for(store.engine, "connect")
    def short_timeout(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
        dbapi_conn.execute("PRAGMA busy_timeout=50")

    blocker.execute("BEGIN IMMEDIATE")
    results = await asyncio.gather(*(svc.submit("t", [ev(i)]) for i in range(5)), return_exceptions=True)
    blocker.execute("ROLLBACK")
    blocker.close()
    assert all(isinstance(r, Exception) for r in results)
    assert await store.count_events() == 0
    ok = await svc.submit("t", [ev(1)])
    assert ok.outcome == "created"
    await svc.stop()
    await store.close()


async def test_expired_idempotency_keys_are_purged(store: SqlStore) -> None:
    from datetime import UTC, datetime, timedelta

    svc = IngestService(store)
    await svc.start()
    claim = IdempotencyClaim(scope="k1", key="old", request_hash="h")
    await svc.submit("t", [ev(1)], idempotency=claim)
    assert await store.lookup_idempotency("k1", "old") is not None
    assert await store.purge_idempotency(datetime.now(UTC) - timedelta(hours=1)) == 0
    assert await store.purge_idempotency(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert await store.lookup_idempotency("k1", "old") is None
    await svc.stop()
    await store.close()


async def test_raw_message_is_recorded_once_with_its_events(store: SqlStore) -> None:
    from sqlalchemy import func, select

    from tradelane.ports.store import RawMessage
    from tradelane.store.tables import events, inbox

    svc = IngestService(store)
    await svc.start()
    raw = RawMessage(msg_id="msg_1", dedupe_key="wh:acme:msg-1", body_hash="b" * 64)
    keys = ["wh:acme:msg-1#0", "wh:acme:msg-1#1"]
    first = await svc.submit("acme", [ev(1), ev(2)], channel="webhook", batch=True, raw=raw, dedupe_keys=keys)
    again = await svc.submit("acme", [ev(1), ev(2)], channel="webhook", batch=True, raw=raw, dedupe_keys=keys)
    await svc.stop()
    assert first.outcome == "created" and again.outcome == "duplicate"
    with store.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(inbox)).scalar_one() == 1
        assert set(c.execute(select(events.c.msg_id)).scalars()) == {"msg_1"}
    await store.close()
