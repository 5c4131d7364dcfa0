"""Charts of the control tower (``/ui/charts``): throughput, delivery latency and SLA breaches over time,
drawn as server-side SVG (no script, no CDN).

Series are computed from what the hub stores, read through ``hub.store`` and ``hub.flows``: events received
per bucket (counted by the database, :class:`tradelane.ports.reads.ChartReads`), deliveries completed per
bucket and their end-to-end latency (``completed_at − created_at`` of ``done`` deliveries, bucketed by the
database, p50 and p95 per bucket here), and SLA timers breached per bucket (at most :data:`SCAN_CAP` timers;
the chart says when it was cut).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tradelane.ports.flows import SlaTimerFilter
from tradelane.ports.reads import ChartReads

__all__ = ["WINDOWS", "Chart", "charts"]

#: window name → (length, bucket width)
WINDOWS: Mapping[str, tuple[timedelta, timedelta]] = {
    "1h": (timedelta(hours=1), timedelta(minutes=5)),
    "24h": (timedelta(hours=24), timedelta(hours=1)),
    "7d": (timedelta(days=7), timedelta(hours=6)),
}
#: most breached SLA timers read
SCAN_CAP = 50_000
#: drawing area of one chart, SVG user units
WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 160, 44, 22, 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    value: float
    label: str


@dataclass
class Chart:
    id: str
    title: str
    unit: str
    values: list[float]
    starts: list[datetime]
    bars: list[Bar] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)
    peak: float = 0.0
    total: float = 0.0
    truncated: bool = False
    #: highlight bars (breaches)
    bad: bool = False
    width: int = WIDTH
    height: int = HEIGHT

    def layout(self) -> Chart:
        n = len(self.values)
        self.peak = max(self.values, default=0.0)
        self.total = sum(self.values)
        span = self.peak or 1.0
        inner_w, inner_h = WIDTH - PAD_LEFT, HEIGHT - PAD_BOTTOM - PAD_TOP
        slot = inner_w / max(n, 1)
        for i, (v, start) in enumerate(zip(self.values, self.starts, strict=True)):
            h = inner_h * v / span
            self.bars.append(Bar(x=PAD_LEFT + i * slot + 1, y=PAD_TOP + inner_h - h, w=max(slot - 2, 1), h=h,
                                 value=v, label=f"{start:%Y-%m-%d %H:%M} UTC: {_fmt(v)} {self.unit}"))
        step = max(1, n // 6)
        self.ticks = [(PAD_LEFT + i * slot, f"{self.starts[i]:%d %H:%M}") for i in range(0, n, step)]
        return self

    @property
    def baseline(self) -> float:
        return HEIGHT - PAD_BOTTOM

    @property
    def left(self) -> int:
        return PAD_LEFT


def _fmt(v: float) -> str:
    return f"{v:.0f}" if v == int(v) else f"{v:.3g}"


def _bucket(at: datetime, start: datetime, width: timedelta, n: int) -> int | None:
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    i = int((at - start) / width)
    return i if 0 <= i < n else None


def _pct(values: Sequence[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(p * len(s)))]


async def charts(hub: Any, window: str = "24h", now: datetime | None = None) -> list[Chart]:
    """The charts for ``window`` (a key of :data:`WINDOWS`) ending at ``now``."""
    length, width = WINDOWS[window]
    now = now or datetime.now(UTC)
    n = int(length / width)
    end = now.replace(second=0, microsecond=0)
    start = end - width * (n - 1)
    start = start.replace(minute=(start.minute // 5) * 5) if width < timedelta(hours=1) else start.replace(minute=0)
    starts = [start + width * i for i in range(n)]

    reads: ChartReads = hub.store
    width_s = width.total_seconds()
    received = [float(x) for x in await reads.events_per_bucket(start, width_s, n)]
    latencies = await reads.done_latencies_per_bucket(start, width_s, n)
    delivered = [float(len(v)) for v in latencies]

    breaches = [0.0] * n
    bcut = False
    flows = getattr(hub, "flows", None)
    if flows is not None:
        timers, more = await flows.store.list_sla_timers(SlaTimerFilter(status="breached"), SCAN_CAP, None)
        bcut = more is not None
        for t in timers:
            if t.breached_at is not None:
                i = _bucket(t.breached_at, start, width, n)
                if i is not None:
                    breaches[i] += 1

    out = [
        Chart("received", "Events received", "events", received, starts),
        Chart("delivered", "Deliveries completed", "deliveries", delivered, starts),
        Chart("latency-p50", "Delivery latency, median (created → done)", "s",
              [_pct(v, 0.5) for v in latencies], starts),
        Chart("latency-p95", "Delivery latency, 95th percentile", "s",
              [_pct(v, 0.95) for v in latencies], starts),
    ]
    if flows is not None:
        out.append(Chart("sla-breaches", "SLA breaches", "breaches", breaches, starts, truncated=bcut, bad=True))
    return [c.layout() for c in out]
