"""API keys: a typed prefix, a checksum, and a keyed hash at rest. The key itself is shown once.

Format: ``tl_<kind>_<key id: 16 base32><secret: 32 base62><checksum: 6 base32>``, e.g.
``tl_pk_…`` for partner keys and ``tl_op_…`` for operator keys. The checksum (CRC32 of the body) lets a
typo be refused without a database read and lets secret scanners recognise leaked keys. At rest only
``HMAC-SHA256(server secret, key)`` is stored, so a database dump does not reveal usable keys.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import zlib
from dataclasses import dataclass

__all__ = ["KEY_KINDS", "ParsedKey", "generate_key", "hash_key", "parse_key"]

#: key kinds and what they are for
KEY_KINDS = {"pk": "partner", "op": "operator"}
_B32 = "abcdefghijklmnopqrstuvwxyz234567"
_B62 = string.ascii_letters + string.digits
#: length of the key id part
KEY_ID_LEN = 16
#: length of the secret part (32 base62 chars ≈ 190 bits)
SECRET_LEN = 32
#: length of the checksum part
CHECKSUM_LEN = 6


def _checksum(body: str) -> str:
    v = zlib.crc32(body.encode())
    return "".join(_B32[(v >> (5 * i)) & 31] for i in range(CHECKSUM_LEN))


@dataclass(frozen=True)
class ParsedKey:
    kind: str
    key_id: str
    full: str


def generate_key(kind: str = "pk") -> ParsedKey:
    """A new random key of ``kind``."""
    if kind not in KEY_KINDS:
        raise ValueError(f"unknown key kind {kind!r}")
    key_id = "".join(secrets.choice(_B32) for _ in range(KEY_ID_LEN))
    secret = "".join(secrets.choice(_B62) for _ in range(SECRET_LEN))
    body = key_id + secret
    return ParsedKey(kind=kind, key_id=key_id, full=f"tl_{kind}_{body}{_checksum(body)}")


def parse_key(presented: str) -> ParsedKey | None:
    """Parse a presented key; ``None`` when it is malformed or its checksum is wrong."""
    parts = presented.split("_")
    if len(parts) != 3 or parts[0] != "tl" or parts[1] not in KEY_KINDS:
        return None
    rest = parts[2]
    if len(rest) != KEY_ID_LEN + SECRET_LEN + CHECKSUM_LEN:
        return None
    body, check = rest[:-CHECKSUM_LEN], rest[-CHECKSUM_LEN:]
    if not hmac.compare_digest(_checksum(body), check):
        return None
    return ParsedKey(kind=parts[1], key_id=body[:KEY_ID_LEN], full=presented)


def hash_key(server_secret: bytes, full_key: str) -> str:
    """The keyed hash stored at rest."""
    return hmac.new(server_secret, full_key.encode(), hashlib.sha256).hexdigest()
