"""Writes the generated sales and sync history to the lake, one append-only part per batch, as the
producers do."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from tiktok_pipelines.sandbox.sales.channel_analytics import channel_analytics_tables
from tiktok_pipelines.sandbox.sales.config import MINUTE_US, SalesConfig, SalesSummary
from tiktok_pipelines.sandbox.sales.history import (
    listings_tables,
    performance_tables,
    stock_history_table,
    sync_log_table,
)
from tiktok_pipelines.sandbox.sales.orders import (
    Client,
    client_catalog,
    generate_orders,
    lines_table,
    orders_table,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from tiktok_pipelines.defs.resources.storage import ParquetLake


def _chunks(n: int, parts: int) -> list[tuple[int, int]]:
    bounds = np.linspace(0, n, max(1, parts) + 1).astype(np.int64)
    return [(int(a), int(b)) for a, b in itertools.pairwise(bounds) if b > a]


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
        c = Client(cfg, number, client_catalog(cfg, number, rng))
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
        own = np.random.default_rng(
            [cfg.seed, number, 1]
        )  # leaves the draws of the other tables as they were
        for table, parts in channel_analytics_tables(c, o, own).items():
            for data in parts:
                write(table, c.client_id, data)
        sync = sync_log_table(c, o, rng)
        for a, b in _chunks(sync.num_rows, cfg.parts):
            write("sync_log", c.client_id, sync.slice(a, b - a))
    return summary
