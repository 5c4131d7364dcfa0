"""X12 transaction sets ↔ canonical payloads, both ways, one pair of pure functions per set.

Inbound (``read_*``) functions take a parsed :class:`~tradelane.connectors.x12.TransactionSet` and a
:class:`~tradelane.edi.events.SetContext` and return :class:`~tradelane.edi.events.Mapped` payloads;
outbound (``write_*``) functions take a payload and the partner and return the body segments of one set.
Nothing here reads the clock or does I/O: times come from the documents (or the envelope's GS04/GS05).

Conventions shared by both directions (what we write, we read back unchanged):

* the shipper's shipment id positions (204 B2-04, 990 B1-02, 214 B10-02, 945 W06-04, 210 B3-03) carry
  our canonical ``shipment_id``; partners echo them, so inbound documents need no cross-reference lookup;
* ``L11``/``N9`` qualifiers: ``TN`` tender id, ``SI`` our business reference, ``PO`` order / PO number,
  ``BM`` bill of lading, ``CN`` carrier PRO, ``BN`` booking number, ``LI`` line id, ``ZZ`` a canonical id;
* times are written in the partner's zone with time code ``LT``; read with the time code given;
* partner location and party codes (N1-04) go through the partner's ``locations``/``parties`` tables.

Set → events: 204 → ``shipment.tendered``; 990 → ``shipment.booked`` / ``shipment.tender_rejected``;
214 → ``shipment.milestone`` per AT7; 210 → ``carrier_invoice.received``; 940 → ``order.released``;
945 → ``shipment.shipped``; 856 → ``receipt.expected`` per order of the ASN.
"""

from __future__ import annotations

from tradelane.core.model.events import (
    CarrierInvoiceReceived,
    EventPayload,
    OrderReleased,
    ReceiptExpected,
    ShipmentBooked,
    ShipmentMilestone,
    ShipmentShipped,
    ShipmentTendered,
    ShipmentTenderRejected,
)
from tradelane.edi.x12_carrier import (
    read_204,
    read_210,
    read_214,
    read_990,
    write_204,
    write_210,
    write_214,
    write_990,
)
from tradelane.edi.x12_common import X12Reader, X12Writer
from tradelane.edi.x12_warehouse import read_856, read_940, read_945, write_856, write_940, write_945

__all__ = ["READERS", "WRITERS", "X12Reader", "X12Writer"]

#: ST01 → inbound mapper
READERS: dict[str, X12Reader] = {
    "204": read_204,
    "214": read_214,
    "210": read_210,
    "940": read_940,
    "945": read_945,
    "856": read_856,
    "990": read_990,
}

#: ST01 → (payload models it renders, mapper)
WRITERS: dict[str, tuple[tuple[type[EventPayload], ...], X12Writer]] = {
    "204": ((ShipmentTendered,), write_204),
    "214": ((ShipmentMilestone,), write_214),
    "210": ((CarrierInvoiceReceived,), write_210),
    "940": ((OrderReleased,), write_940),
    "945": ((ShipmentShipped,), write_945),
    "856": ((ReceiptExpected,), write_856),
    "990": ((ShipmentBooked, ShipmentTenderRejected), write_990),
}
