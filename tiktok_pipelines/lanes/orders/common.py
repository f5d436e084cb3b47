"""What the orders lane's steps (and the fulfilment lane) share: the lake they write order versions to,
the channel's name in the call log, the payload of a logged event, and the error of a client the lane
cannot run for."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol

import pyarrow as pa

from tiktok_pipelines.core.models.orders import Order
from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.core.orders import line_rows, order_row
from tiktok_pipelines.core.tables import ORDER_LINES, ORDERS
from tiktok_pipelines.stores.events import LoggedEvent
from tiktok_pipelines.stores.orders import OrderRecord, OrderStore

LANE = Lane.ORDERS.value


class Lake(Protocol):
    """Where the lane appends lake parts (the `ParquetLake` resource, or any store with this method)."""

    def append_part(self, table: str, client_id: str, data: pa.Table) -> Any: ...


class ClientSetupError(ValueError):
    """The client's configuration does not let the lane run (an option it cannot use)."""


def event_payload(entry: LoggedEvent) -> dict[str, Any]:
    # A byte order mark was kept in the body by receivers before it was dropped at the door.
    return json.loads(entry.body.removeprefix("\ufeff"))


def write_order_versions(
    lake: Lake, client_id: str, channel: str, orders: dict[str, Order], records: dict[str, OrderRecord]
) -> int:
    """A new version of each order of `channel` in the lake tables `orders` and `order_lines`; returns
    the rows."""
    now = datetime.now(UTC)
    rows, lines = [], []
    for order_id, order in orders.items():
        record = records.get(order_id)
        rows.append(
            order_row(
                client_id,
                order,
                record.vtex_order_id if record else None,
                record.vtex_status if record else None,
                now,
                channel=channel,
            )
        )
        lines.extend(line_rows(client_id, order, now, channel=channel))
    lake.append_part("orders", client_id, pa.Table.from_pylist(rows, schema=ORDERS))
    lake.append_part("order_lines", client_id, pa.Table.from_pylist(lines, schema=ORDER_LINES))
    return len(rows)


def order_records(store: OrderStore, client_id: str, order_ids) -> dict[str, OrderRecord]:
    found = (store.get(client_id, o) for o in order_ids)
    return {r.order_id: r for r in found if r is not None}
