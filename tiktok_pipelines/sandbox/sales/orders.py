"""Each client's catalog (prices, a popular head of products) and its orders with lines: times with
evening peaks, weekends and a promotion day, statuses, discounts and shipping fees; and the orders and
order lines tables, as first ingested or in their newest version."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.core.tables import ORDER_LINES, ORDERS
from tiktok_pipelines.sandbox.catalog import generate_catalog
from tiktok_pipelines.sandbox.sales.arrays import build_table, ids, money, pick, timestamps
from tiktok_pipelines.sandbox.sales.config import (
    CANCEL_REASONS,
    DAY_US,
    EARLIER,
    HOUR_WEIGHTS,
    MINUTE_US,
    OLD_STATUS_P,
    RECENT_STATUS_P,
    SHIPPED,
    STATES,
    STATUSES,
    VTEX_STATUS,
    S,
    SalesConfig,
    local_midnight_us,
)

CHANNEL = ChannelName.TIKTOK_SHOP.value  # the channel of the generated sales


@dataclass
class ClientCatalog:
    client_id: str
    product_index: np.ndarray  # per SKU: index of its product
    price_cents: np.ndarray  # per SKU: TikTok price
    list_cents: np.ndarray  # per SKU
    popularity: np.ndarray  # per SKU: probability a line is this SKU
    seller_sku: pa.Array
    channel_sku_id: pa.Array
    sku_name: pa.Array
    channel_product_id: pa.Array  # per product
    product_key: pa.Array  # per product: item_group_id
    product_name: pa.Array  # per product

    @property
    def skus(self) -> int:
        return len(self.price_cents)

    @property
    def products(self) -> int:
        return len(self.channel_product_id)


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
        channel_sku_id=pa.array([str(base + 500_000_000 + s.sku_id) for s in skus]),
        sku_name=pa.array([s.variant_name for s in skus]),
        channel_product_id=pa.array([str(base + p.product_id) for p in catalog.products]),
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
        local_midnight_us(cfg)
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
class Client:
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


def orders_table(c: Client, o: Orders, index: np.ndarray, final: bool, ingest_us: np.ndarray) -> pa.Table:
    """The ORDERS rows of orders `index`, in their first or final version."""
    n = len(index)
    status = (o.final if final else o.first)[index]
    names = np.array(STATUSES)[status]
    cancelled = status == S["CANCELLED"]
    # An order cancelled before payment never had a payment nor a VTEX order.
    paid = (status != S["UNPAID"]) & ~(cancelled & (o.first[index] == S["UNPAID"]))
    order_ids = c.order_ids(index)
    vtex_status = pa.array([VTEX_STATUS.get(s) for s in STATUSES], type=pa.string())
    return build_table(
        ORDERS,
        {
            "client_id": c.column(c.client_id, n),
            "channel": c.column(CHANNEL, n),
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


def lines_table(c: Client, o: Orders, index: np.ndarray, final: bool, ingest_us: np.ndarray) -> pa.Table:
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
    return build_table(
        ORDER_LINES,
        {
            "client_id": c.column(c.client_id, n),
            "channel": c.column(CHANNEL, n),
            "order_id": order_ids,
            "line_id": ids(577_000_000_000_000_000 + c.number * 10**13, line_index),
            "channel_product_id": pc.take(c.cat.channel_product_id, product),
            "channel_sku_id": pc.take(c.cat.channel_sku_id, sku),
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
