"""Response excerpts on delivery attempts carry no pricing: they are shown to viewers on every surface."""

from __future__ import annotations

import orjson

from tradelane.delivery.senders import EXCERPT_BYTES, PRICING_WITHHELD, excerpt_without_pricing


def test_pricing_fields_and_money_are_stripped_from_a_json_excerpt() -> None:
    body = {
        "status": "accepted",
        "total": 1200.5,
        "quote": {"reference": "Q-7", "offered_rate": {"amount": "880.00", "currency": "EUR"}},
        "lines": [{"sku": "A1", "unit_price": 3.2}, {"amount": "1.00", "currency": "USD"}],
        "charges": [{"code": "FSC", "amount": "12.00"}],
    }
    out = excerpt_without_pricing(orjson.dumps(body).decode())
    assert out is not None
    assert orjson.loads(out) == {"status": "accepted", "quote": {"reference": "Q-7"}, "lines": [{"sku": "A1"}]}


def test_text_that_names_no_pricing_field_is_kept_and_cut() -> None:
    assert excerpt_without_pricing('{"ok":true}') == '{"ok":true}'
    assert excerpt_without_pricing("upstream timeout") == "upstream timeout"
    assert excerpt_without_pricing(None) is None and excerpt_without_pricing("") == ""
    long = "x" * 5000
    assert excerpt_without_pricing(long) == "x" * EXCERPT_BYTES


def test_an_excerpt_naming_a_pricing_field_that_does_not_parse_is_withheld() -> None:
    cut = orjson.dumps({"status": "ok", "total": 99.0, "pad": "y" * 50}).decode()[:30]  # cut mid-document
    assert '"total"' in cut
    assert excerpt_without_pricing(cut) == PRICING_WITHHELD
    assert excerpt_without_pricing('<html>"price": 12</html>') == PRICING_WITHHELD
    # an escaped key could spell a pricing name: not parseable → withheld, parseable → stripped
    assert excerpt_without_pricing('{"tot\\u0061l": 5, "a": ') == PRICING_WITHHELD
    assert excerpt_without_pricing('{"tot\\u0061l": 5, "a": 1}') == '{"a":1}'
