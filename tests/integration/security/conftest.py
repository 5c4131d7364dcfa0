"""Fixtures for the security integration tests: a served hub with its audit chain wired, and one with
tight rate limits (set through the environment, as an operator would)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def audited_hub(running_hub: Any) -> Any:
    """``running_hub`` whose ``hub.audit`` is the SQL audit chain (what bootstrap is expected to wire)."""
    from tradelane.store.audit import SqlAuditLog

    running_hub.hub.audit = SqlAuditLog(running_hub.hub.store)
    return running_hub


#: the tight limit of :func:`limited_hub`: 3 requests, then about one every 1000 s
TIGHT_BURST = 3
TIGHT_PER_S = 0.001


@pytest.fixture
def limited_hub(monkeypatch: pytest.MonkeyPatch, db_url: str, request: pytest.FixtureRequest) -> Any:
    """``running_hub`` (on each ``db_url``) started with the tight limit in its environment."""
    monkeypatch.setenv("TRADELANE_SECURITY__RATE_LIMIT__BURST", str(TIGHT_BURST))
    monkeypatch.setenv("TRADELANE_SECURITY__RATE_LIMIT__PER_S", str(TIGHT_PER_S))
    return request.getfixturevalue("running_hub")


@pytest.fixture
async def sql_store(db_url: str) -> Any:
    """A migrated :class:`~tradelane.store.sql.SqlStore` on each ``db_url``; closed afterwards."""
    from tradelane.store.engine import make_engine, upgrade
    from tradelane.store.sql import SqlStore

    engine = make_engine(db_url)
    upgrade(engine)
    store = SqlStore(engine)
    yield store
    await store.close()


def drop_append_only_triggers(engine: Any) -> None:
    """What an attacker with database access does first."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_log_append_only ON audit_log")


@pytest.fixture
def untrigger() -> Any:
    return drop_append_only_triggers
