"""Building blocks shared by the REST/JSON partner connectors (WMS, TMS, yard, portal) and the carrier
webhook connector, so each connector folder holds only what is its own: its env prefix, its mapping
operations, its request builders and its callback operations.

* :class:`WebhookPartnerSettings` / :class:`RestPartnerSettings` — typed settings, secrets from the
  environment only (a subclass sets its ``env_prefix``);
* :class:`RestProxy` — I/O only: one ``httpx2.AsyncClient`` with explicit timeouts and limits, the API key
  added here, transport failures as :class:`~tradelane.core.errors.TransientError`;
* :class:`MappedHooks` — signature check over the raw bytes, then the document mapped to canonical events
  through the operation the document itself selects (a subclass names its ``parse_<operation>`` methods,
  which is how capabilities are detected);
* :func:`load_partner_mapping`, :func:`outbound_document` — which mapping, and the outbound document for an
  event restricted to the connector operation's mapping operations;
* :func:`raise_for_fault`, :func:`acknowledgement` — pure answer parsing shared by the mappers.

Like :mod:`tradelane.connectors.edi_common`, this module is not a connector: connectors import it, it
imports no connector.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

import httpx2
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import (
    AuthError,
    BusinessError,
    FieldProblem,
    MappingError,
    PermanentError,
    TransientError,
)
from tradelane.delivery.signing import verify
from tradelane.mapping.engine import OutboundResult, select_inbound, to_canonical, to_partner
from tradelane.mapping.loader import load_mapping
from tradelane.mapping.spec import PartnerMapping
from tradelane.ports.connector import Message, Parsed, PartnerRequest, PartnerResponse
from tradelane.ports.xref import XrefStore
from tradelane.routing.ownership import OwnershipMatrix, SystemRef, filter_event_data

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "MAX_CONNECTIONS",
    "RETRYABLE_STATUSES",
    "MappedHooks",
    "PartnerRefusal",
    "RestPartnerSettings",
    "RestProxy",
    "WebhookPartnerSettings",
    "acknowledgement",
    "delivered",
    "error_message",
    "excerpt",
    "json_body",
    "load_partner_mapping",
    "outbound_document",
    "raise_for_fault",
]

class PartnerRefusal(BusinessError):
    """The partner refused a routed event with business messages; carries the mapping version that was used."""

    def __init__(self, message: str, kind: str, mapping_version: str | None) -> None:
        super().__init__(message, kind=kind)
        #: ``partner@version`` of the mapping the refused document was built with
        self.mapping_version = mapping_version


def delivered(parsed: Parsed, kind: str) -> Parsed:
    """A connector's ``deliver`` result: ``parsed`` (whose ``mapping_version`` the delivery engine records on
    the attempt), or :class:`PartnerRefusal` when the partner answered with error messages."""
    refused = [m for m in parsed.messages if m.severity == "error"]
    if refused:
        raise PartnerRefusal("; ".join(f"{m.code}: {m.text}" for m in refused), kind, parsed.mapping_version)
    return parsed


#: seconds for one call; such systems acknowledge at once and confirm later by callback
DEFAULT_TIMEOUT_S = 15.0
#: concurrent connections to one partner system
MAX_CONNECTIONS = 8
#: statuses a later retry may cure (besides 5xx)
RETRYABLE_STATUSES = frozenset({408, 425, 429})


# -- settings ----------------------------------------------------------------------------------------------
class WebhookPartnerSettings(BaseSettings):
    """How one partner's signed callbacks are checked and mapped (a subclass sets ``env_prefix``)."""

    #: the partner's callback signing secret(s), ``whsec_…``, space-separated while rotating
    webhook_secrets: SecretStr = SecretStr("")
    #: how the partner signs its callbacks (explicit, never guessed)
    signature_scheme: Literal["standard", "github", "stripe"] = "standard"
    #: accepted clock difference on callback timestamps, seconds
    tolerance_s: int = Field(default=300, ge=1, le=3600)
    #: tenant the partner's events and cross references belong to
    tenant: str = "hub"
    #: the partner mapping file; default: the connector's shipped template
    mapping_file: Path | None = None

    def secrets(self) -> list[str]:
        """The active callback secrets (GitHub/Stripe-style secrets may hold spaces: give one only)."""
        value = self.webhook_secrets.get_secret_value()
        return value.split() if self.signature_scheme == "standard" else [value] if value else []


class RestPartnerSettings(WebhookPartnerSettings):
    """Where and how to reach one partner's REST API, plus its callbacks."""

    #: base URL of the partner's API, e.g. ``https://wms.example.com``
    base_url: str
    #: the API key we present to the partner
    api_key: SecretStr = SecretStr("")
    #: the header carrying :attr:`api_key`
    api_key_header: str = "X-Api-Key"
    #: seconds before one call times out
    timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0, le=120)


# -- I/O ---------------------------------------------------------------------------------------------------
class RestProxy:
    """Talks HTTP to one partner system; ``system`` names it in errors, ``agent`` is the user-agent."""

    def __init__(
        self,
        settings: RestPartnerSettings,
        *,
        system: str,
        agent: str,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.system = system
        headers = {"user-agent": f"{agent}/1", "accept": "application/json"}
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

        :raises TransientError: the partner could not be reached or did not answer in time
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
            raise TransientError(f"{self.system} timed out: {type(exc).__name__}") from exc
        except httpx2.TransportError as exc:
            raise TransientError(f"{self.system} unreachable: {type(exc).__name__}: {exc}") from exc
        return PartnerResponse(response.status_code, response.content, dict(response.headers))

    async def aclose(self) -> None:
        await self._client.aclose()


# -- mapping -----------------------------------------------------------------------------------------------
def load_partner_mapping(settings: WebhookPartnerSettings, template: str) -> PartnerMapping:
    """The mapping named by ``settings.mapping_file``, else the shipped ``template``.

    :raises ConfigError: when the file is missing or invalid (key and line named)
    """
    return load_mapping(str(settings.mapping_file) if settings.mapping_file else template)


async def outbound_document(
    mapping: PartnerMapping,
    outbound: Mapping[str, tuple[str, ...]],
    operation: str,
    event: CloudEvent,
    *,
    xrefs: XrefStore,
    tenant: str,
    ownership: OwnershipMatrix | None = None,
) -> OutboundResult:
    """The partner document for ``event`` through the mapping operation its type selects.

    :param outbound: connector operation → the outbound mapping operations that may serve it
    :param ownership: the system-of-record matrix: the event's data is first cut down to what this partner
        (``mapping.partner``, of kind ``mapping.kind``) may receive
    :raises MappingError: the event cannot be mapped, or its type does not belong to ``operation`` (also when a
        field the partner may not receive is one the mapping needs)
    """
    if ownership is not None:
        allowed = filter_event_data(ownership, event.type, event.data, SystemRef(mapping.partner, mapping.kind))
        if allowed.removed:
            event = event.model_copy(update={"data": allowed.document})
    result = await to_partner(mapping, event, xrefs=xrefs, tenant=tenant)
    if result.operation not in outbound[operation]:
        raise MappingError(f"{event.type} is not sent by {operation}", [FieldProblem(
            "type", f"{operation} sends {', '.join(outbound[operation])}, not {result.operation}", "operation",
            event.type)])
    return result


class MappedHooks:
    """Callbacks of one partner: signature check and document → canonical events.

    ``parse_<operation>`` methods are coroutines (the mapping engine looks cross references up through the
    :class:`~tradelane.ports.xref.XrefStore` port). Each accepts only documents of its own operation: a
    document of another operation is a :class:`~tradelane.core.errors.MappingError` naming ``operation``.
    :meth:`parse` picks the operation from the document itself.
    """

    #: connector operation → the inbound mapping operations that may serve it
    INBOUND: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    #: connector operation → the outbound mapping operations that may serve it (read by the capability
    #: detector: an outbound operation is only claimed for the event types its mapping operations map)
    OUTBOUND: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    #: the shipped mapping template used when ``settings.mapping_file`` is unset
    TEMPLATE: ClassVar[str] = ""

    def __init__(
        self,
        settings: WebhookPartnerSettings,
        xrefs: XrefStore,
        *,
        mapping: PartnerMapping | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.xrefs = xrefs
        self.mapping = mapping or load_partner_mapping(settings, self.TEMPLATE)
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
        return await self._map(document, op.name, self._connector_op(op.name))

    async def _parse(self, operation: str, body: bytes) -> Parsed:
        document = _document(body, self.mapping.ref)
        op = select_inbound(self.mapping, document)
        return await self._map(document, op.name, operation)

    async def _map(self, document: Any, mapping_op: str, operation: str) -> Parsed:
        if mapping_op not in self.INBOUND.get(operation, ()):
            raise MappingError(f"a {mapping_op} document is not a {operation}", [FieldProblem(
                "operation", f"expected a {operation} document, got {mapping_op}", "operation", mapping_op)])
        result = await to_canonical(self.mapping, document, xrefs=self.xrefs, tenant=self.settings.tenant,
                                    operation=mapping_op)
        return Parsed(events=result.events, mapping_version=str(result.mapping))

    def _connector_op(self, mapping_op: str) -> str:
        for operation, mapping_ops in self.INBOUND.items():
            if mapping_op in mapping_ops:
                return operation
        return mapping_op


def _document(body: bytes, ref: object) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MappingError(f"the callback is not JSON ({ref})", [FieldProblem(
            "body", f"not valid JSON: {exc}", "json", None)]) from exc


# -- answers -----------------------------------------------------------------------------------------------
def acknowledgement(
    response: PartnerResponse,
    what: str,
    ref_key: str,
    *,
    ok: frozenset[int] = frozenset({200, 201, 202, 204, 409}),
    refused: str | None = None,
) -> Parsed:
    """A partner's answer to a posted document: the ``ok`` statuses (409 = already known) are
    acknowledgements, 422 with ``errors`` is a refusal (returned as data); any other answer raises (see
    :func:`raise_for_fault`).

    :param what: the document in words, e.g. ``"a tender"``
    :param ref_key: the key of the partner's own reference in an acknowledgement body
    :param refused: how the permanent-error message names the partner (default: no name)
    """
    if response.status in ok:
        body = json_body(response)
        ref = body.get(ref_key) if isinstance(body, dict) else None
        verdict = "already known" if response.status == 409 else "accepted"
        text = " ".join(f"{what} {ref or ''} {verdict}".split())
        return Parsed(messages=(Message(str(response.status), text, "info"),))
    if response.status == 422:
        body = json_body(response)
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list) and errors:
            return Parsed(messages=tuple(error_message(e) for e in errors))
    raise_for_fault(response, refused or "the partner")
    who = f"{refused} answered" if refused else "answered"
    raise PermanentError(f"{who} HTTP {response.status} to {what}: {excerpt(response)}")


def raise_for_fault(response: PartnerResponse, partner: str = "the partner") -> None:
    """Raise the fault an HTTP status stands for; return for 2xx. ``partner`` names it in the message.

    :raises TransientError: 5xx, 408, 425, 429 (with ``Retry-After`` in seconds when given)
    :raises AuthError: 401, 403
    :raises PermanentError: any other non-2xx
    """
    status = response.status
    if 200 <= status < 300:
        return
    if status >= 500 or status in RETRYABLE_STATUSES:
        raise TransientError(f"{partner} answered HTTP {status}: {excerpt(response)}",
                             retry_after=_retry_after(response.headers))
    if status in (401, 403):
        raise AuthError(f"{partner} refused our credentials (HTTP {status})")
    raise PermanentError(f"{partner} answered HTTP {status}: {excerpt(response)}")


def error_message(error: Any) -> Message:
    if not isinstance(error, dict):
        return Message("ERROR", str(error))
    text = str(error.get("message", ""))
    if error.get("field"):
        text = f"{error['field']}: {text}"
    return Message(str(error.get("code", "ERROR")), text)


def json_body(response: PartnerResponse) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def excerpt(response: PartnerResponse) -> str:
    return response.body[:200].decode("utf-8", "replace")


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds; the HTTP-date form would need the clock, so it counts as absent."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return None if value is None else max(0.0, float(value))
    except ValueError:
        return None
