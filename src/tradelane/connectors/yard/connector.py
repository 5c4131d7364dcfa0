"""The yard connector at run time: mapping engine → pure mapper → proxy, and callbacks → canonical events.

:meth:`YardConnector.deliver` is the delivery engine's destination for this partner: wrap it in a
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
from tradelane.ports.xref import XrefEntry, XrefStore
from tradelane.routing.ownership import OwnershipMatrix

from . import mapper
from . import mapping as _mapping
from .hooks import YardHooks
from .proxy import YardProxy
from .settings import YardSettings

__all__ = ["YardConnector"]


class YardConnector:
    """One yard/dock scheduling system: appointments out; confirmations and the visit in."""

    def __init__(
        self,
        settings: YardSettings,
        xrefs: XrefStore,
        *,
        proxy: YardProxy | None = None,
        clock: Callable[[], float] = time.time,
        ownership: OwnershipMatrix | None = None,
    ) -> None:
        self.settings = settings
        self.xrefs = xrefs
        #: the system-of-record matrix: outbound documents carry only what this partner may receive
        self.ownership = ownership
        self.mapping = _mapping.load(settings)
        self.proxy = proxy or YardProxy(settings)
        self.hooks = YardHooks(settings, xrefs, mapping=self.mapping, clock=clock)

    async def request_appointment(self, event: CloudEvent) -> Parsed:
        """Book (or reschedule) a slot; the yard's own reference is kept as a cross reference.

        :raises MappingError: the event cannot be mapped (every problem named)
        :raises TransientError: the partner is unreachable or answered 5xx/408/425/429
        :raises AuthError: the partner refused our key
        """
        mapped = await _mapping.outbound_document(self.mapping, "request_appointment", event, xrefs=self.xrefs,
                                                  tenant=self.settings.tenant, ownership=self.ownership)
        request = mapper.request_appointment_request(event, mapped.document, self.settings)
        response = await self.proxy.send(request)
        parsed = mapper.parse_request_appointment_response(response, self.settings)
        ref = mapper.appointment_ref(response)
        appointment_id = event.to_wire().get("data", {}).get("appointment_id")
        if ref and appointment_id and await self.xrefs.get(self.settings.tenant, self.mapping.partner,
                                                            "appointment", ref) is None:
            # the yard names the booking its own way: remember it, so its callbacks map back
            await self.xrefs.put(XrefEntry(self.settings.tenant, self.mapping.partner, "appointment", ref,
                                           appointment_id))
        return Parsed(events=parsed.events, messages=parsed.messages, mapping_version=str(mapped.mapping))

    async def receive(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        """A signed callback: verify it, then map it (``SignatureError`` / ``MappingError`` on failure)."""
        self.hooks.verify(headers, body)
        return await self.hooks.parse(headers, body)

    async def deliver(self, delivery: ClaimedDelivery) -> Parsed:
        """Send one routed event (a ``CallableSender`` destination); a refusal raises ``BusinessError``.

        Returns the parsed answer, whose ``mapping_version`` the delivery engine records on the attempt.
        """
        parsed = await self.request_appointment(CloudEvent.model_validate(delivery.event))
        return rest_common.delivered(parsed, "YardRefusal")

    async def aclose(self) -> None:
        await self.proxy.aclose()
