"""Public identifiers: time-ordered, non-sequential, unguessable (ULID layout, Crockford base32)."""

from __future__ import annotations

import os
import time

__all__ = ["new_id"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: random bits after the 48-bit millisecond timestamp
_RANDOM_BITS = 80


def new_id(prefix: str) -> str:
    """A new id like ``evt_01JD5X...``: 48 bits of milliseconds then 80 random bits."""
    value = (int(time.time() * 1000) << _RANDOM_BITS) | int.from_bytes(os.urandom(_RANDOM_BITS // 8), "big")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"
