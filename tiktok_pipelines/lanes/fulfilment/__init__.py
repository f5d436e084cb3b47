"""The fulfilment lane: the NF-e VTEX holds goes to the channel, an accepted invoice lets the package ship,
and the tracking goes back to the order map, the lake and VTEX.

Every step is decided from the state DB, so overlapping runs, repeated notifications and crashed runs do
each thing once: an upload is keyed by package + order ids and by the XML's digest, a shipment by package.
`invoices.send_invoices` and `shipments.ship_packages` are the two steps, one asset each; they talk to the
channel through the Channel interface only.
"""

from tiktok_pipelines.lanes.fulfilment.invoices import InvoiceOptions, InvoicesReport, send_invoices
from tiktok_pipelines.lanes.fulfilment.shipments import ShipmentOptions, ShipmentsReport, ship_packages

__all__ = [
    "InvoiceOptions",
    "InvoicesReport",
    "ShipmentOptions",
    "ShipmentsReport",
    "send_invoices",
    "ship_packages",
]
