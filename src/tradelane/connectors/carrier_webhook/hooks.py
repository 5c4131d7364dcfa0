"""Inbound: verify a carrier callback's signature over the raw bytes, then map the document to canonical events.

``parse_<operation>`` functions are coroutines (the mapping engine looks cross references up through the
:class:`~tradelane.ports.xref.XrefStore` port). Each accepts only documents of its own operation: a document
of another operation is a :class:`~tradelane.core.errors.MappingError` naming
``operation``. :meth:`CarrierWebhookHooks.parse` picks the operation from the document itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from tradelane.core.errors import FieldProblem, MappingError
from tradelane.delivery.signing import verify
from tradelane.mapping.engine import select_inbound, to_canonical
from tradelane.mapping.spec import PartnerMapping
from tradelane.ports.connector import Parsed
from tradelane.ports.xref import XrefStore

from . import mapping as _mapping
from .settings import CarrierWebhookSettings

__all__ = ["CarrierWebhookHooks"]


class CarrierWebhookHooks:
    """Callbacks of one carrier: signature check and document → canonical events."""

    def __init__(
        self,
        settings: CarrierWebhookSettings,
        xrefs: XrefStore,
        *,
        mapping: PartnerMapping | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.xrefs = xrefs
        self.mapping = mapping or _mapping.load(settings)
        self._clock = clock

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Check the callback's signature over the raw ``body``.

        :raises SignatureError: (an ``AuthError``) for any missing, stale or wrong signature
        """
        verify(self.settings.signature_scheme, self.settings.secrets(), headers, body, int(self._clock()),
               self.settings.tolerance_s)

    async def parse(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        """Map a callback of any inbound operation (picked from the document)."""
        document = _document(body, self.mapping.ref)
        op = select_inbound(self.mapping, document)
        return await self._map(document, op.name, _connector_op(op.name))

    async def parse_tracking(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        return await self._parse("tracking", body)

    async def parse_delivered(self, headers: Mapping[str, str], body: bytes) -> Parsed:
        return await self._parse("delivered", body)

    async def _parse(self, operation: str, body: bytes) -> Parsed:
        document = _document(body, self.mapping.ref)
        op = select_inbound(self.mapping, document)
        return await self._map(document, op.name, operation)

    async def _map(self, document: Any, mapping_op: str, operation: str) -> Parsed:
        if mapping_op not in _mapping.INBOUND.get(operation, ()):
            raise MappingError(f"a {mapping_op} document is not a {operation}", [FieldProblem(
                "operation", f"expected a {operation} document, got {mapping_op}", "operation", mapping_op)])
        result = await to_canonical(self.mapping, document, xrefs=self.xrefs, tenant=self.settings.tenant,
                                    operation=mapping_op)
        return Parsed(events=result.events, mapping_version=str(result.mapping))


def _connector_op(mapping_op: str) -> str:
    for operation, mapping_ops in _mapping.INBOUND.items():
        if mapping_op in mapping_ops:
            return operation
    return mapping_op


def _document(body: bytes, ref: object) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MappingError(f"the callback is not JSON ({ref})", [FieldProblem(
            "body", f"not valid JSON: {exc}", "json", None)]) from exc
