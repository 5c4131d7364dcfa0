"""Inbound: verify a WMS callback's signature over the raw bytes, then map the document to canonical events.

The signature check and the document-selected mapping come from :class:`~tradelane.connectors.rest_common.MappedHooks`;
this class names the connector operations (``parse_<operation>``, how capabilities are detected).
"""

from __future__ import annotations

from collections.abc import Mapping

from tradelane.connectors.rest_common import MappedHooks
from tradelane.ports.connector import Parsed

from . import mapping as _mapping

__all__ = ["WmsRestHooks"]


class WmsRestHooks(MappedHooks):
    """Callbacks of one WMS: signature check and document → canonical events."""

    INBOUND = _mapping.INBOUND
    OUTBOUND = _mapping.OUTBOUND
    TEMPLATE = _mapping.TEMPLATE

    async def parse_pick_confirm(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        return await self._parse("pick_confirm", body)

    async def parse_pack_confirm(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        return await self._parse("pack_confirm", body)

    async def parse_ship_confirm(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        return await self._parse("ship_confirm", body)

    async def parse_receipt_confirm(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        return await self._parse("receipt_confirm", body)

    async def parse_inventory_snapshot(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        return await self._parse("inventory_snapshot", body)
