"""The reference partner connectors are built in: discovered, described and shown in the capability matrix
with capabilities computed from what they implement."""

from __future__ import annotations

import importlib

import pytest
from typer.testing import CliRunner

from tradelane.cli.connectors import connectors_app
from tradelane.connectors.registry import Capability, capability_matrix, describe, discover

PARTNER_CONNECTORS = {
    "wms_rest": ("wms", {"outbound order.released", "inbound shipment.picked", "inbound shipment.packed",
                         "inbound shipment.shipped", "inbound inventory.snapshot"}),
    "tms_rest": ("tms", {"outbound shipment.tendered", "inbound shipment.booked", "inbound shipment.tender_rejected",
                         "inbound shipment.milestone", "inbound freight.charged"}),
    "carrier_webhook": ("carrier", {"inbound shipment.milestone", "inbound shipment.delivered"}),
    "yard": ("yard", {"outbound appointment.requested", "inbound appointment.confirmed", "inbound gate.checked_in",
                      "inbound gate.checked_out", "inbound dock.assigned", "inbound shipment.milestone"}),
    "portal_api": ("portal", {"inbound order.created", "inbound order.amended", "outbound shipment.milestone",
                              "outbound shipment.delivered"}),
}


@pytest.mark.parametrize("connector", sorted(PARTNER_CONNECTORS))
def test_each_connector_is_discovered_with_its_computed_capabilities(connector: str) -> None:
    infos = {info.id: info for info in discover()}
    info = infos[connector]
    kind, expected = PARTNER_CONNECTORS[connector]
    assert info.error is None and info.origin == "builtin" and info.kind == kind
    assert expected <= {str(c) for c in info.capabilities}
    assert info == describe(importlib.import_module(f"tradelane.connectors.{connector}"), "builtin")


def test_an_inbound_only_connector_has_no_outbound_capability() -> None:
    info = describe(importlib.import_module("tradelane.connectors.carrier_webhook"), "builtin")
    assert {c.direction for c in info.capabilities} == {"inbound"}
    assert info.operations == ("tracking", "delivered")


def test_connectors_list_shows_them_in_the_matrix() -> None:
    res = CliRunner().invoke(connectors_app, ["list"], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    header = next(line for line in res.stdout.splitlines() if "capability" in line and "odoo" in line)
    names = [cell.strip() for cell in header.strip("┃ ").split("┃")]
    (row,) = [line for line in res.stdout.splitlines() if "outbound appointment.requested" in line]
    cells = dict(zip(names, (cell.strip() for cell in row.strip("│ ").split("│")), strict=True))
    assert cells["yard"] == "✓" and cells["wms_rest"] == "·" and cells["odoo"] == "·"
    matrix = capability_matrix()
    assert matrix.has("tms_rest", Capability("inbound", "freight.charged"))
