"""Pure parts of the Odoo connector: version dialects, error translation, helpers, webhook parsing, exports."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta, timezone

import pytest

import tradelane.connectors.odoo as odoo_pkg
from tradelane.connectors.odoo import dialect_for, parse_automation_webhook
from tradelane.connectors.odoo.common import event_marker, grouped_writes, to_odoo_datetime, xmlid_name
from tradelane.connectors.odoo.errors import (
    from_json2_error,
    from_jsonrpc_error,
    from_xmlrpc_fault,
    is_unmarshallable_return,
)
from tradelane.connectors.odoo.transfers import result_from_row
from tradelane.core.errors import AuthError, BusinessError, MappingError, PermanentError, TransientError


def test_quantity_fields_per_version() -> None:
    v16, v17, v18, v19 = (dialect_for(v) for v in ("16.0", "17.0", "saas~18.4", [19, 0, 0]))
    assert v16.move_line_qty_field == "qty_done" and not v16.has_picked_flag
    assert v16.picked_line_vals(3) == {"qty_done": 3}
    assert v16.validate_context == {"skip_immediate": True}
    assert v17.move_line_qty_field == "quantity" and v17.picked_line_vals(3) == {
        "quantity": 3,
        "picked": True,
    }
    assert v17.move_qty_field == "quantity" and v16.move_qty_field == "quantity_done"
    assert v18.major == 18 and v19.has_json2 and not v18.has_json2


def test_product_type_per_version() -> None:
    assert dialect_for("17.0").product_type_vals("storable") == {"detailed_type": "product"}
    assert dialect_for("16.0").product_type_vals("service") == {"detailed_type": "service"}
    assert dialect_for("18.0").product_type_vals("storable") == {"type": "consu", "is_storable": True}
    assert dialect_for("19.0").product_type_vals("consumable") == {"type": "consu", "is_storable": False}


def test_too_old_or_garbage_version_is_refused() -> None:
    with pytest.raises(ValueError):
        dialect_for("15.0")
    with pytest.raises(ValueError):
        dialect_for("banana")


def test_jsonrpc_error_names() -> None:
    missing = from_jsonrpc_error(
        {"code": 200, "data": {"name": "odoo.exceptions.MissingError", "message": "Record does not exist"}}
    )
    assert isinstance(missing, BusinessError) and missing.kind == "MissingError"
    assert str(missing) == "Record does not exist"
    assert isinstance(
        from_jsonrpc_error({"data": {"name": "odoo.exceptions.AccessDenied", "message": "x"}}), AuthError
    )
    serial = from_jsonrpc_error(
        {"data": {"name": "psycopg2.errors.SerializationFailure", "message": "could not serialize access"}}
    )
    assert isinstance(serial, TransientError)
    other = from_jsonrpc_error({"data": {"name": "builtins.AttributeError", "message": "no method"}})
    assert type(other) is PermanentError


def test_xmlrpc_fault_codes_and_legacy_strings() -> None:
    assert isinstance(from_xmlrpc_fault(3, "Access Denied"), AuthError)
    assert isinstance(from_xmlrpc_fault(4, "You are not allowed"), AuthError)
    assert isinstance(from_xmlrpc_fault(2, "The operation cannot be completed"), BusinessError)
    assert type(from_xmlrpc_fault(1, "Traceback\nValueError: bad")) is PermanentError
    assert "ValueError: bad" in str(from_xmlrpc_fault(1, "Traceback\nValueError: bad"))
    legacy = from_xmlrpc_fault("warning -- MissingError\n\nRecord does not exist", "")
    assert (
        isinstance(legacy, BusinessError)
        and legacy.kind == "MissingError"
        and str(legacy) == "Record does not exist"
    )
    assert isinstance(from_xmlrpc_fault("AccessDenied", "AccessDenied"), AuthError)
    assert is_unmarshallable_return("TypeError: cannot marshal None unless allow_none is enabled")
    assert not is_unmarshallable_return("ValueError: cannot marshmallow")


def test_json2_errors() -> None:
    user = from_json2_error(422, {"name": "odoo.exceptions.ValidationError", "message": "dup"})
    assert isinstance(user, BusinessError) and user.kind == "ValidationError"
    assert isinstance(
        from_json2_error(401, {"name": "werkzeug.exceptions.Unauthorized", "message": "x"}), PermanentError
    )
    assert isinstance(from_json2_error(401, "<html>"), AuthError)
    assert isinstance(from_json2_error(503, "<html>"), TransientError)
    assert isinstance(
        from_json2_error(500, {"name": "builtins.RuntimeError", "message": "x"}), TransientError
    )


def test_xmlid_names_are_stable_valid_and_distinct() -> None:
    a = xmlid_name("partner", "ACME Corp./Antwerp")
    assert a == xmlid_name("partner", "ACME Corp./Antwerp")
    assert a.startswith("partner_acme_corp_antwerp_")
    assert "." not in a and a == a.lower()
    assert xmlid_name("partner", "acme corp") != xmlid_name("partner", "ACME-CORP")  # same slug, other hash
    assert xmlid_name("partner", "acme") != xmlid_name("product", "acme")
    assert xmlid_name("partner", "###").startswith("partner_")


def test_event_marker_is_html_safe() -> None:
    assert event_marker("evt-1") == "[tradelane:evt-1]"
    assert event_marker("a<b>&") == "[tradelane:a&lt;b&gt;&amp;]"


def test_grouped_writes_merge_identical_values() -> None:
    groups = grouped_writes([(1, {"picked": True}), (2, {"picked": True}), (3, {"quantity": 2.0}), (4, {})])
    assert groups == [([1, 2], {"picked": True}), ([3], {"quantity": 2.0})]


def test_datetimes_are_sent_as_naive_utc() -> None:
    aware = datetime(2026, 12, 2, 7, 30, tzinfo=timezone(timedelta(hours=1)))
    assert to_odoo_datetime(aware) == "2026-12-02 06:30:00"
    assert to_odoo_datetime(datetime(2026, 12, 2, 6, 30, 15, 999)) == "2026-12-02 06:30:15"
    assert to_odoo_datetime(datetime(2026, 12, 2, 6, 30, tzinfo=UTC)) == "2026-12-02 06:30:00"


def test_webhook_real_payload() -> None:
    body = (
        b'{"_action": "Send Webhook Notification(#444)", "_id": 31, "_model": "sale.order",'
        b' "amount_total": 11.5, "client_order_ref": "REF-TEST-HOOK-1", "commitment_date": false, "id": 31,'
        b' "name": "S00031", "partner_id": 43, "state": "sale", "write_date": "2026-11-22 09:48:22.322283"}'
    )
    hint = parse_automation_webhook(body)
    assert (hint.model, hint.record_id, hint.action) == ("sale.order", 31, "Send Webhook Notification(#444)")
    assert hint.write_date == "2026-11-22 09:48:22"
    assert hint.values["state"] == "sale" and "_model" not in hint.values


def test_webhook_sample_payload_and_garbage() -> None:
    assert parse_automation_webhook({"_name": "stock.picking", "id": "7"}).record_id == 7
    for bad in (b"not json", b"[1]", b'{"_id": 1}', b'{"_model": "x", "_id": "abc"}'):
        with pytest.raises(MappingError):
            parse_automation_webhook(bad)


def test_exported_members_are_curated() -> None:
    public = {name for name in dir(odoo_pkg) if not name.startswith("_")}
    # submodules are bound on the package once anything imported them (applier, returns, …): never exports
    modules = {name for name in public if inspect.ismodule(getattr(odoo_pkg, name))}
    modules |= {"annotations", "Any"}
    assert sorted(odoo_pkg.__all__) == sorted(public - modules)
    exported = [getattr(odoo_pkg, n) for n in odoo_pkg.__all__ if n != "METADATA"]
    assert all(any(op is e for e in exported) for op in odoo_pkg.METADATA["operations"].values())


def test_inventory_moves_are_found_with_the_assigned_user_suffix() -> None:
    from tradelane.connectors.odoo.inventory import _moves_named
    from tradelane.testing.odoo.orm import like_regex

    domain = _moves_named("WMS_5531%")
    pattern = like_regex(domain[-1][2], wrap=False, ignore_case=False)
    # 17.0 names the move "<inventory_name> (<user>)" when the quant is assigned to a user
    assert pattern.fullmatch("WMS_5531% (Mitchell Admin)")
    assert not pattern.fullmatch("WMSx5531% (Mitchell Admin)") and not pattern.fullmatch("WMS_5531%x (A)")
    assert ("name", "=", "WMS_5531%") in domain


def test_a_zero_carrier_price_is_zero_not_unknown() -> None:
    row = {"id": 7, "name": "WH/OUT/00007", "state": "done", "carrier_price": 0.0, "carrier_id": False}
    assert result_from_row(row).carrier_price == 0.0
    assert result_from_row({**row, "carrier_price": False}).carrier_price is None
    assert result_from_row({**row, "carrier_price": 42.5}).carrier_price == 42.5
