"""Read models for the control tower's charts: counting and bucketing done by the database, so a chart costs
one aggregate query instead of reading every row (``tradelane.store.web_reads`` implements it for SQL).

Buckets are ``n`` consecutive intervals of ``width_s`` seconds starting at ``since``; rows outside them are
not counted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

__all__ = ["ChartReads"]


class ChartReads(Protocol):
    async def events_per_bucket(self, since: datetime, width_s: float, n: int) -> list[int]:
        """Events received per bucket (by ``received_at``)."""
        ...

    async def done_latencies_per_bucket(self, since: datetime, width_s: float, n: int) -> list[list[float]]:
        """Per bucket (by ``completed_at``), the end-to-end latency in seconds (``completed_at − created_at``)
        of each delivery done in it."""
        ...
