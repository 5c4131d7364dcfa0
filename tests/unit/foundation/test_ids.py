import base64
import random

import pytest

from tradelane.core import ids
from tradelane.core.ids import new_id


def test_ids_are_prefixed_unique_and_time_ordered() -> None:
    ids = [new_id("evt") for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(i.startswith("evt_") and len(i) == 30 for i in ids)
    # the first 9 characters (45 bits) are all timestamp, so they never go backwards
    prefixes = [i[4:13] for i in ids]
    assert prefixes == sorted(prefixes)


def test_ids_are_the_crockford_base32_text_of_time_and_random_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    # reference: RFC 4648 base32 of the 16 bytes, first 26 characters, mapped to Crockford's alphabet
    to_crockford = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    rng = random.Random(7)
    for millis in (0, 1, 1_764_000_000_123, 2**48 - 1):
        for _ in range(200):
            rand = rng.randbytes(10)
            monkeypatch.setattr(ids.time, "time", lambda m=millis: m / 1000 + 0.0000001)
            monkeypatch.setattr(ids.os, "urandom", lambda n, r=rand: r[:n])
            expected = base64.b32encode(millis.to_bytes(6, "big") + rand)[:26].translate(to_crockford).decode()
            assert new_id("evt") == f"evt_{expected}"
