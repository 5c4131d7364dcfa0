"""What the carrier tells us about a shipment on the road: tracking events and proof of delivery.

A :class:`TrackingEvent` carries one canonical :class:`~tradelane.core.milestones.Milestone` together with
the partner's own status code, kept for audit. A :class:`ProofOfDelivery` records who signed, when, where, and
the documents (signature image, photos, signed CMR) as :class:`Attachment` entries — inline base64 for small
files, a URL otherwise, always with a SHA-256 so the content can be verified later.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from tradelane.core.milestones import Milestone
from tradelane.core.model.base import CanonicalModel, Identifier, Name, Position, Text, UtcDatetime
from tradelane.core.model.parties import Address
from tradelane.core.model.quantities import Quantity

__all__ = ["MAX_INLINE_ATTACHMENT_BYTES", "Attachment", "ProofOfDelivery", "TrackingEvent"]

#: largest attachment carried inline as base64 (decoded size); bigger files travel by URL
MAX_INLINE_ATTACHMENT_BYTES = 1_048_576
#: longest URL we store
MAX_URL_LENGTH = 2048

#: a media type such as ``image/png`` or ``application/pdf``
MediaType = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*$")
]
#: a SHA-256 digest in lower-case hex
Sha256 = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[0-9a-f]{64}$")]
#: an http(s) URL
HttpUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^https?://\S+$", max_length=MAX_URL_LENGTH)
]


class Attachment(CanonicalModel):
    """A document: given inline as base64 ``content`` or by ``url`` — exactly one of the two."""

    #: file name, e.g. ``pod-0042.pdf``
    name: Name
    #: media type, e.g. ``application/pdf``
    media_type: MediaType
    #: SHA-256 of the file's bytes, lower-case hex; checked against ``content`` when inline
    sha256: Sha256
    #: where to download the file
    url: HttpUrl | None = None
    #: the file's bytes, base64-encoded (standard alphabet, padded)
    content: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.url is None) == (self.content is None):
            raise PydanticCustomError("attachment_source", "give exactly one of url or content", {})
        if self.content is not None:
            data = self.decoded()
            if len(data) > MAX_INLINE_ATTACHMENT_BYTES:
                raise PydanticCustomError(
                    "attachment_too_large",
                    "inline content is {size} bytes; send files over {limit} bytes by url",
                    {"size": len(data), "limit": MAX_INLINE_ATTACHMENT_BYTES},
                )
            actual = hashlib.sha256(data).hexdigest()
            if actual != self.sha256:
                raise PydanticCustomError(
                    "sha256_mismatch",
                    "sha256 {declared} does not match the content (sha256 {actual})",
                    {"declared": self.sha256, "actual": actual},
                )
        return self

    def decoded(self) -> bytes:
        """The inline content's bytes (empty when the attachment is given by URL)."""
        if self.content is None:
            return b""
        try:
            return base64.b64decode(self.content, validate=True)
        except (binascii.Error, ValueError):
            raise PydanticCustomError("base64", "content is not valid base64", {}) from None


class TrackingEvent(CanonicalModel):
    """One status report about a shipment, mapped to a canonical milestone."""

    #: what happened
    milestone: Milestone
    #: when it happened
    occurred_at: UtcDatetime
    #: where it happened: our location id, when the place is one of ours
    location_id: Identifier | None = None
    #: where it happened, as an address (city and country at least, for carrier scans)
    address: Address | None = None
    #: GPS position reported by the driver app or telematics
    position: Position | None = None
    #: why (delay or exception reason), in words
    reason: Text | None = None
    #: the partner's reason code, kept for audit (X12 AT7-02, carrier reason code)
    reason_code: Identifier | None = None
    #: the partner's own status code, kept for audit (X12 AT7-01, carrier status)
    source_status_code: Identifier | None = None
    #: new estimated delivery time, when the event carries one
    estimated_delivery_at: UtcDatetime | None = None
    #: the carrier's scan or event id, when it has one
    carrier_event_id: Identifier | None = None


class ProofOfDelivery(CanonicalModel):
    """Evidence that the consignee received the goods."""

    #: name of the person who signed
    signee: Name
    #: when the goods were handed over
    delivered_at: UtcDatetime
    #: where the hand-over happened (driver app GPS)
    position: Position | None = None
    #: signature image, photos, signed delivery note
    documents: tuple[Attachment, ...] = ()
    #: what the consignee wrote on the delivery note ("2 cartons damaged")
    remarks: Text | None = None
    #: how many handling units were handed over, when counted
    pieces_delivered: int | None = Field(default=None, ge=0)
    #: total weight handed over, when weighed
    weight_delivered: Quantity | None = None
