"""Fixtures: a scripted Odoo 17 behind ``httpx2.MockTransport`` for unit tests of the client and operations."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2
import orjson
import pytest

from tradelane.connectors.odoo import OdooClient, OdooSettings

Handler = Callable[[list[Any], dict[str, Any]], Any]


@dataclass
class JsonRpcError(Exception):
    """Return this from a route to answer with a JSON-RPC error of ``name``."""

    name: str
    message: str


NO_RESULT = object()  # a route returning this answers ``{"jsonrpc": "2.0", "id": n}`` (method returned None)
NO_RESULT_MARK = NO_RESULT


@dataclass
class FakeOdoo:
    """Answers ``/jsonrpc`` like Odoo 17 from per-(model, method) routes and records every call."""

    version: str = "17.0"
    uid: int | bool = 2
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    calls: list[tuple[str, str, list[Any], dict[str, Any]]] = field(default_factory=list)
    requests: list[httpx2.Request] = field(default_factory=list)
    #: route result meaning "the method returned None" (the reply has neither result nor error)
    NO_RESULT: Any = NO_RESULT_MARK
    #: raise ``fake.Error(name, message)`` from a route to answer with a JSON-RPC error
    Error: Any = JsonRpcError

    def route(self, model: str, method: str, handler: Handler | Any) -> None:
        if callable(handler):
            self.routes[(model, method)] = handler
        else:
            value = handler
            self.routes[(model, method)] = lambda args, kwargs: value

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if request.url.path != "/jsonrpc":
            return httpx2.Response(404, text="Not Found")
        body = orjson.loads(request.content)
        params = body["params"]
        if params["service"] == "common":
            result: Any = (
                {"server_serie": self.version, "server_version_info": [int(self.version.split(".")[0]), 0]}
                if params["method"] == "version"
                else self.uid
            )
            return httpx2.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": result})
        _db, _uid, _pwd, model, method, args, kwargs = params["args"]
        self.calls.append((model, method, args, kwargs))
        handler = self.routes.get((model, method))
        if handler is None:
            return httpx2.Response(
                200,
                json={
                    "jsonrpc": "2.0",
                    "id": body["id"],
                    "error": {
                        "code": 200,
                        "message": "Odoo Server Error",
                        "data": {"name": "builtins.AttributeError", "message": f"no route {model}.{method}"},
                    },
                },
            )
        try:
            result = handler(args, kwargs)
        except JsonRpcError as exc:
            return httpx2.Response(
                200,
                json={
                    "jsonrpc": "2.0",
                    "id": body["id"],
                    "error": {
                        "code": 200,
                        "message": "Odoo Server Error",
                        "data": {"name": exc.name, "message": exc.message},
                    },
                },
            )
        if result is NO_RESULT:
            return httpx2.Response(200, json={"jsonrpc": "2.0", "id": body["id"]})
        return httpx2.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": result})

    def methods(self) -> list[str]:
        return [f"{m}.{meth}" for m, meth, _a, _k in self.calls]


def settings(**overrides: Any) -> OdooSettings:
    base: dict[str, Any] = {
        "url": "http://odoo.test",
        "db": "tradelane",
        "user": "admin",
        "password": "admin",
        "retry_wait_initial_s": 0.0,
        "retry_wait_max_s": 0.0,
    }
    return OdooSettings(**{**base, **overrides})


async def _connected(fake: FakeOdoo, **overrides: Any) -> OdooClient:
    """A client connected to ``fake`` (the probe and login calls are not kept in ``fake.calls``)."""
    odoo = OdooClient(settings(**overrides), transport=httpx2.MockTransport(fake))
    await odoo.connect()
    fake.calls.clear()
    return odoo


@pytest.fixture
def fake() -> FakeOdoo:
    """A fresh scripted Odoo 17."""
    return FakeOdoo()


@pytest.fixture
async def client(fake: FakeOdoo) -> AsyncIterator[OdooClient]:
    """A client connected to ``fake``."""
    odoo = await _connected(fake)
    yield odoo
    await odoo.close()


@pytest.fixture
def connect() -> Callable[..., Awaitable[OdooClient]]:
    """``await connect(fake, **settings_overrides)`` → a connected client."""
    return _connected


@pytest.fixture
def settings_for() -> Callable[..., OdooSettings]:
    """``settings_for(**overrides)`` → test settings (no retry waits)."""
    return settings


async def _raw(handler: Any, **overrides: Any) -> OdooClient:
    odoo = OdooClient(settings(version="17.0", **overrides), transport=httpx2.MockTransport(handler))
    odoo.uid = 2  # skip the login: these handlers only know object calls
    odoo.protocol = "jsonrpc"
    return odoo


@pytest.fixture
def raw_client() -> Callable[..., Awaitable[OdooClient]]:
    """``await raw_client(handler, **overrides)`` → a JSON-RPC client on a bare MockTransport handler."""
    return _raw


@pytest.fixture
def fake_cls() -> type[FakeOdoo]:
    """The scripted-Odoo class, to build one with another version or uid."""
    return FakeOdoo
