"""Property-level authorisation: pricing fields are found from the canonical model and removed."""

from __future__ import annotations

import copy
from typing import Any

from tradelane.core.examples import EXAMPLES
from tradelane.security.properties import PRICING_FIELDS, pricing_fields, strip_pricing


def money_anywhere(doc: Any) -> bool:
    if isinstance(doc, dict):
        if set(doc) == {"amount", "currency"}:
            return True
        return any(money_anywhere(v) for v in doc.values())
    if isinstance(doc, list):
        return any(money_anywhere(v) for v in doc)
    return False


def test_pricing_fields_are_derived_from_the_model() -> None:
    derived = pricing_fields()
    assert {"unit_price", "rate", "offered_rate", "amount", "total", "charges"} <= derived
    assert "lines" not in derived  # order lines merely may carry a price; they are not prices
    assert "quantity" not in PRICING_FIELDS and "currency" not in PRICING_FIELDS


def test_examples_with_money_lose_all_of_it() -> None:
    with_money = {t: d for t, d in EXAMPLES.items() if money_anywhere(d)}
    assert len(with_money) >= 3, sorted(with_money)
    for etype, data in with_money.items():
        stripped = strip_pricing(copy.deepcopy(data))
        assert not money_anywhere(stripped), etype
        assert not PRICING_FIELDS & _keys(stripped), etype


def test_examples_without_money_are_unchanged() -> None:
    without = {t: d for t, d in EXAMPLES.items() if not money_anywhere(d) and not PRICING_FIELDS & _keys(d)}
    assert len(without) > 10
    for etype, data in without.items():
        assert strip_pricing(copy.deepcopy(data)) == data, etype


def test_freight_invoice_keeps_its_identity_but_not_its_amounts() -> None:
    data = EXAMPLES["tradelane.carrier_invoice.received.v1"]
    stripped = strip_pricing(copy.deepcopy(data))
    assert stripped["invoice_id"] == data["invoice_id"]
    assert "total" in data["invoice"] and "charges" in data["invoice"]
    assert "total" not in stripped["invoice"] and "charges" not in stripped["invoice"]
    assert stripped["invoice"]["currency"] == data["invoice"]["currency"]


def test_order_lines_stay_without_their_unit_price() -> None:
    doc = {"lines": [{"line_no": 1, "sku": "A", "unit_price": {"amount": "1.50", "currency": "EUR"}}]}
    assert strip_pricing(doc) == {"lines": [{"line_no": 1, "sku": "A"}]}


def test_money_shaped_values_go_whatever_their_key() -> None:
    doc = {
        "attributes": {"declared": {"amount": "10", "currency": "USD"}, "colour": "red"},
        "list": [{"amount": "1", "currency": "EUR"}, 3],
        "Price": 4,
        "TOTAL": 5,
    }
    assert strip_pricing(doc) == {"attributes": {"colour": "red"}, "list": [3]}


def test_input_is_not_modified() -> None:
    doc = {"rate": {"amount": "1", "currency": "EUR"}, "id": "x"}
    before = copy.deepcopy(doc)
    assert strip_pricing(doc) == {"id": "x"}
    assert doc == before


def _keys(doc: Any) -> set[str]:
    if isinstance(doc, dict):
        return {k.lower() for k in doc} | set().union(*(_keys(v) for v in doc.values()))
    if isinstance(doc, list):
        return set().union(*(_keys(v) for v in doc)) if doc else set()
    return set()


def test_strip_pricing_json_matches_strip_pricing_and_skips_clean_documents() -> None:
    import orjson

    from tradelane.security.properties import strip_pricing_json

    for etype, data in EXAMPLES.items():
        body = orjson.dumps({"type": etype, "data": data})
        assert orjson.loads(strip_pricing_json(body)) == strip_pricing(orjson.loads(body)), etype
    clean = b'{"data":{"shipment_id":"S1","status":"in_transit"}}'
    assert strip_pricing_json(clean) is clean  # nothing to strip: returned unparsed
    assert orjson.loads(strip_pricing_json(b'{"data":{"Unit_Price":1,"x":2}}')) == {"data": {"x": 2}}
    hidden = strip_pricing_json(b'{"data":{"\\u0061mount":{"amount":"1","currency":"EUR"},"x":1}}')
    assert orjson.loads(hidden) == {"data": {"x": 1}}  # an escaped key is not a way around it
