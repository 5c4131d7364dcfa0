"""Connector discovery (built-ins and the ``tradelane.connectors`` entry point group) and capabilities
computed from the operations a connector implements."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tradelane.cli.connectors import connectors_app
from tradelane.connectors.registry import Capability, capability_matrix, describe, describe_mapping, discover
from tradelane.mapping.loader import load_mapping, template_dir
from tradelane.ports.connector import ConnectorSpec, PartnerRequest, PartnerResponse, implemented_operations

runner = CliRunner()


class TenderMapper:
    """Pure: builds and parses; implements tender and, half-way, release_order (no parser)."""

    def tender_request(self, event: Any, settings: Any) -> PartnerRequest:
        return PartnerRequest("tender", "POST", "/tenders", body={"id": event})

    def parse_tender_response(self, response: PartnerResponse, settings: Any) -> Any:
        return response.json()

    def release_order_request(self, event: Any, settings: Any) -> PartnerRequest:
        return PartnerRequest("release_order", "POST", "/orders")


class Proxy:
    async def tender(self, request: PartnerRequest) -> PartnerResponse:
        return PartnerResponse(201, b"{}")


class Hooks:
    def verify(self, headers: Any, body: bytes) -> None:
        return None

    def parse_tracking(self, headers: Any, body: bytes) -> Any:
        return None

    not_a_function = "parse_delivered"


SPEC = ConnectorSpec(
    id="acme_tms", kind="tms", mapper=TenderMapper(), proxy=Proxy(), hooks=Hooks(), description="ACME TMS"
)


def test_capabilities_come_from_implemented_operations() -> None:
    assert [op.name for op in implemented_operations(SPEC)] == ["tender", "tracking"]
    info = describe(SPEC, "test")
    assert info.operations == ("tender", "tracking") and info.error is None
    assert info.capabilities == {
        Capability("outbound", "shipment.tendered"),
        Capability("inbound", "shipment.milestone"),
        Capability("inbound", "shipment.eta_changed"),
    }
    # without a proxy nothing outbound can be sent
    no_proxy = describe(ConnectorSpec(id="x", kind="tms", mapper=TenderMapper()), "test")
    assert no_proxy.operations == ()


def test_builtin_odoo_is_discovered_with_its_operations() -> None:
    infos = {info.id: info for info in discover()}
    odoo = infos["odoo"]
    assert odoo.origin == "builtin" and odoo.kind == "erp" and odoo.error is None
    assert Capability("call", "outbound.ship_confirm_many") in odoo.capabilities
    assert len(odoo.operations) == len(odoo.capabilities) >= 10


def _install_fake_distribution(root: Path, entry_points: str, modules: dict[str, str]) -> None:
    dist = root / "acme_connectors-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-connectors\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(textwrap.dedent(entry_points))
    for name, source in modules.items():
        (root / f"{name}.py").write_text(textwrap.dedent(source))


def test_entry_point_connectors_are_discovered_and_broken_ones_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_fake_distribution(
        tmp_path,
        """
        [tradelane.connectors]
        acme_yard = acme_yard_connector
        broken = acme_broken_connector
        odoo = acme_fake_odoo
        """,
        {
            "acme_yard_connector": """
                from tradelane.ports.connector import ConnectorSpec

                class hooks:
                    @staticmethod
                    def verify(headers, body): ...
                    @staticmethod
                    def parse_gate_event(headers, body): ...
                    @staticmethod
                    def parse_dock_assigned(headers, body): ...

                METADATA = ConnectorSpec(id="acme_yard", kind="yard", hooks=hooks)
            """,
            "acme_broken_connector": "raise RuntimeError('missing dependency')\n",
            "acme_fake_odoo": "METADATA = {'id': 'odoo', 'kind': 'erp', 'operations': {}}\n",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("acme_yard_connector", "acme_broken_connector", "acme_fake_odoo"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    infos = {info.id: info for info in discover()}
    yard = infos["acme_yard"]
    assert yard.origin == "entry point acme-connectors" and yard.operations == ("gate_event", "dock_assigned")
    assert Capability("inbound", "gate.checked_out") in yard.capabilities
    assert infos["broken"].error == "RuntimeError: missing dependency"
    assert infos["odoo"].origin == "builtin"  # the first of an id wins; a plug-in cannot shadow a built-in


def test_capability_matrix_rows() -> None:
    wms = describe_mapping(load_mapping("wms-rest"))
    matrix = capability_matrix([describe(SPEC, "test"), wms])
    assert [c.id for c in matrix.connectors] == ["acme_tms", "acme-wms"]
    assert matrix.has("acme-wms", Capability("outbound", "order.released"))
    assert not matrix.has("acme_tms", Capability("outbound", "order.released"))
    rows = dict(matrix.rows())
    assert rows[Capability("inbound", "inventory.snapshot")] == (False, True)
    assert rows[Capability("outbound", "shipment.tendered")] == (True, False)
    assert list(rows) == sorted(rows)


def test_connectors_list_prints_the_matrix(tmp_path: Path) -> None:
    (tmp_path / "acme-wms.yaml").write_text(template_dir("wms-rest").joinpath("mapping.yaml").read_text())
    (tmp_path / "broken.yaml").write_text("partner: x\n")
    res = runner.invoke(connectors_app, ["list", "--mappings-dir", str(tmp_path)], env={"COLUMNS": "220"})
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "Capability matrix" in out and "odoo" in out and "acme-wms" in out
    assert "failed:" in out  # the broken mapping is listed with its error
    header = next(line for line in out.splitlines() if "capability" in line and "odoo" in line)
    names = [cell.strip() for cell in header.strip("┃ ").split("┃")]
    (row,) = [line for line in out.splitlines() if "inbound inventory.snapshot" in line]
    cells = dict(zip(names, (cell.strip() for cell in row.strip("│ ").split("│")), strict=True))
    assert (cells["odoo"], cells["acme-wms"], cells["broken"]) == ("·", "✓", "·")
    res = runner.invoke(connectors_app, ["list", "--templates"], env={"COLUMNS": "220"})
    assert res.exit_code == 0 and "dockflow-yard" in res.stdout and "inbound gate.checked_in" in res.stdout


def test_builtin_capabilities_are_what_their_mappings_really_map() -> None:
    """The matrix claims an event type only where the connector's mapping maps it: no over-claiming."""
    infos = {info.id: info for info in discover()}
    caps = {cid: {str(c) for c in info.capabilities} for cid, info in infos.items()}
    assert "inbound shipment.eta_changed" in caps["tms_rest"]
    for cid in ("yard", "carrier_webhook", "portal_api"):  # their tracking/status operations map milestones only
        assert "inbound shipment.eta_changed" not in caps[cid]
    assert "outbound shipment.eta_changed" not in caps["portal_api"]
    assert {"outbound shipment.milestone", "outbound shipment.delivered"} <= caps["portal_api"]
    assert "inbound order.cancelled" not in caps["portal_api"]  # its mapping has no cancellation
    assert {"inbound order.created", "inbound order.amended"} <= caps["portal_api"]
    # every claimed inbound capability is an event type one of the connector's mapping operations produces
    for cid, template in (("wms_rest", "wms-rest"), ("tms_rest", "tms-rest"), ("yard", "yard"),
                          ("carrier_webhook", "carrier-webhook"), ("portal_api", "portal")):
        mapping = load_mapping(template)
        produced = {f"inbound {'.'.join(op.event.split('.')[1:3])}" for op in mapping.inbound.values()}
        mapped_out = {f"outbound {'.'.join(op.event.split('.')[1:3])}" for op in mapping.outbound.values()}
        assert {c for c in caps[cid] if c.startswith("inbound")} <= produced, cid
        assert {c for c in caps[cid] if c.startswith("outbound")} <= mapped_out, cid


def test_an_operation_its_mapping_does_not_serve_claims_nothing() -> None:
    from tradelane.connectors.rest_common import MappedHooks

    class HalfHooks(MappedHooks):
        TEMPLATE = "yard"
        INBOUND = {"gate_event": ("gate_in",), "dock_assigned": ("no_such_operation",)}

        async def parse_gate_event(self, headers: Any, body: bytes) -> Any: ...

        async def parse_dock_assigned(self, headers: Any, body: bytes) -> Any: ...

    info = describe(ConnectorSpec(id="half", kind="yard", hooks=HalfHooks), "test")
    assert info.operations == ("gate_event",)  # dock_assigned is implemented in code but not mapped
    assert info.capabilities == {Capability("inbound", "gate.checked_in")}  # gate_out is not mapped either
