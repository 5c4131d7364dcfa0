"""Webhook signatures: Standard Webhooks for what we send, per-partner schemes for what we receive.

Outbound, :func:`sign` produces the three Standard Webhooks headers with one ``v1,<base64>`` signature per
active secret, so a partner can rotate keys with an overlap. The HMAC itself is computed by the
``standardwebhooks`` package; this module only feeds it validated input (integer unix seconds instead of the
non-UTC datetimes it signs wrongly, decoded secrets instead of its lenient base64 decoding).

Inbound, :func:`verify` checks a signature over the *raw body bytes*, before any JSON parsing, for one of
three schemes. The scheme is an explicit per-partner setting and is never guessed:

``standard``  Standard Webhooks: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``; signed content
              ``id.timestamp.body``; the key is the base64-decoded part of ``whsec_...``.
``github``    ``X-Hub-Signature-256: sha256=<hex>`` over the body; the key is the secret's UTF-8 bytes.
``stripe``    ``Stripe-Signature: t=<ts>,v1=<hex>[,v1=<hex>…]`` over ``t.body``; the key is the whole
              ``whsec_...`` string's bytes.

Parsing is strict: timestamps must match ``^[1-9][0-9]{0,11}$`` and lie within ±``tolerance`` seconds of
``now``; each signature entry is split on its first separator; unknown versions and malformed entries are
skipped; comparisons are constant-time. Every malformed or non-matching input raises :class:`SignatureError`
(an :class:`~tradelane.core.errors.AuthError`, i.e. HTTP 401) and nothing else — never ``ValueError``,
``binascii.Error`` or ``UnicodeDecodeError``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets as _secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum

from standardwebhooks.webhooks import Webhook

from tradelane.core.errors import AuthError, ConfigError

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "SECRET_BYTES",
    "SignatureError",
    "SignatureScheme",
    "generate_secret",
    "sign",
    "sign_github",
    "sign_stripe",
    "verify",
]

#: replay window: a timestamp further than this from ``now`` (either way) is refused
DEFAULT_TOLERANCE_SECONDS = 300
#: random bytes in a secret we generate (the spec allows 24-64)
SECRET_BYTES = 32
#: shortest decoded Standard Webhooks key we accept (spec: 24 bytes)
MIN_SECRET_BYTES = 24
#: longest decoded Standard Webhooks key we accept (spec: 64 bytes)
MAX_SECRET_BYTES = 64
#: longest ``webhook-id`` we accept; real ids are ~30 characters
MAX_MSG_ID_LENGTH = 256
#: longest signature header we parse; a rotation overlap needs a few hundred characters at most
MAX_SIGNATURE_HEADER_LENGTH = 4096

_SECRET_PREFIX = "whsec_"
_TIMESTAMP = re.compile(r"[1-9][0-9]{0,11}")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
#: printable ASCII without space: what a message id may contain
_MSG_ID = re.compile(r"[\x21-\x7e]+")
_SHA256_BYTES = 32
#: the only headers this module reads (lower-case)
_SIGNATURE_HEADERS = frozenset(
    {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "x-hub-signature-256",
        "x-github-delivery",
        "stripe-signature",
    }
)


class SignatureError(AuthError):
    """A webhook signature is missing, malformed, stale or wrong; ``reason`` says which (safe to log)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"webhook signature rejected: {reason}")
        #: short machine-readable reason, e.g. ``missing_header``, ``timestamp_out_of_tolerance``
        self.reason = reason


class SignatureScheme(StrEnum):
    """How a partner signs the webhooks it sends us (an explicit setting per partner)."""

    STANDARD = "standard"
    GITHUB = "github"
    STRIPE = "stripe"


def generate_secret() -> str:
    """A fresh Standard Webhooks secret: ``whsec_`` + base64 of :data:`SECRET_BYTES` random bytes."""
    return _SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def sign(secrets: Sequence[str], msg_id: str, timestamp: datetime | int, body: bytes) -> dict[str, str]:
    """Standard Webhooks headers for one outbound message.

    Use the same ``msg_id`` on every retry and a fresh ``timestamp`` per attempt.

    :param secrets: the endpoint's active ``whsec_...`` secrets; one signature is emitted per secret
    :param msg_id: the message id (the receiver dedupes on it)
    :param timestamp: the send time, an aware datetime in any zone or integer unix seconds
    :param body: the exact bytes that will be sent (UTF-8 JSON)
    :raises SignatureError: a secret, the id or the body is unusable
    :raises ValueError: ``timestamp`` is a naive datetime or not a positive integer (a programming error)
    """
    if not secrets:
        raise SignatureError("no_secret")
    if not isinstance(msg_id, str) or len(msg_id) > MAX_MSG_ID_LENGTH or not _MSG_ID.fullmatch(msg_id):
        raise SignatureError("invalid_msg_id")
    seconds = _unix_seconds(timestamp)
    text = _utf8(body)
    when = datetime.fromtimestamp(seconds, tz=UTC)
    signatures = [Webhook(_standard_key(secret)).sign(msg_id, when, text) for secret in secrets]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(seconds),
        "webhook-signature": " ".join(signatures),
    }


def sign_github(secret: str, body: bytes) -> dict[str, str]:
    """The ``X-Hub-Signature-256`` header GitHub-style senders attach (used by partner simulators)."""
    digest = hmac.new(_text_key(secret), bytes(body), hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}"}


def sign_stripe(secret: str, timestamp: datetime | int, body: bytes) -> dict[str, str]:
    """The ``Stripe-Signature`` header Stripe-style senders attach (used by partner simulators)."""
    seconds = _unix_seconds(timestamp)
    digest = hmac.new(_text_key(secret), f"{seconds}.".encode() + bytes(body), hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={seconds},v1={digest}"}


def verify(
    scheme: SignatureScheme | str,
    secrets: Sequence[str],
    headers: Mapping[str, str | bytes],
    body: bytes,
    now: datetime | int,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> str | None:
    """Verify an inbound webhook over its raw body; return the sender's message id for dedupe.

    :param scheme: the partner's configured scheme (``standard``, ``github`` or ``stripe``)
    :param secrets: the partner's active secrets; a signature by any of them is accepted (rotation overlap)
    :param headers: the request headers (names are matched case-insensitively)
    :param body: the raw request body, before any parsing
    :param now: the current time (aware datetime or unix seconds); used for the replay window
    :param tolerance: allowed clock difference in seconds, either way
    :returns: ``webhook-id`` (standard), ``X-GitHub-Delivery`` (github, if sent) or ``None`` (stripe: the
        event id is in the body)
    :raises SignatureError: for any missing, malformed, stale or non-matching input
    :raises ConfigError: ``scheme`` is not a known scheme
    :raises ValueError: ``now`` is a naive datetime (a programming error, not bad input)
    """
    try:
        kind = SignatureScheme(scheme)
    except ValueError:
        raise ConfigError(f"unknown webhook signature scheme {scheme!r}", key="signature_scheme") from None
    if not secrets:
        raise SignatureError("no_secret_configured")
    if not isinstance(body, bytes | bytearray | memoryview):
        raise SignatureError("body_not_bytes")
    raw = bytes(body)
    _utf8(raw)  # bodies are JSON: refuse non-UTF-8 before anything else looks at them
    lookup = _normalise_headers(headers)
    current = _unix_seconds(now)
    if kind is SignatureScheme.STANDARD:
        return _verify_standard(secrets, lookup, raw, current, tolerance)
    if kind is SignatureScheme.GITHUB:
        return _verify_github(secrets, lookup, raw)
    return _verify_stripe(secrets, lookup, raw, current, tolerance)


# --- schemes -------------------------------------------------------------------------------------------


def _verify_standard(
    secrets: Sequence[str], headers: dict[str, str], body: bytes, now: int, tolerance: int
) -> str:
    msg_id = _required(headers, "webhook-id")
    timestamp = _required(headers, "webhook-timestamp")
    signature_header = _required(headers, "webhook-signature")
    if len(msg_id) > MAX_MSG_ID_LENGTH or not _MSG_ID.fullmatch(msg_id):
        raise SignatureError("invalid_msg_id")
    seconds = _check_timestamp(timestamp, now, tolerance)
    if len(signature_header) > MAX_SIGNATURE_HEADER_LENGTH:
        raise SignatureError("signature_header_too_long")

    offered: list[bytes] = []
    for entry in signature_header.split():
        version, sep, value = entry.partition(",")
        if not sep or version != "v1" or not _BASE64.fullmatch(value):
            continue  # unknown version or malformed entry: skip it
        try:
            decoded = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(decoded) == _SHA256_BYTES:
            offered.append(decoded)
    if not offered:
        raise SignatureError("no_valid_signature_entry")

    text = body.decode("utf-8")
    when = datetime.fromtimestamp(seconds, tz=UTC)
    keys = [_standard_key(secret) for secret in secrets]
    for key in keys:
        expected = _b64_signature(Webhook(key).sign(msg_id, when, text))
        if _any_equal(expected, offered):
            return msg_id
    raise SignatureError("no_matching_signature")


def _verify_github(secrets: Sequence[str], headers: dict[str, str], body: bytes) -> str | None:
    header = _required(headers, "x-hub-signature-256")
    algorithm, sep, value = header.partition("=")
    if not sep or algorithm != "sha256" or not _SHA256_HEX.fullmatch(value):
        raise SignatureError("malformed_signature_header")
    offered = bytes.fromhex(value)
    for secret in secrets:
        expected = hmac.new(_text_key(secret), body, hashlib.sha256).digest()
        if hmac.compare_digest(expected, offered):
            delivery = headers.get("x-github-delivery")
            if delivery is not None and len(delivery) <= MAX_MSG_ID_LENGTH and _MSG_ID.fullmatch(delivery):
                return delivery
            return None
    raise SignatureError("no_matching_signature")


def _verify_stripe(
    secrets: Sequence[str], headers: dict[str, str], body: bytes, now: int, tolerance: int
) -> str | None:
    header = _required(headers, "stripe-signature")
    if len(header) > MAX_SIGNATURE_HEADER_LENGTH:
        raise SignatureError("signature_header_too_long")
    timestamps: list[str] = []
    offered: list[bytes] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue  # malformed entry: skip it
        if key == "t":
            timestamps.append(value)
        elif key == "v1" and _SHA256_HEX.fullmatch(value):
            offered.append(bytes.fromhex(value))
        # other schemes (v0 …) and malformed v1 values are skipped
    if len(timestamps) != 1:
        raise SignatureError("missing_timestamp" if not timestamps else "ambiguous_timestamp")
    seconds = _check_timestamp(timestamps[0], now, tolerance)
    if not offered:
        raise SignatureError("no_valid_signature_entry")
    payload = f"{seconds}.".encode() + body
    for secret in secrets:
        expected = hmac.new(_text_key(secret), payload, hashlib.sha256).digest()
        if _any_equal(expected, offered):
            return None
    raise SignatureError("no_matching_signature")


# --- helpers -------------------------------------------------------------------------------------------


def _normalise_headers(headers: Mapping[str, str | bytes]) -> dict[str, str]:
    """The signature-related headers, lower-cased and ASCII-checked; a repeated one is refused.

    Other headers are ignored, so a request may legitimately repeat ``Accept`` or carry non-ASCII elsewhere.
    """
    out: dict[str, str] = {}
    try:
        items = list(headers.items())
    except Exception as exc:  # a broken mapping is still just a bad request
        raise SignatureError("unreadable_headers") from exc
    for name, value in items:
        if isinstance(name, bytes | bytearray):
            name = bytes(name).decode("latin-1")
        if not isinstance(name, str):
            raise SignatureError("non_text_header_name")
        key = name.lower()
        if key not in _SIGNATURE_HEADERS:
            continue
        if key in out:
            raise SignatureError(f"duplicate_header:{key}")
        out[key] = _ascii(value)
    return out


def _ascii(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("ascii")
        except UnicodeDecodeError:
            raise SignatureError("non_ascii_header") from None
    if not isinstance(value, str):
        raise SignatureError("non_text_header")
    if not value.isascii():
        raise SignatureError("non_ascii_header")
    return value


def _required(headers: dict[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise SignatureError(f"missing_header:{name}")
    return value


def _check_timestamp(text: str, now: int, tolerance: int) -> int:
    if not _TIMESTAMP.fullmatch(text):
        raise SignatureError("malformed_timestamp")
    seconds = int(text)
    if abs(now - seconds) > tolerance:
        raise SignatureError("timestamp_out_of_tolerance")
    return seconds


def _standard_key(secret: str) -> bytes:
    """Decode a ``whsec_`` secret strictly (the library's decoder ignores garbage and pads blindly)."""
    if not isinstance(secret, str) or not secret.isascii():
        raise SignatureError("invalid_secret")
    encoded = secret.removeprefix(_SECRET_PREFIX)
    if not _BASE64.fullmatch(encoded):
        raise SignatureError("invalid_secret")
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("invalid_secret") from None
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise SignatureError("invalid_secret_length")
    return key


def _text_key(secret: str) -> bytes:
    if not isinstance(secret, str) or not secret:
        raise SignatureError("invalid_secret")
    try:
        return secret.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        raise SignatureError("invalid_secret") from None


def _b64_signature(versioned: str) -> bytes:
    return base64.b64decode(versioned.partition(",")[2])


def _any_equal(expected: bytes, offered: list[bytes]) -> bool:
    # compare against every entry so timing does not reveal which one matched
    matched = False
    for candidate in offered:
        matched |= hmac.compare_digest(expected, candidate)
    return matched


def _utf8(body: bytes) -> str:
    try:
        return bytes(body).decode("utf-8")
    except (UnicodeDecodeError, TypeError):
        raise SignatureError("body_not_utf8") from None


def _unix_seconds(value: datetime | int) -> int:
    """Integer unix seconds from an aware datetime in any zone (the library mishandles non-UTC ones)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("timestamps must be timezone-aware")
        return int(value.timestamp() // 1)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"invalid unix timestamp {value!r}")
    return value
