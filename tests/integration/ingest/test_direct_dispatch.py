"""The ingest endpoints served before the middleware stack (``tradelane.api.direct``) answer exactly as
through it: same statuses, headers and problem+json bodies, same metrics, errors re-raised the same way."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx2
import pytest
from starlette.middleware.gzip import GZipMiddleware

from tradelane.api.direct import TELEMETRY_CHECK_S, HubApp
from tradelane.core.examples import EXAMPLES
from tradelane.observability import metrics, tracing

MILESTONE = "tradelane.shipment.milestone.v1"


def event(**over: Any) -> dict[str, Any]:
    ev = {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/partners/acme", "type": MILESTONE,
          "time": "2026-11-22T10:00:00+01:00", "data": copy.deepcopy(EXAMPLES[MILESTONE])}
    ev.update(over)
    return ev


@pytest.fixture
def direct_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths served by the direct path (a spy around ``HubApp._serve``)."""
    calls: list[str] = []
    real = HubApp._serve

    async def spy(self: HubApp, endpoint: Any, template: str, scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope["path"])
        await real(self, endpoint, template, scope, receive, send)

    monkeypatch.setattr(HubApp, "_serve", spy)
    return calls


def _both(rh: Any, send: Any) -> tuple[httpx2.Response, httpx2.Response]:
    """``send()`` once through the direct path and once through the middleware stack."""
    direct = send()
    saved = dict(rh.app.direct_routes)
    rh.app.direct_routes.clear()
    try:
        stacked = send()
    finally:
        rh.app.direct_routes.update(saved)
    return direct, stacked


def _same(direct: httpx2.Response, stacked: httpx2.Response) -> None:
    assert direct.status_code == stacked.status_code
    ignore = {"date"}
    assert {k: v for k, v in direct.headers.items() if k not in ignore} == {
        k: v for k, v in stacked.headers.items() if k not in ignore
    }
    assert direct.content == stacked.content


def test_answers_are_the_same_as_through_the_middleware(running_hub: Any, direct_calls: list[str]) -> None:
    rh = running_hub
    key = rh.key("acme")
    reader = rh.key("acme", scopes=("events:read",))
    auth = {"Authorization": f"Bearer {key}"}
    limit = rh.hub.settings.api.max_body_bytes
    dup = event()
    batch = [event(), event()]
    with httpx2.Client(base_url=rh.base_url, timeout=30) as c:
        first = c.post("/v1/events", json=dup, headers=auth)
        assert first.status_code == 201 and first.headers["location"] == f"/v1/events/{first.json()['hubid']}"
        c.post("/v1/events/batch", json=batch, headers=auth)
        idem = {**auth, "Idempotency-Key": "k-1"}
        c.post("/v1/events", json=event(), headers=idem)
        cases = {
            "duplicate": lambda: c.post("/v1/events", json=dup, headers=auth),
            "duplicate batch": lambda: c.post("/v1/events/batch", json=batch, headers=auth),
            "conflict": lambda: c.post("/v1/events", json={**dup, "subject": "other"}, headers=auth),
            "malformed": lambda: c.post("/v1/events", content=b"{not json", headers=auth),
            "unknown type": lambda: c.post("/v1/events", json=event(type="tradelane.nothing.happened.v1"), headers=auth),
            "naive time": lambda: c.post("/v1/events", json={**dup, "time": "2026-11-22T10:00:00"}, headers=auth),
            "no credential": lambda: c.post("/v1/events", json=dup),
            "bad credential": lambda: c.post("/v1/events", json=dup, headers={"Authorization": "Bearer tl_pk_nope"}),
            "two credentials": lambda: c.post("/v1/events", json=dup, headers={**auth, "X-API-Key": reader}),
            "missing scope": lambda: c.post("/v1/events", json=dup, headers={"Authorization": f"Bearer {reader}"}),
            "too large": lambda: c.post("/v1/events", content=b" " * (limit + 1), headers=auth),
            "key reused": lambda: c.post("/v1/events", json=event(), headers=idem),
            "bad key": lambda: c.post("/v1/events", json=dup, headers={**auth, "Idempotency-Key": "x" * 300}),
            "empty batch": lambda: c.post("/v1/events/batch", json=[], headers=auth),
        }
        statuses = {}
        for name, send in cases.items():
            before = len(direct_calls)
            direct, stacked = _both(rh, send)
            assert len(direct_calls) == before + 1, f"{name}: the direct path was not taken"
            _same(direct, stacked)
            statuses[name] = direct.status_code
    assert statuses == {
        "duplicate": 200, "duplicate batch": 200, "conflict": 409, "malformed": 400, "unknown type": 422,
        "naive time": 422, "no credential": 401, "bad credential": 401, "two credentials": 400,
        "missing scope": 403, "too large": 413, "key reused": 422, "bad key": 422, "empty batch": 422,
    }


def _counted(status: int) -> float:
    value = metrics.REGISTRY.get_sample_value(
        "tradelane_http_requests_total", {"method": "POST", "route": "/v1/events", "status": str(status)}
    )
    return value or 0.0


def _rejected(status: int) -> float:
    value = metrics.REGISTRY.get_sample_value("tradelane_ingest_rejected_total", {"channel": "api", "status": str(status)})
    return value or 0.0


def test_requests_are_counted_as_the_middleware_counts_them(running_hub: Any, direct_calls: list[str]) -> None:
    rh = running_hub
    auth = {"Authorization": f"Bearer {rh.key('acme')}"}
    with httpx2.Client(base_url=rh.base_url, timeout=30) as c:
        before = (_counted(201), _counted(422), _rejected(422))
        direct, stacked = _both(rh, lambda: c.post("/v1/events", json=event(), headers=auth))
        assert direct.status_code == stacked.status_code == 201
        bad = event(type="tradelane.nothing.happened.v1")
        direct, stacked = _both(rh, lambda: c.post("/v1/events", json=bad, headers=auth))
        assert direct.status_code == stacked.status_code == 422
    assert (_counted(201), _counted(422), _rejected(422)) == (before[0] + 2, before[1] + 2, before[2] + 2)
    assert len(direct_calls) == 2


def test_an_unexpected_error_is_answered_and_re_raised_the_same_way(
    running_hub: Any, direct_calls: list[str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    rh = running_hub
    auth = {"Authorization": f"Bearer {rh.key('acme')}"}

    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("disk on fire")

    def post() -> httpx2.Response:  # a connection of its own: the server drops it after an unhandled error
        with httpx2.Client(base_url=rh.base_url, timeout=30) as c:
            return c.post("/v1/events", json=event(), headers=auth)

    monkeypatch.setattr(rh.hub.ingest, "submit", broken)
    with caplog.at_level("ERROR"):
        direct, stacked = _both(rh, post)
    assert direct.status_code == stacked.status_code == 500
    d, s = direct.json(), stacked.json()
    assert d.pop("reference") != s.pop("reference")  # a fresh correlation id each time
    assert d == s == {"type": "about:blank", "title": "Internal error", "status": 500, "detail": "the error was logged"}
    assert "disk on fire" not in direct.text
    # logged by the problem handler (before it answers) both ways
    logged = [r for r in caplog.records if r.name == "tradelane.api" and "disk on fire" in str(r.exc_info)]
    assert len(logged) == 2
    assert len(direct_calls) == 1


async def test_an_unhandled_error_is_re_raised_after_the_answer_both_ways() -> None:
    """As Starlette's server-error middleware does, so that the server logs it."""
    app = HubApp()

    @app.exception_handler(Exception)
    async def answer(_: Any, exc: Exception) -> Any:
        from starlette.responses import Response

        return Response(b"sorry", 500)

    async def endpoint(_: Any) -> Any:
        raise RuntimeError("boom")

    app.add_route("/v1/events", endpoint, methods=["POST"])
    app.add_direct_route("/v1/events", endpoint)
    for direct in (True, False):
        if not direct:
            app.direct_routes.clear()
        sent: list[Any] = []

        async def receive() -> Any:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Any, sent: list[Any] = sent) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/v1/events", "headers": [], "query_string": b"",
                 "root_path": ""}
        with pytest.raises(RuntimeError, match="boom"):
            await app(scope, receive, send)
        assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
        assert sent[0]["status"] == 500 and sent[1]["body"] == b"sorry"
        assert scope.get("tradelane.direct", False) is direct


def test_tracing_telemetry_a_root_path_or_other_middleware_take_the_ordinary_path(
    running_hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = running_hub.app
    scope = {"type": "http", "method": "POST", "path": "/v1/events", "root_path": ""}
    assert app._direct_allowed(scope)
    assert not app._direct_allowed({**scope, "root_path": "/behind-proxy"})
    with monkeypatch.context() as m:  # our tracing on: the server span is the observability middleware's
        m.setattr(tracing._state, "enabled", True)
        assert not app._direct_allowed(scope)
    with monkeypatch.context() as m:  # FastAPI's native OpenTelemetry on (re-checked after TELEMETRY_CHECK_S)
        m.setattr(app._native_telemetry, "enabled", lambda: True)
        m.setattr(app, "_telemetry_checked_at", -TELEMETRY_CHECK_S)
        assert not app._direct_allowed(scope)
    app._telemetry_checked_at = -TELEMETRY_CHECK_S
    assert app._direct_allowed(scope)
    other = HubApp()
    other.add_middleware(GZipMiddleware)
    assert not other._direct_allowed(scope)
