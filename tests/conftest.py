"""Shared fixtures: real databases (SQLite file and a throw-away PostgreSQL database), a running hub
behind a real HTTP server on loopback, and API keys."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tradelane.testing.hub import RunningHub, serve_hub

#: the PostgreSQL server the integration tests use (trust auth on loopback)
PG_ADMIN_DSN = os.environ.get("TRADELANE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_server_url(dbname: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    return f"{base}/{dbname}".replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    name = f"tl_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_server_url(name)
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tradelane.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tradelane.db'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def running_hub(db_url: str, tmp_path: Path) -> Iterator[RunningHub]:
    from tradelane.settings import load_settings

    settings = load_settings(None, data_dir=tmp_path / "data", database={"url": db_url})
    yield from serve_hub(settings)


@pytest.fixture
def hub_server() -> Iterator[Any]:
    """A factory: ``hub_server(settings)`` serves a hub built from ``settings`` on loopback until the test ends."""
    import contextlib

    stack = contextlib.ExitStack()

    def start(settings: Any) -> RunningHub:
        return stack.enter_context(contextlib.contextmanager(serve_hub)(settings))

    with stack:
        yield start
