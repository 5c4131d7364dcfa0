"""The flow catalogue as people read it: name, mode, schedule and next run, SLAs, owner.

Cron expressions are standard five-field crontab lines evaluated in UTC (APScheduler's
``CronTrigger.from_crontab``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from tradelane.flows.spec import FlowSpec

__all__ = ["cron_trigger", "describe", "next_run"]

#: the smallest step past a time, so that "next run after T" never answers T itself
_TICK = timedelta(microseconds=1)


def cron_trigger(expr: str) -> CronTrigger:
    """The trigger of a crontab line, in UTC.

    :raises ValueError: when the line is not a valid five-field crontab expression
    """
    return CronTrigger.from_crontab(expr, timezone="UTC")


def next_run(expr: str, after: datetime) -> datetime | None:
    """The first fire time of ``expr`` strictly after ``after``."""
    fire: datetime | None = cron_trigger(expr).get_next_fire_time(None, after + _TICK)
    return fire


def _fmt_within(s: Any) -> str:
    total = int(s.within.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size:
            parts.append(f"{total // size}{unit}")
            total %= size
    text = "".join(parts)
    if getattr(s, "due_at", None):
        return f"{s.due_at}" + (f" + {text}" if text else "")
    return text


def describe(
    flows: Sequence[FlowSpec], now: datetime, last_runs: Mapping[str, Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """One row per flow, in name order."""
    out = []
    for f in sorted(flows, key=lambda f: f.name):
        nxt = next_run(f.cron, now) if f.cron else None
        last = (last_runs or {}).get(f.name)
        out.append(
            {
                "name": f.name,
                "description": f.description,
                "mode": f.mode,
                "cron": f.cron,
                "next_run": nxt.isoformat().replace("+00:00", "Z") if nxt else None,
                "last_run": dict(last) if last else None,
                "owner_team": f.owner_team,
                "dlq": f.dlq,
                "retry_schedule": list(f.retry_schedule),
                "slas": [
                    {"name": s.name, "within": _fmt_within(s), "start": sorted(s.start), "stop": sorted(s.stop),
                     "key": s.key, "severity": s.severity, "owner_team": s.owner_team,
                     **{k: getattr(s, k) for k in ("stop_key", "where", "start_where", "stop_where", "due_at")
                        if getattr(s, k, None)}}
                    for s in f.slas
                ],
            }
        )
    return out
