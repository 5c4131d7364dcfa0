"""Encryption at rest for stored secrets (webhook signing secrets, partner credentials): AES-256-GCM, pure.

A sealed value reads ``tlenc1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``. The secret's *name* is the
associated data, so a ciphertext copied onto another name's row does not open. Keys are 32 random bytes,
written as base64; the first key of the ring seals, every key opens (rotation: put a new key first, run
``tradelane secrets rotate-key`` to re-seal every row under it, then drop the old key). The key id is a
labelled hash of the key, never the key. Where the keys come from (:func:`load_keyring`, first match):

1. ``TRADELANE_ENCRYPTION_KEYS`` — space-separated base64 keys, newest first;
2. the file named by ``TRADELANE_ENCRYPTION_KEYS_FILE`` — one key per line, newest first;
3. embedded mode only: ``<data_dir>/encryption.key``, generated once (mode 0600).

Nothing in this module logs or echoes a key or a plaintext; errors say which name and why, never what.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tradelane.core.errors import ConfigError, TradelaneError

__all__ = [
    "KEY_BYTES",
    "KEYS_ENV",
    "KEYS_FILE_ENV",
    "SEALED_PREFIX",
    "SecretBox",
    "SecretBoxError",
    "generate_key",
    "key_id",
    "load_keyring",
]

#: AES-256 key length, bytes
KEY_BYTES = 32
#: GCM nonce length, bytes (random per seal)
NONCE_BYTES = 12
#: first field of every sealed value (its format version)
SEALED_PREFIX = "tlenc1"
#: environment variable holding the keys, newest first, space-separated
KEYS_ENV = "TRADELANE_ENCRYPTION_KEYS"
#: environment variable naming a file with the keys, one per line, newest first
KEYS_FILE_ENV = "TRADELANE_ENCRYPTION_KEYS_FILE"
#: file under ``data_dir`` holding the generated key of an embedded hub
EMBEDDED_KEY_FILE = "encryption.key"
_ID_LABEL = b"tradelane/encryption-key-id/v1"


class SecretBoxError(TradelaneError):
    """A value cannot be sealed or opened (unknown key, tampered or malformed ciphertext)."""


def key_id(key: bytes) -> str:
    """A short public name of ``key`` (a labelled SHA-256, 16 hex digits)."""
    return hashlib.sha256(_ID_LABEL + key).hexdigest()[:16]


def generate_key() -> str:
    """A fresh key, base64 (what goes into ``TRADELANE_ENCRYPTION_KEYS`` or the keys file)."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SecretBox:
    """Seals with the first key of a ring, opens with any of them."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        """:param keys: the ring, newest (sealing) key first; each :data:`KEY_BYTES` long"""
        if not keys:
            raise ValueError("an encryption key ring needs at least one key")
        for k in keys:
            if len(k) != KEY_BYTES:
                raise ValueError(f"encryption keys are {KEY_BYTES} bytes (base64 of 32 random bytes)")
        self._keys = {key_id(k): AESGCM(k) for k in keys}
        #: id of the key that seals
        self.current = key_id(keys[0])
        #: ids of every key in the ring, newest first
        self.key_ids = tuple(dict.fromkeys(key_id(k) for k in keys))

    @classmethod
    def from_text(cls, text: str, *, source: str) -> SecretBox:
        """The ring written in ``text`` (base64 keys separated by spaces or newlines; ``#`` comments).

        :param source: where the text came from, for the error message
        :raises ConfigError: no key, or a key that is not base64 of 32 bytes (its position named)
        """
        words = [w for line in text.splitlines() for w in line.split("#", 1)[0].split()]
        keys = []
        for n, word in enumerate(words, 1):
            try:
                raw = base64.b64decode(word, validate=True)
            except (binascii.Error, ValueError):
                raise ConfigError(f"encryption key {n} is not base64", key=source) from None
            if len(raw) != KEY_BYTES:
                raise ConfigError(f"encryption key {n} is {len(raw)} bytes, not {KEY_BYTES}", key=source)
            keys.append(raw)
        if not keys:
            raise ConfigError("no encryption key", key=source)
        return cls(keys)

    def seal(self, name: str, plaintext: str) -> str:
        """Encrypt ``plaintext`` as the value of ``name`` under the current key."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._keys[self.current].encrypt(nonce, plaintext.encode("utf-8"), name.encode("utf-8"))
        return f"{SEALED_PREFIX}.{self.current}.{_b64url(nonce + sealed)}"

    def key_of(self, token: str) -> str | None:
        """The id of the key ``token`` was sealed with (``None`` when it is not a sealed value)."""
        parts = token.split(".")
        return parts[1] if len(parts) == 3 and parts[0] == SEALED_PREFIX else None

    def open(self, name: str, token: str) -> str:
        """Decrypt the value of ``name``.

        :raises SecretBoxError: malformed, sealed with a key not in the ring, tampered, or another name's
        """
        kid = self.key_of(token)
        if kid is None:
            raise SecretBoxError(f"the stored value of {name!r} is not a sealed value")
        aead = self._keys.get(kid)
        if aead is None:
            raise SecretBoxError(f"{name!r} is sealed with key {kid}, which is not in the key ring")
        try:
            raw = _unb64url(token.split(".")[2])
            plain = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], name.encode("utf-8"))
        except (InvalidTag, ValueError, binascii.Error):
            raise SecretBoxError(f"the stored value of {name!r} does not open (tampered or moved)") from None
        return plain.decode("utf-8")


def load_keyring(data_dir: Path | None, environ: Mapping[str, str] = os.environ) -> SecretBox:
    """The hub's key ring (see the module docstring for the sources, in order).

    :param data_dir: embedded mode's data directory, where a key is generated if none is configured;
        ``None`` (distributed mode) makes a configured key mandatory
    :raises ConfigError: a configured source is unreadable or invalid, or none is configured in
        distributed mode
    """
    text = environ.get(KEYS_ENV)
    if text:
        return SecretBox.from_text(text, source=KEYS_ENV)
    path = environ.get(KEYS_FILE_ENV)
    if path:
        try:
            return SecretBox.from_text(Path(path).read_text("utf-8"), source=KEYS_FILE_ENV)
        except OSError as exc:
            raise ConfigError(f"cannot read the encryption keys file: {exc.strerror}", key=KEYS_FILE_ENV) from None
    if data_dir is None:
        raise ConfigError(f"set {KEYS_ENV} or {KEYS_FILE_ENV} (base64 of 32 random bytes)", key=KEYS_ENV)
    keyfile = data_dir / EMBEDDED_KEY_FILE
    if not keyfile.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process of this hub created it first
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(generate_key() + "\n")
    return SecretBox.from_text(keyfile.read_text("utf-8"), source=str(keyfile))
