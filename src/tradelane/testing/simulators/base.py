"""What every partner simulator shares: an aiohttp server on loopback, a record of what it received, a seeded
random source, API-key checks, injected 500s, and signed callbacks (Standard Webhooks) sent in the background.

A simulator is deterministic for a seed: ids, lots, SSCCs, weights and fault decisions come from a random
stream of its own per kind and seed (``random.Random(f"{kind}:{seed}")``, so a WMS and a TMS given one seed
do not issue the same numbers) and counters, never from the clock (times in documents do come from ``clock``).
Callbacks are posted by background tasks, like a real system acknowledging first and confirming later;
:meth:`Simulator.settle` waits until every scheduled callback has been answered. A callback the receiver
answers with 5xx, 408, 425 or 429 (or cannot take) is retried a few times with doubling pauses, honouring
``Retry-After`` (capped), as a partner's webhook sender would; any other 4xx is final.

:class:`CallbackReceiver` is the other side: a real HTTP server that records callbacks and, given a
``handler``, answers with the handler's status (tests hand it a connector's ``receive``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from tradelane.core.errors import AuthError, MappingError
from tradelane.delivery.signing import sign
from tradelane.mapping.engine import only_missing_xrefs
from tradelane.testing.net import free_port

__all__ = [
    "CALLBACK_ATTEMPTS",
    "CallbackReceiver",
    "Received",
    "SentCallback",
    "Simulator",
    "receiving",
    "sscc",
]

#: tries per callback before the simulator gives up on it (a real sender would keep trying for days)
CALLBACK_ATTEMPTS = 5
#: first pause between callback tries, seconds (doubled each time)
CALLBACK_BACKOFF_S = 0.05
#: seconds one callback request may take
CALLBACK_TIMEOUT_S = 10.0
#: longest ``Retry-After`` the simulator honours, seconds (a real sender caps it too, or it could stall)
CALLBACK_MAX_RETRY_AFTER_S = 5.0
#: 4xx answers a webhook sender retries like a 5xx (timeout, too early, rate limited)
RETRYABLE_4XX = frozenset({408, 425, 429})


@dataclass(frozen=True)
class Received:
    """One request a simulator received."""

    method: str
    path: str
    #: names in lower case
    headers: Mapping[str, str]
    body: Any
    status: int


@dataclass
class SentCallback:
    """One callback a simulator sent: its webhook id, document, and the status of each try."""

    msg_id: str
    document: dict[str, Any]
    statuses: list[int] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return bool(self.statuses) and 200 <= self.statuses[-1] < 300


def sscc(company_prefix: str, serial: int, extension: int = 0) -> str:
    """A GS1 SSCC (18 digits, with its mod-10 check digit) for a serial number under a company prefix."""
    body = f"{extension}{company_prefix}{serial:0{16 - len(company_prefix)}d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


class Simulator:
    """Base of the partner simulators: subclasses add routes in :meth:`routes`."""

    #: used in ``User-Agent`` and log lines
    kind = "partner"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 7,
        callback_url: str | None = None,
        secret: str | None = None,
        api_key: str | None = None,
        fail_ratio: float = 0.0,
        duplicate_callbacks: bool = False,
        step_delay_s: float = 0.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.seed = seed
        self.callback_url = callback_url
        self.secret = secret
        self.api_key = api_key
        self.fail_ratio = fail_ratio
        self.duplicate_callbacks = duplicate_callbacks
        self.step_delay_s = step_delay_s
        self.clock = clock or (lambda: datetime.now(UTC))
        # one stream per kind of partner: simulators started with one seed must not draw the same numbers
        # (a TMS's PRO numbers equal to a WMS's tracking numbers of other shipments, when both were
        # ``Random(seed)``, made a carrier follow a PRO number before its booking was known)
        self.rng = random.Random(f"{self.kind}:{seed}")
        self._fault_rng = random.Random(f"{self.kind}:{seed}:faults")
        self.received: list[Received] = []
        self.callbacks: list[SentCallback] = []
        self.failures_injected = 0
        self._counter = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    # -- life cycle -------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def routes(self, app: web.Application) -> None:
        """Add the partner's API routes."""

    async def start(self) -> Simulator:
        app = web.Application(middlewares=[self._record_middleware])
        self.routes(app)
        self.port = self.port or free_port()
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        return self

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Simulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def settle(self, timeout_s: float = 60.0) -> None:
        """Wait until every scheduled callback was sent and answered (or gave up).

        :raises TimeoutError: when background work is still running after ``timeout_s``
        """
        deadline = time.monotonic() + timeout_s
        while self._tasks:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.kind} simulator still busy with {len(self._tasks)} task(s)")
            await asyncio.wait(set(self._tasks), timeout=left)

    # -- helpers for subclasses -------------------------------------------------------------------------
    def next_number(self) -> int:
        """A per-simulator counter: 1, 2, 3 …"""
        self._counter += 1
        return self._counter

    def now(self) -> datetime:
        return self.clock()

    def schedule(self, work: Awaitable[None]) -> None:
        """Run ``work`` in the background (tracked by :meth:`settle` and cancelled by :meth:`stop`)."""

        async def run() -> None:
            await work

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def pause(self) -> None:
        """The simulated time between two steps of a process (zero by default: tests stay fast)."""
        if self.step_delay_s:
            await asyncio.sleep(self.step_delay_s)

    def unauthorized(self, request: web.Request, header: str = "X-Api-Key") -> web.Response | None:
        """A 401 answer unless the request carries the configured API key."""
        if self.api_key and request.headers.get(header) != self.api_key:
            return problem(401, "missing or wrong API key")
        return None

    def injected_fault(self) -> web.Response | None:
        """A 500 for ``fail_ratio`` of requests (seeded)."""
        if self.fail_ratio and self._fault_rng.random() < self.fail_ratio:
            self.failures_injected += 1
            return problem(500, "simulated outage")
        return None

    async def accept(
        self, request: web.Request, check: Callable[[Any], list[dict[str, Any]]]
    ) -> tuple[Any, web.Response | None]:
        """The preamble of a document endpoint: API key, injected fault, JSON body, then ``check``'s field
        errors as a 422 ``REFUSED``; returns ``(document, None)`` or ``(None, the refusal)``."""
        refused = self.unauthorized(request) or self.injected_fault()
        if refused is not None:
            return None, refused
        doc, bad = await read_json(request)
        if bad is not None:
            return None, bad
        errors = check(doc)
        if errors:
            return None, web.json_response({"status": "REFUSED", "errors": errors}, status=422)
        return doc, None

    async def send_callback(self, document: dict[str, Any], msg_id: str | None = None) -> SentCallback:
        """POST ``document`` to the callback URL, signed; retried on 5xx and connection errors.

        With ``duplicate_callbacks`` it is sent a second time with the same webhook id once delivered.
        """
        sent = SentCallback(msg_id or f"msg_{self.kind}_{self.seed}_{self.next_number():06d}", document)
        self.callbacks.append(sent)
        if not self.callback_url:
            return sent
        await self._post(sent)
        if self.duplicate_callbacks and sent.delivered:
            await self._post(sent)
        return sent

    async def _post(self, sent: SentCallback) -> None:
        assert self.callback_url is not None
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=CALLBACK_TIMEOUT_S))
        body = orjson.dumps(sent.document)
        for attempt in range(CALLBACK_ATTEMPTS):
            headers = {"content-type": "application/json", "user-agent": f"{self.kind}-simulator/1"}
            if self.secret:
                headers.update(sign([self.secret], sent.msg_id, int(time.time()), body))
            else:
                headers.update({"webhook-id": sent.msg_id, "webhook-timestamp": str(int(time.time()))})
            try:
                async with self._session.post(self.callback_url, data=body, headers=headers) as resp:
                    await resp.read()
                    sent.statuses.append(resp.status)
                    if resp.status < 500 and resp.status not in RETRYABLE_4XX:
                        return
                    asked = _retry_after(resp.headers.get("retry-after"))
            except (aiohttp.ClientError, TimeoutError):
                sent.statuses.append(0)
                asked = None
            if attempt + 1 < CALLBACK_ATTEMPTS:
                await asyncio.sleep(max(CALLBACK_BACKOFF_S * 2**attempt, asked or 0.0))

    @web.middleware
    async def _record_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        response = await handler(request)
        self.received.append(Received(request.method, request.path_qs, _lower(request.headers), body,
                                      response.status))
        return response


def _retry_after(value: str | None) -> float | None:
    """A ``Retry-After`` in seconds (capped at :data:`CALLBACK_MAX_RETRY_AFTER_S`); ``None`` if absent or a date."""
    try:
        return min(max(float(value), 0.0), CALLBACK_MAX_RETRY_AFTER_S) if value else None
    except ValueError:
        return None


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def problem(status: int, detail: str, **extra: Any) -> web.Response:
    """A JSON error answer."""
    return web.json_response({"status": status, "detail": detail, **extra}, status=status)


async def read_json(request: web.Request) -> tuple[Any, web.Response | None]:
    """The request's JSON body, or a 400 answer."""
    try:
        return orjson.loads(await request.read()), None
    except orjson.JSONDecodeError as exc:
        return None, problem(400, f"body is not JSON: {exc}")


class CallbackReceiver:
    """A real HTTP server on loopback that takes callbacks: records them and answers the handler's status."""

    def __init__(
        self,
        handler: Callable[[Mapping[str, str], bytes], Awaitable[int]] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.handler = handler
        self.host = host
        self.port = port
        #: (headers with lower-case names, raw body, status answered), in arrival order
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/callbacks"

    async def start(self) -> CallbackReceiver:
        app = web.Application()
        app.router.add_post("/callbacks", self._take)
        self.port = self.port or free_port()
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _take(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = _lower(request.headers)
        status = 200 if self.handler is None else await self.handler(headers, body)
        self.requests.append((headers, body, status))
        return web.json_response({"ok": status < 300}, status=status)


def cli_arguments(description: str) -> argparse.ArgumentParser:
    """The options every ``python -m tradelane.testing.simulators.<kind>`` accepts."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--callback-url", default=None, help="where callbacks are posted")
    ap.add_argument("--secret-env", default=None, help="environment variable with the whsec_ signing secret")
    ap.add_argument("--api-key-env", default=None, help="environment variable with the API key callers must send")
    ap.add_argument("--fail-ratio", type=float, default=0.0, help="share of API requests answered with 500")
    ap.add_argument("--duplicate-callbacks", action="store_true", help="send every callback twice")
    ap.add_argument("--step-delay-ms", type=float, default=500.0, help="simulated time between process steps")
    return ap


def common_options(args: argparse.Namespace) -> dict[str, Any]:
    """Constructor keywords from :func:`cli_arguments`' options (secrets read from the environment)."""
    return {
        "host": args.host,
        "port": args.port,
        "seed": args.seed,
        "callback_url": args.callback_url,
        "secret": os.environ.get(args.secret_env) if args.secret_env else None,
        "api_key": os.environ.get(args.api_key_env) if args.api_key_env else None,
        "fail_ratio": args.fail_ratio,
        "duplicate_callbacks": args.duplicate_callbacks,
        "step_delay_s": args.step_delay_ms / 1000,
    }


def serve_forever(simulator: Simulator) -> None:  # pragma: no cover - the demo runs it as a process
    """Start ``simulator`` and run until interrupted."""

    async def serve() -> None:
        await simulator.start()
        print(f"{simulator.kind} simulator listening on {simulator.url}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await simulator.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


def receiving(
    receive: Callable[[Mapping[str, str], bytes], Awaitable[Any]], events: list[Any], problems: list[Any]
) -> Callable[[Mapping[str, str], bytes], Awaitable[int]]:
    """A :class:`CallbackReceiver` handler around a connector's ``receive``: mapped events are appended to
    ``events`` (200), refused callbacks to ``problems`` — 401 for a bad signature, 422 for a mapping error,
    503 (which the simulators retry) when the only problems are cross references not known yet, like the hub."""

    async def handle(headers: Mapping[str, str], body: bytes) -> int:
        try:
            parsed = await receive(headers, body)
        except AuthError as exc:
            problems.append(exc)
            return 401
        except MappingError as exc:
            problems.append(exc)
            return 503 if only_missing_xrefs(exc.problems) else 422
        events.extend(parsed.events)
        return 200

    return handle
