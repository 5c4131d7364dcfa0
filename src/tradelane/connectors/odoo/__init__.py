"""The Odoo connector: an async client (JSON-RPC, XML-RPC, JSON-2) and idempotent, batched operations.

Modules: :mod:`.client` (transport), :mod:`.errors` (error translation), :mod:`.versions` (every
version-specific field name), :mod:`.settings`, :mod:`.models` (operation inputs/outputs) and one module per
area — :mod:`.changes`, :mod:`.masterdata`, :mod:`.outbound`, :mod:`.inbound`, :mod:`.inventory`,
:mod:`.invoicing`, :mod:`.traceability`.
"""

from __future__ import annotations

from typing import Any

from .changes import parse_automation_webhook, poll_changes
from .client import OdooClient
from .errors import AmbiguousOutcome
from .inbound import receive_many, reschedule_many
from .inventory import apply_inventory_counts, read_quants
from .invoicing import invoice_delivered_order, post_carrier_bill
from .masterdata import read_locations, read_warehouses, upsert_carriers, upsert_partners, upsert_products
from .models import (
    ActivityRequest,
    ActivityResult,
    AdjustmentResult,
    AttachmentRequest,
    BillLine,
    CarrierBill,
    CarrierData,
    ChangeBatch,
    ChangeCursor,
    ChangeHint,
    InvoiceResult,
    Location,
    MoveInfo,
    NoteRequest,
    OrderLine,
    OrderRelease,
    PartnerData,
    PickingInfo,
    PickLine,
    ProductData,
    QuantInfo,
    ReceiptConfirmation,
    RecordRef,
    ScheduleChange,
    ShipConfirmation,
    StockCount,
    TransferResult,
    UpsertResult,
    Warehouse,
)
from .outbound import read_order_releases, ship_confirm, ship_confirm_many
from .settings import OdooSettings
from .traceability import attach_document, close_activity, find_named_record, open_activity, post_note
from .versions import OdooDialect, dialect_for

#: what this connector is and which operations it offers (capabilities are computed from this list)
METADATA: dict[str, Any] = {
    "id": "odoo",
    "kind": "erp",
    "settings": OdooSettings,
    "client": OdooClient,
    "operations": {
        "changes.poll": poll_changes,
        "changes.webhook_hint": parse_automation_webhook,
        "masterdata.upsert_partners": upsert_partners,
        "masterdata.upsert_products": upsert_products,
        "masterdata.upsert_carriers": upsert_carriers,
        "masterdata.read_warehouses": read_warehouses,
        "masterdata.read_locations": read_locations,
        "outbound.read_order_releases": read_order_releases,
        "outbound.ship_confirm_many": ship_confirm_many,
        "inbound.receive_many": receive_many,
        "inbound.reschedule_many": reschedule_many,
        "inventory.read_quants": read_quants,
        "inventory.apply_counts": apply_inventory_counts,
        "invoicing.invoice_delivered_order": invoice_delivered_order,
        "invoicing.post_carrier_bill": post_carrier_bill,
        "traceability.post_note": post_note,
        "traceability.open_activity": open_activity,
        "traceability.close_activity": close_activity,
        "traceability.attach_document": attach_document,
    },
}

__all__ = [
    "METADATA",
    "ActivityRequest",
    "ActivityResult",
    "AdjustmentResult",
    "AmbiguousOutcome",
    "AttachmentRequest",
    "BillLine",
    "CarrierBill",
    "CarrierData",
    "ChangeBatch",
    "ChangeCursor",
    "ChangeHint",
    "InvoiceResult",
    "Location",
    "MoveInfo",
    "NoteRequest",
    "OdooClient",
    "OdooDialect",
    "OdooSettings",
    "OrderLine",
    "OrderRelease",
    "PartnerData",
    "PickLine",
    "PickingInfo",
    "ProductData",
    "QuantInfo",
    "ReceiptConfirmation",
    "RecordRef",
    "ScheduleChange",
    "ShipConfirmation",
    "StockCount",
    "TransferResult",
    "UpsertResult",
    "Warehouse",
    "apply_inventory_counts",
    "attach_document",
    "close_activity",
    "dialect_for",
    "find_named_record",
    "invoice_delivered_order",
    "open_activity",
    "parse_automation_webhook",
    "poll_changes",
    "post_carrier_bill",
    "post_note",
    "read_locations",
    "read_order_releases",
    "read_quants",
    "read_warehouses",
    "receive_many",
    "reschedule_many",
    "ship_confirm",
    "ship_confirm_many",
    "upsert_carriers",
    "upsert_partners",
    "upsert_products",
]
