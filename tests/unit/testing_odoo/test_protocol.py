"""Wire protocol: versions, authentication, error shapes, None/recordset quirks, JSON-2 and routes."""

from __future__ import annotations

import xmlrpc.client

import httpx2
import pytest

from tradelane.testing.odoo import OdooEmulator

from .conftest import JsonRpc, XmlRpc, ref


def test_version_over_both_protocols(emu: OdooEmulator, x: XmlRpc, jj: JsonRpc) -> None:
    expected = {"server_version": "17.0-20240709", "server_version_info": [17, 0, 0, "final", 0, ""],
                "server_serie": "17.0", "protocol_version": 1}  # fmt: skip
    assert x.common.version() == expected
    assert jj.call("common", "version", [])["result"] == expected
    response = httpx2.post(
        f"{emu.url}/web/webclient/version_info", json={"jsonrpc": "2.0", "id": 9, "params": {}}
    )
    assert response.json() == {"jsonrpc": "2.0", "id": 9, "result": expected}


def test_authenticate_password_key_and_failures(emu: OdooEmulator, x: XmlRpc, jj: JsonRpc) -> None:
    assert x.uid == 2 and jj.uid == 2
    assert len(emu.api_key) == 40 and int(emu.api_key, 16) >= 0
    assert x.common.authenticate(emu.db, "admin", emu.api_key, {}) == 2
    assert x.common.login(emu.db, "admin", "admin") == 2
    assert x.common.authenticate(emu.db, "admin", "wrong", {}) is False
    assert jj.call("common", "authenticate", [emu.db, "admin", "wrong", {}])["result"] is False
    assert x.object.execute_kw(emu.db, 2, emu.api_key, "res.partner", "search_count", [[]]) > 0
    with pytest.raises(xmlrpc.client.Fault) as fault:
        x.object.execute_kw(emu.db, 2, "wrong", "res.partner", "search_count", [[]])
    assert (fault.value.faultCode, fault.value.faultString) == (3, "Access Denied")
    error = jj.call("object", "execute_kw", [emu.db, 2, "wrong", "res.partner", "search_count", [[]]])[
        "error"
    ]
    assert error["code"] == 200 and error["message"] == "Odoo Server Error"
    assert error["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert error["data"]["message"] == "Access Denied"


def test_error_shapes(x: XmlRpc, jj: JsonRpc) -> None:
    envelope = jj.raw("res.partner", "write", [99999999], {"name": "ghost"})
    data = envelope["error"]["data"]
    message = "Record does not exist or has been deleted.\n(Record: res.partner(99999999,), User: 2)"
    assert data["name"] == "odoo.exceptions.MissingError"
    assert data["message"] == message and data["arguments"] == [message]
    assert data["context"] == {} and "Traceback" in data["debug"]
    assert "result" not in envelope
    with pytest.raises(xmlrpc.client.Fault) as fault:
        x("res.partner", "write", [99999999], {"name": "ghost"})
    assert (fault.value.faultCode, fault.value.faultString) == (2, message)

    with pytest.raises(xmlrpc.client.Fault) as fault:
        x("sale.order", "_create_invoices", [1])
    assert fault.value.faultCode == 4
    assert fault.value.faultString == "Private methods (such as _create_invoices) cannot be called remotely."

    with pytest.raises(xmlrpc.client.Fault) as fault:
        x("res.partner", "search", [("no_such_field", "=", 1)])
    assert fault.value.faultCode == 1
    assert fault.value.faultString.startswith("Traceback")
    assert fault.value.faultString.rstrip().endswith(
        "ValueError: Invalid field res.partner.no_such_field in leaf ('no_such_field', '=', 1)"
    )
    data = jj.raw("res.partner", "no_such_method", [1])["error"]["data"]
    assert data["name"] == "builtins.AttributeError"
    assert data["message"] == "The method 'no_such_method' does not exist on the model 'res.partner'"
    with pytest.raises(xmlrpc.client.Fault) as fault:
        x("no.such.model", "search", [])
    assert (fault.value.faultCode, fault.value.faultString) == (2, "Object no.such.model doesn't exist")

    parent = x("res.partner", "create", {"name": "Loop Parent", "is_company": True})
    child = x("res.partner", "create", {"name": "Loop Child", "parent_id": parent})
    data = jj.raw("res.partner", "write", [parent], {"parent_id": child})["error"]["data"]
    assert data["name"] == "odoo.exceptions.ValidationError"
    assert data["message"] == "You cannot create recursive Partner hierarchies."


def test_legacy_xmlrpc_string_fault_codes(emu: OdooEmulator) -> None:
    legacy = xmlrpc.client.ServerProxy(f"{emu.url}/xmlrpc/object")
    with pytest.raises(xmlrpc.client.Fault) as fault:
        legacy.execute_kw(emu.db, 2, "admin", "res.partner", "write", [[99999999], {"name": "x"}])
    assert fault.value.faultCode.startswith("warning -- MissingError\n\nRecord does not exist")
    with pytest.raises(xmlrpc.client.Fault) as fault:
        legacy.execute_kw(emu.db, 2, "bad", "res.partner", "search", [[]])
    assert fault.value.faultCode == "AccessDenied"


def test_read_missing_ids_returns_existing_rows_only(x: XmlRpc) -> None:
    partner = x("res.partner", "create", {"name": "Existing Row"})
    rows = x("res.partner", "read", [partner, 99999999], ["name", "parent_id", "write_date"])
    assert [r["id"] for r in rows] == [partner]
    assert rows[0]["parent_id"] is False
    assert len(rows[0]["write_date"]) == 19 and rows[0]["write_date"][10] == " "


def test_none_result_commits_then_faults_over_xmlrpc(x: XmlRpc, jj: JsonRpc) -> None:
    product = x("product.product", "create", {"name": "None Quirk", "detailed_type": "product"})
    stock = ref(x, "stock.stock_location_stock")
    quant = x("stock.quant", "create", {"product_id": product, "location_id": stock, "inventory_quantity": 7},
              context={"inventory_mode": True})  # fmt: skip
    with pytest.raises(xmlrpc.client.Fault) as fault:
        x("stock.quant", "action_apply_inventory", [quant])
    assert fault.value.faultCode == 1
    assert fault.value.faultString.rstrip().endswith(
        "TypeError: cannot marshal None unless allow_none is enabled"
    )
    assert x("stock.quant", "read", [quant], ["quantity", "inventory_quantity_set"])[0] == {
        "id": quant, "quantity": 7.0, "inventory_quantity_set": False}  # fmt: skip
    # JSON-RPC: neither result nor error
    x("stock.quant", "write", [quant], {"inventory_quantity": 9}, context={"inventory_mode": True})
    envelope = jj.raw("stock.quant", "action_apply_inventory", [quant])
    assert set(envelope) == {"jsonrpc", "id"}
    assert x("product.product", "read", [product], ["qty_available"])[0]["qty_available"] == 9.0


def test_recordset_result_commits_then_faults(x: XmlRpc, jj: JsonRpc) -> None:
    partner = x("res.partner", "create", {"name": "Activity Host"})
    with pytest.raises(xmlrpc.client.Fault) as fault:
        x("res.partner", "activity_schedule", [partner], act_type_xmlid="mail.mail_activity_data_todo",
          summary="via xmlrpc", date_deadline="2099-12-02")  # fmt: skip
    assert fault.value.faultCode == 1
    assert fault.value.faultString.rstrip().endswith(
        "TypeError: cannot marshal <class 'odoo.api.mail.activity'> objects"
    )
    result = jj("res.partner", "activity_schedule", [partner], summary="via json")
    activities = x("mail.activity", "search_read", [("res_model", "=", "res.partner"), ("res_id", "=", partner)],
                   ["summary", "activity_type_id", "date_deadline"], order="id")  # fmt: skip
    assert [a["summary"] for a in activities] == ["via xmlrpc", "via json"]
    assert result == f"mail.activity({activities[1]['id']},)"
    assert activities[0]["activity_type_id"][1] == "To-Do"
    assert activities[0]["date_deadline"] == "2099-12-02"
    read = x("res.partner", "read", [partner], ["activity_ids", "activity_summary", "activity_state"])[0]
    assert read["activity_ids"] == [activities[1]["id"], activities[0]["id"]]  # ordered by deadline
    assert read["activity_summary"] == "via json"
    assert read["activity_state"] == "today"
    message_id = x(
        "mail.activity", "action_feedback", [activities[0]["id"]], feedback="Trailer arrived 08:10"
    )
    message = x("mail.message", "read", [message_id], ["body", "model", "res_id"])[0]
    assert (message["model"], message["res_id"]) == ("res.partner", partner)
    assert "Trailer arrived 08:10" in message["body"]
    assert x("mail.activity", "search_count", [("id", "=", activities[0]["id"])]) == 0


def test_message_post_escapes_plain_text_and_links_attachments(x: XmlRpc) -> None:
    partner = x("res.partner", "create", {"name": "Chatter Host"})
    attachment = x("ir.attachment", "create", {"name": "pod.txt", "datas": "SGVsbG8=", "res_model": "res.partner",
                                               "res_id": partner})  # fmt: skip
    plain = x("res.partner", "message_post", [partner], body="<p><b>x</b></p>", message_type="comment",
              subtype_xmlid="mail.mt_note", attachment_ids=[attachment])  # fmt: skip
    html = x("res.partner", "message_post", [partner], body="<p><b>Gate-in</b></p>", body_is_html=True,
             message_type="comment", subtype_xmlid="mail.mt_note")  # fmt: skip
    assert isinstance(plain, int) and isinstance(html, int)
    rows = {r["id"]: r for r in x("mail.message", "search_read", [("model", "=", "res.partner"), ("res_id", "=", partner)],
                                  ["body", "subtype_id", "attachment_ids", "author_id"])}  # fmt: skip
    assert rows[plain]["body"] == "<p>&lt;p&gt;&lt;b&gt;x&lt;/b&gt;&lt;/p&gt;</p>"  # escaped, then wrapped
    assert rows[html]["body"] == "<p><b>Gate-in</b></p>"
    assert rows[plain]["subtype_id"][1] == "Note" and rows[plain]["attachment_ids"] == [attachment]
    assert rows[plain]["author_id"][1] == "YourCompany, Mitchell Admin"
    assert x("ir.attachment", "read", [attachment], ["file_size", "mimetype"])[0] == {
        "id": attachment, "file_size": 5, "mimetype": "text/plain"}  # fmt: skip


def test_json2_is_404_on_17(emu: OdooEmulator) -> None:
    headers = {"Authorization": f"bearer {emu.api_key}"}
    assert httpx2.post(f"{emu.url}/json/2/res.partner/search", json={}, headers=headers).status_code == 404
    assert httpx2.get(f"{emu.url}/web/version").status_code == 404


def test_json2_works_on_19() -> None:
    with OdooEmulator(version="19.0", seed=3) as emu19, httpx2.Client(base_url=emu19.url) as client:
        headers = {"Authorization": f"bearer {emu19.api_key}", "X-Odoo-Database": emu19.db}
        created = client.post("/json/2/res.partner/create", headers=headers,
                              json={"vals_list": [{"name": "Json Two"}], "context": {}})  # fmt: skip
        assert created.status_code == 200
        ids = created.json()
        read = client.post("/json/2/res.partner/read", headers=headers, json={"ids": ids, "fields": ["name"]})
        assert read.json() == [{"id": ids[0], "name": "Json Two"}]
        found = client.post("/json/2/res.partner/search", headers=headers,
                            json={"domain": [["name", "=", "Json Two"]]})  # fmt: skip
        assert found.json() == ids
        missing = client.post("/json/2/res.partner/write", headers=headers,
                              json={"ids": [99999999], "vals": {"name": "x"}})  # fmt: skip
        assert missing.status_code == 404
        assert missing.json()["name"] == "odoo.exceptions.MissingError"
        denied = client.post("/json/2/res.partner/search", headers={"Authorization": "bearer nope"}, json={})
        assert denied.status_code == 401 and denied.json()["message"] == "Invalid apikey"
        assert client.get("/web/version").json()["version_info"][0] == 19


def test_rpc_counters(emu: OdooEmulator, x: XmlRpc, jj: JsonRpc) -> None:
    emu.reset_counters()
    x("res.partner", "search_count", [])
    jj("res.partner", "search_count", [])
    x.common.version()
    assert emu.rpc_count == 2
    assert emu.rpc_calls[("res.partner", "search_count")] == 2


def test_fault_drop_commits_but_drops_the_connection(x: XmlRpc, jj: JsonRpc) -> None:
    with OdooEmulator(fault_drop_ratio=1.0, seed=11) as flaky:
        client = JsonRpc(flaky)
        before = XmlRpc(flaky)("res.partner", "search_count", [("name", "=", "Dropped Partner")])
        with pytest.raises(httpx2.RemoteProtocolError):
            client.raw("res.partner", "create", {"name": "Dropped Partner"})
        proxy = XmlRpc(flaky)
        with pytest.raises((ConnectionError, xmlrpc.client.ProtocolError, OSError)):
            proxy("res.partner", "create", {"name": "Dropped Partner"})
        flaky.set_fault_drop_ratio(0.0)
        after = XmlRpc(flaky)("res.partner", "search_count", [("name", "=", "Dropped Partner")])
        # xmlrpc.client's Transport silently re-sends once on RemoteDisconnected: the XML-RPC create ran twice.
        assert (before, after) == (0, 3)
        assert flaky.dropped_count == 3
        client.close()
    with OdooEmulator(fault_drop_ratio=0.5, seed=5) as half:
        client = JsonRpc(half)
        outcomes = []
        for i in range(40):
            try:
                client.raw("res.partner", "create", {"name": f"Half {i}"})
                outcomes.append(True)
            except httpx2.TransportError:
                client.close()
                client = JsonRpc(half)
                outcomes.append(False)
        assert 5 < outcomes.count(False) < 35
        assert client("res.partner", "search_count", [("name", "=like", "Half %")]) == 40
        client.close()
