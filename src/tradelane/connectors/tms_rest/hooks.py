"""Inbound: verify a TMS callback's signature over the raw bytes, then map the document to canonical events.

The signature check and the document-selected mapping come from :class:`~tradelane.connectors.rest_common.MappedHooks`;
this class names the connector operations (``parse_<operation>``, how capabilities are detected).
"""

from __future__ import annotations

from collections.abc import Mapping

from tradelane.connectors.rest_common import MappedHooks
from tradelane.ports.connector import Parsed

from . import mapping as _mapping

__all__ = ["TmsRestHooks"]


class TmsRestHooks(MappedHooks):
    """Callbacks of one TMS: signature check and document → canonical events."""

    INBOUND = _mapping.INBOUND
    OUTBOUND = _mapping.OUTBOUND
    TEMPLATE = _mapping.TEMPLATE

    async def parse_tender_response(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        return await self._parse("tender_response", body)

    async def parse_tracking(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        return await self._parse("tracking", body)

    async def parse_freight_charges(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        return await self._parse("freight_charges", body)
