"""Stock and price sync at scale: 100k SKUs (~33k products) on the TikTok emulator (20 ms latency, 50 req/s).

(a) 1 % of the SKUs change in VTEX (half stock, half price; VTEX broadcasts each change): the queue sensor
    records the notifications and one incremental run pushes them. Figures: TikTok write calls per changed
    product (target 1.0) and wall time, at the full 100k.
(b) Full push: every SKU of a fixed slice of products unknown to TikTok (as after onboarding), pushed by
    one run: inventory updates per second achieved over the limit (target ≥ 0.9). Measured over a slice
    (`--slice` products), because all 33k at 50 req/s take 11 minutes per endpoint.
(c) Change-to-TikTok latency of the real-time path with the real Dagster daemon: a VTEX stock change →
    broadcast → receiver → queue → webhook_queue_sensor → stock_price_realtime_job run → TikTok, p50 / p95.

Baseline, side by side: the seed's approach (ESTOQUE-VTEX-busca-estoque-sku / PRECO-VTEX-monta-lista-sku):
every SKU, one VTEX read and one TikTok update each, sequential, in batches of 20; timed over
`--baseline-skus` SKUs per kind and scaled to the catalog (it does the same work for every SKU). Its
real-time figure is its daily schedule's (derived). Before (a), one full reconcile establishes what TikTok
shows (also reported). The VTEX emulator's rate limits are raised (this measures TikTok calls and pacing;
VTEX's pricing read limit, 40/s in the reference, bounds any approach that reads prices) and it answers
without added latency. Wall and CPU times are the benchmark process's, emulators included.

    .venv/bin/python benchmarks/stock_sync.py [--products 33000] [--slice 3000] [--baseline-skus 1000]
        [--changes 20] [--spacing 3] [--skip-daemon]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INVENTORY = "POST /product/202309/products/{product_id}/inventory/update"
PRICES = "POST /product/202309/products/{product_id}/prices/update"
LOCATION = '''
"""The benchmark daemon's code location: the stock and price assets, the real-time job and the webhook
queue sensor of the project, alone (the whole project would also fetch the 33k-product feed)."""
import dagster as dg

from tiktok_pipelines.defs.stock_price.assets import STOCK_PRICE_ASSETS
from tiktok_pipelines.defs.resources import build_resources
from tiktok_pipelines.defs.stock_price.jobs import stock_price_realtime_job
from tiktok_pipelines.defs.events.sensors import build_webhook_queue_sensor
from tiktok_pipelines.settings import Settings

defs = dg.Definitions(
    assets=STOCK_PRICE_ASSETS,
    jobs=[stock_price_realtime_job],
    sensors=[build_webhook_queue_sensor({"stock_price": stock_price_realtime_job})],
    resources=build_resources(Settings.load()),
)
'''


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Clock:
    """Wall and CPU time of a block (CPU: this process, emulator threads included)."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def list_all(world, db, client_id: str) -> None:
    """Every product on the shop and in the listing map, as the catalog would have left them."""
    import sqlalchemy as sa

    from tiktok_pipelines.sandbox.world import DEMO_SHOP_CODE
    from tiktok_pipelines.stores.db import utcnow
    from tiktok_pipelines.stores.listings import listing_products, listing_skus

    shop = world.tiktok.shop_by_code(DEMO_SHOP_CODE)
    world.tiktok.seed_products(shop, world.demo_catalog)
    now = utcnow()
    products, skus = [], []
    for product in shop.products.values():
        key = f"g:{product['external_product_id']}"
        products.append(
            dict(
                client_id=client_id,
                product_key=key,
                channel_product_id=product["id"],
                status=product["status"],
                payload_hash=None,
                pushed_at=now,
                failures=0,
                last_error=None,
                paused=False,
                updated_at=now,
            )
        )
        skus += [
            dict(
                client_id=client_id,
                seller_sku=s["seller_sku"],
                product_key=key,
                channel_product_id=product["id"],
                channel_sku_id=s["id"],
                updated_at=now,
            )
            for s in product["skus"]
        ]
    with db.begin() as conn:
        conn.execute(sa.insert(listing_products), products)
        conn.execute(sa.insert(listing_skus), skus)


def materialize(mode: str, instance, resources, **config):
    import dagster as dg

    from tiktok_pipelines.defs.stock_price.assets import tiktok_stock_price_state
    from tiktok_pipelines.defs.stock_price.jobs import PUSH_ASSETS, mode_config

    assets = [*PUSH_ASSETS, tiktok_stock_price_state] if mode == "full" else list(PUSH_ASSETS)
    run_config = mode_config(mode, PUSH_ASSETS)
    for op in run_config["ops"].values():
        op["config"].update(config)
    result = dg.materialize(
        assets, partition_key="demo", instance=instance, resources=resources, run_config=run_config
    )
    assert result.success
    return result


def seed_baseline(world, tiktok_resource, vtex_resource, client, skus, kind: str) -> tuple[Clock, int]:
    """The seed's lambdas: per SKU one VTEX read and one TikTok update, sequential, in batches of 20."""
    shop_warehouses = list(client.tiktok_warehouse_ids)
    calls = 0
    with (
        tiktok_resource.shop(client.client_id) as shop,
        vtex_resource.client_for(client) as api,
        Clock() as clock,
    ):
        for start in range(0, len(skus), 20):
            for seller_sku, product_id, sku_id in skus[start : start + 20]:
                if kind == "stock":
                    available = api.inventory_item(seller_sku, client.vtex_warehouse_ids[0]).available
                    inventory = [
                        {"warehouse_id": w, "quantity": available if i == 0 else 0}
                        for i, w in enumerate(shop_warehouses)
                    ]
                    shop.update_inventory(product_id, [{"id": sku_id, "inventory": inventory}])
                else:
                    price = api.computed_price(seller_sku)
                    amount = {"amount": str(price.selling_price), "currency": "BRL"}
                    listed = {
                        "amount": str(max(price.list_price or price.selling_price, price.selling_price)),
                        "currency": "BRL",
                    }
                    shop.update_prices(product_id, [{"id": sku_id, "price": amount, "list_price": listed}])
                calls += 1
    return clock, calls


def rate_of(arrivals) -> float:
    times = sorted(arrivals)
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


def start_daemon(work: Path, env: dict) -> subprocess.Popen:
    """dagster-daemon on the benchmark's code location (`LOCATION`: the stock and price assets, the
    real-time job and the queue sensor), its log in `work`; stop it with `stop_daemon`."""
    (work / "location.py").write_text(textwrap.dedent(LOCATION))
    (work / "workspace.yaml").write_text(
        f"load_from:\n  - python_file:\n      relative_path: {work / 'location.py'}\n"
        f"      location_name: stock_sync_bench\n      working_directory: {ROOT}\n"
    )
    daemon = shutil.which("dagster-daemon", path=str(Path(sys.executable).parent)) or "dagster-daemon"
    with open(work / "daemon.log", "w") as log:
        return subprocess.Popen(
            [daemon, "run", "-w", str(work / "workspace.yaml")],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=log,
            start_new_session=True,  # its code servers are stopped with it, by `stop_daemon`
        )


def stop_daemon(proc: subprocess.Popen) -> None:
    from tiktok_pipelines.sandbox.supervisor import end_process_group

    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    end_process_group(proc.pid)


def daemon_latency(world, work: Path, env: dict, n: int, spacing: float) -> list[float]:
    """(c): stock changes in VTEX timed until TikTok shows them, with dagster-daemon running the sensor."""
    from tiktok_pipelines.sandbox.world import DEMO_ACCOUNT, DEMO_SHOP_CODE

    proc = start_daemon(work, env)
    account = world.vtex.account(DEMO_ACCOUNT)
    shop = world.tiktok.shop_by_code(DEMO_SHOP_CODE)
    by_seller_sku = {s["seller_sku"]: s for p in shop.products.values() for s in p["skus"]}
    rng = random.Random(99)
    wanted = rng.sample(sorted(by_seller_sku), n + 1)
    latencies: list[float] = []
    try:
        time.sleep(15)  # the daemon loads the code location and starts the sensor
        for i, seller_sku in enumerate(wanted):
            sku = by_seller_sku[seller_sku]
            target = sum(q["quantity"] for q in sku["inventory"]) + rng.randint(5, 40)
            changed = time.monotonic()
            account.set_available(int(seller_sku), account.catalog.warehouses[0], target)
            deadline = changed + 120
            while time.monotonic() < deadline:
                with world.tiktok.lock:
                    shown = sum(q["quantity"] for q in sku["inventory"])
                if shown == target:
                    if i:  # the first one warms the daemon up
                        latencies.append(time.monotonic() - changed)
                    break
                time.sleep(0.05)
            else:
                print(f"# change {i} ({seller_sku}) not on TikTok within 120 s", flush=True)
            time.sleep(max(0.0, spacing - (time.monotonic() - changed)))
    finally:
        stop_daemon(proc)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=33_000)
    parser.add_argument("--slice", type=int, default=3000, help="Products pushed in (b).")
    parser.add_argument(
        "--baseline-skus", type=int, default=1000, help="SKUs per kind the baseline is timed on."
    )
    parser.add_argument("--changes", type=int, default=20, help="Changes timed in (c).")
    parser.add_argument("--spacing", type=float, default=3.0, help="Seconds between changes in (c).")
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--skip-daemon", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from tiktok_pipelines.sandbox.server import ServerThread
    from tiktok_pipelines.sandbox.world import (
        DEMO_ACCOUNT,
        DEMO_VTEX_WEBHOOK_SECRET,
        VTEX_WEBHOOK_PATH,
        SandboxConfig,
        SandboxWorld,
    )

    work = Path(tempfile.mkdtemp(prefix="ttp-bench-stock-"))
    home = work / "dagster_home"
    home.mkdir()
    shutil.copyfile(ROOT / "dagster.yaml", home / "dagster.yaml")
    config = SandboxConfig.on_free_ports(products=args.products, seed=args.seed)
    world = SandboxWorld(config)
    env = {
        **os.environ,
        **world.environment(),
        "DAGSTER_HOME": str(home),
        "TIKTOK_PIPELINES_DATA_DIR": str(work / "data"),
        "TIKTOK_PIPELINES_ENV": "development",
        "TIKTOK_RATE_LIMIT_PER_SECOND": str(args.rate),
        "VTEX_RATE_LIMIT_PER_SECOND": "2000",
        "VTEX_MAX_CONCURRENCY": "16",
    }
    os.environ.update(env)
    for family in ("logistics", "pricing-read"):
        world.vtex.set_limit(family, 2000.0, 2000.0)
    world.tiktok.config.rate_limit_per_second = args.rate
    servers = [ServerThread(a.app, port=a.port).start() for a in world.apps() if a.name != "feeds"]
    try:
        import dagster as dg

        from tiktok_pipelines.defs.events.sensors import build_webhook_queue_sensor
        from tiktok_pipelines.defs.resources import build_resources
        from tiktok_pipelines.defs.resources.tiktok_shop import standalone_tiktok_shop
        from tiktok_pipelines.defs.resources.vtex import Vtex
        from tiktok_pipelines.defs.stock_price.jobs import stock_price_realtime_job
        from tiktok_pipelines.receiver.app import create_app
        from tiktok_pipelines.sandbox.demo import authorize_demo_client, setup_demo_client
        from tiktok_pipelines.settings import Settings
        from tiktok_pipelines.stores.db import open_state_db
        from tiktok_pipelines.stores.stock_price import sku_sync

        settings = Settings.load()
        db = open_state_db(settings, create=True)  # the benchmark's own, new store
        receiver = ServerThread(create_app(settings, db=db), port=config.receiver_port).start()
        servers.append(receiver)
        setup_demo_client(config)
        authorize_demo_client(config)
        with Clock() as setup:
            list_all(world, db, "demo")
        world.tiktok.switches.latency_ms = args.latency_ms
        client = db and __import__("tiktok_pipelines.stores.registry", fromlist=["x"]).ClientRegistry(db).get(
            "demo"
        )
        resources = build_resources(settings)
        instance = dg.DagsterInstance.get()
        n_skus = sum(len(p.skus) for p in world.demo_catalog.products)
        print(
            f"# {args.products} products, {n_skus} SKUs listed (setup {setup.wall:.0f} s); TikTok emulator "
            f"{args.latency_ms:g} ms, {args.rate:g} req/s per endpoint; VTEX emulator limits raised, no latency",
            flush=True,
        )

        # -- the starting point: one full reconcile (VTEX read whole, TikTok read back)
        world.tiktok.reset_stats()
        world.vtex.calls.clear()
        with Clock() as full:
            materialize("full", instance, resources)
        full_writes = world.tiktok.calls[INVENTORY] + world.tiktok.calls[PRICES]
        full_tiktok_calls = sum(world.tiktok.calls.values())
        full_vtex_calls = Counter()
        for key, count in world.vtex.calls.get(DEMO_ACCOUNT, Counter()).items():
            full_vtex_calls["pricing" if "/pricing/" in key else "other"] += count

        # -- (a) 1 % changed, notified by VTEX
        from tiktok_pipelines.sandbox.vtex import VtexSandboxControl

        with VtexSandboxControl(world.urls()["vtex"], DEMO_ACCOUNT) as control:
            control.notify_to(f"{receiver.url}{VTEX_WEBHOOK_PATH}?secret={DEMO_VTEX_WEBHOOK_SECRET}")
        account = world.vtex.account(DEMO_ACCOUNT)
        rng = random.Random(args.seed)
        skus = [s for p in world.demo_catalog.products for s in p.skus]
        changed = rng.sample(skus, round(len(skus) * 0.01))
        stock_changed, price_changed = changed[::2], changed[1::2]
        for sku in stock_changed:
            account.set_available(
                sku.sku_id, account.catalog.warehouses[0], account.total_available(sku) + rng.randint(1, 30)
            )
        for sku in price_changed:
            selling, listed = account.price_record(sku.sku_id).computed("1")
            account.set_trade_policy_price(
                sku.sku_id, (selling * Decimal("1.05")).quantize(Decimal("0.01")), max(listed, selling)
            )
        with VtexSandboxControl(world.urls()["vtex"], DEMO_ACCOUNT) as control:
            control.flush(timeout=120)
        changed_products = len({s.product_id for s in stock_changed}) + len(
            {s.product_id for s in price_changed}
        )
        sensor = build_webhook_queue_sensor({"stock_price": stock_price_realtime_job})
        world.tiktok.reset_stats()
        with Clock() as delta:
            while True:
                with dg.build_sensor_context(instance=instance, resources=resources) as context:
                    if sensor(context).skip_reason:
                        break
            materialize("incremental", instance, resources)
        delta_writes = world.tiktok.calls[INVENTORY] + world.tiktok.calls[PRICES]

        # -- baseline: the seed's per-SKU sequential passes, timed on a slice of each kind
        tiktok, vtex = standalone_tiktok_shop(settings), Vtex.from_settings(settings)
        shop = world.tiktok.shop_by_code("BRDEMO001")
        sample = rng.sample(
            [(s["seller_sku"], p["id"], s["id"]) for p in shop.products.values() for s in p["skus"]],
            args.baseline_skus,
        )
        world.tiktok.reset_stats()
        base_stock, base_calls = seed_baseline(world, tiktok, vtex, client, sample, "stock")
        base_stock_rate = rate_of(world.tiktok.arrivals[INVENTORY])
        base_price, _ = seed_baseline(world, tiktok, vtex, client, sample, "price")
        scale = n_skus / base_calls
        base_wall = (base_stock.wall + base_price.wall) * scale
        base_cpu = (base_stock.cpu + base_price.cpu) * scale
        base_calls_total = 2 * n_skus

        # -- (b) full push of a slice of products TikTok's state is unknown for
        slice_products = sorted(shop.products)[: args.slice]
        with db.begin() as conn:
            conn.execute(
                sku_sync.update()
                .where(sku_sync.c.client_id == "demo", sku_sync.c.channel_product_id.in_(slice_products))
                .values(confirmed=None)
            )
        world.tiktok.reset_stats()
        with Clock() as push:
            materialize("incremental", instance, resources, refresh_limit=0)
        push_rate = rate_of(world.tiktok.arrivals[INVENTORY])
        price_rate = rate_of(world.tiktok.arrivals[PRICES])
        pushed = world.tiktok.calls[INVENTORY]
        assert pushed == len(slice_products), (pushed, len(slice_products))
        http_429 = world.tiktok.http_429s

        latencies = [] if args.skip_daemon else daemon_latency(world, work, env, args.changes, args.spacing)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    def line(name: str, value: float, unit: str, base: float | None) -> None:
        ratio = f"{value / base:.3f}" if base else "n/a"
        print(f"{name:<38} {value:>12.3f} {unit:<16} {ratio}", flush=True)

    print(f"{'name':<38} {'value':>12} {'unit':<16} ratio_to_baseline")
    line("full_reconcile_wall", full.wall, "s", None)
    line("full_reconcile_cpu", full.cpu, "s", None)
    line("full_reconcile_tiktok_writes", full_writes, "calls", None)
    line("full_reconcile_tiktok_calls_per_sku", full_tiktok_calls / n_skus, "calls/SKU", None)
    line("full_reconcile_vtex_pricing_calls_per_sku", full_vtex_calls["pricing"] / n_skus, "calls/SKU", None)
    line("full_reconcile_vtex_other_calls_per_sku", full_vtex_calls["other"] / n_skus, "calls/SKU", None)
    calls_per_product = delta_writes / changed_products
    line(
        "a_calls_per_changed_product", calls_per_product, "calls/product", base_calls_total / changed_products
    )
    line("a_tiktok_write_calls", delta_writes, "calls", base_calls_total)
    line("a_changed_products", changed_products, "products", None)
    line("a_wall_time", delta.wall, "s", base_wall)
    line("a_cpu_time", delta.cpu, "s", base_cpu)
    line("b_inventory_rate_over_limit", push_rate / args.rate, "of limit", base_stock_rate / args.rate)
    line("b_inventory_rate", push_rate, "req/s", base_stock_rate)
    line("b_price_rate_over_limit", price_rate / args.rate, "of limit", None)
    line("b_products_pushed", pushed, "products (slice)", None)
    line("b_run_wall_time", push.wall, "s", None)
    line("b_http_429", http_429, "answers", None)
    line(
        "baseline_calls_per_changed_product",
        base_calls_total / changed_products,
        "calls/product",
        base_calls_total / changed_products,
    )
    line("baseline_wall_time_scaled", base_wall, "s", base_wall)
    line("baseline_cpu_time_scaled", base_cpu, "s", base_cpu)
    line(
        "baseline_inventory_rate_over_limit",
        base_stock_rate / args.rate,
        "of limit",
        base_stock_rate / args.rate,
    )
    if latencies:
        daily = 24 * 3600.0
        p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
        line("c_change_to_tiktok_p50", p50, "s", daily / 2)
        line("c_change_to_tiktok_p95", p95, "s", daily * 0.95)
        line("c_changes_timed", len(latencies), "changes", None)
        line("baseline_daily_run_p50", daily / 2, "s (derived)", daily / 2)
        line("baseline_daily_run_p95", daily * 0.95, "s (derived)", daily * 0.95)


if __name__ == "__main__":
    main()
