"""Every channel side by side, in one run: write calls per changed product and VTEX stock change → the
channel, for TikTok Shop, Mercado Livre and Shopee (one entry of `CHANNELS` each).

A catalog of `--products` products (fixed seed) is listed on every channel by the catalog lane (feed →
listings), and one full stock and price reconcile sets what each channel shows. Then, on the sandbox
emulators (the VTEX store broadcasting its changes to the receiver):

(a) Write calls per changed product, counted by each channel's emulator (its own call counters, not the
    client's), for four changes of `--changed` products each: the prices in the feed, then the titles
    (one catalog run each; the feed's prices are not the catalog's to push: target 0); the prices in
    VTEX, every SKU of each product; the stock in VTEX, every SKU of each product (for both, the queue
    sensor ticked and each stock_price_realtime_job run it asks for run in process). Target 1.0; the
    baseline is the seed's approach, one update per SKU.
(b) A VTEX stock change → the new quantity shown by each channel's emulator, through the real path with
    the real Dagster daemon: broadcast → receiver → queue → webhook_queue_sensor →
    stock_price_realtime_job → each channel's push. `--changes` changes `--spacing` s apart, each on a
    SKU listed on every channel and timed on each channel: p50 / p95 / max, target p95 ≤ 30 s; the
    baseline is the seed's daily schedule (derived).

    PYTHONPATH=. .venv/bin/python benchmarks/channel_sync.py [--products 50] [--changed 10]
        [--changes 20] [--spacing 3] [--channels tiktok_shop,mercado_livre] [--skip-daemon]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stock_sync import percentile, start_daemon, stop_daemon

ROOT = Path(__file__).resolve().parents[1]
TARGET_WRITES_PER_PRODUCT = 1.0
TARGET_P95_SECONDS = 30.0
READS = ("/search", "/validate", "/token", "/oauth")
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # the runs' step events


def is_write(endpoint: str) -> bool:
    """An emulator's endpoint (`METHOD path`) that changes something on the channel."""
    method, _, path = endpoint.partition(" ")
    return method in ("POST", "PUT", "DELETE", "PATCH") and not any(r in path for r in READS)


def tiktok_connect(config, world) -> None:
    from tiktok_pipelines.sandbox.demo import authorize_demo_client

    authorize_demo_client(config)


def tiktok_stock(world) -> Callable[[str], int | None]:
    from tiktok_pipelines.sandbox.world import DEMO_SHOP_CODE

    shop = world.tiktok.shop_by_code(DEMO_SHOP_CODE)
    skus = {s["seller_sku"]: s for p in shop.products.values() for s in p["skus"]}

    def shown(seller_sku: str) -> int | None:
        sku = skus.get(seller_sku)
        if sku is None:
            return None
        with world.tiktok.lock:
            return sum(q["quantity"] for q in sku["inventory"])

    return shown


def mercado_livre_connect(config, world) -> None:
    from tiktok_pipelines.sandbox.demo import connect_demo_mercado_livre

    connect_demo_mercado_livre(config)
    world.mercado_livre.stop_autopilot()  # no buyers: the stock moves only with VTEX


def mercado_livre_stock(world) -> Callable[[str], int | None]:
    from tiktok_pipelines.sandbox.world import DEMO_ML_SELLER

    emulator = world.mercado_livre
    holders = {}  # seller SKU → the item or variation that carries its quantity
    for item in emulator.seller(DEMO_ML_SELLER).items.values():
        if item["status"] == "closed":  # a paused item (out of stock) is listed, and shows its quantity
            continue
        for holder in item["variations"] or [item]:
            for attribute in holder.get("attributes") or []:
                if attribute.get("id") == "SELLER_SKU":
                    holders[attribute["value_name"]] = holder

    def shown(seller_sku: str) -> int | None:
        holder = holders.get(seller_sku)
        if holder is None:
            return None
        with emulator.lock:
            return int(holder["available_quantity"])

    return shown


def shopee_connect(config, world) -> None:
    from tiktok_pipelines.sandbox.demo import connect_demo_shopee

    connect_demo_shopee(config)
    world.shopee.stop_autopilot()  # no buyers: the stock moves only with VTEX


def shopee_stock(world) -> Callable[[str], int | None]:
    from tiktok_pipelines.sandbox.world import DEMO_SHOPEE_SHOP_ID

    emulator = world.shopee
    holders = {}  # seller SKU → the model (or the item without models) that carries its quantity
    for item in emulator.shop(DEMO_SHOPEE_SHOP_ID).items.values():
        if item["item_status"] in ("SELLER_DELETE", "SHOPEE_DELETE"):
            continue
        for holder in item["models"].values() if item.get("has_model") else [item]:
            holders[holder.get("model_sku") or holder.get("item_sku")] = holder

    def shown(seller_sku: str) -> int | None:
        holder = holders.get(seller_sku)
        if holder is None:
            return None
        with emulator.lock:
            return int(holder["stock"])

    return shown


@dataclass(frozen=True)
class ChannelProbe:
    """A channel as the benchmark sees it: how the demo client connects to its emulator, the emulator
    (whose own counters count the write calls), and the quantity it shows for a seller SKU (an index
    built once the catalog is listed)."""

    connect: Callable
    emulator: Callable
    stock: Callable[..., Callable[[str], int | None]]


# One entry per channel: its demo connection, its emulator and how its emulator shows a SKU's quantity.
# Its catalog and stock and price assets come with the project's CATALOG_ASSETS and STOCK_PRICE_ASSETS.
CHANNELS: dict[str, ChannelProbe] = {
    "tiktok_shop": ChannelProbe(tiktok_connect, lambda world: world.tiktok, tiktok_stock),
    "mercado_livre": ChannelProbe(
        mercado_livre_connect, lambda world: world.mercado_livre, mercado_livre_stock
    ),
    "shopee": ChannelProbe(shopee_connect, lambda world: world.shopee, shopee_stock),
}


def writes(emulator) -> dict[str, int]:
    """The write calls the emulator answered since its counters were last reset, by endpoint."""
    return {k: n for k, n in emulator.stats()["calls"].items() if is_write(k)}


class Sandbox:
    """The sandbox, the receiver (in process, on the benchmark's own state DB), the demo client connected
    to every channel benchmarked, its catalog listed and its stock and prices reconciled."""

    def __init__(self, work: Path, products: int, seed: int, channels: list[str]):
        from tiktok_pipelines.sandbox.server import ServerThread
        from tiktok_pipelines.sandbox.world import SandboxConfig, SandboxWorld

        self.work, self.channels = work, channels
        home = work / "dagster_home"
        home.mkdir()
        shutil.copyfile(ROOT / "dagster.yaml", home / "dagster.yaml")
        self.config = SandboxConfig.on_free_ports(products=products, seed=seed)
        self.world = SandboxWorld(self.config)
        self.env = {
            **os.environ,
            **self.world.environment(),
            "DAGSTER_HOME": str(home),
            "TIKTOK_PIPELINES_DATA_DIR": str(work / "data"),
            "TIKTOK_PIPELINES_ENV": "development",
            "MERCADO_LIVRE_RATE_LIMIT_PER_SECOND": "200",
        }
        os.environ.update(self.env)
        self.servers = [ServerThread(a.app, port=a.port).start() for a in self.world.apps()]

    def start(self) -> None:
        import dagster as dg

        from tiktok_pipelines.defs.resources import build_resources
        from tiktok_pipelines.receiver.app import create_app
        from tiktok_pipelines.sandbox.demo import connect_vtex_notifications, setup_demo_client
        from tiktok_pipelines.sandbox.server import ServerThread
        from tiktok_pipelines.settings import Settings
        from tiktok_pipelines.stores.db import open_state_db

        settings = Settings.load()
        self.db = open_state_db(settings, create=True)  # the benchmark's own, new store
        self.servers.append(
            ServerThread(create_app(settings, db=self.db), port=self.config.receiver_port).start()
        )
        setup_demo_client(self.config)
        for channel in self.channels:
            CHANNELS[channel].connect(self.config, self.world)
        connect_vtex_notifications(self.config)
        self.resources = build_resources(settings)
        self.instance = dg.DagsterInstance.get()

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def emulators(self) -> dict:
        return {c: CHANNELS[c].emulator(self.world) for c in self.channels}

    def catalog_run(self) -> None:
        import dagster as dg

        from tiktok_pipelines.defs.catalog.assets import CATALOG_ASSETS
        from tiktok_pipelines.defs.catalog.feed import feed_products, feed_xml

        result = dg.materialize(
            [feed_xml, feed_products, *CATALOG_ASSETS],
            partition_key="demo",
            instance=self.instance,
            resources=self.resources,
            run_config=QUIET,
        )
        assert result.success, "the catalog run failed"

    def stock_price_run(self, mode: str, tags: dict | None = None) -> None:
        import dagster as dg

        from tiktok_pipelines.defs.stock_price.assets import STOCK_PRICE_ASSETS
        from tiktok_pipelines.defs.stock_price.jobs import PUSH_ASSETS, mode_config

        assets = STOCK_PRICE_ASSETS if mode == "full" else PUSH_ASSETS
        result = dg.materialize(
            assets,
            partition_key="demo",
            instance=self.instance,
            resources=self.resources,
            run_config={**mode_config(mode), **QUIET},
            tags=tags,
        )
        assert result.success, f"the {mode} stock and price run failed"

    def notified_runs(self) -> int:
        """VTEX's broadcasts delivered, then the queue sensor ticked until the queue is empty, each
        real-time run it asks for run in process; returns the runs."""
        import dagster as dg

        from tiktok_pipelines.defs.events.sensors import build_webhook_queue_sensor
        from tiktok_pipelines.defs.stock_price.jobs import stock_price_realtime_job
        from tiktok_pipelines.sandbox.vtex import VtexSandboxControl
        from tiktok_pipelines.sandbox.world import DEMO_ACCOUNT

        with VtexSandboxControl(self.world.urls()["vtex"], DEMO_ACCOUNT) as control:
            control.flush(timeout=120)
        sensor = build_webhook_queue_sensor({"stock_price": stock_price_realtime_job})
        runs = 0
        while True:
            with dg.build_sensor_context(instance=self.instance, resources=self.resources) as context:
                result = sensor(context)
            for request in result.run_requests or []:
                self.stock_price_run("realtime", tags=request.tags)
                runs += 1
            if result.skip_reason:
                return runs


def changed_products(world, count: int, rng: random.Random, exclude: set[int]) -> list:
    products = [p for p in world.demo_catalog.products if p.product_id not in exclude]
    return rng.sample(products, count)


def measure_writes(sandbox: Sandbox, changed: int, seed: int) -> dict[str, dict]:
    """(a): change → the write calls each emulator answered, per change and channel."""
    from tiktok_pipelines.sandbox.world import DEMO_ACCOUNT

    world, rng = sandbox.world, random.Random(seed)
    account = world.vtex.account(DEMO_ACCOUNT)
    catalog = world.demo_catalog
    emulators = sandbox.emulators()
    figures: dict[str, dict] = {}
    used: set[int] = set()

    def counted(name: str, what: str, target: float, change: Callable[[], list]) -> None:
        for emulator in emulators.values():
            emulator.reset_stats()
        products = change()
        used.update(p.product_id for p in products)
        figures[name] = {
            "what": what,
            "target": target,
            "products": len(products),
            "skus": sum(len(p.skus) for p in products),
            "calls": {channel: writes(e) for channel, e in emulators.items()},
        }

    def feed_change(titles: bool) -> Callable[[], list]:
        def change() -> list:
            ids = catalog.change_products(changed, prices=not titles, titles=titles)  # the feed picks them
            sandbox.catalog_run()
            return [catalog.product(i) for i in ids]

        return change

    def vtex_change(set_sku: Callable) -> Callable[[], list]:
        def change() -> list:
            products = rng.sample([p for p in catalog.products if p.product_id not in used], changed)
            for product in products:
                for sku in product.skus:
                    set_sku(sku)
            sandbox.notified_runs()
            return products

        return change

    def raise_price(sku) -> None:
        selling, listed = account.price_record(sku.sku_id).computed("1")
        new = (selling * Decimal("1.05")).quantize(Decimal("0.01"))
        account.set_trade_policy_price(sku.sku_id, new, max(listed, new))

    def add_stock(sku) -> None:
        available = account.total_available(sku) + rng.randint(1, 30)
        account.set_available(sku.sku_id, account.catalog.warehouses[0], available)

    # A price in the feed is not the catalog's to push (the price comes from VTEX): no write at all.
    counted("feed_price", "price, in the feed (catalog run)", 0.0, feed_change(titles=False))
    counted(
        "feed_title", "title, in the feed (catalog run)", TARGET_WRITES_PER_PRODUCT, feed_change(titles=True)
    )
    counted(
        "vtex_price",
        "price of every SKU, in VTEX (real-time run)",
        TARGET_WRITES_PER_PRODUCT,
        vtex_change(raise_price),
    )
    counted(
        "vtex_stock",
        "stock of every SKU, in VTEX (real-time run)",
        TARGET_WRITES_PER_PRODUCT,
        vtex_change(add_stock),
    )
    return figures


def measure_latency(sandbox: Sandbox, changes: int, spacing: float, seed: int) -> dict[str, list[float]]:
    """(b): VTEX stock changes timed until each channel's emulator shows them, the daemon running."""
    from tiktok_pipelines.sandbox.world import DEMO_ACCOUNT

    world, rng = sandbox.world, random.Random(seed)
    account = world.vtex.account(DEMO_ACCOUNT)
    shown = {c: CHANNELS[c].stock(world) for c in sandbox.channels}
    everywhere = [
        sku
        for sku in world.demo_catalog.skus()
        if all(s(str(sku.sku_id)) is not None for s in shown.values())
    ]
    if not everywhere:
        raise RuntimeError("no SKU is listed on every channel benchmarked")
    wanted = [rng.choice(everywhere) for _ in range(changes + 1)]
    latencies: dict[str, list[float]] = {c: [] for c in sandbox.channels}
    proc = start_daemon(sandbox.work, sandbox.env)
    try:
        time.sleep(15)  # the daemon loads the code location and starts the sensor
        for i, sku in enumerate(wanted):
            target = account.total_available(sku) + rng.randint(5, 40)
            changed = time.monotonic()
            account.set_available(sku.sku_id, account.catalog.warehouses[0], target)
            waiting = set(sandbox.channels)
            while waiting and time.monotonic() < changed + 120:
                for channel in sorted(waiting):
                    if shown[channel](str(sku.sku_id)) == target:
                        waiting.discard(channel)
                        if i:  # the first change warms the daemon up
                            latencies[channel].append(time.monotonic() - changed)
                time.sleep(0.05)
            for channel in sorted(waiting):
                print(f"# change {i} (SKU {sku.sku_id}) not on {channel} within 120 s", flush=True)
            time.sleep(max(0.0, spacing - (time.monotonic() - changed)))
    finally:
        stop_daemon(proc)
    return latencies


def line(name: str, value: float, unit: str, target: float | None, baseline: float | None) -> None:
    ratio = f"{value / baseline:.4f}" if baseline else "n/a"
    goal = f"{target:g}" if target is not None else "-"
    print(f"{name:<48} {value:>10.3f} {unit:<16} {goal:>8} {ratio:>10}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--changed", type=int, default=10, help="Products changed per kind in (a).")
    parser.add_argument("--changes", type=int, default=20, help="Stock changes timed in (b).")
    parser.add_argument("--spacing", type=float, default=3.0, help="Seconds between changes in (b).")
    parser.add_argument("--channels", default=",".join(CHANNELS), help="Channels benchmarked, side by side.")
    parser.add_argument("--skip-daemon", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    channels = args.channels.split(",")
    unknown = set(channels) - set(CHANNELS)
    if unknown:
        parser.error(f"unknown channel(s) {', '.join(sorted(unknown))}; known: {', '.join(CHANNELS)}")

    work = Path(tempfile.mkdtemp(prefix="ttp-bench-channels-"))
    sandbox = Sandbox(work, args.products, args.seed, channels)
    try:
        sandbox.start()
        sandbox.catalog_run()
        sandbox.stock_price_run("full")
        listed = {
            c: sum(
                1
                for p in sandbox.world.demo_catalog.skus()
                if CHANNELS[c].stock(sandbox.world)(str(p.sku_id)) is not None
            )
            for c in channels
        }
        print(
            f"# {args.products} products, {len(sandbox.world.demo_catalog.skus())} SKUs; SKUs listed: {listed}",
            flush=True,
        )
        written = measure_writes(sandbox, args.changed, args.seed)
        latencies = (
            {} if args.skip_daemon else measure_latency(sandbox, args.changes, args.spacing, args.seed)
        )
    finally:
        sandbox.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"{'name':<48} {'value':>10} {'unit':<16} {'target':>8} {'ratio_to_baseline':>10}")
    for name, figure in written.items():
        baseline = figure["skus"] / figure["products"]  # the seed: one update per SKU
        for channel, calls in figure["calls"].items():
            total = sum(calls.values())
            line(
                f"a_{channel}_{name}_writes_per_product",
                total / figure["products"],
                "calls/product",
                figure["target"],
                baseline,
            )
            detail = ", ".join(f"{k} {n}" for k, n in sorted(calls.items())) or "none"
            print(
                f"#   {channel}, {figure['what']}: {total} write calls for {figure['products']} products ({detail})"
            )
    if latencies:
        daily = 24 * 3600.0
        for channel, values in latencies.items():
            if not values:
                print(f"b_change_to_{channel}: no change shown within 120 s")
                continue
            line(f"b_change_to_{channel}_p50", percentile(values, 50), "s", None, daily / 2)
            line(f"b_change_to_{channel}_p95", percentile(values, 95), "s", TARGET_P95_SECONDS, daily * 0.95)
            line(f"b_change_to_{channel}_max", max(values), "s", None, daily)
            line(f"b_change_to_{channel}_timed", len(values), "changes", None, None)


if __name__ == "__main__":
    main()
