"""Several processes on one PostgreSQL, as a deployment runs them: two receivers (their own processes)
behind a round-robin balancer and one queue (the state DB's), one of them killed with SIGKILL while
webhooks are arriving, the queue sensor draining what they received, and the orders runs it asks for
(each in a process of its own in the slow variant), against the same state DB and a Dagster instance on
Postgres.

Nothing a receiver answered 200 is lost (the 200 means committed), nothing it did not answer is lost
either (TikTok retries, the balancer sends the retry to the receiver left), and no order reaches VTEX
twice, however many times its webhooks came."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import dagster as dg
import httpx
import pytest

from tiktok_pipelines.channels.tiktok_shop.client import webhook_signature
from tiktok_pipelines.defs.orders.assets import tiktok_orders, vtex_orders
from tiktok_pipelines.sandbox.balancer import RoundRobin
from tiktok_pipelines.sandbox.postgres import create_database
from tiktok_pipelines.sandbox.server import ServerThread, free_port
from tiktok_pipelines.sandbox.tiktok_shop import SANDBOX_APP_KEY, SANDBOX_APP_SECRET
from tiktok_pipelines.sandbox.world import DEMO_SHOP_CODE
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.events import DbEventQueue, EventLog
from tiktok_pipelines.stores.orders import OrderStore
from tiktok_pipelines_tests.defs.test_orders import sensor, vtex_orders_of
from tiktok_pipelines_tests.deploy.conftest import ROOT
from tiktok_pipelines_tests.flows import wait_delivered

pytestmark = pytest.mark.e2e

PLACE = ("POST", "/api/fulfillment/pvt/orders")


@pytest.fixture
def settings(isolated_env, monkeypatch, postgres_url) -> Settings:
    """The state DB on PostgreSQL, for every process of the test."""
    monkeypatch.setenv("TIKTOK_PIPELINES_DATABASE_URL", postgres_url)
    return Settings.load()


@pytest.fixture
def instance(postgres_server, postgres_url, tmp_path):
    """The Dagster instance on PostgreSQL too (dagster-postgres), in a database of its own."""
    import sqlalchemy as sa

    name = f"{sa.engine.make_url(postgres_url).database}_dagster"
    storage = {"postgres": {"postgres_url": create_database(postgres_server, name)}}
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home), overrides={"storage": storage}) as inst:
        yield inst


def start_receiver(port: int) -> subprocess.Popen:
    """`tiktok-pipelines webhooks serve` in its own process, with this test's configuration."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tiktok_pipelines.cli", "webhooks", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the receiver at {url} exited with {proc.returncode}"
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


def run_orders_job(instance_ref, tags: dict, done) -> None:
    """One orders run in its own process (as the daemon's run launcher starts it)."""
    from tiktok_pipelines.defs.resources import build_resources
    from tiktok_pipelines.settings import Settings

    with dg.DagsterInstance.from_ref(instance_ref) as instance:
        result = dg.materialize(
            [tiktok_orders, vtex_orders],
            partition_key="demo",
            instance=instance,
            resources=build_resources(Settings.load()),
            tags=tags,
            raise_on_error=False,
        )
        done.put(result.success)


def redeliver(url: str, bodies: list[bytes]) -> int:
    """Every body once more, as TikTok's at-least-once delivery does, from 8 connections at once,
    each retried until answered 200 (a 502 from the balancer, a reset connection); returns the retries."""
    retries = 0
    lock = threading.Lock()

    def send(body: bytes) -> None:
        nonlocal retries
        headers = {
            "Authorization": webhook_signature(SANDBOX_APP_KEY, SANDBOX_APP_SECRET, body),
            "Content-Type": "application/json",
        }
        for _ in range(50):
            try:
                if httpx.post(url, content=body, headers=headers, timeout=10).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            with lock:
                retries += 1
            time.sleep(0.05)
        raise AssertionError("a webhook was never acknowledged")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, bodies))
    return retries


class Daemon:
    """The daemon's part: sensor ticks, and the runs they ask for, each in a process of its own (as the
    default run launcher starts them) or, for the fast variant, one after the other in this process."""

    def __init__(self, instance, resources, separate_processes: bool):
        self.instance, self.resources = instance, resources
        self.separate = separate_processes
        self.context = multiprocessing.get_context("spawn")
        self.done = self.context.Queue()
        self.processes: list = []
        self.outcomes: list[bool] = []

    def tick(self) -> int:
        with dg.build_sensor_context(instance=self.instance, resources=self.resources) as context:
            requests = sensor(context).run_requests or []
        for request in requests:
            if self.separate:
                process = self.context.Process(
                    target=run_orders_job, args=(self.instance.get_ref(), request.tags, self.done)
                )
                process.start()
                self.processes.append(process)
            else:
                result = dg.materialize(
                    [tiktok_orders, vtex_orders],
                    partition_key="demo",
                    instance=self.instance,
                    resources=self.resources,
                    tags=request.tags,
                )
                self.outcomes.append(result.success)
        return len(requests)

    def finish(self) -> list[bool]:
        self.outcomes += [self.done.get(timeout=180) for _ in self.processes]
        for process in self.processes:
            process.join(30)
        return self.outcomes


def two_receivers_one_killed(shop, sandbox, daemon: Daemon, state_db, vtex_control) -> None:
    ports = [free_port(), free_port()]
    receivers = [start_receiver(port) for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    balancer = RoundRobin(urls)
    try:
        for url, proc in zip(urls, receivers, strict=True):
            wait_healthy(url, proc)
        with ServerThread(balancer.app) as front:
            shop.config.webhook_url = f"{front.url}/webhooks/tiktok"
            first = shop.create_orders(DEMO_SHOP_CODE, 6, status="AWAITING_SHIPMENT")
            wait_delivered(shop)
            bodies = [d.body for d in shop.webhooks.deliveries] * 6
            # TikTok redelivers everything while buyers keep ordering; one receiver dies in the middle.
            kill_at = sum(balancer.forwarded.values()) + len(bodies) // 3
            redelivery = ThreadPoolExecutor(1).submit(redeliver, f"{front.url}/webhooks/tiktok", bodies)
            second = shop.create_orders(DEMO_SHOP_CODE, 3, status="AWAITING_SHIPMENT")
            deadline = time.monotonic() + 60
            while sum(balancer.forwarded.values()) < kill_at and time.monotonic() < deadline:
                time.sleep(0.005)
            assert not redelivery.done(), "the load was over before the receiver could be killed"
            receivers[0].send_signal(signal.SIGKILL)
            receivers[0].wait(timeout=10)
            daemon.tick()  # while webhooks still come
            third = shop.create_orders(DEMO_SHOP_CODE, 3, status="AWAITING_SHIPMENT")
            wait_delivered(shop)
            retried = redelivery.result(timeout=120)
        queue = DbEventQueue(state_db)
        for _ in range(5):
            if queue.depth() == 0:
                break
            daemon.tick()
        outcomes = daemon.finish()
    finally:
        for proc in receivers:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)

    assert receivers[0].returncode == -signal.SIGKILL
    assert balancer.failed[urls[0]] + retried > 0, "nothing was sent to the killed receiver"
    assert len(outcomes) >= 2 and all(outcomes)
    orders = first + second + third
    # Every webhook TikTok sent is in the event log once, and none is left on the queue.
    log = EventLog(state_db)
    delivered = {d.notification_id for d in shop.webhooks.deliveries}
    assert all(d.state == "delivered" for d in shop.webhooks.deliveries)
    assert all(log.get("tiktok", n) is not None for n in delivered)
    assert log.count(source="tiktok") == len(delivered)
    assert queue.depth() == 0
    # Every order is in VTEX, placed once.
    assert sorted(vtex_orders_of(sandbox)) == sorted(orders)
    assert vtex_control.count(*PLACE) == len(orders)
    store = OrderStore(state_db)
    assert all(store.get("demo", o).state == "authorized" for o in orders)


def test_two_receivers_one_killed_mid_load_lose_no_event_and_place_no_order_twice(
    shop, sandbox, instance, resources, state_db, vtex_control
):
    """The default run's variant: the receivers in their own processes, the runs in this one (runs in
    processes of their own on one PostgreSQL: tiktok_pipelines_tests/defs/test_order_claims.py)."""
    daemon = Daemon(instance, resources, separate_processes=False)
    two_receivers_one_killed(shop, sandbox, daemon, state_db, vtex_control)


@pytest.mark.slow
def test_with_every_run_in_a_process_of_its_own(shop, sandbox, instance, resources, state_db, vtex_control):
    daemon = Daemon(instance, resources, separate_processes=True)
    two_receivers_one_killed(shop, sandbox, daemon, state_db, vtex_control)
