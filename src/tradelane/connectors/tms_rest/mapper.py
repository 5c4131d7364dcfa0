"""Pure request builders and response parsers of the TMS connector: no HTTP client, no database, no clock.

The partner document is produced beforehand by the mapping engine (cross references need the xref store);
a builder adds method, path, headers and the idempotency key, a parser reads the answer. Faults raise;
business refusals are returned as :class:`~tradelane.ports.connector.Message` data.

TMS API: ``POST /api/tenders`` (202 received, 409 already known, 422 refused with ``errors``); the decision,
milestones, ETA changes and charges come later by callback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import AuthError, PermanentError, TransientError
from tradelane.ports.connector import Message, Parsed, PartnerRequest, PartnerResponse

from .settings import TmsRestSettings

__all__ = ["TENDERS_PATH", "parse_tender_response", "raise_for_fault", "tender_request"]

#: where tenders are posted
TENDERS_PATH = "/api/tenders"
#: statuses a later retry may cure (besides 5xx)
RETRYABLE_STATUSES = frozenset({408, 425, 429})


def tender_request(event: CloudEvent, document: Mapping[str, Any], settings: TmsRestSettings) -> PartnerRequest:
    """A tender: the mapped document, keyed by the hub event id so a retry is not a second tender."""
    return PartnerRequest("tender", "POST", TENDERS_PATH, body=dict(document),
                          headers={"content-type": "application/json"}, idempotency_key=event.id)


def parse_tender_response(response: PartnerResponse, settings: Any) -> Parsed:
    """2xx and 409 already-known are acknowledgements; 422 with ``errors`` is a refusal (data)."""
    if response.status in (200, 201, 202, 204, 409):
        body = _json(response)
        ref = body.get("tenderId") if isinstance(body, dict) else None
        what = "already known" if response.status == 409 else "accepted"
        return Parsed(messages=(Message(str(response.status), f"a tender {ref or ''} {what}".strip(), "info"),))
    if response.status == 422:
        body = _json(response)
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list) and errors:
            return Parsed(messages=tuple(_message(e) for e in errors))
    raise_for_fault(response)
    raise PermanentError(f"answered HTTP {response.status} to a tender: {_excerpt(response)}")


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
