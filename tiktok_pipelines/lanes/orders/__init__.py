"""The orders lane: a channel's orders into VTEX, exactly once.

Two steps, one asset each:
- `fetch_orders`: the details of every order a notification named (status, address, cancellation,
  return) and, in polling runs, of every order the channel changed since the last poll (with an
  overlapping window, so a lost notification is caught); kept encrypted in the order map, with a new
  version of each in the lake tables `orders` and `order_lines`;
- `VtexOrderSync`: each flagged order claimed in the order map (exclusively, for a lease), then placed in
  VTEX and authorized (paid), cancelled in VTEX (cancelled on the channel), or cancelled on the channel
  (the seller cancelled it in VTEX). Most of these runs never call the channel: the stored detail is read
  back through the channel's `OrderReader`, and a session on the shop is opened only to cancel there.

Plain Python over the Channel interface, the VTEX client and the stores; no channel is named here.
"""

from tiktok_pipelines.lanes.orders.common import (
    ClientSetupError,
    Lake,
    event_payload,
    order_records,
    write_order_versions,
)
from tiktok_pipelines.lanes.orders.details import FetchOptions, FetchReport, fetch_orders
from tiktok_pipelines.lanes.orders.placement import ChannelLink, OrderRun, VtexOrdersReport, VtexOrderSync

__all__ = [
    "ChannelLink",
    "ClientSetupError",
    "FetchOptions",
    "FetchReport",
    "Lake",
    "OrderRun",
    "VtexOrderSync",
    "VtexOrdersReport",
    "event_payload",
    "fetch_orders",
    "order_records",
    "write_order_versions",
]
