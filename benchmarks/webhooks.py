"""Webhooks: receiver acknowledgement latency under load, and webhook → VTEX order latency.

(a) The receiver (its own process, durable writes to the SQLite state DB) under an open-loop load of
    notifications at `--rate` requests/s for `--seconds`, per channel (`--channels`: signed TikTok Shop
    webhooks at /webhooks/tiktok, Mercado Livre `orders_v2` notifications at /webhooks/mercado-livre):
    ack latency p50 / p99 and achieved throughput, for the project's receiver (grouped commits) and, side
    by side, the baseline of one transaction per request. Mercado Livre's lines are named
    `mercado_livre_...`; its target is an ack p99 ≤ 50 ms at 500 req/s.
(b) End to end on the sandbox: orders created by the TikTok emulator's buyers, their webhooks through the
    receiver, the queue sensor and the orders runs launched by the Dagster daemon, until the order exists
    in the VTEX emulator: p50 / p95. The baseline is the polling safety net alone (no webhooks): with a
    10-minute schedule an order waits half the interval on average and up to the whole of it.

    python benchmarks/webhooks.py [--rate 500 --seconds 20] [--channels tiktok,mercado_livre] [--orders 20]
        [--skip-e2e]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
APP_KEY, APP_SECRET = "bench-app-key", "bench-app-secret"
ML_APP_ID, ML_SELLER = "5503910054141466", 123456789
PATHS = {"tiktok": "/webhooks/tiktok", "mercado_livre": "/webhooks/mercado-livre"}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# ---------------------------------------------------------------- (a) receiver under load


def serve(mode: str, port: int) -> None:
    """Child process: the receiver with grouped commits (project) or one commit per request (baseline)."""
    import functools

    import uvicorn

    from tiktok_pipelines.receiver.app import create_app, tune_receiver_process
    from tiktok_pipelines.receiver.events import event_routes
    from tiktok_pipelines.settings import Settings
    from tiktok_pipelines.stores.db import open_state_db

    tune_receiver_process()
    max_batch = 200 if mode == "project" else 1
    open_state_db(Settings.load(), create=True)  # the benchmark's own, new store
    app = create_app(Settings.load(), features=[functools.partial(event_routes, max_batch=max_batch)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _env(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TIKTOK_PIPELINES_DATA_DIR": str(data_dir),
        "TIKTOK_APP_KEY": APP_KEY,
        "TIKTOK_APP_SECRET": APP_SECRET,
        "MERCADO_LIVRE_APP_ID": ML_APP_ID,
        "TIKTOK_PIPELINES_ENV": "development",
    }


def _wait(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def _bodies(channel: str, total: int) -> list[tuple[bytes, dict[str, str]]]:
    """`total` distinct notifications of the channel, each with the headers its sender adds."""
    from datetime import UTC, datetime

    from tiktok_pipelines.channels.tiktok_shop.client import webhook_signature

    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    out = []
    for i in range(total):
        if channel == "tiktok":
            payload = {
                "type": 1,
                "tts_notification_id": f"bench-{i}",
                "shop_id": "7000000000000000001",
                "timestamp": int(time.time()),
                "data": {
                    "order_id": f"5800{i:012d}",
                    "order_status": "AWAITING_SHIPMENT",
                    "is_on_hold_order": False,
                    "update_time": int(time.time()),
                },
            }
        else:
            payload = {
                "_id": f"bench-{i}",
                "resource": f"/orders/2{i:015d}",
                "user_id": ML_SELLER,
                "topic": "orders_v2",
                "application_id": int(ML_APP_ID),
                "attempts": 1,
                "sent": now,
                "received": now,
            }
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = (
            {"Authorization": webhook_signature(APP_KEY, APP_SECRET, body)} if channel == "tiktok" else {}
        )
        out.append((body, headers))
    return out


async def _load(
    url: str, channel: str, rate: int, seconds: int, connections: int = 64
) -> tuple[list[float], float, int]:
    """Open-loop load over keep-alive connections with raw HTTP/1.1: each request is written in one
    piece (as a webhook sender's HTTP stack would), and its latency counts from when it was due, so a
    receiver that falls behind shows it."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    total = rate * seconds
    requests = []
    for body, headers in _bodies(channel, total):
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        head = (
            f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
            f"{extra}Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        requests.append(head + body)
    latencies: list[float] = []
    errors = 0
    work: asyncio.Queue = asyncio.Queue()
    start = time.perf_counter()

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            item = await work.get()
            if item is None:
                writer.close()
                return
            i, due = item
            writer.write(requests[i])
            status = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
            if b" 200 " not in status:
                errors += 1
            latencies.append(time.perf_counter() - due)

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        work.put_nowait((i, due))
    for _ in workers:
        work.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - start
    return latencies, total / elapsed, errors


def bench_receiver(rate: int, seconds: int, channel: str = "tiktok") -> dict[str, dict]:
    from tiktok_pipelines.sandbox.server import free_port

    results = {}
    for mode in ("project", "baseline"):
        with tempfile.TemporaryDirectory(prefix="ttp-bench-hooks-") as tmp:
            port = free_port()
            proc = subprocess.Popen(
                [sys.executable, __file__, "--serve", mode, "--port", str(port)],
                env=_env(Path(tmp)),
                cwd=ROOT,
            )
            try:
                _wait(f"http://127.0.0.1:{port}/health")
                latencies, throughput, errors = asyncio.run(
                    _load(f"http://127.0.0.1:{port}{PATHS[channel]}", channel, rate, seconds)
                )
            finally:
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=20)
            import sqlite3

            queued = (
                sqlite3.connect(Path(tmp) / "state.db")
                .execute("SELECT count(*) FROM event_queue")
                .fetchone()[0]
            )
            results[mode] = {
                "p50": percentile(latencies, 50) * 1000,
                "p99": percentile(latencies, 99) * 1000,
                "throughput": throughput,
                "errors": errors,
                "queued": queued,
                "sent": rate * seconds,
            }
    return results


# ---------------------------------------------------------------- (b) webhook → VTEX order


def bench_end_to_end(n_orders: int, spacing: float) -> list[float]:
    from tiktok_pipelines.sandbox.server import ServerThread
    from tiktok_pipelines.sandbox.supervisor import end_process_group
    from tiktok_pipelines.sandbox.world import DEMO_ACCOUNT, DEMO_SHOP_CODE, SandboxConfig, SandboxWorld

    work = Path(tempfile.mkdtemp(prefix="ttp-bench-e2e-"))
    config = SandboxConfig.on_free_ports(products=60)
    world = SandboxWorld(config)
    servers = [ServerThread(a.app, port=a.port).start() for a in world.apps()]
    home = work / "dagster_home"
    home.mkdir()
    shutil.copyfile(ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        **world.environment(),
        "DAGSTER_HOME": str(home),
        "TIKTOK_PIPELINES_DATA_DIR": str(work / "data"),
        "TIKTOK_PIPELINES_ENV": "development",
    }
    os.environ.update({k: env[k] for k in ("DAGSTER_HOME", "TIKTOK_PIPELINES_DATA_DIR")})
    os.environ.update(world.environment())
    from tiktok_pipelines.settings import Settings
    from tiktok_pipelines.stores.db import open_state_db

    open_state_db(Settings.load(env), create=True)  # the benchmark's own, new store, before the receiver
    procs: list[subprocess.Popen] = []
    latencies: list[float] = []
    try:
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tiktok_pipelines.cli",
                    "webhooks",
                    "serve",
                    "--port",
                    str(config.receiver_port),
                ],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # what it starts is stopped with it, below
            )
        )
        _wait(f"{world.urls()['receiver']}/health")
        from tiktok_pipelines.sandbox.demo import authorize_demo_client, setup_demo_client

        setup_demo_client(config)
        authorize_demo_client(config)
        shop = world.tiktok.shop_by_code(DEMO_SHOP_CODE)
        world.tiktok.seed_products(shop, world.demo_catalog, count=40)
        daemon = shutil.which("dagster-daemon", path=str(Path(sys.executable).parent)) or "dagster-daemon"
        procs.append(
            subprocess.Popen(
                [daemon, "run", "-w", "workspace.yaml"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # what it starts is stopped with it, below
            )
        )
        time.sleep(15)  # the daemon loads the code location and starts its sensors
        created: dict[str, float] = {}
        seen: dict[str, float] = {}
        account = world.vtex.account(DEMO_ACCOUNT)

        def watch(until: float) -> None:
            """Notes when each created order appears in VTEX, every 0.2 s until `until`."""
            while time.monotonic() < until and len(seen) < n_orders:
                placed = {o["marketplaceOrderId"] for o in list(account.orders.values())}
                for order_id in placed & set(created) - set(seen):
                    seen[order_id] = time.monotonic()
                time.sleep(0.2)

        for i in range(n_orders):
            (order_id,) = world.tiktok.create_orders(DEMO_SHOP_CODE, 1, status="AWAITING_SHIPMENT")
            created[order_id] = time.monotonic()
            if i < n_orders - 1:
                watch(created[order_id] + spacing)  # orders are timed while the next ones come
        watch(time.monotonic() + 180)
        latencies = [seen[o] - created[o] for o in seen]
        missing = len(created) - len(seen)
        if missing:
            print(f"e2e_orders_not_placed_within_180s {missing} orders", flush=True)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            end_process_group(proc.pid)
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--channels", default="tiktok,mercado_livre", help="Channels of (a), in order.")
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--spacing", type=float, default=3.0, help="Seconds between orders in (b).")
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--serve")
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    for channel in args.channels.split(","):
        results = bench_receiver(args.rate, args.seconds, channel)
        p, b = results["project"], results["baseline"]
        name = "" if channel == "tiktok" else f"{channel}_"
        print(f"{name}receiver_ack_p50 {p['p50']:.1f} ms ratio {p['p50'] / b['p50']:.2f}")
        print(f"{name}receiver_ack_p99 {p['p99']:.1f} ms ratio {p['p99'] / b['p99']:.2f}")
        print(
            f"{name}receiver_throughput {p['throughput']:.0f} req/s ratio {p['throughput'] / b['throughput']:.2f}"
        )
        print(f"{name}receiver_errors {p['errors']} requests (baseline {b['errors']})")
        print(
            f"{name}receiver_events_stored {p['queued']} of {p['sent']} (baseline {b['queued']} of {b['sent']})"
        )
        print(f"{name}baseline_ack_p50 {b['p50']:.1f} ms ratio 1.00")
        print(f"{name}baseline_ack_p99 {b['p99']:.1f} ms ratio 1.00")
        print(f"{name}baseline_throughput {b['throughput']:.0f} req/s ratio 1.00")
    if args.skip_e2e:
        return
    latencies = bench_end_to_end(args.orders, args.spacing)
    if latencies:
        polling = 600.0
        p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
        print(f"webhook_to_vtex_order_p50 {p50:.1f} s ratio {p50 / (polling / 2):.3f}")
        print(f"webhook_to_vtex_order_p95 {p95:.1f} s ratio {p95 / (polling * 0.95):.3f}")
        print(f"polling_only_p50 {polling / 2:.0f} s ratio 1.00 (derived from the 10-minute schedule)")
        print(f"polling_only_p95 {polling * 0.95:.0f} s ratio 1.00 (derived from the 10-minute schedule)")


if __name__ == "__main__":
    main()
