"""Pure request builders and response parsers of the portal connector: no HTTP client, no database, no clock.

The partner document is produced beforehand by the mapping engine (cross references need the xref store);
a builder adds method, path, headers and the idempotency key, a parser reads the answer.

Portal API: ``POST /api/status`` takes a shipment status update (200/202/204; 422 refused with ``errors``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import AuthError, PermanentError, TransientError
from tradelane.ports.connector import Message, Parsed, PartnerRequest, PartnerResponse

from .settings import PortalApiSettings

__all__ = ["STATUS_PATH", "parse_publish_status_response", "publish_status_request", "raise_for_fault"]

#: where status updates are posted
STATUS_PATH = "/api/status"
#: statuses a later retry may cure (besides 5xx)
RETRYABLE_STATUSES = frozenset({408, 425, 429})


def publish_status_request(
    event: CloudEvent, document: Mapping[str, Any], settings: PortalApiSettings
) -> PartnerRequest:
    """A status update: the mapped document, keyed by the hub event id."""
    return PartnerRequest("publish_status", "POST", STATUS_PATH, body=dict(document),
                          headers={"content-type": "application/json"}, idempotency_key=event.id)


def parse_publish_status_response(response: PartnerResponse, settings: Any) -> Parsed:
    """2xx and 409 already-known are acknowledgements; 422 with ``errors`` is a refusal (data)."""
    if response.status in (200, 201, 202, 204, 409):
        body = _json(response)
        ref = body.get("shipment") if isinstance(body, dict) else None
        what = "already known" if response.status == 409 else "accepted"
        return Parsed(messages=(Message(str(response.status), f"a status update {ref or ''} {what}".strip(), "info"),))
    if response.status == 422:
        body = _json(response)
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list) and errors:
            return Parsed(messages=tuple(_message(e) for e in errors))
    raise_for_fault(response)
    raise PermanentError(f"answered HTTP {response.status} to a status update: {_excerpt(response)}")


def raise_for_fault(response: PartnerResponse) -> None:
    """Raise the fault an HTTP status stands for; return for 2xx.

    :raises TransientError: 5xx, 408, 425, 429 (with ``Retry-After`` in seconds when given)
    :raises AuthError: 401, 403
    :raises PermanentError: any other non-2xx
    """
    status = response.status
    if 200 <= status < 300:
        return
    if status >= 500 or status in RETRYABLE_STATUSES:
        raise TransientError(f"the partner answered HTTP {status}: {_excerpt(response)}",
                             retry_after=_retry_after(response.headers))
    if status in (401, 403):
        raise AuthError(f"the partner refused our credentials (HTTP {status})")
    raise PermanentError(f"the partner answered HTTP {status}: {_excerpt(response)}")


def _message(error: Any) -> Message:
    if not isinstance(error, dict):
        return Message("ERROR", str(error))
    text = str(error.get("message", ""))
    if error.get("field"):
        text = f"{error['field']}: {text}"
    return Message(str(error.get("code", "ERROR")), text)


def _json(response: PartnerResponse) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _excerpt(response: PartnerResponse) -> str:
    return response.body[:200].decode("utf-8", "replace")


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds; the HTTP-date form would need the clock, so it counts as absent."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return None if value is None else max(0.0, float(value))
    except ValueError:
        return None
