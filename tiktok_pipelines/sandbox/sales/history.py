"""The history beside the orders: stock pushes per SKU and warehouse (with periods at zero), listings
with later price changes, TikTok's daily product performance (recent days revised), and the sync log
with API errors by code."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tiktok_pipelines.core.tables import LISTINGS, PRODUCT_PERFORMANCE, STOCK_HISTORY, SYNC_LOG
from tiktok_pipelines.sandbox.sales.arrays import build_table, money, pick, timestamps
from tiktok_pipelines.sandbox.sales.config import DAY_US, ERRORS, MINUTE_US, OPERATIONS, local_midnight_us
from tiktok_pipelines.sandbox.sales.orders import CHANNEL, Client, Orders, final_sale_lines


def stock_history_table(c: Client, rng: np.random.Generator) -> tuple[pa.Table, np.ndarray]:
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
        local_midnight_us(cfg)
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
    table = build_table(
        STOCK_HISTORY,
        {
            "client_id": c.column(c.client_id, len(order)),
            "channel": c.column(CHANNEL, len(order)),
            "seller_sku": pc.take(c.cat.seller_sku, pa.array(flat_sku)),
            "channel_sku_id": pc.take(c.cat.channel_sku_id, pa.array(flat_sku)),
            "channel_warehouse_id": pick(
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


def listings_tables(c: Client, available: np.ndarray, rng: np.random.Generator) -> list[pa.Table]:
    """Every SKU's listing, then a later version of a tenth of them with a new price."""
    cfg = c.cfg
    skus = c.cat.skus
    start = local_midnight_us(cfg)
    product = pa.array(c.cat.product_index)
    status = (rng.random(skus) < 0.05).astype(np.int64)

    def version(index: np.ndarray, price: np.ndarray, at: int) -> pa.Table:
        n = len(index)
        sku = pa.array(index)
        return build_table(
            LISTINGS,
            {
                "client_id": c.column(c.client_id, n),
                "channel": c.column(CHANNEL, n),
                "product_key": pc.take(c.cat.product_key, pc.take(product, sku)),
                "seller_sku": pc.take(c.cat.seller_sku, sku),
                "channel_product_id": pc.take(c.cat.channel_product_id, pc.take(product, sku)),
                "channel_sku_id": pc.take(c.cat.channel_sku_id, sku),
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


def performance_tables(c: Client, o: Orders, rng: np.random.Generator) -> list[pa.Table]:
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
    start = local_midnight_us(cfg)
    recent = day >= days - 3

    def version(index: np.ndarray, scale: np.ndarray, ingest: np.ndarray) -> pa.Table:
        n = len(index)
        at = cells[index]

        def scaled(values: np.ndarray) -> np.ndarray:
            return np.round(values[at] * scale).astype(np.int64)

        return build_table(
            PRODUCT_PERFORMANCE,
            {
                "client_id": c.column(c.client_id, n),
                "channel": c.column(CHANNEL, n),
                "date": pa.array(
                    np.datetime64(cfg.start, "D") + day[index].astype("timedelta64[D]"), type=pa.date32()
                ),
                "channel_product_id": pc.take(c.cat.channel_product_id, pa.array(product[index])),
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


def sync_log_table(c: Client, o: Orders, rng: np.random.Generator) -> pa.Table:
    """API calls of every lane with their outcome, error code and duration."""
    cfg = c.cfg
    per_day = rng.poisson(cfg.sync_calls_per_day, size=cfg.days)
    n = int(per_day.sum())
    day = np.repeat(np.arange(cfg.days), per_day)
    at = np.sort(local_midnight_us(cfg) + day * DAY_US + rng.integers(0, DAY_US, size=n))
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
    return build_table(
        SYNC_LOG,
        {
            "client_id": c.column(c.client_id, n),
            "channel": c.column(CHANNEL, n),
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
