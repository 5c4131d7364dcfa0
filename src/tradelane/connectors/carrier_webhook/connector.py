"""The carrier connector at run time: a signed tracking webhook → canonical milestones or a delivery with
its proof (signature image and photos as attachments)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from tradelane.ports.connector import Parsed
from tradelane.ports.xref import XrefStore

from .hooks import CarrierWebhookHooks
from .settings import CarrierWebhookSettings

__all__ = ["CarrierWebhookConnector"]


class CarrierWebhookConnector:
    """One carrier's tracking webhooks (inbound only: the carrier pushes, we never call it)."""

    def __init__(
        self, settings: CarrierWebhookSettings, xrefs: XrefStore, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self.hooks = CarrierWebhookHooks(settings, xrefs, clock=clock)
        self.mapping = self.hooks.mapping

    async def receive(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        """A signed webhook: verify it, then map it (``SignatureError`` / ``MappingError`` on failure)."""
        self.hooks.verify(headers, body)
        return await self.hooks.parse(headers, body)

    async def aclose(self) -> None:
        return None
