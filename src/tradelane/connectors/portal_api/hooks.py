"""Inbound: verify a portal callback's signature over the raw bytes, then map the document to canonical events.

The signature check and the document-selected mapping come from :class:`~tradelane.connectors.rest_common.MappedHooks`;
this class names the connector operations (``parse_<operation>``, how capabilities are detected).
"""

from __future__ import annotations

from collections.abc import Mapping

from tradelane.connectors.rest_common import MappedHooks
from tradelane.ports.connector import Parsed

from . import mapping as _mapping

__all__ = ["PortalApiHooks"]


class PortalApiHooks(MappedHooks):
    """Callbacks of one portal: signature check and document → canonical events."""

    INBOUND = _mapping.INBOUND
    OUTBOUND = _mapping.OUTBOUND
    TEMPLATE = _mapping.TEMPLATE

    async def parse_order_intake(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        return await self._parse("order_intake", body)
