"""Operational exceptions: open (deduplicated), acknowledge, resolve, list — and mirror to Odoo.

Opening goes through :meth:`ExceptionService.open`; a dedupe key (``sla:wms-release:wms-ack:SO042``) makes a
second open of the same breach, while the first is unresolved, return the first (its links are merged).
Transitions are validated by the store in the same transaction that writes them and their history row.

Mirroring is an outbox: every status change marks the exception due for mirroring in its own transaction;
:meth:`ExceptionService.mirror_pending` (run by the hub's mirror loop) leases due exceptions, calls the
:class:`~tradelane.ports.flows.ExceptionMirror` (Odoo: an activity on the record, closed on resolve) and records
the outcome. A crash between the call and the record only repeats an idempotent call.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tradelane.core.errors import FieldProblem, ValidationFailed
from tradelane.core.model.exceptions import Severity
from tradelane.ports.flows import (
    ACK,
    RESOLVE,
    ExceptionFilter,
    ExceptionMirror,
    ExceptionView,
    FlowStore,
    NewException,
)

__all__ = ["MIRROR_RETRY_S", "ExceptionService", "validate_new_exception"]

log = logging.getLogger("tradelane.flows")

#: seconds before a failed mirror call is tried again
MIRROR_RETRY_S = 60.0
#: seconds an exception being mirrored stays leased to one hub (the Odoo call's timeout is well below)
MIRROR_LEASE_S = 120.0
#: exceptions mirrored per round
MIRROR_BATCH = 20
#: type names: lowercase words joined by ``_``, ``.`` or ``-``
_TYPE = re.compile(r"^[a-z][a-z0-9_.-]{0,59}$")
#: longest free-text note on a transition
NOTE_MAX = 2000

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def validate_new_exception(new: NewException) -> None:
    """Reject an exception that cannot be stored, naming every bad field.

    :raises ValidationFailed: with one problem per field
    """
    problems: list[FieldProblem] = []
    if not _TYPE.match(new.type):
        problems.append(FieldProblem("type", "lowercase identifier such as sla_breach", "invalid"))
    if new.severity not in {s.value for s in Severity}:
        problems.append(FieldProblem("severity", "one of low, medium, high, critical", "invalid"))
    for name, value, limit in (
        ("tenant", new.tenant, 100),
        ("entity_kind", new.entity_kind, 40),
        ("entity_id", new.entity_id, 200),
        ("owner_team", new.owner_team, 100),
        ("summary", new.summary, 300),
    ):
        if not value or not value.strip():
            problems.append(FieldProblem(name, "required", "missing"))
        elif len(value) > limit:
            problems.append(FieldProblem(name, f"at most {limit} characters", "too_long"))
    if new.dedupe_key is not None and not 0 < len(new.dedupe_key) <= 300:
        problems.append(FieldProblem("dedupe_key", "1 to 300 characters", "invalid"))
    if problems:
        raise ValidationFailed(problems, "Invalid exception")


class ExceptionService:
    """Exceptions over a :class:`~tradelane.ports.flows.FlowStore`.

    :param store: where exceptions live
    :param mirror: where exceptions are mirrored (Odoo), if anywhere
    :param clock: the time source (tests pass a fixed clock)
    """

    def __init__(self, store: FlowStore, mirror: ExceptionMirror | None = None, clock: Clock = _utcnow) -> None:
        self.store = store
        self.mirror = mirror
        self.clock = clock

    @property
    def mirroring(self) -> bool:
        return self.mirror is not None

    async def open(self, new: NewException) -> tuple[ExceptionView, bool]:
        """Open ``new`` (or join the open one with its dedupe key); ``True`` when a new one was opened."""
        validate_new_exception(new)
        return await self.store.open_exception(new, self.clock(), self.mirroring)

    async def acknowledge(self, exception_id: str, tenant: str | None, actor: str, note: str | None = None
                          ) -> ExceptionView:
        """``open`` → ``acknowledged``; raises ``NotFound`` or ``ConflictError``."""
        return await self.store.transition_exception(
            exception_id, tenant, ACK, actor, _note(note), self.clock(), self.mirroring
        )

    async def resolve(self, exception_id: str, tenant: str | None, actor: str, note: str | None = None
                      ) -> ExceptionView:
        """``open`` | ``acknowledged`` → ``resolved``; the note is the resolution."""
        return await self.store.transition_exception(
            exception_id, tenant, RESOLVE, actor, _note(note), self.clock(), self.mirroring
        )

    async def get(self, exception_id: str, tenant: str | None) -> ExceptionView | None:
        return await self.store.get_exception(exception_id, tenant)

    async def list(
        self, flt: ExceptionFilter, limit: int, after: str | None = None
    ) -> tuple[list[ExceptionView], str | None]:
        return await self.store.list_exceptions(flt, limit, after)

    async def mirror_pending(self, limit: int = MIRROR_BATCH) -> int:
        """Mirror exceptions whose status changed since they were last mirrored; returns how many were done."""
        if self.mirror is None:
            return 0
        now = self.clock()
        due = await self.store.claim_exception_mirrors(now, limit, MIRROR_LEASE_S)
        done = 0
        for exc in due:
            try:
                outcome = await self.mirror.mirror(exc)
            except Exception as err:  # any failure is retried later; it never takes the loop down
                log.warning("mirroring exception %s failed: %s", exc.id, err)
                await self.store.finish_exception_mirror(
                    exc.id, None, None, f"{type(err).__name__}: {err}", now + timedelta(seconds=MIRROR_RETRY_S),
                    self.clock(),
                )
                continue
            ref = outcome.ref if outcome.status == "done" else f"skipped: {outcome.detail or 'no record'}"
            await self.store.finish_exception_mirror(exc.id, exc.status, ref, None, None, self.clock())
            done += 1
        return done


def _note(note: str | None) -> str | None:
    if note is None:
        return None
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed([FieldProblem("note", f"at most {NOTE_MAX} characters", "too_long")])
    return note or None
