"""Inbound: verify a yard system callback's signature over the raw bytes, then map the document to canonical events.

The signature check and the document-selected mapping come from :class:`~tradelane.connectors.rest_common.MappedHooks`;
this class names the connector operations (``parse_<operation>``, how capabilities are detected).
"""

from __future__ import annotations

from collections.abc import Mapping

from tradelane.connectors.rest_common import MappedHooks
from tradelane.ports.connector import Parsed

from . import mapping as _mapping

__all__ = ["YardHooks"]


class YardHooks(MappedHooks):
    """Callbacks of one yard system: signature check and document → canonical events."""

    INBOUND = _mapping.INBOUND
    OUTBOUND = _mapping.OUTBOUND
    TEMPLATE = _mapping.TEMPLATE

    async def parse_appointment_confirmed(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        return await self._parse("appointment_confirmed", body)

    async def parse_gate_event(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        return await self._parse("gate_event", body)

    async def parse_dock_assigned(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        return await self._parse("dock_assigned", body)

    async def parse_tracking(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        return await self._parse("tracking", body)
