"""Fakes for the security unit tests: an in-memory API-key store and an in-memory audit chain."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from tradelane.ports.store import ApiKeyRecord
from tradelane.security.audit import AuditRecord, chain_record


class FakeKeyStore:
    """The API-key part of the store port, in memory, with the SQL store's semantics."""

    def __init__(self) -> None:
        self.keys: dict[str, ApiKeyRecord] = {}
        self.reads = 0

    async def add_api_key(self, record: ApiKeyRecord) -> None:
        assert record.key_id not in self.keys
        self.keys[record.key_id] = record

    async def get_api_key(self, key_id: str) -> ApiKeyRecord | None:
        self.reads += 1
        return self.keys.get(key_id)

    async def list_api_keys(self, tenant: str | None = None) -> list[ApiKeyRecord]:
        return [k for k in self.keys.values() if tenant is None or k.tenant == tenant]

    async def revoke_api_key(self, key_id: str, when: datetime) -> bool:
        rec = self.keys.get(key_id)
        if rec is None or rec.revoked_at is not None:
            return False
        self.keys[key_id] = dataclasses.replace(rec, revoked_at=when)
        return True

    def set(self, key_id: str, **changes: Any) -> None:
        """Change a stored record behind the service's back (as another process or an operator would)."""
        self.keys[key_id] = dataclasses.replace(self.keys[key_id], **changes)


class MemoryAudit:
    """An :class:`~tradelane.security.audit.AuditSink` keeping the chain in a list."""

    def __init__(self) -> None:
        self.rows: list[AuditRecord] = []

    async def append(
        self,
        *,
        actor: str,
        action: str,
        tenant: str | None = None,
        target: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditRecord:
        rec = chain_record(
            self.rows[-1] if self.rows else None,
            at=datetime.now(UTC),
            actor=actor,
            action=action,
            tenant=tenant,
            target=target,
            detail=detail,
        )
        self.rows.append(rec)
        return rec


@pytest.fixture
def key_store() -> FakeKeyStore:
    return FakeKeyStore()


@pytest.fixture
def memory_audit() -> MemoryAudit:
    return MemoryAudit()


#: the server secret the unit tests use
SECRET = b"unit-test-server-secret-0123456789"


@pytest.fixture
def server_secret() -> bytes:
    return SECRET
