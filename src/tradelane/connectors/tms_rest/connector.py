"""The TMS connector at run time: mapping engine → pure mapper → proxy, and callbacks → canonical events.

:meth:`TmsRestConnector.deliver` is the delivery engine's destination for this partner: wrap it in a
``CallableSender`` and a failed call is retried (``TransientError``) or dead-lettered (anything else,
including the partner's business refusal as :class:`~tradelane.core.errors.BusinessError`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from tradelane.connectors import rest_common
from tradelane.core.envelope import CloudEvent
from tradelane.ports.connector import Parsed
from tradelane.ports.delivery import ClaimedDelivery
from tradelane.ports.xref import XrefStore
from tradelane.routing.ownership import OwnershipMatrix

from . import mapper
from . import mapping as _mapping
from .hooks import TmsRestHooks
from .proxy import TmsRestProxy
from .settings import TmsRestSettings

__all__ = ["TmsRestConnector"]


class TmsRestConnector:
    """One TMS: tenders out; decisions, milestones, ETAs and charges in."""

    def __init__(
        self,
        settings: TmsRestSettings,
        xrefs: XrefStore,
        *,
        proxy: TmsRestProxy | None = None,
        clock: Callable[[], float] = time.time,
        ownership: OwnershipMatrix | None = None,
    ) -> None:
        self.settings = settings
        self.xrefs = xrefs
        #: the system-of-record matrix: outbound documents carry only what this partner may receive
        self.ownership = ownership
        self.mapping = _mapping.load(settings)
        self.proxy = proxy or TmsRestProxy(settings)
        self.hooks = TmsRestHooks(settings, xrefs, mapping=self.mapping, clock=clock)

    async def tender(self, event: CloudEvent) -> Parsed:
        """Offer a shipment through the TMS; its acknowledgement or refusal comes back as messages.

        :raises MappingError: the event cannot be mapped (every problem named)
        :raises TransientError: the partner is unreachable or answered 5xx/408/425/429
        :raises AuthError: the partner refused our key
        """
        mapped = await _mapping.outbound_document(self.mapping, "tender", event, xrefs=self.xrefs,
                                                  tenant=self.settings.tenant, ownership=self.ownership)
        request = mapper.tender_request(event, mapped.document, self.settings)
        response = await self.proxy.send(request)
        parsed = mapper.parse_tender_response(response, self.settings)
        return Parsed(events=parsed.events, messages=parsed.messages, mapping_version=str(mapped.mapping))

    async def receive(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        """A signed callback: verify it, then map it (``SignatureError`` / ``MappingError`` on failure)."""
        self.hooks.verify(headers, body)
        return await self.hooks.parse(headers, body)

    async def deliver(self, delivery: ClaimedDelivery) -> Parsed:
        """Send one routed event (a ``CallableSender`` destination); a refusal raises ``BusinessError``.

        Returns the parsed answer, whose ``mapping_version`` the delivery engine records on the attempt.
        """
        parsed = await self.tender(CloudEvent.model_validate(delivery.event))
        return rest_common.delivered(parsed, "TmsRestRefusal")

    async def aclose(self) -> None:
        await self.proxy.aclose()
