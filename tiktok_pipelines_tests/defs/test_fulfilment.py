"""Fulfilment end to end on the sandbox: TikTok orders placed in VTEX, invoiced by the merchant's ERP
(VTEX emulator), their NF-e checked and uploaded to TikTok (emulator), the verdict by webhook 36 through
the real receiver and the queue sensor, the package shipped, and its tracking in the order map, the lake
and VTEX."""

import hashlib
import json
import os
import time
from datetime import UTC, datetime, timedelta

import dagster as dg
import httpx
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tiktok_pipelines.channels.tiktok_shop.client import BatchResult, ItemError, TikTokShopClient
from tiktok_pipelines.channels.tiktok_shop.client import webhook_signature as tiktok_signature
from tiktok_pipelines.cli.main import main
from tiktok_pipelines.defs.events.sensors import build_webhook_queue_sensor
from tiktok_pipelines.defs.fulfilment.assets import invoices, shipments
from tiktok_pipelines.defs.fulfilment.jobs import fulfilment_job, fulfilment_schedule
from tiktok_pipelines.defs.orders.assets import tiktok_orders, vtex_orders
from tiktok_pipelines.defs.orders.jobs import orders_job
from tiktok_pipelines.defs.resources.vtex import Vtex
from tiktok_pipelines.sandbox.tiktok_shop import SANDBOX_APP_KEY, SANDBOX_APP_SECRET
from tiktok_pipelines.sandbox.world import DEMO_SHOP_CODE
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.events import DbEventQueue, EventLog
from tiktok_pipelines.stores.fulfilment import FulfilmentStore, fulfilment_dead_letters
from tiktok_pipelines.stores.orders import OrderStore
from tiktok_pipelines_tests.flows import tick_and_run, wait_delivered

pytestmark = pytest.mark.e2e

sensor = build_webhook_queue_sensor({"orders": orders_job, "fulfilment": fulfilment_job})
JOBS = {"orders_job": [tiktok_orders, vtex_orders], "fulfilment_job": [invoices, shipments]}
UPLOAD = "POST /fulfillment/202502/invoice/upload"
SHIP = "POST /fulfillment/202309/packages/{package_id}/ship"


class Lane:
    """The demo client's fulfilment lane driven as the daemon would drive it."""

    def __init__(self, shop, sandbox, vtex_control, instance, resources, state_db):
        self.emulator = shop
        self.shop = shop.shop_by_code(DEMO_SHOP_CODE)
        self.sandbox = sandbox
        self.vtex = vtex_control
        self.instance = instance
        self.resources = resources
        self.store = FulfilmentStore(state_db)
        self.orders = OrderStore(state_db)
        self.db = state_db
        shop.config.invoice_review_s = 0  # the verdict at once (its webhook still comes asynchronously)

    def settle(self, rounds: int = 10) -> list[str]:
        """Deliver webhooks and callbacks, tick, run, until nothing is left to do."""
        ran = []
        for _ in range(rounds):
            wait_delivered(self.emulator)
            self.vtex.flush()
            jobs = tick_and_run(self.instance, self.resources, sensor, JOBS)
            ran.extend(jobs)
            if not jobs and DbEventQueue(self.db).depth() == 0:
                return ran
        raise AssertionError(f"the lane did not settle: {ran}")

    def placed_orders(self, count: int) -> list[str]:
        ids = self.emulator.create_orders(DEMO_SHOP_CODE, count, status="AWAITING_SHIPMENT")
        self.settle()
        assert all(self.orders.get("demo", o).state == "authorized" for o in ids)
        return ids

    def invoice(self, order_id: str, broken: str | None = None) -> dict:
        return self.vtex.invoice(f"TTS-{order_id}", broken=broken, tracking=False)

    def package(self, order_id: str) -> str:
        return self.shop.orders[order_id]["packages"][0]["id"]

    def uploads_to_tiktok(self, order_id: str) -> list[dict]:
        return [u for u in self.shop.invoice_uploads if u["package_id"] == self.package(order_id)]

    def run(self, scan: bool = False) -> dg.ExecuteInProcessResult:
        config = {
            "ops": {
                "tiktok_shop__invoices": {"config": {"scan": scan}},
                "tiktok_shop__shipments": {"config": {"scan": scan}},
            }
        }
        result = dg.materialize(
            [invoices, shipments],
            partition_key="demo",
            instance=self.instance,
            resources=self.resources,
            run_config=config,
        )
        assert result.success
        return result

    def calls(self, endpoint: str) -> int:
        return self.emulator.calls[endpoint]

    def lake_orders(self) -> dict[str, dict]:
        """The newest lake row of each order (readers keep the newest `ingested_at`)."""
        lake = self.resources["lake"]
        newest: dict[str, dict] = {}
        for key in lake.parts("orders", "demo"):
            with lake.objects.local_copy(key) as path:
                for row in pq.read_table(path).to_pylist():
                    if (
                        row["order_id"] not in newest
                        or row["ingested_at"] >= newest[row["order_id"]]["ingested_at"]
                    ):
                        newest[row["order_id"]] = row
        return newest


@pytest.fixture
def lane(shop, sandbox, vtex_control, instance, resources, state_db):
    return Lane(shop, sandbox, vtex_control, instance, resources, state_db)


def metadata_of(result, asset: str) -> dict:
    (event,) = [
        e for e in result.get_asset_materialization_events() if e.asset_key.to_python_identifier() == asset
    ]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def check_of(result, name: str):
    """The run's result of check `name`, recorded for the demo client's partition."""
    (check,) = [c for c in result.get_asset_check_evaluations() if c.check_name == name]
    assert check.partition == "demo"
    return check


def test_an_invoiced_order_is_uploaded_accepted_shipped_and_tracked(lane, vtex_api, receiver):
    # Both of VTEX's ways of saying "invoiced" are on: the callback to the marketplace and the order hook.
    hooked = CliRunner().invoke(main, ["vtex", "hook", "demo", "--receiver-url", receiver.url])
    assert hooked.exit_code == 0, hooked.output
    order_ids = lane.placed_orders(2)
    for order_id in order_ids:
        lane.invoice(order_id)
    ran = lane.settle()
    assert "fulfilment_job" in ran
    log = EventLog(lane.db)
    # VTEX called back with each invoice, then again once the tracking was added to it.
    assert log.count(action="vtex_invoice", status="handled") == 4
    assert log.count(action="vtex_invoiced", status="handled") == 2
    for order_id in order_ids:
        package_id = lane.package(order_id)
        (sent,) = lane.uploads_to_tiktok(order_id)
        assert lane.shop.invoices[package_id]["invoice_status"] == "SUCCESS"
        vtex_order = vtex_api.order(f"TTS-{order_id}")
        (vtex_invoice,) = vtex_order["packageAttachment"]["packages"]
        upload = lane.store.uploads_of_package("demo", package_id)[0]
        assert sent["sha256"] == upload.xml_sha256
        # The XML sent is kept for audit, encrypted: it names the buyer.
        kept = lane.resources["objects"].get_bytes(upload.xml_object)
        assert lane.shop.orders[order_id]["cpf"].encode() not in kept
        assert hashlib.sha256(lane.db.secrets.decrypt(kept.decode()).encode()).hexdigest() == sent["sha256"]
        package = lane.shop.packages[package_id]
        assert package["package_status"] == "PROCESSING" and package["handover_method"] == "DROP_OFF"
        tracking = package["tracking_number"]
        assert lane.store.shipment("demo", package_id).tracking_number == tracking
        record = lane.orders.get("demo", order_id)
        assert (record.tracking_number, record.shipping_provider) == (
            tracking,
            package["shipping_provider_name"],
        )
        assert record.vtex_status == "invoiced"
        assert lane.lake_orders()[order_id]["tracking_number"] == tracking
        assert vtex_invoice["trackingNumber"] == tracking
        assert vtex_invoice["courier"] == package["shipping_provider_name"]
        assert lane.shop.orders[order_id]["status"] == "AWAITING_COLLECTION"
    assert lane.calls(UPLOAD) == 2 and lane.calls(SHIP) == 2
    assert not lane.store.open_dead_letters("demo")
    assert EventLog(lane.db).count(status="pending") == 0

    # TikTok delivers at least once: every webhook 36 again, and once more under a new notification id.
    for delivery in [d for d in lane.emulator.webhooks.deliveries if d.event_type == "INVOICE_STATUS_CHANGE"]:
        again = json.loads(delivery.body)
        again["tts_notification_id"] = str(int(again["tts_notification_id"]) + 1)
        for body in (delivery.body, json.dumps(again).encode()):
            signature = tiktok_signature(SANDBOX_APP_KEY, SANDBOX_APP_SECRET, body)
            assert (
                httpx.post(delivery.url, content=body, headers={"Authorization": signature}).status_code
                == 200
            )
    lane.settle()
    scan = lane.run(scan=True)
    lane.run()
    assert lane.calls(UPLOAD) == 2 and lane.calls(SHIP) == 2  # nothing sent or shipped twice
    assert metadata_of(scan, "tiktok_shop__invoices")["accepted_total"] == 2
    assert metadata_of(scan, "tiktok_shop__shipments")["packages_by_status"] == {"shipped": 2}

    # The carrier moves a package: webhook 4 brings its status and the latest tracking event.
    lane.emulator.set_order_status(order_ids[0], "IN_TRANSIT")
    lane.settle()
    moved = lane.store.shipment("demo", lane.package(order_ids[0]))
    assert (moved.package_status, moved.tracking_event) == ("FULFILLING", "Em trânsito")


def test_shipping_follows_the_client_options(lane, registry):
    seller, platform = lane.emulator.create_orders(DEMO_SHOP_CODE, 2, status="AWAITING_SHIPMENT")
    lane.shop.orders[seller]["shipping_type"] = "SELLER"  # the merchant's own carrier takes this one
    lane.settle()
    registry.update("demo", options={"tiktok_handover_method": "PICKUP"})
    erp = lane.vtex.invoice(f"TTS-{seller}", tracking=True)  # the ERP knows its carrier's tracking
    lane.invoice(platform)
    lane.settle()
    assert lane.shop.packages[lane.package(platform)]["handover_method"] == "PICKUP"
    (letter,) = lane.store.open_dead_letters("demo", "shipment")
    assert (letter.reason, letter.order_id) == ("shipping_config", seller)
    assert lane.shop.packages[lane.package(seller)]["package_status"] == "TO_FULFILL"
    waiting = check_of(lane.run(), "shipment_dead_letter_empty")
    assert not waiting.passed and "shipping_config" in waiting.metadata["dead_letters"].value

    registry.update(
        "demo",
        options={"tiktok_handover_method": "PICKUP", "tiktok_shipping_provider_id": "6617675021119438849"},
    )
    assert check_of(lane.run(), "shipment_dead_letter_empty").passed
    package = lane.shop.packages[lane.package(seller)]
    assert (
        package["handover_method"] == "SELF_SHIPMENT"
        and package["shipping_provider_id"] == "6617675021119438849"
    )
    assert package["tracking_number"] == f"SB{int(erp['invoiceNumber']):09d}BR"
    assert lane.orders.get("demo", seller).tracking_number == package["tracking_number"]
    assert not lane.store.open_dead_letters("demo")


def test_a_bad_nfe_is_never_sent_or_sent_again_and_its_correction_is(lane):
    broken = {
        "malformed": "malformed",
        "bad_check_digit": "access_key",
        "wrong_total": "totals",
        "no_protocol": "no_protocol",
    }
    *ours, theirs = lane.placed_orders(len(broken) + 1)
    orders = dict(zip(ours, broken, strict=True))
    for order_id, kind in orders.items():
        lane.invoice(order_id, broken=kind)  # each refused before sending, with its own check
    # This one passes our checks, but TikTok (SEFAZ) finds it invalid.
    default = lane.emulator.review_invoice
    lane.emulator.invoice_processor = lambda shop, invoice: (
        ("INVALID", "NOT_FOUND") if invoice["package_id"] == lane.package(theirs) else default(shop, invoice)
    )
    lane.invoice(theirs)
    lane.settle()
    result = lane.run(scan=True)  # a scan sends none of them again
    assert lane.calls(UPLOAD) == 1 and lane.calls(SHIP) == 0
    letters = {d.order_id: d for d in lane.store.open_dead_letters("demo", "invoice")}
    for order_id, kind in orders.items():
        assert (letters[order_id].reason, letters[order_id].failed_check) == ("invalid_xml", broken[kind])
        assert lane.shop.packages[lane.package(order_id)]["package_status"] == "TO_FULFILL"
    assert (letters[theirs].reason, letters[theirs].failed_check) == ("rejected_by_tiktok", "NOT_FOUND")
    refused = lane.store.uploads_of_package("demo", lane.package(theirs))[0]
    assert (refused.status, refused.invalid_reason) == ("invalid", "NOT_FOUND")
    meta = metadata_of(result, "tiktok_shop__invoices")
    assert meta["dead_letters_open"] == 5 and meta["awaiting_correction"] == 5
    assert all(check in meta["dead_letters"] for check in (*broken.values(), "NOT_FOUND"))
    open_letters = check_of(result, "invoice_dead_letter_empty")  # the run succeeded, the check did not
    assert not open_letters.passed and open_letters.metadata["open_dead_letters"].value == 5

    lane.emulator.invoice_processor = default
    for order_id in (*orders, theirs):
        lane.vtex.correct_invoice(f"TTS-{order_id}")  # VTEX posts each new invoice to the receiver
    lane.settle()
    assert lane.calls(UPLOAD) == 6 and lane.calls(SHIP) == 5
    first, second = lane.uploads_to_tiktok(theirs)
    assert first["sha256"] != second["sha256"]
    for order_id in (*orders, theirs):
        assert lane.shop.invoices[lane.package(order_id)]["invoice_status"] == "SUCCESS"
        assert lane.store.shipment("demo", lane.package(order_id)).status == "shipped"
    assert not lane.store.open_dead_letters("demo")
    assert check_of(lane.run(), "invoice_dead_letter_empty").passed


def test_unknown_packages_and_order_mismatches_are_dead_letters_of_their_own(lane, monkeypatch):
    gone, moved, refused, cancelled = lane.placed_orders(4)
    lane.shop.packages[lane.package(cancelled)]["package_status"] = "CANCELLED"
    lane.shop.packages.pop(lane.package(gone))
    lane.shop.packages[lane.package(moved)]["orders"] = [{"id": refused, "skus": []}]
    # And an upload TikTok itself refuses (the package changed between the read and the upload).
    original = TikTokShopClient.upload_invoices

    def upload(self, items):
        if items[0]["order_ids"] == [refused]:
            detail = {"package_id": items[0]["package_id"], "order_ids": [refused]}
            return BatchResult({}, (ItemError(4003, "Order ID does not belong to the package", detail),))
        return original(self, items)

    monkeypatch.setattr(TikTokShopClient, "upload_invoices", upload)
    for order_id in (gone, moved, refused, cancelled):
        lane.invoice(order_id)
    lane.settle()
    assert lane.store.uploads_of_package("demo", lane.package(cancelled))[0].status == "cancelled"
    assert cancelled not in {d.order_id for d in lane.store.open_dead_letters("demo")}
    letters = {d.order_id: d for d in lane.store.open_dead_letters("demo", "invoice")}
    assert letters[gone].reason == "unknown_package"
    assert letters[moved].reason == "order_package_mismatch"
    assert (letters[refused].reason, letters[refused].failed_check) == ("order_package_mismatch", "4003")
    assert lane.calls(UPLOAD) == 0  # the first two never reached the upload, the third was refused
    upload_row = lane.store.uploads_of_package("demo", lane.package(refused))[0]
    assert upload_row.status == "rejected" and upload_row.next_attempt_at is not None
    check = check_of(lane.run(), "invoices_within_deadline")
    assert check.passed
    # A day later nobody has dealt with them: the 24-hour check warns, naming the packages.
    with lane.db.begin() as conn:
        conn.execute(
            fulfilment_dead_letters.update().values(first_at=datetime.now(UTC) - timedelta(hours=25))
        )
    check = check_of(lane.run(), "invoices_within_deadline")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["late"].value == 3
    assert lane.package(gone) in check.metadata["late_packages_or_orders"].value


def test_failures_on_the_way_are_retried_and_a_lost_callback_is_found_by_the_scan(lane, vtex_control):
    lost, failing = lane.placed_orders(2)
    lane.invoice(lost)
    lane.vtex.flush()
    queue = DbEventQueue(lane.db)
    queue.delete([q.handle for q in queue.take(100)])  # the callback is lost
    assert lane.run().success and lane.calls(UPLOAD) == 0  # nothing said the order was invoiced
    lane.emulator.switches.burst_429 = 2
    result = lane.run(scan=True)
    assert lane.calls(UPLOAD) == 1
    assert (
        metadata_of(result, "tiktok_shop__invoices")["api_retries"] >= 2
    )  # 429s retried by the client, with backoff
    assert lane.store.uploads_of_package("demo", lane.package(lost))[0].status in ("uploaded", "success")

    # VTEX fails past the client's retries: the event stays pending and a later run does the work.
    lane.resources["vtex"] = Vtex.from_settings(Settings.load({**os.environ, "VTEX_RETRY_ATTEMPTS": "1"}))
    vtex_control.fault(500, times=1, method="GET", path=f"/api/oms/pvt/orders/TTS-{failing}$")
    lane.invoice(failing)
    lane.vtex.flush()
    assert tick_and_run(lane.instance, lane.resources, sensor, JOBS) == ["fulfilment_job"]
    assert EventLog(lane.db).count(action="vtex_invoice", status="pending") == 1
    assert lane.calls(UPLOAD) == 1
    lane.run()
    assert lane.calls(UPLOAD) == 2
    assert EventLog(lane.db).count(action="vtex_invoice", status="pending") == 0


def test_the_schedule_asks_every_authorized_client_for_a_scan(lane):
    with dg.build_schedule_context(
        instance=lane.instance, resources=lane.resources, scheduled_execution_time=datetime.now(UTC)
    ) as context:
        (request,) = list(fulfilment_schedule(context))
    assert (
        request.partition_key == "demo"
        and request.tags["tiktok_pipelines/client_writes"] == "demo/fulfilment"
    )
    assert request.run_config["ops"]["tiktok_shop__invoices"]["config"]["scan"] is True


def test_the_demo_erp_invoices_orders_by_itself(sandbox, vtex_control):
    from tiktok_pipelines.sandbox.demo import DEMO_INVOICE_DELAY_SECONDS, automate_demo_erp

    automate_demo_erp(sandbox.config)
    auto = vtex_control.configure()["auto_invoice"]
    assert auto["seconds"] == DEMO_INVOICE_DELAY_SECONDS and 0 < auto["broken_share"] < 1
    assert auto["correct_seconds"] > 0 and auto["tracking"] is False


@pytest.mark.slow
def test_the_demo_flows_from_order_to_tracking_without_a_hand(lane):
    """`make run`'s ERP on a short clock: orders invoiced by themselves, some NF-es broken and corrected."""
    lane.vtex.auto_invoice(0.3, broken_share=0.5, correct_seconds=1.0)
    order_ids = lane.placed_orders(6)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lane.settle()
        shipped = [lane.store.shipment("demo", lane.package(o)) for o in order_ids]
        if all(s is not None and s.status == "shipped" and s.vtex_tracking for s in shipped):
            break
        time.sleep(0.5)
    for order_id in order_ids:
        shipment = lane.store.shipment("demo", lane.package(order_id))
        assert shipment is not None and shipment.status == "shipped", order_id
        assert lane.orders.get("demo", order_id).tracking_number == shipment.tracking_number
    assert not lane.store.open_dead_letters("demo")
    with lane.db.read() as conn:
        caught = conn.execute(sa.select(sa.func.count()).select_from(fulfilment_dead_letters)).scalar_one()
    assert caught > 0  # some NF-es came out broken, and were refused until corrected
    assert lane.calls(UPLOAD) == len(order_ids)  # a broken NF-e was never sent, its correction once
