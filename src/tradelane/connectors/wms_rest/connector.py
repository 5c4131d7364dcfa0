"""The WMS connector at run time: mapping engine → pure mapper → proxy, and callbacks → canonical events.

:meth:`WmsRestConnector.deliver` is the delivery engine's destination for this partner (an ``order.released``
is released, a ``receipt.expected`` announced): wrap it in a ``CallableSender`` and a failed call is retried (``TransientError``) or dead-lettered (anything else,
including the WMS's business refusal as :class:`~tradelane.core.errors.BusinessError`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from tradelane.connectors import rest_common
from tradelane.core.envelope import CloudEvent
from tradelane.ports.connector import Message, Parsed
from tradelane.ports.delivery import ClaimedDelivery
from tradelane.ports.xref import XrefEntry, XrefStore
from tradelane.routing.ownership import OwnershipMatrix

from . import mapper
from . import mapping as _mapping
from .hooks import WmsRestHooks
from .proxy import WmsRestProxy
from .settings import WmsRestSettings

__all__ = ["WmsRestConnector"]

#: the event :meth:`WmsRestConnector.deliver` announces as an expected receipt (any other is a release)
EXPECTED = "tradelane.receipt.expected.v1"
#: the returns flow's expected receipts are ``rtn_<return id>``: their receipt number is also a ``return``
#: cross reference of the return, which the WMS's return confirmation maps back through
RETURN_RECEIPT_PREFIX = "rtn_"


class WmsRestConnector:
    """One WMS: order releases and expected receipts out, confirmations and stock in."""

    def __init__(
        self,
        settings: WmsRestSettings,
        xrefs: XrefStore,
        *,
        proxy: WmsRestProxy | None = None,
        clock: Callable[[], float] = time.time,
        ownership: OwnershipMatrix | None = None,
    ) -> None:
        self.settings = settings
        self.xrefs = xrefs
        #: the system-of-record matrix: outbound documents carry only what this partner may receive
        self.ownership = ownership
        self.mapping = _mapping.load(settings)
        self.proxy = proxy or WmsRestProxy(settings)
        self.hooks = WmsRestHooks(settings, xrefs, mapping=self.mapping, clock=clock)

    async def release_order(self, event: CloudEvent) -> Parsed:
        """Release an order to the WMS; the answer's acknowledgement or refusal comes back as messages.

        :raises MappingError: the event cannot be mapped (every problem named)
        :raises TransientError: the WMS is unreachable or answered 5xx/408/425/429
        :raises AuthError: the WMS refused our key
        """
        mapped = await _mapping.outbound_document(self.mapping, "release_order", event, xrefs=self.xrefs,
                                                  tenant=self.settings.tenant, ownership=self.ownership)
        request = mapper.release_order_request(event, mapped.document, self.settings)
        response = await self.proxy.send(request)
        parsed = mapper.parse_release_order_response(response, self.settings)
        return Parsed(events=parsed.events, messages=parsed.messages, mapping_version=str(mapped.mapping))

    async def expect_receipt(self, event: CloudEvent) -> Parsed:
        """Announce a ``receipt.expected`` to the WMS (an advance ship notice). The WMS's own receipt number in
        its 201 (or 409, already known) is kept as a ``receipt`` cross reference of the canonical receipt (and,
        for a return's receipt, a ``return`` cross reference of the return), so its receiving confirmation maps
        back; a refusal comes back as error messages.

        :raises MappingError: the event cannot be mapped (every problem named)
        :raises TransientError: the WMS is unreachable or answered 5xx/408/425/429
        :raises AuthError: the WMS refused our key
        """
        mapped = await _mapping.outbound_document(self.mapping, "expect_receipt", event, xrefs=self.xrefs,
                                                  tenant=self.settings.tenant, ownership=self.ownership)
        response = await self.proxy.send(mapper.expect_receipt_request(event, mapped.document, self.settings))
        parsed = mapper.parse_expect_receipt_response(response, self.settings)
        messages = parsed.messages
        number = mapper.receipt_number(response)
        receipt_id = (event.to_wire().get("data") or {}).get("receipt_id")
        if number and receipt_id:
            known = await self.xrefs.get(self.settings.tenant, self.mapping.partner, "receipt", number)
            if known is None:
                await self.xrefs.put(XrefEntry(self.settings.tenant, self.mapping.partner, "receipt", number,
                                               str(receipt_id)))
            elif known.canonical_id != receipt_id:  # a 409 naming another receipt's number: never relink
                messages += (Message("RECEIPT_CONFLICT", f"the WMS holds {mapped.document.get('asnNo')} as "
                                     f"{number}, which is receipt {known.canonical_id}, not {receipt_id}"),)
            if (known is None or known.canonical_id == receipt_id) and str(receipt_id).startswith(
                    RETURN_RECEIPT_PREFIX) and await self.xrefs.get(self.settings.tenant, self.mapping.partner,
                                                                    "return", number) is None:
                await self.xrefs.put(XrefEntry(self.settings.tenant, self.mapping.partner, "return", number,
                                               str(receipt_id).removeprefix(RETURN_RECEIPT_PREFIX)))
        return Parsed(events=parsed.events, messages=messages, mapping_version=str(mapped.mapping))

    async def fetch_inventory(self, site_code: str) -> Parsed:
        """Read one site's stock from the WMS and map it to an ``inventory.snapshot`` event."""
        response = await self.proxy.send(mapper.inventory_snapshot_request(site_code, self.settings))
        mapper.raise_for_fault(response)
        return await self.hooks.parse_inventory_snapshot(response.headers, response.body)

    async def receive(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        """A signed callback: verify it, then map it (``SignatureError`` / ``MappingError`` on failure)."""
        self.hooks.verify(headers, body)
        return await self.hooks.parse(headers, body)

    async def deliver(self, delivery: ClaimedDelivery) -> Parsed:
        """Send one routed event (a ``CallableSender`` destination); a refusal raises ``BusinessError``.

        Returns the parsed answer, whose ``mapping_version`` the delivery engine records on the attempt.
        """
        event = CloudEvent.model_validate(delivery.event)
        if event.type == EXPECTED:
            parsed = await self.expect_receipt(event)
        else:
            parsed = await self.release_order(event)
        return rest_common.delivered(parsed, "WmsRefusal")

    async def aclose(self) -> None:
        await self.proxy.aclose()

    def __repr__(self) -> str:
        return f"WmsRestConnector({self.settings.base_url!r}, mapping={self.mapping.ref})"

