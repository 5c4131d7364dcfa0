"""Resource limits over real HTTP (OWASP API4): body size, JSON depth, array length, batch size, page size
and EDI interchange size each answer a specific problem+json, and nothing is stored."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx2

from tradelane.api.edi import MAX_INTERCHANGE_BYTES
from tradelane.core.examples import EXAMPLES

MILESTONE = "tradelane.shipment.milestone.v1"


def event(**data: Any) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLES[MILESTONE])
    body.update(data)
    return {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/partners/x", "type": MILESTONE, "data": body}


def test_every_limit_has_its_own_answer(running_hub: Any) -> None:
    cfg = running_hub.hub.settings.api
    auth = {"Authorization": f"Bearer {running_hub.key('acme')}"}
    with httpx2.Client(base_url=running_hub.base_url, timeout=30, headers=auth) as c:
        long_array = event()
        long_array["data"]["attributes"] = {"pallets": list(range(cfg.max_array_items + 1))}
        r = c.post("/v1/events", json=long_array)
        assert r.status_code == 422, r.text
        assert [(e["path"], e["code"]) for e in r.json()["errors"]] == [("data.attributes.pallets", "too_many_items")]
        deep: Any = "x"
        for _ in range(cfg.max_json_depth + 1):
            deep = {"n": deep}
        r = c.post("/v1/events", json=event(attributes=deep))
        assert r.status_code == 400 and r.json()["errors"][0]["code"] == "too_deep"
        r = c.post("/v1/events", content=b'{"pad": "' + b"x" * cfg.max_body_bytes + b'"}',
                   headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
        r = c.post("/v1/events/batch", json=[event() for _ in range(cfg.max_batch_events + 1)])
        assert r.status_code == 422 and "at most" in r.text
        r = c.get("/v1/events", params={"limit": cfg.max_page_size + 1})
        assert r.status_code == 422 and r.json()["errors"][0]["path"] == "query.limit"
        r = c.post("/v1/edi/abf/interchanges", content=b"ISA" + b"*" * MAX_INTERCHANGE_BYTES)
        assert r.status_code == 413
        # an array of exactly the limit passes the cap (the model then judges it: attributes are scalars)
        fits = event()
        fits["data"]["attributes"] = {"pallets": list(range(cfg.max_array_items))}
        r = c.post("/v1/events", json=fits)
        assert r.status_code == 422 and "too_many_items" not in r.text, r.text[:300]
        assert c.post("/v1/events", json=event()).status_code == 201
    assert running_hub.call(running_hub.hub.store.count_events()) == 1
