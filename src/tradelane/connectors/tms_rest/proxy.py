"""I/O only: sends a :class:`~tradelane.ports.connector.PartnerRequest` to the TMS and returns the raw answer.

One ``httpx2.AsyncClient`` per connector instance with explicit timeouts and limits; the API key is added
here (never by the mapper). Transport failures become :class:`~tradelane.core.errors.TransientError` — the
answer itself is interpreted by the mapper.
"""

from __future__ import annotations

import httpx2

from tradelane.connectors.rest_common import MAX_CONNECTIONS, RestProxy

from .settings import TmsRestSettings

__all__ = ["MAX_CONNECTIONS", "TmsRestProxy"]


class TmsRestProxy(RestProxy):
    """Talks HTTP to one TMS."""

    def __init__(self, settings: TmsRestSettings, *, transport: httpx2.AsyncBaseTransport | None = None) -> None:
        super().__init__(settings, system="TMS", agent="tradelane-tms-rest", transport=transport)
