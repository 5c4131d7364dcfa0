"""Test helpers for delivery scenarios (tests, chaos runs, benchmarks): settings with routes, and events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tradelane.core.envelope import CloudEvent
from tradelane.core.examples import example
from tradelane.settings import Settings, load_settings

MILESTONE = "tradelane.shipment.milestone.v1"


def delivery_settings(
    tmp_path: Path,
    db_url: str,
    endpoints: dict[str, Any],
    routes: list[dict[str, Any]],
    **extra: Any,
) -> Settings:
    for ep in endpoints.values():
        ep.setdefault("allow", ["127.0.0.1"])
    delivery = {"poll_interval_s": 0.05, "retry_compress": 0.001, "lease_s": 5.0}
    delivery.update(extra.pop("delivery", {}))
    return load_settings(
        None,
        data_dir=tmp_path / "data",
        database={"url": db_url},
        endpoints=endpoints,
        routes=routes,
        delivery=delivery,
        **extra,
    )


def milestone(n: int, key: str, seq: int, **data: Any) -> CloudEvent:
    body = example(MILESTONE)
    body.update(data)
    return CloudEvent(
        id=f"ms-{key}-{n}",
        source="urn:test:carrier",
        type=MILESTONE,
        partitionkey=key,
        sequence=seq,
        data=body,
    )
