"""The audit hash chain, pure: how a row is hashed, how a chain is checked, and the port that appends to it.

Every row carries ``prev_hash`` (the previous row's ``hash``; :data:`GENESIS` for the first) and
``hash = sha256(prev_hash + canonical_json(row))`` where the canonical JSON covers ``seq``, ``at``, ``actor``,
``tenant``, ``action``, ``target`` and ``detail`` (sorted keys, no whitespace, UTF-8, timestamps as ISO 8601
UTC with microseconds). Sequence numbers are contiguous from 1, so a deleted row shows as a gap.

Changing any field of a row breaks that row's hash; deleting or inserting a row breaks the next row's link;
rewriting the whole tail consistently is caught only against an exported :class:`Checkpoint` (``seq`` and
``hash`` of a row, kept somewhere the database's writers cannot reach). :func:`find_break` names the first
bad row and why; :func:`verify` just its ``seq``.

:func:`config_fingerprint` is what every hub start records (``hub.started``): a digest of the whole
configuration and one per section, so a configuration change shows in the chain as a changed digest (and
which section changed), without the configuration — or any secret — being written to the log.

Writers implement :class:`AuditSink` (``tradelane.store.audit.SqlAuditLog``); services take one as a
parameter and never know about SQL.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

__all__ = [
    "GENESIS",
    "AuditRecord",
    "AuditSink",
    "ChainBreak",
    "ChainVerifier",
    "Checkpoint",
    "canonical_json",
    "chain_record",
    "config_fingerprint",
    "find_break",
    "normalise_detail",
    "row_hash",
    "verify",
]

#: ``prev_hash`` of the first row
GENESIS = "0" * 64
#: longest actor / action / target accepted (the columns' widths)
MAX_ACTOR = 200
MAX_ACTION = 100
MAX_TARGET = 300
MAX_TENANT = 100


@dataclass(frozen=True)
class AuditRecord:
    """One row of the audit log."""

    #: position in the chain, contiguous from 1
    seq: int
    #: when it was appended (UTC)
    at: datetime
    #: who did it: ``key:<key id>``, ``operator:<name>``, ``system`` …
    actor: str
    #: the tenant affected, if any
    tenant: str | None
    #: what happened, dotted: ``api_key.created``, ``oauth.token_refused`` …
    action: str
    #: the object acted on (a key id, an endpoint name …)
    target: str | None
    #: JSON details; never secrets
    detail: Mapping[str, Any] = field(default_factory=dict)
    #: the previous row's hash
    prev_hash: str = GENESIS
    #: this row's hash
    hash: str = ""


@dataclass(frozen=True)
class ChainBreak:
    """The first row at which a chain fails, and why."""

    #: the bad (or missing) row
    seq: int
    #: ``hash mismatch`` (row changed), ``broken link`` (row before it changed, removed or inserted),
    #: ``missing row`` (a gap in ``seq``), ``checkpoint mismatch`` / ``truncated`` (against a checkpoint)
    reason: str


@dataclass(frozen=True)
class Checkpoint:
    """An exported point of the chain: the row ``seq`` had hash ``hash``."""

    seq: int
    hash: str


class AuditSink(Protocol):
    """Appends to the audit chain (atomically with respect to other appenders)."""

    async def append(
        self,
        *,
        actor: str,
        action: str,
        tenant: str | None = None,
        target: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditRecord: ...


def _iso(at: datetime) -> str:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 characters as is, no NaN/Infinity."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def normalise_detail(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """``detail`` as it will read back from a JSON column (tuples become lists …), so hashes agree.

    :raises ValueError: the detail is not representable as JSON
    """
    try:
        out = json.loads(canonical_json(dict(detail or {})))
    except TypeError as exc:
        raise ValueError(f"audit detail is not JSON: {exc}") from None
    if not isinstance(out, dict):
        raise ValueError("audit detail must be a JSON object")
    return out


def row_hash(
    prev_hash: str,
    *,
    seq: int,
    at: datetime,
    actor: str,
    tenant: str | None,
    action: str,
    target: str | None,
    detail: Mapping[str, Any],
) -> str:
    """``sha256(prev_hash + canonical JSON of the row)``, hex."""
    body = canonical_json(
        {
            "seq": seq,
            "at": _iso(at),
            "actor": actor,
            "tenant": tenant,
            "action": action,
            "target": target,
            "detail": detail,
        }
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def chain_record(
    prev: AuditRecord | Checkpoint | None,
    *,
    at: datetime,
    actor: str,
    action: str,
    tenant: str | None = None,
    target: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditRecord:
    """The row that follows ``prev`` (``None``: the first row), with its hash computed.

    :raises ValueError: a field is empty, too long, or the detail is not JSON
    """
    if not actor or len(actor) > MAX_ACTOR:
        raise ValueError(f"audit actor must be 1-{MAX_ACTOR} characters")
    if not action or len(action) > MAX_ACTION:
        raise ValueError(f"audit action must be 1-{MAX_ACTION} characters")
    if target is not None and len(target) > MAX_TARGET:
        raise ValueError(f"audit target must be at most {MAX_TARGET} characters")
    if tenant is not None and len(tenant) > MAX_TENANT:
        raise ValueError(f"audit tenant must be at most {MAX_TENANT} characters")
    seq = prev.seq + 1 if prev is not None else 1
    prev_hash = prev.hash if prev is not None else GENESIS
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("audit timestamps must be timezone-aware")
    at = at.astimezone(UTC)
    clean = normalise_detail(detail)
    digest = row_hash(
        prev_hash, seq=seq, at=at, actor=actor, tenant=tenant, action=action, target=target, detail=clean
    )
    return AuditRecord(
        seq=seq,
        at=at,
        actor=actor,
        tenant=tenant,
        action=action,
        target=target,
        detail=clean,
        prev_hash=prev_hash,
        hash=digest,
    )


class ChainVerifier:
    """Checks rows fed in ``seq`` order, one at a time (so a long log is verified in pages)."""

    def __init__(self, start: Checkpoint | None = None) -> None:
        """:param start: verify a suffix of the chain that follows this trusted row (default: from seq 1)"""
        self._expected_seq = start.seq + 1 if start else 1
        self._prev_hash = start.hash if start else GENESIS
        #: the first break found, if any; feeding stops checking after it
        self.broken: ChainBreak | None = None
        #: rows checked
        self.count = 0
        #: the last good row, as a checkpoint
        self.head: Checkpoint | None = start

    def feed(self, rec: AuditRecord) -> ChainBreak | None:
        """Check the next row; returns the break once one is found (and for every later call)."""
        if self.broken is not None:
            return self.broken
        self.count += 1
        if rec.seq > self._expected_seq:
            self.broken = ChainBreak(self._expected_seq, "missing row")
        elif rec.seq < self._expected_seq:
            self.broken = ChainBreak(rec.seq, "row out of order or repeated")
        else:
            try:
                digest = row_hash(
                    rec.prev_hash,
                    seq=rec.seq,
                    at=rec.at,
                    actor=rec.actor,
                    tenant=rec.tenant,
                    action=rec.action,
                    target=rec.target,
                    detail=rec.detail,
                )
            except (TypeError, ValueError):
                digest = ""
            if digest != rec.hash:
                self.broken = ChainBreak(rec.seq, "hash mismatch")
            elif rec.prev_hash != self._prev_hash:
                self.broken = ChainBreak(rec.seq, "broken link")
        if self.broken is None:
            self._expected_seq = rec.seq + 1
            self._prev_hash = rec.hash
            self.head = Checkpoint(rec.seq, rec.hash)
        return self.broken

    def check_checkpoint(self, checkpoint: Checkpoint, hash_at: str | None) -> ChainBreak | None:
        """Compare an exported checkpoint with the hash the log has at that ``seq`` (``None``: no such row)."""
        if self.broken is not None:
            return self.broken
        if hash_at is None:
            self.broken = ChainBreak(checkpoint.seq, "truncated")
        elif hash_at != checkpoint.hash:
            self.broken = ChainBreak(checkpoint.seq, "checkpoint mismatch")
        return self.broken


def find_break(
    rows: Iterable[AuditRecord], *, start: Checkpoint | None = None, checkpoint: Checkpoint | None = None
) -> ChainBreak | None:
    """The first bad row of ``rows`` (in ``seq`` order), or ``None`` when the chain holds.

    :param start: the trusted row ``rows`` continue from (default: ``rows`` start at seq 1)
    :param checkpoint: an exported checkpoint the chain must still contain
    """
    verifier = ChainVerifier(start)
    hash_at: str | None = None
    for rec in rows:
        if checkpoint is not None and rec.seq == checkpoint.seq:
            hash_at = rec.hash
        if verifier.feed(rec) is not None:
            return verifier.broken
    if checkpoint is not None:
        return verifier.check_checkpoint(checkpoint, hash_at)
    return None


def verify(
    rows: Iterable[AuditRecord], *, start: Checkpoint | None = None, checkpoint: Checkpoint | None = None
) -> int | None:
    """The ``seq`` of the first bad (or missing) row, or ``None`` when the chain holds."""
    broken = find_break(rows, start=start, checkpoint=checkpoint)
    return broken.seq if broken else None


_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def _mask_credentials(value: Any) -> Any:
    """``value`` with passwords in URLs replaced (a digest of a weak password could be guessed offline)."""
    if isinstance(value, dict):
        return {k: _mask_credentials(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_credentials(v) for v in value]
    if isinstance(value, str):
        return _URL_PASSWORD.sub(r"\1***@", value)
    return value


def config_fingerprint(settings: Any) -> dict[str, Any]:
    """Digests of a configuration: ``config_sha256`` of the whole and ``sections`` (name → 16 hex digits).

    :param settings: a pydantic settings object (secrets are ``SecretStr`` and dump masked)
    """
    doc = _mask_credentials(settings.model_dump(mode="json"))
    sections = {
        k: hashlib.sha256(canonical_json(v).encode()).hexdigest()[:16] for k, v in sorted(doc.items())
    }
    return {"config_sha256": hashlib.sha256(canonical_json(doc).encode()).hexdigest(), "sections": sections}
