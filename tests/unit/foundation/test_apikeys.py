"""API key format, checksum and keyed hashing."""

from __future__ import annotations

from tradelane.security.apikeys import generate_key, hash_key, parse_key


def test_generated_keys_parse_and_are_unique() -> None:
    keys = {generate_key("pk").full for _ in range(200)}
    assert len(keys) == 200
    for k in list(keys)[:20]:
        parsed = parse_key(k)
        assert parsed is not None and k.startswith("tl_pk_") and parsed.full == k


def test_typo_fails_the_checksum() -> None:
    k = generate_key("op").full
    i = len("tl_op_") + 20
    typo = k[:i] + ("A" if k[i] != "A" else "B") + k[i + 1 :]
    assert parse_key(typo) is None
    assert parse_key("tl_xx_" + k[6:]) is None
    assert parse_key("") is None and parse_key("tl_pk_short") is None


def test_hash_is_keyed() -> None:
    k = generate_key().full
    assert hash_key(b"secret-a", k) != hash_key(b"secret-b", k)
    assert hash_key(b"secret-a", k) == hash_key(b"secret-a", k)
    assert k not in hash_key(b"secret-a", k)
