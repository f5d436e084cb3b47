"""Bulk stock read from VTEX: the client's concurrent `stock_many` against one SKU at a time.

Serves the VTEX emulator with a fixed seed and 20 ms of latency per request (a realistic round trip),
then reads the stock of every SKU twice: sequentially (the baseline, as the current Lambda reads a
batch) and with `stock_many` at the default concurrency. Prints one line per figure.
"""

from __future__ import annotations

import time

from tiktok_pipelines.sandbox.server import ServerThread, free_port
from tiktok_pipelines.sandbox.vtex import VtexSandboxControl
from tiktok_pipelines.sandbox.world import (
    DEMO_ACCOUNT,
    DEMO_VTEX_APP_KEY,
    DEMO_VTEX_APP_TOKEN,
    SandboxConfig,
    SandboxWorld,
)
from tiktok_pipelines.vtex.client import VtexAccount, VtexClient, VtexOptions

PRODUCTS = 150
LATENCY_SECONDS = 0.02


def main() -> None:
    world = SandboxWorld(
        SandboxConfig(feeds_port=free_port(), vtex_port=free_port(), products=PRODUCTS, seed=7)
    )
    servers = [ServerThread(app.app, port=app.port).start() for app in world.apps()]
    try:
        base = world.environment()["VTEX_BASE_URL"]
        with VtexSandboxControl(world.urls()["vtex"], DEMO_ACCOUNT) as control:
            control.latency(LATENCY_SECONDS)
        account = VtexAccount(DEMO_ACCOUNT, DEMO_VTEX_APP_KEY, DEMO_VTEX_APP_TOKEN, warehouse_ids=("1_1",))
        ids = [s.sku_id for s in world.demo_catalog.skus()]

        with VtexClient(account, VtexOptions(base_url=base, rate_limit_per_second=1000)) as client:
            started = time.perf_counter()
            sequential = {str(i): client.stock(i).available for i in ids}
            baseline = time.perf_counter() - started

            started = time.perf_counter()
            bulk = client.stock_many(ids)
            elapsed = time.perf_counter() - started

        assert {k: v.available for k, v in bulk.values.items()} == sequential, "the two reads disagree"
        concurrency = client.options.max_concurrency
        print(f"vtex_stock_sequential, {len(ids) / baseline:.1f}, skus/s, 1.00")
        print(f"vtex_stock_many_c{concurrency}, {len(ids) / elapsed:.1f}, skus/s, {baseline / elapsed:.2f}")
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()
