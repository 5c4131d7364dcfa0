"""HTTP front of the emulator and the public :class:`OdooEmulator`.

A stdlib ``ThreadingHTTPServer`` (HTTP/1.1 keep-alive) runs in a background thread; the standard library is
used rather than an ASGI server because the "ambiguous outcome" simulation must be able to close the TCP
connection *after* committing and *without* writing any response bytes.

Routes: ``POST /jsonrpc``, ``POST /xmlrpc/2/{common,object,db}``, the legacy ``/xmlrpc/{common,object,db}``,
``POST /web/webclient/version_info`` (JSON route), and for ``version >= 19`` ``POST /json/2/<model>/<method>``
and ``GET /web/version``; both answer 404 on 17.0, like the real server.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import secrets
import socket
import threading
import time
import xmlrpc.client
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from .rpc import (
    OdooService,
    format_traceback,
    json2_status,
    json_dumps,
    jsonrpc_error,
    jsonrpc_response,
    serialize_exception,
    version_payload,
    xmlrpc_fault,
    xmlrpc_response,
)
from .seed import ADMIN_LOGIN, ADMIN_PASSWORD, build_database

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8069
DEFAULT_VERSION = "17.0"
DEFAULT_DB = "tradelane"
#: First major version that serves JSON-2 (/json/2) and /web/version.
JSON2_MIN_MAJOR = 19
#: Bits of an Odoo API key (40 hex characters).
API_KEY_BITS = 160
#: How often the accept loop checks for shutdown (seconds).
POLL_INTERVAL = 0.05
#: Upper bound of a request body we accept (bytes).
MAX_BODY = 64 * 1024 * 1024
_JSON2_PATH = re.compile(r"^/json/2/(?P<model>[^/]+)/(?P<method>[^/]+)/?$")
_XMLRPC_PATH = re.compile(r"^/xmlrpc/(?P<v2>2/)?(?P<service>common|object|db)/?$")
_NOT_FOUND = b"<html><body><h1>404: Not Found</h1></body></html>"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: OdooEmulator) -> None:
        self.emulator = emulator
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "Werkzeug/3.0.1"
    sys_version = "Python/3.11"

    def setup(self) -> None:
        super().setup()
        # headers and body are two writes: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms per call
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.sockets_lock:
            self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.server.sockets_lock:
            self.server.open_sockets.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        return None

    # plumbing ------------------------------------------------------------------------------------
    @property
    def emu(self) -> OdooEmulator:
        return self.server.emulator

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drop(self) -> None:
        """Close the connection without a response: the client cannot know the call committed."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _not_found(self) -> None:
        self._send(404, _NOT_FOUND, "text/html; charset=utf-8")

    # routes --------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/web/version" and self.emu.major >= JSON2_MIN_MAJOR:
            payload = version_payload(self.emu.version)
            body = {"version_info": payload["server_version_info"], "version": payload["server_version"]}
            self._send(200, json_dumps(body), "application/json; charset=utf-8")
            return
        self._not_found()

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        body = self._body()
        if path == "/jsonrpc":
            self._jsonrpc(body)
        elif match := _XMLRPC_PATH.match(path):
            self._xmlrpc(body, match.group("service"), legacy=not match.group("v2"))
        elif path == "/web/webclient/version_info":
            request_id = _json_id(body)
            self._send(
                200, jsonrpc_response(request_id, version_payload(self.emu.version)), "application/json"
            )
        elif (match := _JSON2_PATH.match(path)) and self.emu.major >= JSON2_MIN_MAJOR:
            self._json2(body, match.group("model"), match.group("method"))
        elif path == "/web/version" and self.emu.major >= JSON2_MIN_MAJOR:
            self.do_GET()
        else:
            self._not_found()

    def _jsonrpc(self, raw: bytes) -> None:
        try:
            request = json.loads(raw or b"{}")
        except ValueError:
            self._send(400, b"Invalid JSON data", "text/plain")
            return
        request_id = request.get("id")
        params = request.get("params") or {}
        try:
            call = self.emu.service.dispatch(
                str(params.get("service")), str(params.get("method")), list(params.get("args") or [])
            )
        except Exception as exc:
            response = jsonrpc_response(request_id, error=jsonrpc_error(exc, format_traceback(exc)))
            self._send(200, response, "application/json")
            return
        if call.state_changing and self.emu._should_drop():
            self._drop()
            return
        self._send(200, jsonrpc_response(request_id, call.result), "application/json")

    def _xmlrpc(self, raw: bytes, service: str, legacy: bool) -> None:
        try:
            params, method = xmlrpc.client.loads(raw, use_builtin_types=True)
        except Exception as exc:
            self._send(200, xmlrpc_fault(exc, format_traceback(exc), legacy), "text/xml")
            return
        call = None
        try:
            call = self.emu.service.dispatch(service, str(method), list(params))
            if call.state_changing and self.emu._should_drop():
                self._drop()
                return
            response = xmlrpc_response(call.result)
        except Exception as exc:
            response = xmlrpc_fault(exc, format_traceback(exc), legacy)
        self._send(200, response, "text/xml")

    def _json2(self, raw: bytes, model: str, method: str) -> None:
        auth = self.headers.get("Authorization") or ""
        scheme, _, key = auth.partition(" ")
        uid = self.emu.service.uid_for_api_key(key.strip()) if scheme.lower() == "bearer" else None
        if uid is None:
            error = {"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey",
                     "arguments": ["Invalid apikey", 401], "context": {}, "debug": ""}  # fmt: skip
            self._send(401, json_dumps(error), "application/json; charset=utf-8")
            return
        try:
            body = json.loads(raw or b"{}")
            if not isinstance(body, dict):
                raise TypeError("the body must be a JSON object")
        except ValueError as exc:
            self._send(400, json_dumps(serialize_exception(exc, "")), "application/json; charset=utf-8")
            return
        if model not in self.emu.service._db.registry.models:
            self._not_found()
            return
        try:
            call = self.emu.service.json2(uid, model, method, body)
        except Exception as exc:
            payload = serialize_exception(exc, format_traceback(exc), body.get("context") or {})
            self._send(json2_status(exc), json_dumps(payload), "application/json; charset=utf-8")
            return
        if call.state_changing and self.emu._should_drop():
            self._drop()
            return
        self._send(200, json_dumps(call.result), "application/json; charset=utf-8")


def _json_id(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"{}").get("id")
    except (ValueError, AttributeError):
        return None


class OdooEmulator:
    """A protocol-faithful, in-memory Odoo 17 server on loopback.

    :param host: interface to bind.
    :param port: TCP port; 0 picks a free one (read it back from :attr:`url`).
    :param version: server version to announce; ``"19.0"`` enables ``/json/2`` and ``/web/version``.
    :param db: database name expected by ``authenticate``/``execute_kw``.
    :param fault_drop_ratio: fraction (0..1) of state-changing calls that commit and then drop the
        connection without a response.
    :param seed: seed of the RNG deciding the drops (and of the API key).
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = 0,
        version: str = DEFAULT_VERSION,
        db: str = DEFAULT_DB,
        fault_drop_ratio: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.host = host
        self.port = port
        self.version = version
        self.db = db
        self.login = ADMIN_LOGIN
        self.password = ADMIN_PASSWORD
        self._rng = random.Random(seed)
        self.api_key = (
            f"{self._rng.getrandbits(API_KEY_BITS):040x}" if seed is not None else secrets.token_hex(20)
        )
        self._fault_drop_ratio = 0.0
        self._forced_drops = 0
        self.set_fault_drop_ratio(fault_drop_ratio)
        self.database = build_database(db)
        self.service = OdooService(self.database, version, db, self.login, self.password, self.api_key)
        self.dropped_count = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def major(self) -> int:
        head = self.version.split(".", 1)[0].split("~")[-1]
        return int(head) if head.isdigit() else 0

    # lifecycle -----------------------------------------------------------------------------------
    def start(self) -> OdooEmulator:
        """Bind and serve in a background thread; returns once the socket is listening."""
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL},
            name="odoo-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        with server.sockets_lock:
            for sock in list(server.open_sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> OdooEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> OdooEmulator:
        return self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # introspection -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def rpc_count(self) -> int:
        """Total ``execute_kw``/``execute``/JSON-2 calls served (including failed and dropped ones)."""
        return self.service.rpc_count

    @property
    def rpc_calls(self) -> Counter[tuple[str, str]]:
        """``Counter`` of ``(model, method)``."""
        return self.service.rpc_calls

    def reset_counters(self) -> None:
        with self.service.lock:
            self.service.rpc_count = 0
            self.service.rpc_calls.clear()
            self.dropped_count = 0

    def set_fault_drop_ratio(self, ratio: float) -> None:
        if not 0.0 <= ratio <= 1.0:
            raise ValueError("fault_drop_ratio must be between 0 and 1")
        self._fault_drop_ratio = float(ratio)

    @property
    def fault_drop_ratio(self) -> float:
        return self._fault_drop_ratio

    def drop_next(self, count: int = 1) -> None:
        """Commit and then drop the next ``count`` successful state-changing calls, whatever the ratio."""
        with self.service.lock:
            self._forced_drops = max(0, int(count))

    def _should_drop(self) -> bool:
        with self.service.lock:
            if self._forced_drops > 0:
                self._forced_drops -= 1
                self.dropped_count += 1
                return True
            if self._fault_drop_ratio <= 0.0:
                return False
            drop = self._rng.random() < self._fault_drop_ratio
            if drop:
                self.dropped_count += 1
            return drop


def main(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve an emulator until interrupted (``tradelane odoo-emulator --port 8069``)."""
    emulator = OdooEmulator(host=host, port=port)
    emulator.start()
    print(
        f"Odoo 17 emulator on {emulator.url} (db={emulator.db}, login={emulator.login}, api key={emulator.api_key})"
    )
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
