"""I/O only: sends a :class:`~tradelane.ports.connector.PartnerRequest` to the TMS and returns the raw answer.

One ``httpx2.AsyncClient`` per connector instance with explicit timeouts and limits; the API key is added
here (never by the mapper). Transport failures become :class:`~tradelane.core.errors.TransientError` — the
answer itself is interpreted by the mapper.
"""

from __future__ import annotations

import httpx2

from tradelane.core.errors import TransientError
from tradelane.ports.connector import PartnerRequest, PartnerResponse

from .settings import TmsRestSettings

__all__ = ["MAX_CONNECTIONS", "TmsRestProxy"]

#: concurrent connections to one TMS
MAX_CONNECTIONS = 8


class TmsRestProxy:
    """Talks HTTP to one TMS."""

    def __init__(self, settings: TmsRestSettings, *, transport: httpx2.AsyncBaseTransport | None = None) -> None:
        headers = {"user-agent": "tradelane-tms-rest/1", "accept": "application/json"}
        if settings.api_key.get_secret_value():
            headers[settings.api_key_header] = settings.api_key.get_secret_value()
        self._client = httpx2.AsyncClient(
            base_url=settings.base_url,
            headers=headers,
            timeout=httpx2.Timeout(settings.timeout_s),
            limits=httpx2.Limits(max_connections=MAX_CONNECTIONS),
            follow_redirects=False,
            trust_env=False,
            transport=transport,
        )

    async def send(self, request: PartnerRequest) -> PartnerResponse:
        """Perform ``request``; the idempotency key travels as ``Idempotency-Key``.

        :raises TransientError: the TMS could not be reached or did not answer in time
        """
        headers = dict(request.headers)
        if request.idempotency_key:
            headers["idempotency-key"] = request.idempotency_key
        body = request.body
        try:
            response = await self._client.request(
                request.method,
                request.path,
                params=dict(request.query) or None,
                headers=headers,
                json=None if isinstance(body, bytes | None) else body,
                content=body if isinstance(body, bytes) else None,
            )
        except httpx2.TimeoutException as exc:
            raise TransientError(f"TMS timed out: {type(exc).__name__}") from exc
        except httpx2.TransportError as exc:
            raise TransientError(f"TMS unreachable: {type(exc).__name__}: {exc}") from exc
        return PartnerResponse(response.status_code, response.content, dict(response.headers))

    async def aclose(self) -> None:
        await self._client.aclose()
