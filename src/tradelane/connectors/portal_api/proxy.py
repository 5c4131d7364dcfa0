"""I/O only: sends a :class:`~tradelane.ports.connector.PartnerRequest` to the portal and returns the raw answer.

One ``httpx2.AsyncClient`` per connector instance with explicit timeouts and limits; the API key is added
here (never by the mapper). Transport failures become :class:`~tradelane.core.errors.TransientError` — the
answer itself is interpreted by the mapper.
"""

from __future__ import annotations

import httpx2

from tradelane.connectors.rest_common import MAX_CONNECTIONS, RestProxy

from .settings import PortalApiSettings

__all__ = ["MAX_CONNECTIONS", "PortalApiProxy"]


class PortalApiProxy(RestProxy):
    """Talks HTTP to one portal."""

    def __init__(self, settings: PortalApiSettings, *, transport: httpx2.AsyncBaseTransport | None = None) -> None:
        super().__init__(settings, system="portal", agent="tradelane-portal", transport=transport)
