"""TikTok Shop client throughput: 5,000 inventory updates against the emulator (20 ms latency, 50 req/s).

The project's way (`update_inventory_many`: paced per shop and endpoint, concurrent) against a plain
sequential loop of `update_inventory` calls, both on the same emulator and shop. Prints one line per
figure: name, value, unit, ratio to the baseline.

    .venv/bin/python benchmarks/tiktok_client.py [--updates 5000] [--rate 50] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import random
import time

from tiktok_pipelines.channels.tiktok_shop.client import TikTokAuthClient, TikTokShopClient
from tiktok_pipelines.http import RateLimiters
from tiktok_pipelines.sandbox.catalog import generate_catalog
from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines.sandbox.tiktok_shop import (
    SANDBOX_APP_KEY,
    SANDBOX_APP_SECRET,
    EmulatorConfig,
    TikTokShopEmulator,
    create_tiktok_app,
)

ENDPOINT = "POST /product/202309/products/{product_id}/inventory/update"


def build_updates(shop, n: int, seed: int) -> list[tuple[str, list[dict]]]:
    rng = random.Random(seed)
    products = list(shop.products.values())
    updates = []
    for i in range(n):
        product = products[i % len(products)]
        updates.append(
            (
                product["id"],
                [
                    {
                        "id": sku["id"],
                        "inventory": [
                            {"warehouse_id": w, "quantity": rng.randint(0, 500)}
                            for w in shop.sales_warehouse_ids
                        ],
                    }
                    for sku in product["skus"]
                ],
            )
        )
    return updates


def run(label: str, emulator: TikTokShopEmulator, make_client, updates, concurrent: bool) -> dict[str, float]:
    emulator.reset_stats()
    emulator.buckets.clear()
    with make_client() as api:
        started = time.monotonic()
        item_errors = failures = 0
        if concurrent:
            for outcome in api.update_inventory_many(updates):
                if not outcome.ok:
                    failures += 1
                else:
                    item_errors += len(outcome.value.errors)
        else:
            for product_id, skus in updates:
                try:
                    item_errors += len(api.update_inventory(product_id, skus).errors)
                except Exception:
                    failures += 1
        elapsed = time.monotonic() - started
    return {
        "elapsed": elapsed,
        "throughput": len(updates) / elapsed,
        "http_429": emulator.http_429s,
        "client_429": api.stats.rate_limited,
        "failures": failures,
        "item_errors": item_errors,
        "requests": emulator.calls[ENDPOINT],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    emulator = TikTokShopEmulator(EmulatorConfig(rate_limit_per_second=args.rate, seed=args.seed))
    shop = emulator.add_shop("BRBENCH01")
    emulator.seed_products(shop, generate_catalog(200, seed=args.seed))
    emulator.switches.latency_ms = args.latency_ms
    server = ServerThread(create_tiktok_app(emulator)).start()
    try:
        with TikTokAuthClient(SANDBOX_APP_KEY, SANDBOX_APP_SECRET, server.url) as auth:
            token = auth.get_token(emulator.issue_auth_code(shop.code)).access_token.get_secret_value()
        updates = build_updates(shop, args.updates, args.seed)

        def make_client() -> TikTokShopClient:
            return TikTokShopClient(
                SANDBOX_APP_KEY,
                SANDBOX_APP_SECRET,
                token,
                shop.cipher,
                base_url=server.url,
                rate_limit_per_second=args.rate,
                limiters=RateLimiters(args.rate),  # fresh budget per run
                max_concurrency=args.concurrency,
            )

        baseline = run("sequential", emulator, make_client, updates, concurrent=False)
        project = run("bulk", emulator, make_client, updates, concurrent=True)
    finally:
        server.stop()

    def ratio(value: float, base: float) -> str:
        return f"{value / base:.2f}x" if base else "n/a"

    print(
        f"# {args.updates} inventory updates, emulator latency {args.latency_ms:g} ms, limit {args.rate:g} req/s"
    )
    rows = [
        ("baseline_sequential_throughput", baseline["throughput"], "req/s", baseline["throughput"]),
        (
            "baseline_sequential_fraction_of_limit",
            baseline["throughput"] / args.rate,
            "of limit",
            baseline["throughput"] / args.rate,
        ),
        ("baseline_sequential_429s", baseline["http_429"], "count", baseline["http_429"]),
        ("baseline_sequential_elapsed", baseline["elapsed"], "s", baseline["elapsed"]),
        ("bulk_throughput", project["throughput"], "req/s", baseline["throughput"]),
        (
            "bulk_fraction_of_limit",
            project["throughput"] / args.rate,
            "of limit",
            baseline["throughput"] / args.rate,
        ),
        ("bulk_429s", project["http_429"], "count", baseline["http_429"]),
        ("bulk_elapsed", project["elapsed"], "s", baseline["elapsed"]),
        ("bulk_failed_updates", project["failures"], "count", baseline["failures"]),
        ("bulk_item_errors", project["item_errors"], "count", baseline["item_errors"]),
    ]
    for name, value, unit, base in rows:
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{name:<40} {shown:>10} {unit:<9} {ratio(value, base)}")


if __name__ == "__main__":
    main()
