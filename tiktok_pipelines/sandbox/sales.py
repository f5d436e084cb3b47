"""A seeded generator of TikTok Shop sales and sync history, written to the lake as the producers do.

For each client (catalog from `sandbox.catalog`, one per client): orders with lines over a span of days
(evening peaks in the shop's time zone, weekends and a promotion day, a popular head of products),
statuses from UNPAID to COMPLETED and CANCELLED, merchant and TikTok discounts, shipping fees; each
batch of orders is one append-only part, and a share of orders is ingested again later with a newer
status (updated versions, as order webhooks bring them). Listings (with later price changes), stock
pushes per warehouse with periods at zero, TikTok's daily product performance (recent days revised),
the sync log with API errors by code, and webhook events in the state DB's event log.

Everything is vectorized (numpy / pyarrow): ten million order lines take seconds, not minutes.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tiktok_pipelines.core.tables import (
    LISTINGS,
    MONEY,
    ORDER_LINES,
    ORDERS,
    PRODUCT_PERFORMANCE,
    STOCK_HISTORY,
    SYNC_LOG,
    UTC_TS,
)
from tiktok_pipelines.sandbox.catalog import generate_catalog
from tiktok_pipelines.stores.db import StateDB

if TYPE_CHECKING:
    from tiktok_pipelines.defs.resources.storage import ParquetLake

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


# ---------------------------------------------------------------- array helpers
def money(cents: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """DECIMAL(14,2) from integer cents, built from the 128-bit words directly (exact and fast)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    array = pa.Array.from_buffers(MONEY, len(cents), [None, pa.py_buffer(words.tobytes())])
    if mask is not None:
        array = pc.if_else(pa.array(mask), pa.nulls(len(cents), MONEY), array)
    return array


def timestamps(micros: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(micros, dtype=np.int64), type=pa.int64(), mask=mask).cast(UTC_TS)


def ids(base: int, index: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(base + np.asarray(index, dtype=np.int64)), pa.string())


def pick(values: tuple | list, codes: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """values[codes] as a string array (NULL where `mask`)."""
    taken = pc.take(pa.array(list(values), type=pa.string()), pa.array(np.asarray(codes, dtype=np.int64)))
    if mask is not None:
        taken = pc.if_else(pa.array(mask), pa.nulls(len(taken), pa.string()), taken)
    return taken


def _table(schema: pa.Schema, columns: dict[str, pa.Array | np.ndarray | list]) -> pa.Table:
    n = len(next(iter(columns.values())))
    arrays = []
    for f in schema:
        value = columns.get(f.name)
        if value is None:
            arrays.append(pa.nulls(n, f.type))
        elif isinstance(value, pa.Array | pa.ChunkedArray):
            arrays.append(value.cast(f.type))
        else:
            arrays.append(pa.array(value, type=f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _chunks(n: int, parts: int) -> list[tuple[int, int]]:
    bounds = np.linspace(0, n, max(1, parts) + 1).astype(np.int64)
    return [(int(a), int(b)) for a, b in itertools.pairwise(bounds) if b > a]


# ---------------------------------------------------------------- the client's catalog
@dataclass
class ClientCatalog:
    client_id: str
    product_index: np.ndarray  # per SKU: index of its product
    price_cents: np.ndarray  # per SKU: TikTok price
    list_cents: np.ndarray  # per SKU
    popularity: np.ndarray  # per SKU: probability a line is this SKU
    seller_sku: pa.Array
    tiktok_sku_id: pa.Array
    sku_name: pa.Array
    product_id: pa.Array  # per product: tiktok_product_id
    product_key: pa.Array  # per product: item_group_id
    product_name: pa.Array  # per product

    @property
    def skus(self) -> int:
        return len(self.price_cents)

    @property
    def products(self) -> int:
        return len(self.product_id)


def client_catalog(cfg: SalesConfig, client_number: int, rng: np.random.Generator) -> ClientCatalog:
    catalog = generate_catalog(cfg.products, seed=cfg.seed * 100 + client_number)
    skus = catalog.skus()
    product_pos = {p.product_id: i for i, p in enumerate(catalog.products)}
    n = len(skus)
    # A popular head: Zipf-like weights over a random order of SKUs.
    weights = 1.0 / np.arange(1, n + 1) ** 0.9
    popularity = np.empty(n)
    popularity[rng.permutation(n)] = weights / weights.sum()
    base = 1_729_000_000_000_000_000 + client_number * 10**12
    return ClientCatalog(
        client_id=cfg.client_ids()[client_number],
        product_index=np.array([product_pos[s.product_id] for s in skus]),
        price_cents=np.array([int(s.price * 100) for s in skus], dtype=np.int64),
        list_cents=np.array([int(s.list_price * 100) for s in skus], dtype=np.int64),
        popularity=popularity,
        seller_sku=pa.array([str(s.sku_id) for s in skus]),
        tiktok_sku_id=pa.array([str(base + 500_000_000 + s.sku_id) for s in skus]),
        sku_name=pa.array([s.variant_name for s in skus]),
        product_id=pa.array([str(base + p.product_id) for p in catalog.products]),
        product_key=pa.array([str(p.product_id) for p in catalog.products]),
        product_name=pa.array([p.name for p in catalog.products]),
    )


# ---------------------------------------------------------------- orders
@dataclass
class Orders:
    """Every order of a client (sorted by creation) and its lines, as arrays."""

    n: int
    created: np.ndarray  # µs since epoch, UTC
    local_day: np.ndarray  # day index in the shop's time zone
    final: np.ndarray  # status codes of the newest version
    first: np.ndarray  # status codes of the first version (== final unless updated)
    updated: np.ndarray  # bool: ingested twice
    shipping: np.ndarray
    state: np.ndarray
    ship_type: np.ndarray
    sample: np.ndarray
    cancel: np.ndarray
    first_updated_at: np.ndarray
    final_updated_at: np.ndarray
    line_start: np.ndarray  # lines of order i: line_start[i]:line_start[i + 1]
    line_order: np.ndarray  # per line: its order
    sku: np.ndarray
    quantity: np.ndarray
    seller_discount: np.ndarray
    platform_discount: np.ndarray
    subtotal: np.ndarray
    order_seller_discount: np.ndarray
    order_platform_discount: np.ndarray
    units: np.ndarray
    line_count: np.ndarray


def _local_midnight_us(cfg: SalesConfig) -> int:
    start = datetime(cfg.start.year, cfg.start.month, cfg.start.day, tzinfo=ZoneInfo(cfg.timezone))
    return int(start.astimezone(UTC).timestamp()) * 1_000_000


def generate_orders(cfg: SalesConfig, cat: ClientCatalog, rng: np.random.Generator) -> Orders:
    n = cfg.orders
    # Days: a growing trend, busier weekends, a promotion on the 10th day.
    day_weights = 1.0 + 0.6 * np.arange(cfg.days) / max(1, cfg.days)
    weekday = (np.arange(cfg.days) + cfg.start.weekday()) % 7
    day_weights *= np.where(weekday >= 5, 1.25, 1.0)
    if cfg.days > 10:
        day_weights[9] *= 3.0
    local_day = rng.choice(cfg.days, size=n, p=day_weights / day_weights.sum())
    hour = rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    created = (
        _local_midnight_us(cfg)
        + local_day.astype(np.int64) * DAY_US
        + hour.astype(np.int64) * 3_600_000_000
        + rng.integers(0, 3_600_000_000, size=n)
    )
    order = np.argsort(created, kind="stable")
    created, local_day = created[order], local_day[order]

    age = cfg.days - 1 - local_day
    final = np.where(
        age >= 3,
        rng.choice(len(STATUSES), size=n, p=OLD_STATUS_P),
        rng.choice(len(STATUSES), size=n, p=RECENT_STATUS_P),
    )
    earlier = np.array([S[EARLIER[s]] if s in EARLIER else S[s] for s in STATUSES])
    updated = (rng.random(n) < cfg.update_share) & (final != S["UNPAID"])
    first = np.where(updated, earlier[final], final)
    # Some cancellations happen before payment.
    unpaid_cancel = (final == S["CANCELLED"]) & updated & (rng.random(n) < 0.4)
    first = np.where(unpaid_cancel, S["UNPAID"], first)

    first_updated_at = created + rng.integers(2 * MINUTE_US, 40 * MINUTE_US, size=n)
    final_updated_at = np.where(
        updated, created + rng.integers(DAY_US // 2, 8 * DAY_US, size=n), first_updated_at
    )

    counts = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.5, 0.27, 0.13, 0.07, 0.03])
    line_start = np.concatenate([[0], np.cumsum(counts)])
    lines = int(line_start[-1])
    line_order = np.repeat(np.arange(n), counts)
    sku = rng.choice(cat.skus, size=lines, p=cat.popularity)
    quantity = rng.choice([1, 2, 3, 4], size=lines, p=[0.78, 0.15, 0.05, 0.02])
    price = cat.price_cents[sku]
    discounted = rng.random(lines) < 0.3
    per_unit = np.where(
        discounted, np.round(price * rng.choice([5, 10, 15, 20, 25, 30], size=lines) / 100), 0
    )
    seller_discount = per_unit.astype(np.int64) * quantity
    coupon = rng.random(lines) < 0.2
    platform_discount = np.where(
        coupon, np.minimum(np.round(price * quantity * rng.choice([0.05, 0.1, 0.15], size=lines)), 5_000), 0
    ).astype(np.int64)
    net = price * quantity - seller_discount - platform_discount

    def per_order(values: np.ndarray) -> np.ndarray:
        return np.bincount(line_order, weights=values, minlength=n).round().astype(np.int64)

    subtotal = per_order(net)
    shipping = rng.choice([0, 990, 1490, 1990, 2490], size=n, p=[0.3, 0.2, 0.25, 0.15, 0.1])
    shipping = np.where(subtotal >= 19_900, 0, shipping)
    state_p = np.array([s[2] for s in STATES])
    return Orders(
        n=n,
        created=created,
        local_day=local_day,
        final=final,
        first=first,
        updated=updated,
        shipping=shipping,
        state=rng.choice(len(STATES), size=n, p=state_p / state_p.sum()),
        ship_type=(rng.random(n) < 0.25).astype(np.int64),
        sample=rng.random(n) < 0.003,
        cancel=rng.integers(0, len(CANCEL_REASONS), size=n),
        first_updated_at=first_updated_at,
        final_updated_at=final_updated_at,
        line_start=line_start,
        line_order=line_order,
        sku=sku,
        quantity=quantity,
        seller_discount=seller_discount,
        platform_discount=platform_discount,
        subtotal=subtotal,
        order_seller_discount=per_order(seller_discount),
        order_platform_discount=per_order(platform_discount),
        units=per_order(quantity),
        line_count=counts,
    )


@dataclass
class _Client:
    cfg: SalesConfig
    number: int
    cat: ClientCatalog

    @property
    def client_id(self) -> str:
        return self.cat.client_id

    def column(self, value: str, n: int) -> pa.Array:
        return pa.repeat(pa.scalar(value, pa.string()), n)

    def order_ids(self, index: np.ndarray) -> pa.Array:
        return ids(576_000_000_000_000_000 + self.number * 10**13, index)


def _null_unless(keep: np.ndarray, values: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(keep), values, pa.nulls(len(values), values.type))


def orders_table(c: _Client, o: Orders, index: np.ndarray, final: bool, ingest_us: np.ndarray) -> pa.Table:
    """The ORDERS rows of orders `index`, in their first or final version."""
    n = len(index)
    status = (o.final if final else o.first)[index]
    names = np.array(STATUSES)[status]
    cancelled = status == S["CANCELLED"]
    # An order cancelled before payment never had a payment nor a VTEX order.
    paid = (status != S["UNPAID"]) & ~(cancelled & (o.first[index] == S["UNPAID"]))
    order_ids = c.order_ids(index)
    vtex_status = pa.array([VTEX_STATUS.get(s) for s in STATUSES], type=pa.string())
    return _table(
        ORDERS,
        {
            "client_id": c.column(c.client_id, n),
            "order_id": order_ids,
            "status": pa.array(names),
            "vtex_order_id": _null_unless(paid, pc.binary_join_element_wise("TTS", order_ids, "-")),
            "vtex_status": _null_unless(paid, pc.take(vtex_status, pa.array(status))),
            "currency": c.column(c.cfg.currency, n),
            "subtotal": money(o.subtotal[index]),
            "shipping_fee": money(o.shipping[index]),
            "seller_discount": money(o.order_seller_discount[index]),
            "platform_discount": money(o.order_platform_discount[index]),
            "tax": money(np.zeros(n, dtype=np.int64)),
            "total": money(o.subtotal[index] + o.shipping[index]),
            "line_count": o.line_count[index],
            "units": o.units[index],
            "shipping_type": pick(("TIKTOK", "SELLER"), o.ship_type[index]),
            "is_cod": np.zeros(n, dtype=bool),
            "is_sample": o.sample[index],
            "recipient_region": c.column("BR", n),
            "recipient_state": pick([s[0] for s in STATES], o.state[index]),
            "recipient_city": pick([s[1] for s in STATES], o.state[index]),
            "cancel_reason": pick([r for r, _ in CANCEL_REASONS], o.cancel[index], mask=~cancelled),
            "cancellation_initiator": pick([i for _, i in CANCEL_REASONS], o.cancel[index], mask=~cancelled),
            "tracking_number": _null_unless(
                np.isin(names, SHIPPED), pc.binary_join_element_wise("BR", order_ids, "")
            ),
            "created_at": timestamps(o.created[index]),
            "paid_at": timestamps(o.created[index] + 5 * MINUTE_US, mask=~paid),
            "updated_at": timestamps((o.final_updated_at if final else o.first_updated_at)[index]),
            "ingested_at": timestamps(ingest_us),
        },
    )


def lines_of(o: Orders, index: np.ndarray) -> np.ndarray:
    """Positions of the lines of the orders `index`, in order."""
    wanted = np.zeros(o.n, dtype=bool)
    wanted[index] = True
    return np.flatnonzero(wanted[o.line_order])


def lines_table(c: _Client, o: Orders, index: np.ndarray, final: bool, ingest_us: np.ndarray) -> pa.Table:
    """The ORDER_LINES rows of the lines of orders `index` (sorted), in their first or final version."""
    line_index = lines_of(o, index)
    n = len(line_index)
    orders_of = o.line_order[line_index]
    status = (o.final if final else o.first)[orders_of]
    names = np.array(STATUSES)[status]
    sku = pa.array(o.sku[line_index])
    product = pa.array(c.cat.product_index[o.sku[line_index]])
    price = c.cat.price_cents[o.sku[line_index]]
    quantity = o.quantity[line_index]
    seller = o.seller_discount[line_index]
    order_ids = c.order_ids(orders_of)
    return _table(
        ORDER_LINES,
        {
            "client_id": c.column(c.client_id, n),
            "order_id": order_ids,
            "line_id": ids(577_000_000_000_000_000 + c.number * 10**13, line_index),
            "tiktok_product_id": pc.take(c.cat.product_id, product),
            "tiktok_sku_id": pc.take(c.cat.tiktok_sku_id, sku),
            "seller_sku": pc.take(c.cat.seller_sku, sku),
            "product_name": pc.take(c.cat.product_name, product),
            "sku_name": pc.take(c.cat.sku_name, sku),
            "quantity": quantity,
            "original_price": money(price),
            "sale_price": money(price - seller // quantity),
            "seller_discount": money(seller),
            "platform_discount": money(o.platform_discount[line_index]),
            "currency": c.column(c.cfg.currency, n),
            "status": pa.array(names),
            "package_id": _null_unless(
                np.isin(names, SHIPPED), pc.binary_join_element_wise("PKG", order_ids, "")
            ),
            "created_at": timestamps(o.created[orders_of]),
            "ingested_at": timestamps(ingest_us[np.searchsorted(index, orders_of)]),
        },
    )


def final_sale_lines(o: Orders) -> np.ndarray:
    """Per line: whether it counts as a sale in the newest version (paid, not cancelled, not a sample)."""
    final = o.final[o.line_order]
    return (final != S["UNPAID"]) & (final != S["CANCELLED"]) & ~o.sample[o.line_order]


# ---------------------------------------------------------------- stock, listings, performance, sync log
def stock_history_table(c: _Client, rng: np.random.Generator) -> tuple[pa.Table, np.ndarray]:
    """Stock pushes per SKU and warehouse, sorted by time; and each SKU's last available quantity.

    Whether a SKU is out of stock is decided per SKU and push round, so with two warehouses the SKU
    reaches zero on TikTok once both pushes of a round say zero."""
    cfg = c.cfg
    warehouses = 2 if c.number % 2 == 0 else 1
    rounds = cfg.stock_pushes or max(2, cfg.days // 2)
    skus = c.cat.skus
    out = np.zeros((skus, rounds), dtype=bool)
    state = rng.random(skus) < 0.05
    for r in range(rounds):
        draw = rng.random(skus)
        state = np.where(state, draw < 0.55, draw < 0.05)
        out[:, r] = state
    sku = np.repeat(np.arange(skus), warehouses)
    warehouse = np.tile(np.arange(warehouses), skus)
    series = len(sku)
    span = cfg.days * DAY_US
    slot = span // rounds
    at = (
        _local_midnight_us(cfg)
        + np.arange(rounds)[None, :] * slot
        + rng.integers(0, slot, size=(series, rounds))
    )
    base = rng.integers(5, 80, size=series)
    quantity = np.where(
        out[sku], 0, np.maximum(1, np.round(base[:, None] * rng.uniform(0.3, 1.5, size=(series, rounds))))
    ).astype(np.int64)
    failed = rng.random((series, rounds)) < 0.02
    available = np.zeros(skus, dtype=np.int64)
    np.add.at(available, sku, quantity[:, -1])

    flat_sku = np.repeat(sku, rounds)
    flat_at = at.ravel()
    order = np.argsort(flat_at, kind="stable")
    flat_sku, flat_at = flat_sku[order], flat_at[order]
    flat_failed = failed.ravel()[order]
    codes = rng.integers(0, 3, size=len(order))
    errors = ERRORS["tiktok"][:3]
    table = _table(
        STOCK_HISTORY,
        {
            "client_id": c.column(c.client_id, len(order)),
            "seller_sku": pc.take(c.cat.seller_sku, pa.array(flat_sku)),
            "tiktok_sku_id": pc.take(c.cat.tiktok_sku_id, pa.array(flat_sku)),
            "warehouse_id": pick(
                [f"72{c.number:02d}{w}" for w in range(warehouses)], np.repeat(warehouse, rounds)[order]
            ),
            "quantity": quantity.ravel()[order],
            "pushed_at": timestamps(flat_at),
            "trigger": pick(
                ("realtime", "incremental", "full"), rng.choice(3, size=len(order), p=[0.6, 0.35, 0.05])
            ),
            "result": pick(("ok", "failed"), flat_failed.astype(np.int64)),
            "error_code": pick([e[0] for e in errors], codes, mask=~flat_failed),
            "error_message": pick([e[1] for e in errors], codes, mask=~flat_failed),
        },
    )
    return table, available


def listings_tables(c: _Client, available: np.ndarray, rng: np.random.Generator) -> list[pa.Table]:
    """Every SKU's listing, then a later version of a tenth of them with a new price."""
    cfg = c.cfg
    skus = c.cat.skus
    start = _local_midnight_us(cfg)
    product = pa.array(c.cat.product_index)
    status = (rng.random(skus) < 0.05).astype(np.int64)

    def version(index: np.ndarray, price: np.ndarray, at: int) -> pa.Table:
        n = len(index)
        sku = pa.array(index)
        return _table(
            LISTINGS,
            {
                "client_id": c.column(c.client_id, n),
                "product_key": pc.take(c.cat.product_key, pc.take(product, sku)),
                "seller_sku": pc.take(c.cat.seller_sku, sku),
                "tiktok_product_id": pc.take(c.cat.product_id, pc.take(product, sku)),
                "tiktok_sku_id": pc.take(c.cat.tiktok_sku_id, sku),
                "title": pc.take(c.cat.product_name, pc.take(product, sku)),  # a product's, on TikTok
                "status": pick(("ACTIVATE", "SELLER_DEACTIVATED"), status[index]),
                "price": money(price),
                "list_price": money(np.maximum(price, c.cat.list_cents[index])),
                "currency": c.column(cfg.currency, n),
                "quantity": available[index],
                "updated_at": timestamps(np.full(n, at)),
                "ingested_at": timestamps(np.full(n, at + 5 * MINUTE_US)),
            },
        )

    everything = np.arange(skus)
    changed = np.flatnonzero(rng.random(skus) < 0.1)
    factor = rng.choice([0.85, 0.9, 1.1], size=len(changed))
    return [
        version(everything, c.cat.price_cents, start - DAY_US),
        version(
            changed,
            np.round(c.cat.price_cents[changed] * factor).astype(np.int64),
            start + (cfg.days // 2) * DAY_US,
        ),
    ]


def performance_tables(c: _Client, o: Orders, rng: np.random.Generator) -> list[pa.Table]:
    """TikTok's daily product performance; the last three days first provisional, then revised."""
    cfg = c.cfg
    products, days = c.cat.products, cfg.days
    sale = final_sale_lines(o)
    product_of_line = c.cat.product_index[o.sku]
    cell = product_of_line * days + o.local_day[o.line_order]
    size = products * days
    orders = np.bincount(cell, weights=sale, minlength=size).astype(np.int64)
    units = np.bincount(cell, weights=sale * o.quantity, minlength=size).astype(np.int64)
    net = c.cat.price_cents[o.sku] * o.quantity - o.seller_discount - o.platform_discount
    gmv = np.bincount(cell, weights=sale * net, minlength=size).round().astype(np.int64)
    popularity = np.bincount(c.cat.product_index, weights=c.cat.popularity, minlength=products)
    browse = rng.poisson(np.repeat(popularity, days) * cfg.orders / days * 20)
    views = np.round(orders * rng.uniform(15, 45, size=size)).astype(np.int64) + browse
    impressions = np.round(views * rng.uniform(3, 10, size=size)).astype(np.int64)
    cells = np.flatnonzero((views > 0) | (orders > 0))
    product, day = cells // days, cells % days
    start = _local_midnight_us(cfg)
    recent = day >= days - 3

    def version(index: np.ndarray, scale: np.ndarray, ingest: np.ndarray) -> pa.Table:
        n = len(index)
        at = cells[index]

        def scaled(values: np.ndarray) -> np.ndarray:
            return np.round(values[at] * scale).astype(np.int64)

        return _table(
            PRODUCT_PERFORMANCE,
            {
                "client_id": c.column(c.client_id, n),
                "date": pa.array(
                    np.datetime64(cfg.start, "D") + day[index].astype("timedelta64[D]"), type=pa.date32()
                ),
                "tiktok_product_id": pc.take(c.cat.product_id, pa.array(product[index])),
                "page_views": scaled(views),
                "impressions": scaled(impressions),
                "orders": scaled(orders),
                "units": scaled(units),
                "gmv": money(scaled(gmv)),
                "currency": c.column(cfg.currency, n),
                "ingested_at": timestamps(ingest),
            },
        )

    everything = np.arange(len(cells))
    revised = np.flatnonzero(recent)
    # TikTok's figures for the last days are provisional: lower first, revised later.
    first = version(everything, np.where(recent, 0.7, 1.0), start + (day + 1) * DAY_US + 3 * 3_600_000_000)
    return [
        first,
        version(revised, np.ones(len(revised)), np.full(len(revised), start + (days + 1) * DAY_US)),
    ]


def sync_log_table(c: _Client, o: Orders, rng: np.random.Generator) -> pa.Table:
    """API calls of every lane with their outcome, error code and duration."""
    cfg = c.cfg
    per_day = rng.poisson(cfg.sync_calls_per_day, size=cfg.days)
    n = int(per_day.sum())
    day = np.repeat(np.arange(cfg.days), per_day)
    at = np.sort(_local_midnight_us(cfg) + day * DAY_US + rng.integers(0, DAY_US, size=n))
    shares = np.array([op[3] for op in OPERATIONS])
    op = rng.choice(len(OPERATIONS), size=n, p=shares / shares.sum())
    result = rng.choice(3, size=n, p=[0.93, 0.05, 0.02])  # ok, failed, skipped
    failed = result == 1
    tiktok = np.array([x[2] == "tiktok" for x in OPERATIONS])[op]
    errors = ERRORS["tiktok"] + ERRORS["vtex"]
    error = np.where(
        tiktok,
        rng.integers(0, len(ERRORS["tiktok"]), size=n),
        len(ERRORS["tiktok"]) + rng.integers(0, len(ERRORS["vtex"]), size=n),
    )
    typical = np.array([x[4] for x in OPERATIONS])[op]
    duration = np.round(typical * rng.lognormal(0, 0.5, size=n) * np.where(failed, 2.0, 1.0)).astype(np.int64)
    by_order = np.isin(np.array([x[0] for x in OPERATIONS])[op], ("orders", "fulfilment"))
    item_order = c.order_ids(rng.integers(0, o.n, size=n))
    item_sku = pc.take(c.cat.seller_sku, pa.array(rng.integers(0, c.cat.skus, size=n)))
    return _table(
        SYNC_LOG,
        {
            "client_id": c.column(c.client_id, n),
            "at": timestamps(at),
            "lane": pick([x[0] for x in OPERATIONS], op),
            "operation": pick([x[1] for x in OPERATIONS], op),
            "api": pick([x[2] for x in OPERATIONS], op),
            "item_key": pc.if_else(pa.array(by_order), item_order, item_sku),
            "result": pick(("ok", "failed", "skipped"), result),
            "error_code": pick([e[0] for e in errors], error, mask=~failed),
            "error_message": pick([e[1] for e in errors], error, mask=~failed),
            "duration_ms": duration,
        },
    )


# ---------------------------------------------------------------- writing
def generate_sales(lake: ParquetLake, cfg: SalesConfig | None = None) -> SalesSummary:
    """Writes every client's sales and sync history to the lake as append-only parts."""
    cfg = cfg or SalesConfig()
    summary = SalesSummary()

    def write(table: str, client_id: str, data: pa.Table) -> None:
        if data.num_rows:
            lake.append_part(table, client_id, data)
            summary.add(table, data)

    for number in range(cfg.clients):
        rng = np.random.default_rng([cfg.seed, number])
        c = _Client(cfg, number, client_catalog(cfg, number, rng))
        o = generate_orders(cfg, c.cat, rng)
        summary.orders += o.n
        summary.lines += len(o.line_order)
        summary.updated_orders += int(o.updated.sum())
        first_ingest = o.first_updated_at + rng.integers(MINUTE_US, 10 * MINUTE_US, size=o.n)
        final_ingest = o.final_updated_at + rng.integers(MINUTE_US, 10 * MINUTE_US, size=o.n)
        for a, b in _chunks(o.n, cfg.parts):
            index = np.arange(a, b)
            write("orders", c.client_id, orders_table(c, o, index, False, first_ingest[index]))
            write("order_lines", c.client_id, lines_table(c, o, index, False, first_ingest[index]))
        updated = np.flatnonzero(o.updated)
        for a, b in _chunks(len(updated), max(1, cfg.parts // 2)):
            index = updated[a:b]
            write("orders", c.client_id, orders_table(c, o, index, True, final_ingest[index]))
            write("order_lines", c.client_id, lines_table(c, o, index, True, final_ingest[index]))
        stock, available = stock_history_table(c, rng)
        for a, b in _chunks(stock.num_rows, cfg.parts):
            write("stock_history", c.client_id, stock.slice(a, b - a))
        for listings in listings_tables(c, available, rng):
            write("listings", c.client_id, listings)
        for performance in performance_tables(c, o, rng):
            write("product_performance", c.client_id, performance)
        sync = sync_log_table(c, o, rng)
        for a, b in _chunks(sync.num_rows, cfg.parts):
            write("sync_log", c.client_id, sync.slice(a, b - a))
    return summary


def _db_times(micros: np.ndarray, sqlite: bool) -> np.ndarray:
    """UTC instants as the state DB stores them: SQLAlchemy's naive text on SQLite, ISO with offset else."""
    text = np.datetime_as_string(micros.astype("datetime64[us]"), unit="us")
    return np.char.replace(text, "T", " ") if sqlite else np.char.add(text, "+00:00")


def generate_event_log(db: StateDB, cfg: SalesConfig | None = None, batch: int = 50_000) -> int:
    """Records webhook events (received, handled or not, with latencies) in the state DB's event log.

    Rows are built as columns and inserted in batches of plain tuples, bypassing per-row ORM work."""
    cfg = cfg or SalesConfig()
    dialect = db.engine.dialect
    sqlite = dialect.name == "sqlite"
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    columns = (
        "source, event_id, event_type, routing_key, client_id, body, received_at, recorded_at, target, "
        "action, keys, status, handled_at, error"
    )
    insert = f"INSERT INTO event_log ({columns}) VALUES ({', '.join([mark] * 14)})"
    start = _local_midnight_us(cfg)
    total = 0
    for number, client_id in enumerate(cfg.client_ids()):
        rng = np.random.default_rng([cfg.seed, number, 7])
        n = int(rng.poisson(cfg.webhooks_per_day, size=cfg.days).sum())
        received = np.sort(start + rng.integers(0, cfg.days * DAY_US, size=n))
        shares = np.array([w[2] for w in WEBHOOKS])
        kind = rng.choice(len(WEBHOOKS), size=n, p=shares / shares.sum())
        status = rng.choice(4, size=n, p=[0.92, 0.03, 0.03, 0.02])  # handled, ignored, failed, pending
        latency = np.round(rng.lognormal(np.log(2.5e6), 1.0, size=n)).astype(np.int64)
        source = np.array([w[0] for w in WEBHOOKS], dtype=object)[kind]
        handled = _db_times(received + latency, sqlite).astype(object)
        handled[status == 3] = None
        owner = np.full(n, client_id, dtype=object)
        owner[rng.random(n) < 0.01] = None  # a shop no registered client owns
        error = np.full(n, None, dtype=object)
        error[status == 2] = "VTEX answered 500 while placing the order"
        rows = list(
            zip(
                source.tolist(),
                np.char.add(f"{client_id}:", np.arange(n).astype(str)).tolist(),
                np.array([w[1] for w in WEBHOOKS], dtype=object)[kind].tolist(),
                np.where(source == "tiktok", f"shop-{number}", f"account-{number}").tolist(),
                owner.tolist(),
                np.array([json.dumps({"type": w[1]}) for w in WEBHOOKS], dtype=object)[kind].tolist(),
                _db_times(received, sqlite).tolist(),
                _db_times(received + 200_000, sqlite).tolist(),
                ["orders"] * n,
                ["run"] * n,
                [""] * n,
                np.array(["handled", "ignored", "failed", "pending"], dtype=object)[status].tolist(),
                handled.tolist(),
                error.tolist(),
                strict=True,
            )
        )
        for a in range(0, n, batch):
            with db.begin() as conn:
                conn.exec_driver_sql(insert, rows[a : a + batch])
        total += n
    return total
