"""The secret vault: named secrets stored sealed (:mod:`tradelane.security.secretbox`) in the ``secrets`` table,
and :class:`SecretSource`, which the hub asks for a secret by name.

A secret's name is what the configuration already names — an endpoint's or a hook's ``secrets_env`` — so a
secret can live in the environment (as before) or in the vault, and moving it is one command::

    printf '%s' "$WHSEC" | tradelane secrets set TL_WMS_WHSEC      # sealed, then unset the variable

The environment wins over the vault (an operator can override a stored secret without touching it). Values
are read through a short cache (:data:`CACHE_TTL_S`), so ``secrets set`` during a rotation reaches running
processes within seconds. The database holds only sealed values: a dump reveals no secret without the key
ring, and ``tradelane secrets rotate-key`` re-seals every row under the ring's newest key.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from tradelane.security.secretbox import KEYS_ENV, KEYS_FILE_ENV, SecretBox, SecretBoxError, load_keyring
from tradelane.settings import Settings
from tradelane.store.sql import SqlStore
from tradelane.store.tables import secrets as secrets_table

__all__ = [
    "CACHE_TTL_S",
    "MAX_NAME",
    "MAX_VALUE",
    "SecretInfo",
    "SecretSource",
    "SecretVault",
    "hub_vault",
    "secret_source",
]

log = logging.getLogger("tradelane.security.vault")
#: seconds a value read from the vault is reused before it is read again
CACHE_TTL_S = 5.0
#: longest secret name (the column's width)
MAX_NAME = 200
#: longest secret value, characters (a whsec_ secret is ~50, a PEM key a few thousand)
MAX_VALUE = 8192


@dataclass(frozen=True)
class SecretInfo:
    """What ``tradelane secrets list`` shows: never the value."""

    name: str
    key_id: str
    created_at: datetime
    updated_at: datetime


def _check(name: str, value: str | None = None) -> None:
    if not name or len(name) > MAX_NAME or not name.isprintable() or any(c.isspace() for c in name):
        raise ValueError(f"a secret name is 1-{MAX_NAME} printable characters without spaces")
    if value is not None and (not value or len(value) > MAX_VALUE):
        raise ValueError(f"a secret value is 1-{MAX_VALUE} characters")


class SecretVault:
    """Sealed named secrets in one store's database."""

    def __init__(self, store: SqlStore, box: SecretBox) -> None:
        self.store = store
        self.box = box

    async def set(self, name: str, value: str) -> bool:
        """Seal and store ``value`` as ``name``; ``True`` when it replaced an existing secret.

        :raises ValueError: the name or value is empty, too long or malformed
        """
        _check(name, value)
        sealed = self.box.seal(name, value)
        now = datetime.now(UTC)

        def tx(c: Connection) -> bool:
            found = c.execute(select(secrets_table.c.name).where(secrets_table.c.name == name)).first()
            if found is None:
                c.execute(insert(secrets_table).values(name=name, sealed=sealed, key_id=self.box.current,
                                                       created_at=now, updated_at=now))
                return False
            c.execute(update(secrets_table).where(secrets_table.c.name == name)
                      .values(sealed=sealed, key_id=self.box.current, updated_at=now))
            return True

        return await self.store._write(tx)

    async def get(self, name: str) -> str | None:
        """The plaintext of ``name`` (``None`` when there is no such secret).

        :raises SecretBoxError: the stored value does not open with this key ring
        """
        return self.get_sync(name)

    def get_sync(self, name: str) -> str | None:
        """:meth:`get` on the calling thread (for start-up code that is not async)."""
        with self.store.engine.connect() as c:
            row = c.execute(select(secrets_table.c.sealed).where(secrets_table.c.name == name)).first()
        return None if row is None else self.box.open(name, row.sealed)

    async def list_secrets(self) -> list[SecretInfo]:
        def q(c: Connection) -> list[SecretInfo]:
            rows = c.execute(select(secrets_table).order_by(secrets_table.c.name))
            return [SecretInfo(r.name, r.key_id, r.created_at, r.updated_at) for r in rows]

        return await self.store._read(q)

    async def delete(self, name: str) -> bool:
        def tx(c: Connection) -> bool:
            return bool(c.execute(delete(secrets_table).where(secrets_table.c.name == name)).rowcount)

        return await self.store._write(tx)

    async def rotate(self) -> int:
        """Re-seal every secret not sealed with the ring's newest key, in one transaction; returns how many.

        :raises SecretBoxError: a row does not open with the ring (nothing is changed)
        """
        now = datetime.now(UTC)

        def tx(c: Connection) -> int:
            rows = list(c.execute(select(secrets_table.c.name, secrets_table.c.sealed, secrets_table.c.key_id)))
            stale = [(r.name, self.box.open(r.name, r.sealed)) for r in rows if r.key_id != self.box.current]
            for name, plain in stale:
                c.execute(update(secrets_table).where(secrets_table.c.name == name)
                          .values(sealed=self.box.seal(name, plain), key_id=self.box.current, updated_at=now))
            return len(stale)

        return await self.store._write(tx)


class SecretSource:
    """Secrets by name: the environment first, then the vault (cached :data:`CACHE_TTL_S` seconds).

    The vault is opened on first use (``vault``: a factory returning ``None`` when there is none), so a hub
    whose secrets are all in the environment never needs an encryption key.
    """

    def __init__(
        self, vault: Callable[[], SecretVault | None] | None, environ: Mapping[str, str] = os.environ
    ) -> None:
        self._factory = vault
        self._vault: SecretVault | None = None
        self.environ = environ
        self._cache: dict[str, tuple[float, str]] = {}

    def _open(self) -> SecretVault | None:
        if self._vault is None and self._factory is not None:
            self._vault = self._factory()
            if self._vault is None:
                self._factory = None
        return self._vault

    def get(self, name: str | None) -> str:
        """The secret called ``name`` (``""`` when it is nowhere)."""
        if not name:
            return ""
        value = self.environ.get(name)
        if value:
            return value
        now = time.monotonic()
        hit = self._cache.get(name)
        if hit is not None and now - hit[0] < CACHE_TTL_S:
            return hit[1]
        vault = self._open()
        try:
            found = (vault.get_sync(name) or "") if vault is not None else ""
        except SecretBoxError as exc:  # a key-ring mistake must read as "not configured", never as a 500
            log.error("secret %s is unusable: %s", name, exc)
            found = ""
        self._cache[name] = (now, found)
        return found


def hub_vault(settings: Settings, store: SqlStore) -> SecretVault:
    """The vault of the hub ``settings`` describe (embedded mode generates its key on first use).

    :raises ConfigError: the key ring is misconfigured, or missing in distributed mode
    """
    data_dir = settings.data_dir if settings.mode == "embedded" else None
    return SecretVault(store, load_keyring(data_dir))


def secret_source(settings: Settings, store: SqlStore) -> SecretSource:
    """Environment, then the vault; in distributed mode without a configured key ring, environment only."""
    keyed = bool(os.environ.get(KEYS_ENV) or os.environ.get(KEYS_FILE_ENV))
    if settings.mode != "embedded" and not keyed:
        return SecretSource(None)
    return SecretSource(lambda: hub_vault(settings, store))
