"""Public identifiers: time-ordered, non-sequential, unguessable (ULID layout, Crockford base32)."""

from __future__ import annotations

import base64
import os
import time

__all__ = ["new_id"]

#: RFC 4648 base32 → Crockford's alphabet (no I, L, O, U), which sorts in the same order as the bits
_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789ABCDEFGHJKMNPQRSTVWXYZ")
#: random bytes after the 6-byte millisecond timestamp
_RANDOM_BYTES = 10


def new_id(prefix: str) -> str:
    """A new id like ``evt_01JD5X...``: 48 bits of milliseconds then 80 random bits, 26 characters."""
    raw = (int(time.time() * 1000)).to_bytes(6, "big") + os.urandom(_RANDOM_BYTES)
    return f"{prefix}_{base64.b32encode(raw)[:26].translate(_TO_CROCKFORD).decode()}"
