"""An inventory run names its Odoo adjustment, and that name is what makes the adjustment idempotent: a retried
scheduled firing (the same fire time) must give the same name, and distinct runs (two firings in one minute, two
manual runs) distinct names, or Odoo takes the second adjustment as already applied."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tradelane.flows.inventory import InventoryConfig, InventoryFlow, run_reference
from tradelane.ports.flows import QuantRow
from tradelane.routing.ownership import OwnershipMatrix, SystemRef

FIRE = datetime(2026, 12, 3, 3, 30, tzinfo=UTC)


class _Desk:
    def __init__(self) -> None:
        self.keys: list[str] = []

    async def quants(self, skus: list[str]) -> list[QuantRow]:
        return [QuantRow("TL-1001", 120.0)]

    async def adjust(self, counts: list[QuantRow], key: str) -> int:
        self.keys.append(key)
        return len(counts)


class _Warehouse:
    async def snapshot(self, site: str) -> list[QuantRow]:
        return [QuantRow("TL-1001", 117.0)]


def _flow(desk: _Desk) -> InventoryFlow:
    matrix = OwnershipMatrix.from_config({"entities": {"inventory": {"fields": {"on_hand": "wms"}}}})
    return InventoryFlow(desk, _Warehouse(), None, matrix,  # type: ignore[arg-type]
                         InventoryConfig(wms=SystemRef("acme-wms", "wms")))


async def test_a_retried_firing_names_the_same_adjustment() -> None:
    desk = _Desk()
    flow = _flow(desk)
    await flow.run("inventory", FIRE)
    await flow.run("inventory", FIRE)  # the same firing again (a retry after a crash)
    assert desk.keys == ["Tradelane reconciliation RTM1 2026-12-03 03:30:00"] * 2


async def test_two_runs_in_one_minute_are_two_adjustments() -> None:
    desk = _Desk()
    flow = _flow(desk)
    await flow.run("inventory", FIRE)
    await flow.run("inventory", FIRE + timedelta(seconds=20))  # a second firing within the minute
    run_now = FIRE + timedelta(seconds=20, microseconds=1234)  # "run now": recorded under the instant it started
    await flow.run("inventory", run_now)
    await flow.run("inventory", run_now)  # ... and that run retried
    assert desk.keys[:3] == ["Tradelane reconciliation RTM1 2026-12-03 03:30:00",
                             "Tradelane reconciliation RTM1 2026-12-03 03:30:20",
                             "Tradelane reconciliation RTM1 2026-12-03 03:30:20.001234"]
    assert desk.keys[3] == desk.keys[2]


async def test_manual_runs_without_a_fire_time_are_distinct() -> None:
    desk = _Desk()
    flow = _flow(desk)
    await flow.run()
    await flow.run()
    assert len(set(desk.keys)) == 2
    assert all(k.startswith("Tradelane reconciliation RTM1 manual ") for k in desk.keys)
    assert run_reference("RTM1", None, "r1") == run_reference("RTM1", None, "r1") == (
        "Tradelane reconciliation RTM1 manual r1")


def test_the_name_is_the_fire_time_in_utc() -> None:
    local = FIRE.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert run_reference("RTM1", local) == run_reference("RTM1", FIRE)


