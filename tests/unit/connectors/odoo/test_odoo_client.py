"""The Odoo client: request shapes per protocol, protocol choice, error translation, retries, limits."""

from __future__ import annotations

import asyncio
import time
import xmlrpc.client
from typing import Any

import httpx2
import orjson
import pytest

from tradelane.connectors.odoo import AmbiguousOutcome, OdooClient
from tradelane.connectors.odoo.client import IDS_ONLY
from tradelane.core.errors import AuthError, BusinessError, PermanentError, TransientError


async def test_jsonrpc_envelope_and_execute_kw_shape(fake: Any, connect: Any) -> None:
    fake.route("res.partner", "search_read", [{"id": 7, "name": "A"}])
    odoo = await connect(fake)
    rows = await odoo.search_read("res.partner", [("ref", "=", "K")], ["name"], order="id", limit=5)
    assert rows == [{"id": 7, "name": "A"}]
    body = orjson.loads(fake.requests[-1].content)
    assert fake.requests[-1].url.path == "/jsonrpc"
    assert body["method"] == "call" and body["jsonrpc"] == "2.0"
    assert body["params"]["service"] == "object" and body["params"]["method"] == "execute_kw"
    assert body["params"]["args"] == [
        "tradelane",
        2,
        "admin",
        "res.partner",
        "search_read",
        [[["ref", "=", "K"]]],
        {"fields": ["name"], "order": "id", "limit": 5},
    ]
    assert odoo.protocol == "jsonrpc" and odoo.dialect.major == 17 and odoo.uid == 2


async def test_probe_then_authenticate_order(fake: Any, connect: Any) -> None:
    await connect(fake)
    methods = [orjson.loads(r.content)["params"]["method"] for r in fake.requests]
    assert methods == ["version", "authenticate"]
    auth_args = orjson.loads(fake.requests[1].content)["params"]["args"]
    assert auth_args == ["tradelane", "admin", "admin", {}]


async def test_api_key_is_sent_in_place_of_password(fake: Any, connect: Any) -> None:
    fake.route("res.partner", "search_count", 3)
    odoo = await connect(fake, api_key="k" * 40)
    assert await odoo.execute_kw("res.partner", "search_count", [[]]) == 3
    assert orjson.loads(fake.requests[-1].content)["params"]["args"][2] == "k" * 40


async def test_wrong_password_is_auth_error(connect: Any, fake_cls: Any) -> None:
    fake = fake_cls(uid=False)
    with pytest.raises(AuthError):
        await connect(fake)


async def test_missing_result_means_none(client: OdooClient, fake: Any) -> None:
    fake.route("stock.quant", "action_apply_inventory", fake.NO_RESULT)
    assert await client.call("stock.quant", "action_apply_inventory", [1]) is None


async def test_recordset_string_result_is_returned_as_is(client: OdooClient, fake: Any) -> None:
    fake.route("res.partner", "activity_schedule", "mail.activity(21,)")
    assert await client.call("res.partner", "activity_schedule", [1]) == "mail.activity(21,)"


@pytest.mark.parametrize(
    ("name", "expected", "kind"),
    [
        ("odoo.exceptions.AccessDenied", AuthError, None),
        ("odoo.exceptions.AccessError", AuthError, None),
        ("odoo.exceptions.ValidationError", BusinessError, "ValidationError"),
        ("odoo.exceptions.UserError", BusinessError, "UserError"),
        ("odoo.exceptions.MissingError", BusinessError, "MissingError"),
        ("builtins.ValueError", PermanentError, None),
    ],
)
async def test_jsonrpc_errors_translated(
    client: OdooClient, fake: Any, name: str, expected: type[Exception], kind: str | None
) -> None:
    def boom(args: list[Any], kwargs: dict[str, Any]) -> Any:
        raise fake.Error(name, "Record does not exist or has been deleted.")

    fake.route("res.partner", "write", boom)
    with pytest.raises(expected) as info:
        await client.write("res.partner", [99999999], {"name": "x"})
    if kind:
        assert isinstance(info.value, BusinessError)
        assert info.value.kind == kind
        assert "Record does not exist" in str(info.value)
    assert not isinstance(info.value, TransientError)
    assert len(fake.calls) == 1  # never retried


async def test_serialization_failure_is_retried_even_for_writes(client: OdooClient, fake: Any) -> None:
    attempts = []

    def flaky(args: list[Any], kwargs: dict[str, Any]) -> Any:
        attempts.append(1)
        if len(attempts) < 3:
            raise fake.Error(
                "psycopg2.errors.SerializationFailure", "could not serialize access due to concurrent update"
            )
        return True

    fake.route("res.partner", "write", flaky)
    await client.write("res.partner", [1], {"name": "x"})
    assert len(attempts) == 3


async def test_dropped_connection_on_write_is_ambiguous_and_not_resent(raw_client: Any) -> None:
    sent = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        raise httpx2.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    odoo = await raw_client(handler)
    with pytest.raises(AmbiguousOutcome):
        await odoo.create("res.partner", [{"name": "x"}])
    assert len(sent) == 1


async def test_dropped_connection_on_read_is_retried(raw_client: Any) -> None:
    sent = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        if len(sent) == 1:
            raise httpx2.ReadError("connection reset", request=request)
        return httpx2.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": [1, 2]})

    odoo = await raw_client(handler)
    assert await odoo.search("res.partner", []) == [1, 2]
    assert len(sent) == 2


async def test_connect_error_on_write_is_retried_because_nothing_was_sent(raw_client: Any) -> None:
    sent = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        if len(sent) < 3:
            raise httpx2.ConnectError("refused", request=request)
        return httpx2.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": [5]})

    odoo = await raw_client(handler)
    assert await odoo.create("res.partner", [{"name": "x"}]) == [5]
    assert len(sent) == 3


async def test_503_with_retry_after_is_retried_and_500_on_write_is_ambiguous(raw_client: Any) -> None:
    statuses = iter([503, 200])

    def handler(request: httpx2.Request) -> httpx2.Response:
        status = next(statuses)
        if status != 200:
            return httpx2.Response(status, headers={"Retry-After": "0"}, text="busy")
        return httpx2.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": True})

    odoo = await raw_client(handler)
    await odoo.write("res.partner", [1], {"name": "x"})

    odoo = await raw_client(lambda r: httpx2.Response(502, text="bad gateway"))
    with pytest.raises(AmbiguousOutcome):
        await odoo.write("res.partner", [1], {"name": "x"})
    odoo = await raw_client(lambda r: httpx2.Response(401, text="no"))
    with pytest.raises(AuthError):
        await odoo.search("res.partner", [])


async def test_retries_are_bounded(raw_client: Any) -> None:
    sent = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        raise httpx2.ConnectError("refused", request=request)

    odoo = await raw_client(handler, retry_attempts=3)
    with pytest.raises(TransientError):
        await odoo.search("res.partner", [])
    assert len(sent) == 3


# -- XML-RPC -------------------------------------------------------------------------------------------------
def _xml_fault(code: int, text: str) -> httpx2.Response:
    return httpx2.Response(200, content=xmlrpc.client.dumps(xmlrpc.client.Fault(code, text)).encode())


def _xml_ok(value: Any) -> httpx2.Response:
    return httpx2.Response(
        200, content=xmlrpc.client.dumps((value,), methodresponse=True, allow_none=True).encode()
    )


async def test_xmlrpc_request_shape_and_result(connect: Any, settings_for: Any) -> None:
    seen: list[tuple[str, tuple[Any, ...], str]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        params, method = xmlrpc.client.loads(request.content)
        seen.append((request.url.path, params, method or ""))
        if method == "version":
            return _xml_ok({"server_serie": "17.0", "server_version_info": [17, 0, 0, "final", 0, ""]})
        if method == "authenticate":
            return _xml_ok(2)
        return _xml_ok([{"id": 3, "name": "WH"}])

    odoo = OdooClient(settings_for(protocol="xmlrpc"), transport=httpx2.MockTransport(handler))
    await odoo.connect()
    rows = await odoo.search_read("stock.warehouse", [], ["name"])
    assert rows == [{"id": 3, "name": "WH"}]
    assert [s[0] for s in seen] == ["/xmlrpc/2/common", "/xmlrpc/2/common", "/xmlrpc/2/object"]
    assert seen[-1][2] == "execute_kw"
    assert seen[-1][1] == (
        "tradelane",
        2,
        "admin",
        "stock.warehouse",
        "search_read",
        [[]],
        {"fields": ["name"]},
    )


@pytest.mark.parametrize(
    "fault",
    [
        "Traceback ...\nTypeError: cannot marshal None unless allow_none is enabled",
        "Traceback ...\nTypeError: cannot marshal <class 'odoo.api.mail.activity'> objects",
    ],
)
async def test_xmlrpc_unmarshallable_return_is_success(fault: str, raw_client: Any) -> None:
    odoo = await raw_client(lambda r: _xml_fault(1, fault))
    odoo.protocol = "xmlrpc"
    assert await odoo.call("stock.quant", "action_apply_inventory", [1]) is None


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        (2, "You cannot validate a transfer if no quantities are reserved.", BusinessError),
        (3, "Access Denied", AuthError),
        (4, "Private methods (such as _create_invoices) cannot be called remotely.", AuthError),
        (1, "Traceback\nValueError: Invalid field res.partner.no_such_field", PermanentError),
    ],
)
async def test_xmlrpc_faults_translated(
    code: int, text: str, expected: type[Exception], raw_client: Any
) -> None:
    odoo = await raw_client(lambda r: _xml_fault(code, text))
    odoo.protocol = "xmlrpc"
    with pytest.raises(expected) as info:
        await odoo.search_read("res.partner", [("no_such_field", "=", 1)], ["name"])
    assert not isinstance(info.value, TransientError)
    if expected is BusinessError:
        assert str(info.value) == text


# -- JSON-2 (Odoo 19) ----------------------------------------------------------------------------------------
async def test_json2_is_chosen_for_19_with_api_key_and_uses_named_params(
    connect: Any, settings_for: Any
) -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        if request.url.path == "/jsonrpc":
            return httpx2.Response(
                200,
                json={
                    "jsonrpc": "2.0",
                    "id": 1,
                    "result": {"server_serie": "19.0", "server_version_info": [19, 0]},
                },
            )
        if request.url.path == "/json/2/res.users/context_get":
            return httpx2.Response(200, json={"uid": 6, "lang": "en_US"})
        if request.url.path == "/json/2/res.partner/write":
            return httpx2.Response(200, json=True)
        if request.url.path == "/json/2/res.partner/create":
            return httpx2.Response(200, json=[11, 12])
        return httpx2.Response(
            422,
            json={
                "name": "odoo.exceptions.UserError",
                "message": "nope",
                "arguments": ["nope"],
                "context": {},
            },
        )

    odoo = OdooClient(settings_for(api_key="a" * 40), transport=httpx2.MockTransport(handler))
    await odoo.connect()
    assert odoo.protocol == "json2" and odoo.uid == 6
    await odoo.write("res.partner", [1, 2], {"name": "x"}, context={"lang": "fr_FR"})
    write = seen[-1]
    assert write.headers["authorization"] == "bearer " + "a" * 40
    assert write.headers["x-odoo-database"] == "tradelane"
    assert orjson.loads(write.content) == {"ids": [1, 2], "vals": {"name": "x"}, "context": {"lang": "fr_FR"}}
    assert await odoo.create("res.partner", [{"name": "a"}, {"name": "b"}]) == [11, 12]
    assert orjson.loads(seen[-1].content) == {"vals_list": [{"name": "a"}, {"name": "b"}]}
    with pytest.raises(BusinessError, match="nope"):
        await odoo.call("stock.picking", "button_validate", [1])


async def test_json2_without_key_falls_back_to_jsonrpc_and_forced_json2_on_17_is_refused(
    connect: Any, fake_cls: Any
) -> None:
    fake = fake_cls(version="19.0")
    odoo = await connect(fake)
    assert odoo.protocol == "jsonrpc"
    with pytest.raises(PermanentError):
        await connect(fake_cls(version="17.0"), protocol="json2", api_key="b" * 40)


# -- limits --------------------------------------------------------------------------------------------------
async def test_concurrency_is_bounded_per_odoo(raw_client: Any) -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx2.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": []})

    odoo = await raw_client(handler, max_concurrency=2)
    await asyncio.gather(*(odoo.search("res.partner", []) for _ in range(12)))
    assert peak == 2
    assert odoo.rpc_count == 12


async def test_rate_limit_spaces_calls(raw_client: Any) -> None:
    odoo = await raw_client(
        lambda r: httpx2.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": []}), rate_limit_per_s=100
    )
    start = time.monotonic()
    await asyncio.gather(*(odoo.search("res.partner", []) for _ in range(11)))
    assert time.monotonic() - start >= 0.09


async def test_xmlrpc_state_changing_call_is_sent_once_when_the_reply_is_dropped() -> None:
    """Unlike stdlib ``xmlrpc.client.ServerProxy`` (which re-sends once on a dropped connection), the
    connector's XML-RPC path goes through httpx2: a lost reply is an AmbiguousOutcome, never a resend."""
    from tradelane.connectors.odoo import OdooSettings
    from tradelane.connectors.odoo.errors import AmbiguousOutcome
    from tradelane.testing.odoo import OdooEmulator

    emu = OdooEmulator(host="127.0.0.1", port=0, version="17.0", db="tradelane", fault_drop_ratio=0.0, seed=0)
    emu.start()
    try:
        settings = OdooSettings(
            url=emu.url, db=emu.db, user=emu.login, password=emu.password, protocol="xmlrpc",
            retry_wait_initial_s=0.0, retry_wait_max_s=0.0,
        )  # fmt: skip
        async with OdooClient(settings) as odoo:
            emu.reset_counters()
            emu.set_fault_drop_ratio(1.0)
            with pytest.raises(AmbiguousOutcome):
                await odoo.create("res.partner", [{"name": "XMLRPC-ONCE", "ref": "XMLRPC-ONCE"}])
            emu.set_fault_drop_ratio(0.0)
            assert emu.rpc_calls[("res.partner", "create")] == 1
            assert await odoo.search("res.partner", [("ref", "=", "XMLRPC-ONCE")]) != []
            assert len(await odoo.search("res.partner", [("ref", "=", "XMLRPC-ONCE")])) == 1
    finally:
        emu.stop()


async def test_ids_only_load_is_sent_only_when_asked(client: OdooClient, fake: Any) -> None:
    fake.route("stock.picking", "search_read", [{"id": 1, "carrier_id": 4}])
    fake.route("stock.picking", "read", [{"id": 1, "carrier_id": 4}])
    await client.search_read("stock.picking", [], ["carrier_id"], load=IDS_ONLY)
    await client.read("stock.picking", [1], ["carrier_id"], load=IDS_ONLY)
    await client.search_read("stock.picking", [], ["carrier_id"])
    kwargs = [kw for _model, _method, _args, kw in fake.calls if _model == "stock.picking"]
    assert [kw.get("load") for kw in kwargs] == ["_classic_write", "_classic_write", None]
