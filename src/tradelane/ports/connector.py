"""The connector port: how a partner system plugs in — a pure mapper, an I/O-only proxy, inbound hooks.

A connector is one package (``connectors/<id>/``) whose ``METADATA`` is a :class:`ConnectorSpec`. Its parts:

* **mapper** — pure functions per outbound operation: ``<op>_request(event, settings) -> PartnerRequest``
  builds what to send from a canonical event; ``parse_<op>_response(response, settings) -> Parsed`` reads the
  answer. No HTTP client, no database, no clock.
* **proxy** — I/O only: ``async <op>(request) -> PartnerResponse`` (or one ``async send(request)`` for all
  operations): URLs, auth headers, pagination. It returns raw responses and never interprets them.
* **hooks** — inbound: ``verify(headers, body)`` checks a webhook's signature (raises
  :class:`~tradelane.core.errors.AuthError`), ``parse_<op>(headers, body) -> Parsed`` maps a partner
  document to canonical events.

Which operations a connector offers is *detected* from the functions it implements (as karrio's gateway
does), never declared by hand: :data:`OPERATIONS` is the vocabulary, :func:`implemented_operations` the
detector. Partner business refusals are data (``Parsed.messages``); exceptions are faults.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from tradelane.core.catalog import EventName
from tradelane.core.envelope import CloudEvent

__all__ = [
    "OPERATIONS",
    "ConnectorSpec",
    "Direction",
    "Hooks",
    "InboundParser",
    "Mapper",
    "Message",
    "OperationSpec",
    "Parsed",
    "PartnerRequest",
    "PartnerResponse",
    "Proxy",
    "ProxyCall",
    "RequestBuilder",
    "ResponseParser",
    "implemented_operations",
]


class Direction(StrEnum):
    """Which way an operation moves data."""

    #: hub → partner: the mapper builds a request from a canonical event, the proxy sends it
    OUTBOUND = "outbound"
    #: partner → hub: the hooks turn a partner document into canonical events
    INBOUND = "inbound"


@dataclass(frozen=True)
class OperationSpec:
    """One operation of the vocabulary."""

    #: the operation name; mapper/proxy/hooks functions are named after it
    name: str
    #: outbound or inbound
    direction: Direction
    #: the canonical event types it consumes (outbound) or produces (inbound)
    event_types: tuple[str, ...]
    #: what it does
    description: str


_OUT, _IN = Direction.OUTBOUND, Direction.INBOUND

#: the operations connectors may implement; capabilities are computed against this list
OPERATIONS: tuple[OperationSpec, ...] = (
    OperationSpec("release_order", _OUT, (EventName.ORDER_RELEASED,), "release an order to a warehouse"),
    OperationSpec("cancel_order", _OUT, (EventName.ORDER_CANCELLED,), "cancel an order at a partner"),
    OperationSpec("expect_receipt", _OUT, (EventName.RECEIPT_EXPECTED,), "announce goods to a receiving site"),
    OperationSpec("tender", _OUT, (EventName.SHIPMENT_TENDERED,), "offer a shipment to a carrier or TMS"),
    OperationSpec("request_appointment", _OUT, (EventName.APPOINTMENT_REQUESTED,), "ask a site for a dock slot"),
    OperationSpec("publish_status", _OUT, (EventName.SHIPMENT_MILESTONE, EventName.SHIPMENT_ETA_CHANGED,
                                           EventName.SHIPMENT_DELIVERED), "tell a customer where goods are"),
    OperationSpec("sync_product", _OUT, (EventName.PRODUCT_UPSERTED,), "send product master data"),
    OperationSpec("sync_party", _OUT, (EventName.PARTY_UPSERTED,), "send business partner master data"),
    OperationSpec("track", _OUT, (EventName.SHIPMENT_MILESTONE,), "poll a carrier for tracking updates"),
    OperationSpec("pick_confirm", _IN, (EventName.SHIPMENT_PICKED,), "goods picked, with lots"),
    OperationSpec("pack_confirm", _IN, (EventName.SHIPMENT_PACKED,), "goods packed into SSCC-labelled units"),
    OperationSpec("ship_confirm", _IN, (EventName.SHIPMENT_SHIPPED,), "goods left the warehouse"),
    OperationSpec("inventory_snapshot", _IN, (EventName.INVENTORY_SNAPSHOT,), "stock levels at a site"),
    OperationSpec("receipt_confirm", _IN, (EventName.RECEIPT_COMPLETED,), "goods received, with differences"),
    OperationSpec("tender_response", _IN, (EventName.SHIPMENT_BOOKED, EventName.SHIPMENT_TENDER_REJECTED),
                  "a carrier accepted or declined a tender"),
    OperationSpec("tracking", _IN, (EventName.SHIPMENT_MILESTONE, EventName.SHIPMENT_ETA_CHANGED),
                  "milestones, exceptions and ETA changes"),
    OperationSpec("delivered", _IN, (EventName.SHIPMENT_DELIVERED,), "proof of delivery"),
    OperationSpec("freight_charges", _IN, (EventName.FREIGHT_CHARGED,), "charges reported for a shipment"),
    OperationSpec("appointment_confirmed", _IN, (EventName.APPOINTMENT_CONFIRMED,), "a site confirmed a slot"),
    OperationSpec("gate_event", _IN, (EventName.GATE_CHECKED_IN, EventName.GATE_CHECKED_OUT),
                  "a trailer passed a gate"),
    OperationSpec("dock_assigned", _IN, (EventName.DOCK_ASSIGNED,), "a trailer was sent to a door"),
    OperationSpec("order_intake", _IN, (EventName.ORDER_CREATED, EventName.ORDER_AMENDED,
                                        EventName.ORDER_CANCELLED), "orders and amendments from customers"),
)


@dataclass(frozen=True)
class PartnerRequest:
    """What a mapper wants sent: built purely from a canonical event."""

    #: the operation it belongs to
    operation: str
    #: HTTP method (or the transport's verb)
    method: str
    #: path relative to the partner's base URL
    path: str
    #: JSON-ready body, or raw bytes
    body: Any = None
    #: extra headers (never credentials: the proxy adds those)
    headers: Mapping[str, str] = field(default_factory=dict)
    #: query parameters
    query: Mapping[str, str] = field(default_factory=dict)
    #: the key the partner deduplicates on, when it supports one
    idempotency_key: str | None = None


@dataclass(frozen=True)
class PartnerResponse:
    """What a proxy got back, uninterpreted."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class Message:
    """A business message from the partner (a refusal, a warning): data, not an exception."""

    #: the partner's code
    code: str
    #: the partner's text
    text: str
    #: ``error``, ``warning`` or ``info``
    severity: str = "error"


@dataclass(frozen=True)
class Parsed:
    """The result of parsing a partner document or response."""

    #: canonical events it yields
    events: tuple[CloudEvent, ...] = ()
    #: the partner's business messages
    messages: tuple[Message, ...] = ()
    #: the mapping version used, to record on the message (``partner@version``)
    mapping_version: str | None = None


class RequestBuilder(Protocol):
    """A mapper's ``<op>_request``: pure, canonical event → request."""

    def __call__(self, event: CloudEvent, settings: Any) -> PartnerRequest: ...


class ResponseParser(Protocol):
    """A mapper's ``parse_<op>_response``: pure, response → events and business messages."""

    def __call__(self, response: PartnerResponse, settings: Any) -> Parsed: ...


class ProxyCall(Protocol):
    """A proxy's ``<op>`` (or ``send``): performs the I/O, returns the raw response."""

    async def __call__(self, request: PartnerRequest) -> PartnerResponse: ...


class InboundParser(Protocol):
    """A hook's ``parse_<op>``: partner document → canonical events (after ``verify``)."""

    def __call__(self, headers: Mapping[str, str], body: bytes) -> Parsed: ...


@runtime_checkable
class Mapper(Protocol):
    """Marker for a connector's pure mapper: ``<op>_request`` and ``parse_<op>_response`` functions."""


@runtime_checkable
class Proxy(Protocol):
    """Marker for a connector's I/O-only proxy: ``async <op>(request)`` or ``async send(request)``."""


@runtime_checkable
class Hooks(Protocol):
    """Inbound hooks: ``verify(headers, body)`` and ``parse_<op>(headers, body)`` functions."""

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise :class:`~tradelane.core.errors.AuthError` unless the signature is valid."""
        ...


@dataclass(frozen=True)
class ConnectorSpec:
    """What a connector package exposes as ``METADATA``."""

    #: unique connector id, e.g. ``acme_tms``
    id: str
    #: ``wms``, ``tms``, ``carrier``, ``yard``, ``portal``, ``erp`` or ``edi``
    kind: str
    #: the pure mapper (module or object with the operation functions)
    mapper: Any = None
    #: the proxy (class or object with the operation coroutines)
    proxy: Any = None
    #: the inbound hooks (module or object)
    hooks: Any = None
    #: the typed settings class (secrets read from the environment, never from YAML)
    settings: type | None = None
    #: one line saying what system this connects
    description: str = ""


def _has(obj: Any, name: str) -> bool:
    return obj is not None and callable(getattr(obj, name, None))


def implemented_operations(spec: ConnectorSpec) -> tuple[OperationSpec, ...]:
    """The operations of :data:`OPERATIONS` that ``spec`` implements.

    Outbound: the mapper has ``<op>_request`` and ``parse_<op>_response`` and the proxy has ``<op>`` or
    ``send``. Inbound: the hooks have ``parse_<op>``.
    """
    found = []
    for op in OPERATIONS:
        if op.direction is Direction.OUTBOUND:
            ok = (
                _has(spec.mapper, f"{op.name}_request")
                and _has(spec.mapper, f"parse_{op.name}_response")
                and (_has(spec.proxy, op.name) or _has(spec.proxy, "send"))
            )
        else:
            ok = _has(spec.hooks, f"parse_{op.name}")
        if ok:
            found.append(op)
    return tuple(found)
