"""What the sales generator makes (`SalesConfig`), what it wrote (`SalesSummary`), and the shapes of the
generated world: order statuses and their odds, Brazilian states, hours of the day, API operations and
errors, webhook kinds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

DAY_US = 86_400_000_000
MINUTE_US = 60_000_000

STATUSES = (
    "UNPAID",
    "ON_HOLD",
    "AWAITING_SHIPMENT",
    "AWAITING_COLLECTION",
    "IN_TRANSIT",
    "DELIVERED",
    "COMPLETED",
    "CANCELLED",
)
S = {name: i for i, name in enumerate(STATUSES)}
# Final status of orders older than three days, and of recent ones (they have not travelled yet).
OLD_STATUS_P = (0.02, 0.0, 0.04, 0.02, 0.08, 0.18, 0.58, 0.08)
RECENT_STATUS_P = (0.08, 0.05, 0.45, 0.10, 0.20, 0.03, 0.0, 0.09)
# The status an order had when first ingested, if it is ingested twice.
EARLIER = {
    "ON_HOLD": "UNPAID",
    "AWAITING_SHIPMENT": "UNPAID",
    "AWAITING_COLLECTION": "AWAITING_SHIPMENT",
    "IN_TRANSIT": "AWAITING_SHIPMENT",
    "DELIVERED": "IN_TRANSIT",
    "COMPLETED": "AWAITING_SHIPMENT",
    "CANCELLED": "AWAITING_SHIPMENT",
}
VTEX_STATUS = {
    "ON_HOLD": "ready-for-handling",
    "AWAITING_SHIPMENT": "ready-for-handling",
    "AWAITING_COLLECTION": "handling",
    "IN_TRANSIT": "invoiced",
    "DELIVERED": "invoiced",
    "COMPLETED": "invoiced",
    "CANCELLED": "canceled",
}
SHIPPED = ("IN_TRANSIT", "DELIVERED", "COMPLETED")
STATES = (
    ("SP", "São Paulo", 0.34),
    ("RJ", "Rio de Janeiro", 0.12),
    ("MG", "Belo Horizonte", 0.11),
    ("RS", "Porto Alegre", 0.07),
    ("PR", "Curitiba", 0.07),
    ("BA", "Salvador", 0.06),
    ("SC", "Florianópolis", 0.05),
    ("PE", "Recife", 0.04),
    ("GO", "Goiânia", 0.04),
    ("CE", "Fortaleza", 0.04),
    ("DF", "Brasília", 0.03),
    ("ES", "Vitória", 0.03),
)
CANCEL_REASONS = (
    ("Buyer changed mind", "BUYER"),
    ("Payment not completed in time", "SYSTEM"),
    ("Out of stock", "SELLER"),
    ("Address could not be delivered", "SELLER"),
)
# Hour-of-day weights in the shop's time zone: quiet nights, lunch, a strong evening.
HOUR_WEIGHTS = np.array(
    [2, 1, 1, 0.5, 0.5, 0.5, 1, 2, 3, 4, 5, 6, 7, 6, 5, 5, 6, 7, 9, 11, 12, 12, 9, 5], dtype=float
)
# (lane, operation, api, share, typical milliseconds)
OPERATIONS = (
    ("stock_price", "inventory_update", "tiktok", 0.35, 220),
    ("stock_price", "price_update", "tiktok", 0.12, 240),
    ("stock_price", "get_inventory", "vtex", 0.15, 180),
    ("orders", "get_order", "tiktok", 0.10, 260),
    ("orders", "place_order", "vtex", 0.08, 650),
    ("fulfilment", "invoice_upload", "tiktok", 0.05, 900),
    ("fulfilment", "ship_package", "tiktok", 0.05, 400),
    ("catalog", "product_update", "tiktok", 0.08, 700),
    ("tokens", "refresh_token", "tiktok", 0.02, 300),
)
ERRORS = {
    "tiktok": (
        ("36009002", "too many requests"),
        ("36009003", "internal error, please retry"),
        ("12019028", "all warehouses of the SKU must be listed"),
        ("105002", "Expired credentials"),
        ("12052990", "product check failed"),
    ),
    "vtex": (
        ("429", "Too Many Requests"),
        ("500", "Internal Server Error"),
        ("503", "Service Unavailable"),
        ("404", "SKU not found"),
    ),
}
WEBHOOKS = (
    ("tiktok", "1", 0.50),
    ("tiktok", "4", 0.14),
    ("tiktok", "5", 0.06),
    ("tiktok", "11", 0.04),
    ("tiktok", "36", 0.08),
    ("vtex", "vtex:order_hook", 0.14),
    ("vtex", "vtex:sku_changed", 0.04),
)


@dataclass(frozen=True)
class SalesConfig:
    """What to generate. Orders are per client; a part is one batch of ingestion."""

    clients: int = 2
    orders: int = 2_000
    products: int = 40
    days: int = 60
    start: date = date(2026, 1, 1)
    parts: int = 4
    update_share: float = 0.25
    seed: int = 2026
    currency: str = "BRL"
    timezone: str = "America/Sao_Paulo"
    stock_pushes: int = 0  # per SKU and warehouse; 0: one every two days
    sync_calls_per_day: int = 80
    webhooks_per_day: int = 60

    def client_ids(self) -> list[str]:
        return [f"loja-{i + 1}" for i in range(self.clients)]


@dataclass
class SalesSummary:
    """What was written: rows and parts per lake table, distinct orders and lines."""

    rows: dict[str, int] = field(default_factory=dict)
    parts: dict[str, int] = field(default_factory=dict)
    orders: int = 0
    lines: int = 0
    updated_orders: int = 0

    def add(self, table: str, data: pa.Table) -> None:
        self.rows[table] = self.rows.get(table, 0) + data.num_rows
        self.parts[table] = self.parts.get(table, 0) + 1


def local_midnight_us(cfg: SalesConfig) -> int:
    """The first generated day's midnight in the shop's time zone, in µs since the epoch."""
    start = datetime(cfg.start.year, cfg.start.month, cfg.start.day, tzinfo=ZoneInfo(cfg.timezone))
    return int(start.astimezone(UTC).timestamp()) * 1_000_000
