"""Operations against a scripted Odoo: call shapes, batching, the backorder wizard, replays, change polling."""

from __future__ import annotations

from datetime import date
from typing import Any

from tradelane.connectors.odoo import (
    BillLine,
    CarrierBill,
    ChangeCursor,
    NoteRequest,
    PartnerData,
    PickLine,
    RecordRef,
    ShipConfirmation,
    poll_changes,
    post_carrier_bill,
    post_note,
    ship_confirm_many,
    upsert_partners,
)
from tradelane.connectors.odoo.common import xmlid_name

PICK = {
    "id": 29,
    "name": "WH/OUT/00015",
    "picking_type_code": "outgoing",
    "location_id": [8, "WH/Stock"],
    "location_dest_id": [5, "Partners/Customers"],
    "carrier_id": False,
    "carrier_tracking_ref": False,
    "carrier_price": 0.0,
    "backorder_ids": [],
}


def _script_picking(fake: Any, state: dict[str, Any], wizard: bool) -> None:
    def pickings(args: list[Any], kwargs: dict[str, Any]) -> Any:
        return [{**PICK, "state": state["state"], **state.get("extra", {})}]

    def validate(args: list[Any], kwargs: dict[str, Any]) -> Any:
        if wizard:
            return {
                "res_model": "stock.backorder.confirmation",
                "type": "ir.actions.act_window",
                "context": {"button_validate_picking_ids": args[0], "default_show_transfers": False},
            }
        state["state"] = "done"
        state["extra"] = {"backorder_ids": [30]}
        return True

    def process(args: list[Any], kwargs: dict[str, Any]) -> Any:
        state["state"] = "done"
        state["extra"] = {"backorder_ids": [30]}
        return True

    def write_picking(args: list[Any], kwargs: dict[str, Any]) -> Any:
        state.setdefault("extra", {}).update(kwargs["vals"])
        return True

    fake.route("stock.picking", "search_read", pickings)
    fake.route(
        "stock.move",
        "search_read",
        [
            {
                "id": 53,
                "picking_id": [29, "WH/OUT/00015"],
                "product_id": [44, "[SKU1] Widget"],
                "product_uom_qty": 10.0,
                "product_uom": [1, "Units"],
                "location_id": [8, "WH/Stock"],
                "location_dest_id": [5, "Partners/Customers"],
                "state": "assigned",
            }
        ],
    )
    fake.route(
        "stock.move.line",
        "search_read",
        [
            {
                "id": 44,
                "move_id": [53, "x"],
                "quantity": 10.0,
                "picked": False,
                "lot_id": False,
                "lot_name": False,
                "result_package_id": False,
            }
        ],
    )
    fake.route("product.product", "search_read", [{"id": 44, "default_code": "SKU1"}])
    fake.route("stock.move.line", "write", True)
    fake.route("stock.picking", "button_validate", validate)
    fake.route("stock.backorder.confirmation", "create", 9)
    fake.route("stock.backorder.confirmation", "process", process)
    fake.route("ir.model.data", "search_read", [])
    fake.route("stock.picking", "write", write_picking)


def _confirmation(backorder: bool = True) -> ShipConfirmation:
    return ShipConfirmation(
        picking_ref="WH/OUT/00015",
        lines=(PickLine("SKU1", 6.0),),
        hub_event_id="evt-1",
        tracking_ref="TRK-1",
        shipping_cost=12.5,
        backorder=backorder,
    )


async def test_partial_ship_confirm_goes_through_the_backorder_wizard(client: Any, fake: Any) -> None:
    state: dict[str, Any] = {"state": "assigned"}
    _script_picking(fake, state, wizard=True)
    [result] = await ship_confirm_many(client, [_confirmation()])
    assert result.state == "done" and result.backorder_ids == (30,) and not result.already_done
    assert result.tracking_ref == "TRK-1" and result.carrier_price == 12.5

    calls = {f"{m}.{meth}": (a, k) for m, meth, a, k in fake.calls}
    assert calls["stock.move.line.write"] == ([[44]], {"vals": {"quantity": 6.0, "picked": True}})
    validate_ctx = calls["stock.picking.button_validate"][1]["context"]
    assert validate_ctx["skip_backorder"] is True and validate_ctx["picking_ids_not_to_backorder"] == []
    create_args, create_kw = calls["stock.backorder.confirmation.create"]
    assert create_args == [[{}]]
    assert create_kw["context"]["button_validate_picking_ids"] == [29]
    assert calls["stock.backorder.confirmation.process"] == ([[9]], {"context": create_kw["context"]})
    order = fake.methods()
    # the tracking number is written after validation (reference §2.6)
    assert order.index("stock.picking.write") > order.index("stock.backorder.confirmation.process")
    assert calls["stock.picking.write"][1]["vals"] == {"carrier_tracking_ref": "TRK-1", "carrier_price": 12.5}


async def test_without_backorder_the_context_names_the_picking(client: Any, fake: Any) -> None:
    _script_picking(fake, {"state": "assigned"}, wizard=False)
    await ship_confirm_many(client, [_confirmation(backorder=False)])
    ctx = next(k for m, meth, a, k in fake.calls if meth == "button_validate")["context"]
    assert ctx["picking_ids_not_to_backorder"] == [29]


async def test_replay_of_a_done_picking_writes_nothing(client: Any, fake: Any) -> None:
    state = {"state": "done", "extra": {"carrier_tracking_ref": "TRK-1", "carrier_price": 12.5}}
    _script_picking(fake, state, wizard=False)
    [result] = await ship_confirm_many(client, [_confirmation()])
    assert result.already_done and result.state == "done"
    assert not [c for c in fake.methods() if c.endswith((".write", ".button_validate", ".create"))]


async def test_partner_upsert_is_batched(client: Any, fake: Any) -> None:
    known = xmlid_name("partner", "P1")
    fake.route("ir.model.data", "search_read", [{"name": known, "model": "res.partner", "res_id": 101}])
    fake.route("res.country", "search_read", [{"id": 21, "code": "BE"}])
    fake.route(
        "res.partner",
        "search_read",
        [
            {"id": 101, "ref": "P1", "name": "Old name", "is_company": True, "country_id": [21, "Belgium"]},
            {"id": 102, "ref": "P2", "name": "Two", "is_company": True, "country_id": [21, "Belgium"]},
        ],
    )
    fake.route("res.partner", "create", lambda a, k: [103, 104])
    fake.route("res.partner", "write", True)
    fake.route("ir.model.data", "create", lambda a, k: list(range(len(a[0]))))
    fake.route("res.partner", "read", lambda a, k: [{"id": i} for i in a[0]])
    partners = [
        PartnerData(f"P{i}", "Two" if i == 2 else f"Name {i}", country_code="be") for i in range(1, 5)
    ]
    results = await upsert_partners(client, partners)
    assert [(r.key, r.id, r.created, r.updated) for r in results] == [
        ("P1", 101, False, True),
        ("P2", 102, False, False),
        ("P3", 103, True, False),
        ("P4", 104, True, False),
    ]
    assert fake.methods() == [
        "res.country.search_read",
        "ir.model.data.search_read",
        "res.partner.search_read",
        "res.partner.create",
        "res.partner.write",
        "ir.model.data.create",
        "res.partner.read",
    ]
    calls = {f"{m}.{meth}": (a, k) for m, meth, a, k in fake.calls}
    assert [v["ref"] for v in calls["res.partner.create"][0][0]] == ["P3", "P4"]
    assert calls["res.partner.write"] == ([[101]], {"vals": {"name": "Name 1"}})
    assert {x["res_id"] for x in calls["ir.model.data.create"][0][0]} == {102, 103, 104}


async def test_carrier_bill_with_known_reference_is_not_created_again(client: Any, fake: Any) -> None:
    fake.route("res.partner", "search_read", [{"id": 7}])
    fake.route(
        "account.move",
        "search_read",
        [
            {
                "id": 55,
                "name": "BILL/2026/11/0002",
                "state": "posted",
                "move_type": "in_invoice",
                "amount_total": 45.5,
            }
        ],
    )
    fake.route(
        "account.move",
        "read",
        [{"id": 55, "name": "BILL/2026/11/0002", "state": "posted", "amount_total": 45.5}],
    )
    bill = CarrierBill("CARRIER-V", "INV-889", date(2026, 11, 20), (BillLine("Freight", 42.0),), "evt-bill")
    result = await post_carrier_bill(client, bill)
    assert result.invoice_id == 55 and not result.created and result.state == "posted"
    domain = next(a for m, meth, a, k in fake.calls if m == "account.move" and meth == "search_read")[0]
    assert ["ref", "=", "INV-889"] in domain and ["partner_id", "=", 7] in domain
    assert "account.move.create" not in fake.methods() and "account.move.action_post" not in fake.methods()


async def test_note_is_posted_once_per_event(client: Any, fake: Any) -> None:
    messages: list[dict[str, Any]] = []

    def search(args: list[Any], kwargs: dict[str, Any]) -> Any:
        marker = args[0][2][2]
        return [{"id": m["id"]} for m in messages if marker in m["body"]]

    def post(args: list[Any], kwargs: dict[str, Any]) -> Any:
        messages.append({"id": 341, "body": kwargs["body"]})
        return 341

    fake.route("mail.message", "search_read", search)
    fake.route("stock.picking", "message_post", post)
    req = NoteRequest(RecordRef("stock.picking", 29), "Carrier exception: <address> not found", "evt-7")
    assert await post_note(client, req) == 341
    assert await post_note(client, req) == 341
    assert len(messages) == 1
    assert "&lt;address&gt;" in messages[0]["body"] and "[tradelane:evt-7]" in messages[0]["body"]
    post_kwargs = next(k for m, meth, a, k in fake.calls if meth == "message_post")
    assert post_kwargs["subtype_xmlid"] == "mail.mt_note" and post_kwargs["body_is_html"] is True


# -- change polling -----------------------------------------------------------------------------------------
def _matches(row: dict[str, Any], domain: list[Any]) -> bool:
    """A tiny evaluator of prefix-notation domains (``|``, ``&``, ``=``, ``>``, ``>=``, ``not in``).

    Like real Odoo, a row's ``write_date`` is compared with its hidden microseconds (``_exact``) while reads
    show it truncated to the second: ``= '<second>'`` never matches, ``> '<second>'`` matches that second.
    """

    def evaluate(pos: int) -> tuple[bool, int]:
        item = domain[pos]
        if item in ("|", "&"):
            left, nxt = evaluate(pos + 1)
            right, end = evaluate(nxt)
            return (left or right) if item == "|" else (left and right), end
        field, op, value = item
        current = row.get("_exact", row[field]) if field == "write_date" else row[field]
        ops = {
            "=": lambda: current == value,
            ">": lambda: current > value,
            ">=": lambda: current >= value,
            "in": lambda: current in value,
            "not in": lambda: current not in value,
        }
        return ops[op](), pos + 1

    pos, ok = 0, True
    while pos < len(domain):
        value, pos = evaluate(pos)
        ok = ok and value
    return ok


def _odoo_rows(rows: list[dict[str, Any]], domain: list[Any], limit: int) -> list[dict[str, Any]]:
    """Rows matching ``domain`` in ``write_date asc, id asc`` order (by the hidden microseconds), as read."""
    hits = sorted((r for r in rows if _matches(r, domain)), key=lambda r: (r["_exact"], r["id"]))
    return [{k: v for k, v in r.items() if k != "_exact"} for r in hits[:limit]]


def _stamp(second: str, micro: int) -> dict[str, str]:
    return {"write_date": second, "_exact": f"{second}.{micro:06d}"}


async def test_poll_pages_by_keyset_and_dedupes_the_overlap(client: Any, fake: Any) -> None:
    # inside one second the hidden microseconds run against the ids: paging must not rely on id order
    rows = [
        {"id": i, **_stamp(f"2026-11-22 09:48:{i // 3:02d}", 900_000 - i * 1000), "name": f"S{i}"}
        for i in range(1, 8)
    ]

    def search_read(args: list[Any], kwargs: dict[str, Any]) -> Any:
        assert kwargs["order"] == "write_date asc, id asc"
        return _odoo_rows(rows, args[0], kwargs["limit"])

    fake.route("sale.order", "search_read", search_read)
    first = await poll_changes(client, ChangeCursor("sale.order"), ["name"], page_size=3)
    assert [r["id"] for r in first.records] == [2, 1, 5, 4, 3, 7, 6]
    assert len(fake.calls) == 3  # 3 + 3 + 1 rows
    assert first.cursor.watermark == "2026-11-22 09:48:02"

    # a late commit with an older write_date, and a record written again in the same second
    rows.append({"id": 8, **_stamp("2026-11-22 09:48:01", 1), "name": "late"})
    rows[0].update(_stamp("2026-11-22 09:48:02", 999_999))
    second = await poll_changes(client, ChangeCursor.from_dict(first.cursor.to_dict()), ["name"], page_size=3)
    assert sorted(r["id"] for r in second.records) == [1, 8]
    third = await poll_changes(client, second.cursor, ["name"], page_size=3)
    assert third.records == ()


async def test_poll_stops_at_the_page_limit_and_resumes(client: Any, fake: Any) -> None:
    rows: list[dict[str, Any]] = [
        {"id": i, **_stamp("2026-11-22 10:00:00", 500_000 - i), "name": f"S{i}"} for i in range(1, 11)
    ]
    fake.route("sale.order", "search_read", lambda a, k: _odoo_rows(rows, a[0], k["limit"]))
    first = await poll_changes(client, ChangeCursor("sale.order"), ["name"], page_size=2, max_pages=2)
    assert first.more and [r["id"] for r in first.records] == [10, 9, 8, 7]
    resumed = ChangeCursor.from_dict(first.cursor.to_dict())
    assert resumed.resume_after == ("2026-11-22 10:00:00", (7, 8, 9, 10))
    second = await poll_changes(client, resumed, ["name"], page_size=2, max_pages=10)
    assert [r["id"] for r in second.records] == [6, 5, 4, 3, 2, 1] and not second.more


async def test_poll_emits_a_same_second_update(client: Any, fake: Any) -> None:
    rows = [{"id": 1, **_stamp("2026-11-22 09:48:01", 250_000), "name": "S1"}]
    fake.route("sale.order", "search_read", lambda a, k: _odoo_rows(rows, a[0], k["limit"]))
    first = await poll_changes(client, ChangeCursor("sale.order"), ["name"])
    assert [r["id"] for r in first.records] == [1]
    assert (await poll_changes(client, first.cursor, ["name"])).records == ()
    rows[0] = {**rows[0], "name": "renamed"}  # written again within the same (truncated) second
    again = await poll_changes(client, ChangeCursor.from_dict(first.cursor.to_dict()), ["name"])
    assert [r["name"] for r in again.records] == ["renamed"]
