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
            monkeypatch.setattr(ids, "_random_bits", lambda r=rand: int.from_bytes(r, "big"))
            expected = base64.b32encode(millis.to_bytes(6, "big") + rand)[:26].translate(to_crockford).decode()
            assert new_id("evt") == f"evt_{expected}"


def test_the_random_bits_are_consecutive_slices_of_os_randomness(monkeypatch: pytest.MonkeyPatch) -> None:
    # the pool reads the OS in blocks and never hands a slice out twice; a refill reads a new block
    blocks = [random.Random(i).randbytes(ids._POOL_BYTES) for i in range(2)]
    reads = iter(blocks)
    monkeypatch.setattr(ids.os, "urandom", lambda n: next(reads))
    ids._forget_pool()
    got = [ids._random_bits() for _ in range(ids._POOL_BYTES // ids._RANDOM_BYTES + 1)]
    stream = b"".join(blocks)
    n = ids._RANDOM_BYTES
    assert got == [int.from_bytes(stream[i * n : (i + 1) * n], "big") for i in range(len(got))]
    ids._forget_pool()
