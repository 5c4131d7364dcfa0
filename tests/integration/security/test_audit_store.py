"""The audit chain in SQL on SQLite and PostgreSQL: appends stay one chain under concurrency, the table is
append-only, and tampering by raw SQL is found at the exact row."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tradelane.security.audit import GENESIS, verify
from tradelane.security.keyring import create_api_key, revoke_api_key, rotate_api_key
from tradelane.store.audit import SqlAuditLog, verify_audit
from tradelane.store.engine import make_engine
from tradelane.store.sql import SqlStore


async def fill(log: SqlAuditLog, n: int) -> None:
    for i in range(n):
        await log.append(
            actor=f"operator:{i}",
            action="config.changed",
            tenant="acme" if i % 2 else None,
            target=f"endpoint-{i}",
            detail={"i": i, "tags": ("a", "b"), "text": "grüße"},
        )


async def test_appends_form_a_verifiable_chain(sql_store: SqlStore) -> None:
    log = SqlAuditLog(sql_store)
    verdict = await verify_audit(sql_store)
    assert verdict.ok and verdict.rows == 0 and verdict.head is None
    await fill(log, 7)
    rows = await log.read()
    assert [r.seq for r in rows] == list(range(1, 8))
    assert rows[0].prev_hash == GENESIS and all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 7))
    assert rows[3].detail == {"i": 3, "tags": ["a", "b"], "text": "grüße"}
    assert verify(rows) is None
    verdict = await verify_audit(sql_store)
    assert verdict.ok and verdict.rows == 7 and verdict.first_bad_seq is None
    assert verdict.head is not None and verdict.head == await log.head() and verdict.head.seq == 7
    assert [r.seq for r in await log.read(after_seq=5)] == [6, 7]


async def test_the_table_refuses_update_and_delete(sql_store: SqlStore) -> None:
    await fill(SqlAuditLog(sql_store), 2)
    with pytest.raises(DBAPIError, match="append-only"):
        with sql_store.engine.begin() as conn:
            conn.execute(text("UPDATE audit_log SET actor = 'x' WHERE seq = 1"))
    with pytest.raises(DBAPIError, match="append-only"):
        with sql_store.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    assert (await verify_audit(sql_store)).ok


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_log SET detail = '{\"i\": 99}' WHERE seq = 3",
        "UPDATE audit_log SET actor = 'operator:mallory' WHERE seq = 3",
        "UPDATE audit_log SET tenant = 'mallory' WHERE seq = 3",
        "UPDATE audit_log SET action = 'nothing' WHERE seq = 3",
    ],
)
async def test_changed_row_is_named_exactly(sql_store: SqlStore, untrigger: Any, tamper: str) -> None:
    await fill(SqlAuditLog(sql_store), 6)
    untrigger(sql_store.engine)
    with sql_store.engine.begin() as conn:
        assert conn.execute(text(tamper)).rowcount == 1
    verdict = await verify_audit(sql_store)
    assert verdict.first_bad_seq == 3 and verdict.broken is not None
    assert verdict.broken.reason == "hash mismatch"
    assert verdict.head is not None and verdict.head.seq == 2


async def test_changed_timestamp_is_named_exactly(sql_store: SqlStore, untrigger: Any) -> None:
    log = SqlAuditLog(sql_store)
    await fill(log, 5)
    untrigger(sql_store.engine)
    moved = (await log.read())[3].at - timedelta(hours=1)
    with sql_store.engine.begin() as conn:
        from tradelane.store.tables import audit_log

        conn.execute(audit_log.update().where(audit_log.c.seq == 4).values(at=moved))
    assert (await verify_audit(sql_store)).first_bad_seq == 4


async def test_deleted_row_is_named_and_truncation_needs_a_checkpoint(
    sql_store: SqlStore, untrigger: Any
) -> None:
    log = SqlAuditLog(sql_store)
    await fill(log, 6)
    checkpoint = await log.head()
    assert checkpoint is not None
    untrigger(sql_store.engine)
    with sql_store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 6"))
    assert (await verify_audit(sql_store)).ok  # a clean cut at the end looks like a shorter log …
    truncated = await verify_audit(sql_store, checkpoint)
    assert truncated.broken is not None and (truncated.first_bad_seq, truncated.broken.reason) == (
        6,
        "truncated",
    )
    with sql_store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    verdict = await verify_audit(sql_store)
    assert verdict.broken is not None and (verdict.first_bad_seq, verdict.broken.reason) == (2, "missing row")


async def test_concurrent_appenders_in_two_stores_stay_one_chain(sql_store: SqlStore, db_url: str) -> None:
    """Two stores on one database are two processes as far as locking goes (separate engines and pools)."""
    other = SqlStore(make_engine(db_url))
    try:
        a, b = SqlAuditLog(sql_store), SqlAuditLog(other)
        await asyncio.gather(
            *(a.append(actor="proc:a", action="x.y", detail={"n": i}) for i in range(25)),
            *(b.append(actor="proc:b", action="x.y", detail={"n": i}) for i in range(25)),
        )
        rows = await a.read()
        assert [r.seq for r in rows] == list(range(1, 51))
        assert {r.actor for r in rows} == {"proc:a", "proc:b"}
        assert (await verify_audit(other)).ok
    finally:
        await other.close()


async def test_key_lifecycle_is_audited(sql_store: SqlStore) -> None:
    log = SqlAuditLog(sql_store)
    secret = b"integration-secret-0123456789abcdef"
    key, rec = await create_api_key(
        sql_store, secret, name="acme", tenant="acme", audit=log, actor="operator:ann"
    )
    _, new = await rotate_api_key(sql_store, secret, rec.key_id, overlap=timedelta(hours=1), audit=log)
    assert await revoke_api_key(sql_store, new.key_id, audit=log, actor="operator:bob")
    rows = await log.read()
    assert [(r.action, r.target, r.actor) for r in rows] == [
        ("api_key.created", rec.key_id, "operator:ann"),
        ("api_key.rotated", rec.key_id, "system"),
        ("api_key.revoked", new.key_id, "operator:bob"),
    ]
    assert rows[1].detail["successor"] == new.key_id and all(r.tenant == "acme" for r in rows)
    assert key not in str(rows) and rec.key_hash not in str(rows)
    assert (await verify_audit(sql_store)).ok
