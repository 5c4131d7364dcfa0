"""Shared fixtures: real databases (SQLite file and a throw-away PostgreSQL database), a running hub
behind a real HTTP server on loopback, and API keys."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import uvicorn

from tradelane.testing.net import free_port

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


@dataclass
class RunningHub:
    """A hub served by uvicorn on loopback in a background thread."""

    hub: Any
    base_url: str
    loop: asyncio.AbstractEventLoop

    def call(self, coro: Any) -> Any:
        """Run a coroutine on the server's loop (e.g. a store query) and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def key(self, tenant: str | None, scopes: tuple[str, ...] = ("events:write", "events:read")) -> str:
        from tradelane.security.keyring import create_api_key

        secret = self.hub.settings.resolved_secret_key()
        k, _ = self.call(create_api_key(self.hub.store, secret, name="test", tenant=tenant, scopes=scopes))
        return str(k)


def serve_hub(settings: Any) -> Iterator[RunningHub]:
    from tradelane.api.app import create_app
    from tradelane.bootstrap import build_hub

    hub = build_hub(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(hub), host="127.0.0.1", port=port, log_level="warning"))
    holder: dict[str, asyncio.AbstractEventLoop] = {}

    def run() -> None:
        loop = asyncio.new_event_loop()
        holder["loop"] = loop
        loop.run_until_complete(server.serve())

    t = threading.Thread(target=run, daemon=True)
    t.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not t.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield RunningHub(hub=hub, base_url=f"http://127.0.0.1:{port}", loop=holder["loop"])
    finally:
        server.should_exit = True
        t.join(30)


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
