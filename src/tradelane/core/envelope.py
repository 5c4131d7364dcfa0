"""The event envelope: CloudEvents 1.0 (structured JSON mode) as our own pydantic model, plus extensions.

Extensions (all lower-case alphanumerics, as CloudEvents requires):

* ``correlationid`` – ties every event of one business transaction together (an order and all it caused)
* ``causationid``   – the id of the event that directly caused this one
* ``partitionkey``  – the aggregate id (shipment id, order id …); ordering is per partition key
* ``sequence``      – a per-aggregate, strictly increasing integer set by the producer, when it has one
* ``idempotencykey``– the producer's own key for the effect this event asks for

The ``data`` member is validated against the payload model registered for ``type`` (see
:mod:`tradelane.core.registry`); ingest stores the validated, normalised form.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["SPECVERSION", "CloudEvent", "utc_now"]

SPECVERSION: Literal["1.0"] = "1.0"

_EXT_NAME = re.compile(r"^[a-z0-9]{1,20}$")


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event with Tradelane's extensions. Immutable."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    #: CloudEvents spec version; always ``1.0``
    specversion: Literal["1.0"] = SPECVERSION
    #: producer-unique id; ``source`` + ``id`` identify the event (the dedupe key)
    id: str = Field(min_length=1, max_length=200)
    #: URI-reference of the producer, e.g. ``/partners/acme-wms`` or ``odoo://prod``
    source: str = Field(min_length=1, max_length=500)
    #: registered event type, ``tradelane.<entity>.<verb>.v<N>``
    type: str = Field(min_length=1, max_length=200)
    #: the subject within the source (often the aggregate's business reference)
    subject: str | None = Field(default=None, max_length=500)
    #: when the occurrence happened; timezone-aware, normalised to UTC
    time: datetime | None = None
    #: media type of ``data``; only JSON is accepted
    datacontenttype: Literal["application/json"] = "application/json"
    #: URI of the JSON Schema of ``data`` (informational)
    dataschema: str | None = Field(default=None, max_length=500)
    #: the payload, validated against the registered model for ``type``
    data: dict[str, Any] = Field(default_factory=dict)
    #: see module docstring
    correlationid: str | None = Field(default=None, max_length=200)
    #: see module docstring
    causationid: str | None = Field(default=None, max_length=200)
    #: see module docstring
    partitionkey: str | None = Field(default=None, max_length=200)
    #: see module docstring
    sequence: int | None = Field(default=None, ge=0)
    #: see module docstring
    idempotencykey: str | None = Field(default=None, max_length=255)

    @field_validator("time")
    @classmethod
    def _aware_utc(cls, v: datetime | None) -> datetime | None:
        if v is None:
            return None
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError("datetime must be timezone-aware (add 'Z' or an offset)")
        return v.astimezone(UTC)

    def to_wire(self) -> dict[str, Any]:
        """The structured-mode JSON object (``None`` members omitted)."""
        out = self.model_dump(mode="json", exclude_none=True)
        return out
