"""Turning mapped payloads into CloudEvents with ids derived from the interchange, and back.

Idempotency: an event's ``id`` is a hash of where it came from — standard, sender, receiver, interchange
control number, group and set control numbers, the set's index in the interchange and the item's index in
the set — so parsing the same file twice yields the same ids, and ingest's ``(source, id)`` dedupe drops
the repeat. ``correlationid`` ties every event of one interchange together; ``idempotencykey`` repeats the
id so consumers that key on it agree. The ``data`` of every event is validated against the payload model
registered for its type (:meth:`~tradelane.core.registry.EventTypeRegistry.typed_envelope`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

import tradelane.core.catalog  # noqa: F401  (fills the registry)
from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import FieldProblem, MappingError
from tradelane.core.model.events import EventPayload
from tradelane.core.registry import registry
from tradelane.edi.partners import PartnerSettings

__all__ = ["Mapped", "SetContext", "SetMappingError", "build_event", "event_id", "payload_of"]

#: prefix of every event id minted from an EDI document
EVENT_ID_PREFIX = "edi_"
#: hex digits of the SHA-256 kept in an event id (128 bits: collisions are not a concern)
EVENT_ID_HEX = 32


class SetMappingError(MappingError):
    """An accepted transaction set / message could not be mapped to the canonical model.

    The set produces no events; the rest of the interchange is unaffected.
    """

    def __init__(
        self,
        message: str,
        *,
        segment_tag: str = "",
        segment_position: int | None = None,
        element_position: int | None = None,
        problems: list[FieldProblem] | None = None,
    ) -> None:
        where = f"{segment_tag or 'segment'} at position {segment_position}" if segment_position else "set"
        if element_position:
            where += f", element {element_position:02d}"
        super().__init__(message, problems or [FieldProblem(path=where, message=message, code="mapping")])
        #: tag of the segment concerned
        self.segment_tag = segment_tag
        #: 1-based position of the segment in its set (ST / UNH is 1)
        self.segment_position = segment_position
        #: 1-based element position, when known
        self.element_position = element_position


@dataclass(frozen=True)
class SetContext:
    """Where a set came from: enough to derive event ids and to read partner conventions."""

    #: the partner the interchange belongs to
    partner: PartnerSettings
    #: ``X12`` or ``EDIFACT``
    standard: str
    #: ``qualifier:id`` of the interchange sender and receiver
    sender: str
    receiver: str
    #: ISA13 / UNB05
    interchange_control: str
    #: GS06 / UNG05 (empty outside groups)
    group_control: str
    #: ST02 / UNH01
    set_control: str
    #: 0-based index of the set in the interchange
    set_index: int
    #: when the partner sent the group / interchange (GS04+GS05, UNB04), in the partner's zone
    sent_at: datetime | None = None

    @property
    def correlation_id(self) -> str:
        """Shared by every event of one interchange."""
        return f"edi:{self.partner.id}:{self.interchange_control}"


@dataclass(frozen=True)
class Mapped:
    """One payload a set maps to, before it is wrapped in an envelope."""

    #: event type name
    type: str
    #: the validated payload
    payload: EventPayload
    #: when the occurrence happened
    time: datetime | None
    #: business reference for the envelope's ``subject``
    subject: str | None = None


def event_id(ctx: SetContext, item: int) -> str:
    """The deterministic id of the ``item``-th event of the set described by ``ctx``."""
    parts = (
        ctx.standard,
        ctx.sender,
        ctx.receiver,
        ctx.interchange_control,
        ctx.group_control,
        ctx.set_control,
        str(ctx.set_index),
        str(item),
    )
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:EVENT_ID_HEX]
    return EVENT_ID_PREFIX + digest


def build_event(ctx: SetContext, item: int, mapped: Mapped) -> CloudEvent:
    """Wrap a mapped payload into a CloudEvent whose ``data`` validates against the registered model.

    :raises MappingError: when the type is not registered or the envelope does not validate
    """
    typed = registry.typed_envelope(mapped.type)
    event_type = registry.get(mapped.type)
    if typed is None or event_type is None:
        raise MappingError(f"event type {mapped.type!r} is not registered")
    data = mapped.payload.model_dump(mode="json", exclude_none=True)
    key = data.get(event_type.key_field) if event_type.key_field else None
    ident = event_id(ctx, item)
    raw: dict[str, Any] = {
        "id": ident,
        "source": ctx.partner.source,
        "type": mapped.type,
        "subject": mapped.subject,
        "time": mapped.time,
        "data": data,
        "correlationid": ctx.correlation_id,
        "partitionkey": str(key) if key is not None else None,
        "idempotencykey": ident,
    }
    try:
        envelope = typed.model_validate(raw)
    except ValidationError as exc:
        problems = [
            FieldProblem(path=".".join(str(p) for p in e["loc"]), message=e["msg"], code=e["type"])
            for e in exc.errors()
        ]
        raise MappingError(f"{mapped.type}: envelope does not validate", problems) from exc
    wire = envelope.model_dump(mode="json", exclude={"data"})
    return CloudEvent.model_validate({**wire, "data": data})


def payload_of(event: CloudEvent, model: type[EventPayload]) -> EventPayload:
    """The event's ``data`` validated as ``model`` (for outbound rendering).

    :raises MappingError: when the data does not validate
    """
    try:
        return model.model_validate(event.data)
    except ValidationError as exc:
        problems = [
            FieldProblem(path="data." + ".".join(str(p) for p in e["loc"]), message=e["msg"], code=e["type"])
            for e in exc.errors()
        ]
        raise MappingError(f"{event.type}: data does not validate", problems) from exc
