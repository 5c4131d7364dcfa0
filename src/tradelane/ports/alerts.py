"""The alert-state port: where the alert engine (``tradelane.observability.alerts``) keeps what it has sent, so
a restart neither re-sends a firing alert nor forgets the "resolved" notification it owes.

The SQL implementation is ``tradelane.store.alerts.SqlAlertStates``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

__all__ = ["AlertStateRecord", "AlertStates"]


@dataclass(frozen=True)
class AlertStateRecord:
    """One alert's de-duplication state."""

    #: the alert's fingerprint (rule + labels)
    fingerprint: str
    rule: str
    #: the alert as last evaluated: ``labels``, ``value``, ``severity``, ``summary``, ``detail``
    alert: Mapping[str, Any]
    firing: bool
    #: when the current episode started firing (or was first seen, while pending)
    since: datetime
    #: when the condition was first seen
    pending_since: datetime
    #: channel → when the firing notification last went out
    sent: Mapping[str, datetime] = field(default_factory=dict)
    #: channels still owed a "resolved" notification
    owe_resolved: tuple[str, ...] = ()


class AlertStates(Protocol):
    """Persistence of :class:`AlertStateRecord` rows; each method is one transaction."""

    async def load_alert_states(self) -> list[AlertStateRecord]: ...

    async def save_alert_states(
        self, changed: Sequence[AlertStateRecord], removed: Sequence[str], now: datetime
    ) -> None:
        """Write ``changed`` (insert or replace by fingerprint) and delete the ``removed`` fingerprints."""
        ...
