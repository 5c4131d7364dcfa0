"""A real hub behind a real HTTP server on loopback, for tests: :func:`serve_hub` and :class:`RunningHub`.

The hub is built from the given settings and served by uvicorn on an ephemeral port in a background thread
(its own event loop), exactly as ``tradelane run`` serves it; :meth:`RunningHub.call` runs a coroutine on
that loop (a store query, creating a key).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn

from tradelane.testing.net import free_port

__all__ = ["START_TIMEOUT_S", "RunningHub", "serve_hub"]

#: longest wait for the server to accept connections (and for its thread to end when stopping)
START_TIMEOUT_S = 30.0


@dataclass
class RunningHub:
    """A hub served by uvicorn on loopback in a background thread."""

    hub: Any
    base_url: str
    loop: asyncio.AbstractEventLoop
    #: the ASGI app being served (``tradelane.api.app.create_app(hub)``)
    app: Any = None

    def call(self, coro: Any) -> Any:
        """Run a coroutine on the server's loop (e.g. a store query) and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(START_TIMEOUT_S)

    def key(self, tenant: str | None, scopes: tuple[str, ...] = ("events:write", "events:read")) -> str:
        """A new API key for ``tenant`` (``None``: an operator key) with ``scopes``."""
        from tradelane.security.keyring import create_api_key

        secret = self.hub.settings.resolved_secret_key()
        k, _ = self.call(create_api_key(self.hub.store, secret, name="test", tenant=tenant, scopes=scopes))
        return str(k)


def serve_hub(settings: Any) -> Iterator[RunningHub]:
    """Build a hub from ``settings``, serve it until the generator is closed, then stop it.

    Use with ``yield from`` in a fixture, or wrap it in :func:`contextlib.contextmanager`.
    """
    from tradelane.api.app import create_app
    from tradelane.bootstrap import build_hub

    hub = build_hub(settings)
    port = free_port()
    app = create_app(hub)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    holder: dict[str, asyncio.AbstractEventLoop] = {}

    def run() -> None:
        loop = asyncio.new_event_loop()
        holder["loop"] = loop
        loop.run_until_complete(server.serve())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield RunningHub(hub=hub, base_url=f"http://127.0.0.1:{port}", loop=holder["loop"], app=app)
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT_S)
