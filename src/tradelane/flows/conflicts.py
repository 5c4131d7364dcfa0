"""System-of-record conflicts: an update from a system that does not own a field is not applied; it is
recorded here for a person to accept or reject.

:func:`tradelane.routing.ownership.split_update` decides (pure); :meth:`ConflictService.record` persists its
conflicts (idempotently: the same event proposing the same value for the same field is one record).
Accepting records the decision and hands back the proposed value; applying it to Odoo is the flow's job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tradelane.ports.flows import ConflictFilter, ConflictView, FlowStore, NewConflict
from tradelane.routing.ownership import Conflict, UpdateSplit

__all__ = ["ConflictService", "Decision"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Decision:
    """An accepted or rejected conflict; ``apply`` is the value to write when accepted (else ``None``)."""

    conflict: ConflictView
    #: whether the proposed value should now be applied
    apply: bool
    #: the field and value to apply
    field: str
    value: Any


class ConflictService:
    """Conflicts over a :class:`~tradelane.ports.flows.FlowStore`."""

    def __init__(self, store: FlowStore, clock: Callable[[], datetime] = _utcnow) -> None:
        self.store = store
        self.clock = clock

    async def record(
        self, tenant: str, decision: UpdateSplit | Iterable[Conflict], event_id: str | None = None
    ) -> list[ConflictView]:
        """Persist the conflicts of an ownership decision; returns the records (new or already known).

        :param tenant: the tenant the entity belongs to
        :param decision: the result of :func:`~tradelane.routing.ownership.split_update`, or its conflicts
        :param event_id: the hub id of the event that proposed the change
        """
        items = decision.conflicts if isinstance(decision, UpdateSplit) else tuple(decision)
        rows = [
            NewConflict(
                tenant=tenant, entity_kind=c.entity, entity_id=c.entity_id, field=c.field, source=c.source,
                owners=tuple(c.owners), current=c.current, proposed=c.proposed, event_id=event_id,
            )
            for c in items
        ]
        return [view for view, _ in await self.store.record_conflicts(rows, self.clock())]

    async def list(
        self, flt: ConflictFilter, limit: int, after: str | None = None
    ) -> tuple[list[ConflictView], str | None]:
        return await self.store.list_conflicts(flt, limit, after)

    async def get(self, conflict_id: str, tenant: str | None) -> ConflictView | None:
        return await self.store.get_conflict(conflict_id, tenant)

    async def accept(self, conflict_id: str, tenant: str | None, actor: str, note: str | None = None) -> Decision:
        """Accept: the proposed value wins. Raises ``NotFound`` or ``ConflictError`` (already decided)."""
        view = await self.store.decide_conflict(conflict_id, tenant, "accepted", actor, note, self.clock())
        return Decision(view, True, view.field, view.proposed)

    async def reject(self, conflict_id: str, tenant: str | None, actor: str, note: str | None = None) -> Decision:
        """Reject: the owner's value stays."""
        view = await self.store.decide_conflict(conflict_id, tenant, "rejected", actor, note, self.clock())
        return Decision(view, False, view.field, view.current)
