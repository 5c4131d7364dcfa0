"""The inbound and returns flows announce their expected receipts to the WMS (pure, over fakes of the ports):
sent when there is a WMS, counted as not sent when there is none, and a refusal opens ``wms_refused`` on the
receipt (inbound) or the return (returns), linked to the Odoo record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradelane.flows.inbound import InboundFlow
from tradelane.flows.returns import ReturnsFlow
from tradelane.ports.flows import NewException, PickingState


class FakeWms:
    def __init__(self, refusals: tuple[str, ...] = ()) -> None:
        self.refusals = refusals
        self.expected: list[Mapping[str, Any]] = []

    async def expect(self, event: Mapping[str, Any]) -> tuple[str, ...]:
        self.expected.append(event)
        return self.refusals


class FakeExceptions:
    def __init__(self) -> None:
        self.opened: list[NewException] = []

    async def open(self, new: NewException) -> tuple[None, bool]:
        self.opened.append(new)
        return None, True


class FakeDesk:
    def __init__(self, pickings: list[PickingState]) -> None:
        self.pickings = pickings

    async def picking(self, name: str) -> PickingState | None:
        return next((p for p in self.pickings if p.name == name), None)

    async def order_pickings(self, order_ref: str) -> list[PickingState]:
        return [p for p in self.pickings if p.order_ref == order_ref]


RECEIPT = PickingState(140, "WH/IN/00017", "assigned", "P00031", {"TL-1002": 20.0})
DELIVERY = PickingState(118, "WH/OUT/00042", "done", "SO0042", {"TL-1002": 3.0})


def _expected(source: str, receipt_id: str, reference: str, order_ref: str) -> dict[str, Any]:
    return {"specversion": "1.0", "id": f"x-{receipt_id}", "source": source, "type": "tradelane.receipt.expected.v1",
            "subject": reference, "data": {"receipt_id": receipt_id, "receipt": {
                "receipt_id": receipt_id, "reference": reference, "order_ref": order_ref, "location_id": "loc_dc_rtm",
                "lines": [{"line_id": "1", "product": {"sku": "TL-1002"},
                           "expected_quantity": {"value": "20", "unit": "EA"}}]}}}


def _inbound(wms: FakeWms | None, exceptions: FakeExceptions) -> InboundFlow:
    return InboundFlow(FakeDesk([RECEIPT]), None, None, None, exceptions, None,  # type: ignore[arg-type]
                       receiving=wms)


def _returns(wms: FakeWms | None, exceptions: FakeExceptions) -> ReturnsFlow:
    return ReturnsFlow(FakeDesk([DELIVERY]), None, exceptions, None, receiving=wms)  # type: ignore[arg-type]


EVENT_IN = _expected("urn:tradelane:flow:inbound", "rcpt_wh_in_00017", "WH/IN/00017", "P00031")
EVENT_RTN = _expected("urn:tradelane:flow:returns", "rtn_ret_2026_0007", "RMA-2026-0007", "SO0042")


async def test_the_inbound_flow_announces_the_expected_receipt_to_the_wms() -> None:
    wms, exceptions = FakeWms(), FakeExceptions()
    flow = _inbound(wms, exceptions)
    await flow.handle(EVENT_IN)
    assert wms.expected == [EVENT_IN] and exceptions.opened == []
    assert flow.outcomes == {"expected:sent": 1}


async def test_without_a_wms_the_expected_receipt_is_counted_not_sent() -> None:
    flow = _inbound(None, FakeExceptions())
    await flow.handle(EVENT_IN)
    assert flow.outcomes == {"expected:no_wms": 1}
    returns = _returns(None, FakeExceptions())
    await returns.handle(EVENT_RTN)
    assert returns.outcomes == {"expected:no_wms": 1}


async def test_a_wms_refusal_of_the_expected_receipt_opens_wms_refused_on_the_receipt() -> None:
    exceptions = FakeExceptions()
    flow = _inbound(FakeWms(("UNKNOWN_SKU: lines[0].sku: 'TL-1002' not in the item master",)), exceptions)
    await flow.handle(EVENT_IN)
    [exc] = exceptions.opened
    assert (exc.type, exc.severity, exc.entity_kind, exc.entity_id) == ("wms_refused", "high", "receipt",
                                                                        "WH/IN/00017")
    assert exc.owner_team == "receiving" and exc.detail.startswith("UNKNOWN_SKU: ")
    assert exc.summary == "WMS refused the expected receipt WH/IN/00017"
    assert exc.links["odoo"] == {"model": "stock.picking", "id": 140}
    assert flow.outcomes == {"exception:wms_refused": 1}


async def test_the_returns_flow_announces_the_expected_return_receipt_and_a_refusal_opens_wms_refused() -> None:
    wms, exceptions = FakeWms(), FakeExceptions()
    flow = _returns(wms, exceptions)
    await flow.handle(EVENT_RTN)
    assert wms.expected == [EVENT_RTN] and flow.outcomes == {"expected:sent": 1}
    refusing = _returns(FakeWms(("UNKNOWN_SITE: siteCode: not site RTM1",)), exceptions)
    await refusing.handle(EVENT_RTN)
    [exc] = exceptions.opened
    assert (exc.type, exc.entity_kind, exc.entity_id, exc.owner_team) == (
        "wms_refused", "return", "ret_2026_0007", "customer-service")
    assert exc.summary == "WMS refused the expected return receipt RMA-2026-0007"
    assert exc.links["odoo"] == {"model": "stock.picking", "id": 118}  # the delivery the goods come back from
