"""AES-256-GCM sealing of stored secrets, the key ring and where its keys come from."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from tradelane.core.errors import ConfigError
from tradelane.security.secretbox import (
    KEYS_ENV,
    KEYS_FILE_ENV,
    SecretBox,
    SecretBoxError,
    generate_key,
    key_id,
    load_keyring,
)

K1, K2 = os.urandom(32), os.urandom(32)


def test_seal_and_open() -> None:
    box = SecretBox([K1])
    token = box.seal("TL_WMS_WHSEC", "whsec_c2VjcmV0")
    assert token.startswith(f"tlenc1.{key_id(K1)}.") and "whsec_" not in token
    assert box.open("TL_WMS_WHSEC", token) == "whsec_c2VjcmV0"
    assert box.seal("n", "v") != box.seal("n", "v")  # a fresh nonce every time


def test_a_value_does_not_open_under_another_name_or_after_tampering() -> None:
    box = SecretBox([K1])
    token = box.seal("A", "secret-a")
    with pytest.raises(SecretBoxError, match="'B'") as moved:
        box.open("B", token)
    assert "secret-a" not in str(moved.value)
    head, kid, body = token.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    for bad in (f"{head}.{kid}.{flipped}", "plaintext", f"{head}.{kid}.!!", f"{head}.{kid}."):
        with pytest.raises(SecretBoxError):
            box.open("A", bad)


def test_rotation_ring_seals_with_the_newest_and_opens_with_all() -> None:
    old = SecretBox([K1]).seal("A", "v1")
    ring = SecretBox([K2, K1])
    assert ring.open("A", old) == "v1" and ring.key_of(old) == key_id(K1) != ring.current
    assert ring.key_of(ring.seal("A", "v2")) == key_id(K2) == ring.current
    with pytest.raises(SecretBoxError, match="not in the key ring"):
        SecretBox([K2]).open("A", old)


def test_ring_text_is_checked_key_by_key() -> None:
    text = f"# newest first\n{base64.b64encode(K2).decode()}\n{base64.b64encode(K1).decode()}  # old\n"
    assert SecretBox.from_text(text, source="f").key_ids == (key_id(K2), key_id(K1))
    with pytest.raises(ConfigError, match="key 2 is 16 bytes"):
        SecretBox.from_text(f"{generate_key()} {base64.b64encode(os.urandom(16)).decode()}", source="f")
    with pytest.raises(ConfigError, match="key 1 is not base64"):
        SecretBox.from_text("not*base64", source="f")
    with pytest.raises(ConfigError, match="no encryption key"):
        SecretBox.from_text("# nothing\n", source="f")


def test_keyring_sources_in_order(tmp_path: Path) -> None:
    a, b = generate_key(), generate_key()
    keyfile = tmp_path / "keys"
    keyfile.write_text(b + "\n")
    both = {KEYS_ENV: a, KEYS_FILE_ENV: str(keyfile)}
    assert load_keyring(None, both).current == key_id(base64.b64decode(a))
    assert load_keyring(None, {KEYS_FILE_ENV: str(keyfile)}).current == key_id(base64.b64decode(b))
    with pytest.raises(ConfigError, match="cannot read"):
        load_keyring(None, {KEYS_FILE_ENV: str(tmp_path / "missing")})
    with pytest.raises(ConfigError, match=KEYS_ENV):
        load_keyring(None, {})  # distributed mode: a key must be configured
    data = tmp_path / "data"
    first = load_keyring(data, {})
    assert stat.S_IMODE((data / "encryption.key").stat().st_mode) == 0o600
    assert load_keyring(data, {}).current == first.current  # generated once, then reused
