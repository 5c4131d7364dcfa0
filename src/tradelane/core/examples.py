"""One realistic example payload (the ``data`` of an event) per registered event type.

The story: Noordzee Koffie B.V. runs a distribution centre in Rotterdam on Odoo. Sales order ``SO0042``
ships espresso beans to Café Central in Cologne with the carrier Rhenus Road Freight; purchase order
``P00017`` brings green coffee from a supplier. Unit tests validate every example against its model,
ingest tests and the demo reuse them. :data:`EXAMPLES` maps type name → payload in JSON form (decimals as
strings, times in ISO 8601 with an offset); use :func:`example` for a private copy to modify.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from typing import Any

__all__ = ["EXAMPLES", "example"]

#: a small signature drawing, carried inline in the proof of delivery
_SIGNATURE_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">'
    b'<path d="M5 30 C 20 5, 40 5, 55 30 S 90 55, 115 10" stroke="black" fill="none"/></svg>'
)

_NL_ADDRESS: dict[str, Any] = {
    "line1": "Waalhaven Zuidzijde 21",
    "city": "Rotterdam",
    "region": "ZH",
    "postal_code": "3089 JH",
    "country": "NL",
    "position": {"lat": 51.8845, "lon": 4.4372},
}
_DE_ADDRESS: dict[str, Any] = {
    "line1": "Hohe Straße 118",
    "city": "Köln",
    "region": "NW",
    "postal_code": "50667",
    "country": "DE",
}
_DC_ROTTERDAM: dict[str, Any] = {
    "location_id": "loc_dc_rtm",
    "name": "Rotterdam DC",
    "kind": "warehouse",
    "address": _NL_ADDRESS,
    "gln": "8712345000004",
    "timezone": "Europe/Amsterdam",
}
_CAFE_CENTRAL_SITE: dict[str, Any] = {
    "location_id": "loc_cust_cafe_central",
    "name": "Café Central Köln",
    "kind": "customer_site",
    "address": _DE_ADDRESS,
    "timezone": "Europe/Berlin",
}
_ESPRESSO: dict[str, Any] = {
    "sku": "NZ-ESP-1KG",
    "name": "Espresso Roast beans 1 kg",
    "gtin": "8712345678906",
}
_FILTER: dict[str, Any] = {"sku": "NZ-FIL-250", "name": "Filter Roast ground 250 g"}
_GREEN: dict[str, Any] = {"sku": "GRN-COL-60KG", "name": "Green coffee Colombia Huila, 60 kg bag"}

_ORDER: dict[str, Any] = {
    "order_id": "ord_so0042",
    "number": "SO0042",
    "kind": "sales",
    "status": "confirmed",
    "party_id": "party_cafe_central",
    "customer_ref": "CC-PO-2291",
    "warehouse_id": "loc_dc_rtm",
    "ship_to": _DE_ADDRESS,
    "requested_window": {"start": "2026-11-18T07:00:00+01:00", "end": "2026-11-18T12:00:00+01:00"},
    "ordered_at": "2026-11-12T09:41:07Z",
    "lines": [
        {
            "line_id": "1",
            "product": _ESPRESSO,
            "quantity": {"value": "24", "unit": "EA"},
            "requested_at": "2026-11-18T09:00:00+01:00",
            "unit_price": {"amount": "18.50", "currency": "EUR"},
        },
        {
            "line_id": "2",
            "product": _FILTER,
            "quantity": {"value": "2", "unit": "CS"},
            "unit_price": {"amount": "54.00", "currency": "EUR"},
        },
    ],
    "external_refs": [{"system": "odoo", "id": "sale.order,42"}],
}

_SHIPMENT_LINES: list[dict[str, Any]] = [
    {
        "line_id": "1",
        "order_line_id": "1",
        "product": _ESPRESSO,
        "quantity": {"value": "24", "unit": "EA"},
        "lots": [
            {
                "lot": "L2026-311",
                "quantity": {"value": "18", "unit": "EA"},
                "expires_at": "2027-05-07T00:00:00Z",
            },
            {
                "lot": "L2026-305",
                "quantity": {"value": "6", "unit": "EA"},
                "expires_at": "2027-05-01T00:00:00Z",
            },
        ],
        "sscc": "008712345000000013",
    },
    {
        "line_id": "2",
        "order_line_id": "2",
        "product": _FILTER,
        "quantity": {"value": "2", "unit": "CS"},
        "sscc": "008712345000000020",
    },
]
_HANDLING_UNITS: list[dict[str, Any]] = [
    {
        "sscc": "008712345000000013",
        "kind": "pallet",
        "weight": {"value": "41.5", "unit": "KG"},
        "dimensions": {
            "length": {"value": "120", "unit": "CM"},
            "width": {"value": "80", "unit": "CM"},
            "height": {"value": "65", "unit": "CM"},
        },
    },
    {"sscc": "008712345000000020", "kind": "carton", "weight": {"value": "6.4", "unit": "KG"}},
]
_SHIPMENT: dict[str, Any] = {
    "shipment_id": "shp_so0042_1",
    "reference": "WH/OUT/00042",
    "order_refs": ["SO0042"],
    "mode": "ltl",
    "carrier_id": "party_rhenus",
    "service_level": "STANDARD_48H",
    "tracking_number": "RHN7781934420",
    "ship_from": _DC_ROTTERDAM,
    "ship_to": _CAFE_CENTRAL_SITE,
    "stops": [
        {
            "sequence": 1,
            "kind": "pickup",
            "location": _DC_ROTTERDAM,
            "window": {"start": "2026-11-16T13:00:00+01:00", "end": "2026-11-16T16:00:00+01:00"},
            "appointment_id": "appt_rtm_20261116_07",
        },
        {
            "sequence": 2,
            "kind": "delivery",
            "location": _CAFE_CENTRAL_SITE,
            "window": {"start": "2026-11-18T07:00:00+01:00", "end": "2026-11-18T12:00:00+01:00"},
        },
    ],
    "legs": [
        {
            "sequence": 1,
            "from_stop": 1,
            "to_stop": 2,
            "mode": "ltl",
            "carrier_id": "party_rhenus",
            "scac": "RHNS",
            "tracking_number": "RHN7781934420",
            "planned_departure_at": "2026-11-16T15:30:00+01:00",
            "planned_arrival_at": "2026-11-18T09:00:00+01:00",
        }
    ],
    "handling_units": _HANDLING_UNITS,
    "lines": _SHIPMENT_LINES,
    "total_weight": {"value": "47.9", "unit": "KG"},
    "pickup_window": {"start": "2026-11-16T13:00:00+01:00", "end": "2026-11-16T16:00:00+01:00"},
    "delivery_window": {"start": "2026-11-18T07:00:00+01:00", "end": "2026-11-18T12:00:00+01:00"},
    "external_refs": [{"system": "odoo", "id": "stock.picking,118"}],
}

_TRAILER: dict[str, Any] = {
    "number": "RHN-T-4471",
    "kind": "dry_van",
    "scac": "RHNS",
    "license_plate": "DU-RH 4471",
    "length": {"value": "13.6", "unit": "M"},
}
_INBOUND_TRAILER: dict[str, Any] = {
    "number": "MSKU 907632-1",
    "kind": "container",
    "length": {"value": "40", "unit": "FT"},
}

_APPOINTMENT: dict[str, Any] = {
    "appointment_id": "appt_rtm_20261116_07",
    "location_id": "loc_dc_rtm",
    "dock_id": "loc_dc_rtm_door_07",
    "direction": "outbound",
    "window": {"start": "2026-11-16T14:00:00+01:00", "end": "2026-11-16T15:00:00+01:00"},
    "status": "requested",
    "carrier_id": "party_rhenus",
    "shipment_ids": ["shp_so0042_1"],
    "order_refs": ["SO0042"],
    "note": "Tail-lift not required; two positions.",
}

_RECEIPT: dict[str, Any] = {
    "receipt_id": "rcpt_p00017",
    "reference": "WH/IN/00017",
    "order_ref": "P00017",
    "location_id": "loc_dc_rtm",
    "supplier_id": "party_huila_coop",
    "expected_at": "2026-11-17T08:00:00+01:00",
    "lines": [
        {"line_id": "1", "product": _GREEN, "expected_quantity": {"value": "20", "unit": "EA"}},
        {"line_id": "2", "product": _ESPRESSO, "expected_quantity": {"value": "10", "unit": "CS"}},
    ],
}
_RECEIPT_DONE: dict[str, Any] = {
    **_RECEIPT,
    "received_at": "2026-11-17T10:12:44+01:00",
    "lines": [
        {
            "line_id": "1",
            "product": _GREEN,
            "expected_quantity": {"value": "20", "unit": "EA"},
            "received_quantity": {"value": "19", "unit": "EA"},
            "lots": [{"lot": "HUI-2026-118", "quantity": {"value": "19", "unit": "EA"}}],
            "discrepancies": [
                {
                    "reason": "short",
                    "quantity": {"value": "1", "unit": "EA"},
                    "note": "19 bags on the pallet, ASN said 20",
                }
            ],
        },
        {
            "line_id": "2",
            "product": _ESPRESSO,
            "expected_quantity": {"value": "10", "unit": "CS"},
            "received_quantity": {"value": "10", "unit": "CS"},
            "discrepancies": [
                {
                    "reason": "damaged",
                    "quantity": {"value": "1", "unit": "CS"},
                    "note": "corner crushed, 2 bags torn",
                }
            ],
        },
    ],
}

_INVOICE_CHARGES: list[dict[str, Any]] = [
    {
        "charge_id": "1",
        "kind": "base",
        "amount": {"amount": "212.00", "currency": "EUR"},
        "shipment_id": "shp_so0042_1",
        "source_code": "400",
        "description": "LTL Rotterdam → Köln, 2 positions",
    },
    {
        "charge_id": "2",
        "kind": "accessorial",
        "accessorial": "fuel",
        "amount": {"amount": "31.80", "currency": "EUR"},
        "shipment_id": "shp_so0042_1",
        "source_code": "FUE",
        "description": "Diesel surcharge 15%",
    },
    {
        "charge_id": "3",
        "kind": "accessorial",
        "accessorial": "detention",
        "amount": {"amount": "45.00", "currency": "EUR"},
        "shipment_id": "shp_so0042_1",
        "source_code": "DET",
        "description": "Waiting time at delivery, 45 min beyond 2 h free",
    },
]

_RETURN: dict[str, Any] = {
    "return_id": "ret_rma0007",
    "rma_number": "RMA0007",
    "order_ref": "SO0042",
    "customer_id": "party_cafe_central",
    "location_id": "loc_dc_rtm",
    "reason_text": "Two bags arrived torn",
    "requested_at": "2026-11-18T15:20:00+01:00",
    "lines": [
        {
            "line_id": "1",
            "product": _ESPRESSO,
            "quantity": {"value": "2", "unit": "EA"},
            "reason": "damaged",
            "order_line_id": "1",
            "lots": [{"lot": "L2026-311", "quantity": {"value": "2", "unit": "EA"}}],
        }
    ],
}

_EXCEPTION: dict[str, Any] = {
    "exception_id": "exc_rcpt_p00017_short",
    "type": "short_shipped",
    "severity": "medium",
    "entity": {"kind": "receipt", "id": "rcpt_p00017", "reference": "WH/IN/00017"},
    "owner_team": "purchasing",
    "status": "open",
    "summary": "P00017 received 1 bag short (19 of 20)",
    "detail": "Receiving counted 19 bags of GRN-COL-60KG against an ASN of 20. Supplier to credit or ship.",
    "opened_at": "2026-11-17T10:13:02+01:00",
}

_RAW: dict[str, dict[str, Any]] = {
    "tradelane.order.created.v1": {"order_id": "ord_so0042", "order": {**_ORDER, "status": "draft"}},
    "tradelane.order.confirmed.v1": {
        "order_id": "ord_so0042",
        "confirmed_at": "2026-11-12T09:45:30Z",
        "order": _ORDER,
    },
    "tradelane.order.released.v1": {
        "order_id": "ord_so0042",
        "number": "SO0042",
        "warehouse_id": "loc_dc_rtm",
        "released_at": "2026-11-15T06:00:00Z",
        "lines": _ORDER["lines"],
        "ship_by": "2026-11-16T14:00:00+01:00",
    },
    "tradelane.order.amended.v1": {
        "order_id": "ord_so0042",
        "amended_at": "2026-11-13T11:02:00Z",
        "order": {
            **_ORDER,
            "lines": [
                {**_ORDER["lines"][0], "quantity": {"value": "30", "unit": "EA"}},
                _ORDER["lines"][1],
            ],
        },
        "changed_fields": ["lines[0].quantity"],
        "reason": "Customer raised espresso from 24 to 30 bags by phone",
    },
    "tradelane.order.cancelled.v1": {
        "order_id": "ord_so0051",
        "number": "SO0051",
        "cancelled_at": "2026-11-14T16:30:00Z",
        "reason": "Duplicate of SO0042 entered by the web shop",
    },
    "tradelane.shipment.picked.v1": {
        "shipment_id": "shp_so0042_1",
        "reference": "WH/OUT/00042",
        "warehouse_id": "loc_dc_rtm",
        "picked_at": "2026-11-16T10:05:00+01:00",
        "lines": [{k: v for k, v in line.items() if k != "sscc"} for line in _SHIPMENT_LINES],
    },
    "tradelane.shipment.packed.v1": {
        "shipment_id": "shp_so0042_1",
        "reference": "WH/OUT/00042",
        "packed_at": "2026-11-16T11:40:00+01:00",
        "handling_units": _HANDLING_UNITS,
        "lines": _SHIPMENT_LINES,
    },
    "tradelane.shipment.shipped.v1": {
        "shipment_id": "shp_so0042_1",
        "shipped_at": "2026-11-16T15:32:00+01:00",
        "shipment": _SHIPMENT,
    },
    "tradelane.shipment.tendered.v1": {
        "shipment_id": "shp_so0042_1",
        "tender_id": "tnd_so0042_1_a",
        "carrier_id": "party_rhenus",
        "tendered_at": "2026-11-15T07:10:00Z",
        "respond_by": "2026-11-15T11:00:00Z",
        "offered_rate": {"amount": "212.00", "currency": "EUR"},
        "shipment": _SHIPMENT,
    },
    "tradelane.shipment.booked.v1": {
        "shipment_id": "shp_so0042_1",
        "tender_id": "tnd_so0042_1_a",
        "carrier_id": "party_rhenus",
        "booked_at": "2026-11-15T08:02:11Z",
        "booking_ref": "RH-BK-558120",
        "tracking_number": "RHN7781934420",
        "pickup_window": {"start": "2026-11-16T13:00:00+01:00", "end": "2026-11-16T16:00:00+01:00"},
        "rate": {"amount": "212.00", "currency": "EUR"},
    },
    "tradelane.shipment.tender_rejected.v1": {
        "shipment_id": "shp_so0042_1",
        "tender_id": "tnd_so0042_1_0",
        "carrier_id": "party_dachser",
        "rejected_at": "2026-11-15T07:05:40Z",
        "reason": "No capacity on the Rotterdam–Köln lane on 16 November",
        "reason_code": "CAP",
    },
    "tradelane.shipment.milestone.v1": {
        "shipment_id": "shp_so0042_1",
        "tracking_number": "RHN7781934420",
        "carrier_id": "party_rhenus",
        "event": {
            "milestone": "departed_terminal",
            "occurred_at": "2026-11-17T21:48:00+01:00",
            "address": {
                "line1": "Heinrich-Hertz-Straße 2",
                "city": "Duisburg",
                "postal_code": "47228",
                "country": "DE",
            },
            "position": {"lat": 51.4052, "lon": 6.7116},
            "source_status_code": "P1",
            "carrier_event_id": "RH-EV-99180231",
        },
    },
    "tradelane.shipment.eta_changed.v1": {
        "shipment_id": "shp_so0042_1",
        "previous_eta": "2026-11-18T09:00:00+01:00",
        "new_eta": "2026-11-18T10:45:00+01:00",
        "changed_at": "2026-11-18T07:12:00+01:00",
        "estimated_by": "carrier",
        "reason": "Congestion on the A3 near Leverkusen",
    },
    "tradelane.shipment.delivered.v1": {
        "shipment_id": "shp_so0042_1",
        "tracking_number": "RHN7781934420",
        "pod": {
            "signee": "M. Schneider",
            "delivered_at": "2026-11-18T10:52:00+01:00",
            "position": {"lat": 50.9375, "lon": 6.9573, "accuracy_m": 8.0},
            "documents": [
                {
                    "name": "signature.svg",
                    "media_type": "image/svg+xml",
                    "sha256": hashlib.sha256(_SIGNATURE_SVG).hexdigest(),
                    "content": base64.b64encode(_SIGNATURE_SVG).decode("ascii"),
                },
                {
                    "name": "cmr-RHN7781934420.pdf",
                    "media_type": "application/pdf",
                    "sha256": "9f2c4d1a7b3e8f60c5d2a1b4e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80912",
                    "url": "https://pod.rhenus.example/cmr/RHN7781934420.pdf",
                },
            ],
            "remarks": "2 Beutel beschädigt",
            "pieces_delivered": 2,
        },
    },
    "tradelane.appointment.requested.v1": {
        "appointment_id": "appt_rtm_20261116_07",
        "requested_at": "2026-11-15T08:10:00Z",
        "appointment": _APPOINTMENT,
    },
    "tradelane.appointment.confirmed.v1": {
        "appointment_id": "appt_rtm_20261116_07",
        "confirmed_at": "2026-11-15T08:30:00Z",
        "appointment": {**_APPOINTMENT, "status": "confirmed", "confirmation_number": "RTM-D7-1116-1400"},
    },
    "tradelane.gate.checked_in.v1": {
        "trailer_number": "RHN-T-4471",
        "gate": {
            "gate_event_id": "gate_rtm_000912",
            "location_id": "loc_dc_rtm",
            "gate_id": "north",
            "direction": "in",
            "occurred_at": "2026-11-16T13:52:10+01:00",
            "trailer": _TRAILER,
            "loaded": False,
            "tractor_plate": "DU-RH 118",
            "driver_name": "Jan Kowalski",
            "appointment_id": "appt_rtm_20261116_07",
            "yard_slot": "Y-14",
        },
    },
    "tradelane.gate.checked_out.v1": {
        "trailer_number": "RHN-T-4471",
        "gate": {
            "gate_event_id": "gate_rtm_000931",
            "location_id": "loc_dc_rtm",
            "gate_id": "north",
            "direction": "out",
            "occurred_at": "2026-11-16T15:36:45+01:00",
            "trailer": _TRAILER,
            "seal_numbers": ["NZ-0048812"],
            "loaded": True,
            "tractor_plate": "DU-RH 118",
            "driver_name": "Jan Kowalski",
            "appointment_id": "appt_rtm_20261116_07",
        },
    },
    "tradelane.dock.assigned.v1": {
        "trailer_number": "RHN-T-4471",
        "assignment": {
            "assignment_id": "dock_rtm_20261116_0031",
            "location_id": "loc_dc_rtm",
            "dock_id": "loc_dc_rtm_door_07",
            "trailer_number": "RHN-T-4471",
            "direction": "outbound",
            "assigned_at": "2026-11-16T13:58:00+01:00",
            "window": {"start": "2026-11-16T14:00:00+01:00", "end": "2026-11-16T15:00:00+01:00"},
            "appointment_id": "appt_rtm_20261116_07",
            "shipment_ids": ["shp_so0042_1"],
        },
    },
    "tradelane.receipt.expected.v1": {"receipt_id": "rcpt_p00017", "receipt": _RECEIPT},
    "tradelane.receipt.completed.v1": {
        "receipt_id": "rcpt_p00017",
        "completed_at": "2026-11-17T10:12:44+01:00",
        "receipt": _RECEIPT_DONE,
    },
    "tradelane.inventory.snapshot.v1": {
        "location_id": "loc_dc_rtm",
        "snapshot_id": "snap_rtm_20261117_0200",
        "as_of": "2026-11-17T02:00:00+01:00",
        "complete": False,
        "levels": [
            {
                "product": _ESPRESSO,
                "location_id": "loc_dc_rtm",
                "lot": "L2026-311",
                "on_hand": {"value": "312", "unit": "EA"},
                "allocated": {"value": "30", "unit": "EA"},
                "available": {"value": "282", "unit": "EA"},
                "as_of": "2026-11-17T02:00:00+01:00",
            },
            {
                "product": _GREEN,
                "location_id": "loc_dc_rtm",
                "on_hand": {"value": "1140", "unit": "KG"},
                "as_of": "2026-11-17T02:00:00+01:00",
            },
        ],
    },
    "tradelane.inventory.adjusted.v1": {
        "location_id": "loc_dc_rtm",
        "adjustment_id": "adj_rtm_000388",
        "product": _ESPRESSO,
        "lot": "L2026-305",
        "bin_id": "loc_dc_rtm_A-03-02",
        "quantity_before": {"value": "48", "unit": "EA"},
        "quantity_after": {"value": "46", "unit": "EA"},
        "reason": "damage",
        "adjusted_at": "2026-11-17T14:20:00+01:00",
    },
    "tradelane.stock.moved.v1": {
        "movement_id": "mov_rtm_0018821",
        "movement": {
            "movement_id": "mov_rtm_0018821",
            "product": _ESPRESSO,
            "quantity": {"value": "4", "unit": "CS"},
            "from_location_id": "loc_dc_rtm_RES-12-04",
            "to_location_id": "loc_dc_rtm_A-03-02",
            "lots": [{"lot": "L2026-311", "quantity": {"value": "4", "unit": "CS"}}],
            "moved_at": "2026-11-16T07:45:00+01:00",
            "reason": "replenishment",
            "reference": "WH/REPL/00311",
        },
    },
    "tradelane.freight.charged.v1": {
        "shipment_id": "shp_so0042_1",
        "charged_at": "2026-11-18T12:00:00+01:00",
        "charges": _INVOICE_CHARGES,
    },
    "tradelane.carrier_invoice.received.v1": {
        "invoice_id": "inv_rhenus_2026_118832",
        "received_at": "2026-11-21T06:15:00Z",
        "invoice": {
            "invoice_number": "2026-118832",
            "carrier_id": "party_rhenus",
            "invoiced_at": "2026-11-20T00:00:00+01:00",
            "due_at": "2026-12-20T00:00:00+01:00",
            "shipment_refs": ["shp_so0042_1"],
            "currency": "EUR",
            "charges": _INVOICE_CHARGES,
            "total": {"amount": "288.80", "currency": "EUR"},
        },
    },
    "tradelane.return.requested.v1": {"return_id": "ret_rma0007", "rma": _RETURN},
    "tradelane.return.received.v1": {
        "return_id": "ret_rma0007",
        "received_at": "2026-11-24T09:30:00+01:00",
        "rma": {
            **_RETURN,
            "received_at": "2026-11-24T09:30:00+01:00",
            "lines": [
                {
                    **_RETURN["lines"][0],
                    "received_quantity": {"value": "2", "unit": "EA"},
                    "condition": "damaged",
                }
            ],
        },
    },
    "tradelane.exception.opened.v1": {"exception_id": "exc_rcpt_p00017_short", "exception": _EXCEPTION},
    "tradelane.exception.resolved.v1": {
        "exception_id": "exc_rcpt_p00017_short",
        "exception": {
            **_EXCEPTION,
            "status": "resolved",
            "resolved_at": "2026-11-19T16:00:00+01:00",
            "resolution": "Supplier issued credit note CN-2026-044 for one bag.",
        },
    },
    "tradelane.party.upserted.v1": {
        "party_id": "party_cafe_central",
        "party": {
            "party_id": "party_cafe_central",
            "name": "Café Central Köln GmbH",
            "roles": ["customer", "consignee"],
            "address": _DE_ADDRESS,
            "contacts": [
                {
                    "name": "Maria Schneider",
                    "email": "einkauf@cafe-central.example",
                    "phone": "+49 221 555 0142",
                    "role": "purchasing",
                }
            ],
            "tax_id": "DE812345678",
            "external_refs": [{"system": "odoo", "id": "res.partner,57"}],
        },
    },
    "tradelane.product.upserted.v1": {
        "sku": "NZ-ESP-1KG",
        "product": {
            "sku": "NZ-ESP-1KG",
            "name": "Espresso Roast beans 1 kg",
            "uom": "Units",
            "gtin": "8712345678906",
            "weight": {"value": "1.05", "unit": "kg"},
            "packaging": [
                {"unit": "CS", "quantity": "6", "contains_unit": "EA"},
                {"unit": "PL", "quantity": "60", "contains_unit": "CS"},
            ],
            "tracking": "lot",
            "hs_code": "090121",
            "origin_country": "NL",
            "external_refs": [{"system": "odoo", "id": "product.product,12"}],
        },
    },
}

#: event type name → example ``data`` in JSON form; read-only, see :func:`example`
EXAMPLES: dict[str, dict[str, Any]] = {name: copy.deepcopy(data) for name, data in _RAW.items()}


def example(type_name: str) -> dict[str, Any]:
    """A private deep copy of the example payload of ``type_name``, safe to modify.

    :raises KeyError: when no example exists for ``type_name``
    """
    return copy.deepcopy(EXAMPLES[type_name])
