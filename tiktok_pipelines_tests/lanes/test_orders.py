"""The orders lane against the VTEX emulator, over a channel it knows only through the Channel interface:
a run that only places orders never opens a session on the shop, and a second channel needs no branch in
the lane (its name reaches VTEX, the call log and the run's outcomes by itself)."""

import dataclasses
import logging
from contextlib import nullcontext

import pytest

from tiktok_pipelines.channels.tiktok_shop.channel import capabilities
from tiktok_pipelines.channels.tiktok_shop.orders import TikTokOrderReader, order_from_detail
from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.core.orders import OrderOptions
from tiktok_pipelines.core.sku_ids import SkuIdMap
from tiktok_pipelines.lanes.orders import ChannelLink, OrderRun, VtexOrderSync
from tiktok_pipelines.sandbox.world import DEMO_SHOP_CODE
from tiktok_pipelines.stores.events import EventLog
from tiktok_pipelines.stores.orders import OrderStore

pytestmark = pytest.mark.e2e

SECOND_CHANNEL = dataclasses.replace(
    capabilities(), name=ChannelName.MERCADO_LIVRE, display_name="Mercado Livre", log_name=""
)


class Lake:
    def __init__(self):
        self.parts: dict[str, list] = {}

    def append_part(self, table, client_id, data):
        self.parts.setdefault(table, []).extend(data.to_pylist())


class SecondChannelReader(TikTokOrderReader):
    """Another channel's reader (its details happen to read like TikTok's)."""

    def order_from_detail(self, detail):
        return dataclasses.replace(super().order_from_detail(detail), channel=ChannelName.MERCADO_LIVRE)


class Shop:
    """A session on the other channel's shop: what it was asked to cancel."""

    capabilities = SECOND_CHANNEL

    def __init__(self):
        self.cancelled: list[tuple[str, str]] = []

    def cancel_order(self, order_id, reason):
        self.cancelled.append((order_id, reason))


def no_session():
    raise AssertionError("the run opened a session on the shop")


def stored_order(shop, state_db) -> str:
    """A paid order of the emulator's shop, its detail in the order map and flagged, as `tiktok_orders`
    leaves it."""
    (order_id,) = shop.create_orders(DEMO_SHOP_CODE, 1, status="AWAITING_SHIPMENT")
    store = OrderStore(state_db)
    store.save_detail("demo", order_from_detail(shop.shop_by_code(DEMO_SHOP_CODE).orders[order_id]))
    store.mark_for_sync("demo", [order_id], "order_status")
    return order_id


def run(registry, state_db, vtex_api, open_session, lake, reader=None, channel=SECOND_CHANNEL):
    link = ChannelLink(channel, reader or SecondChannelReader(), open_session)
    setup = OrderRun("run-1", 60, 3, OrderOptions(), SkuIdMap("id"))
    sync = VtexOrderSync(
        registry.get("demo"),
        link,
        vtex_api,
        OrderStore(state_db),
        EventLog(state_db),
        setup,
        logging.getLogger(),
    )
    return sync.run(lake)


def test_a_run_that_only_places_orders_never_opens_a_session_on_the_shop(shop, state_db, registry, vtex_api):
    order_id = stored_order(shop, state_db)
    lake = Lake()
    report = run(registry, state_db, vtex_api, no_session, lake, TikTokOrderReader(), capabilities())
    assert dict(report.outcomes) == {"placed": 1} and not report.failures
    placed = vtex_api.order(f"TTS-{order_id}")
    assert placed["marketplaceOrderId"] == order_id
    assert placed["openTextField"] == {"value": f"TikTok Shop order {order_id}"}
    assert OrderStore(state_db).get("demo", order_id).state == "authorized"
    assert [r["order_id"] for r in lake.parts["orders"]] == [order_id]
    assert {r["api"] for r in lake.parts["sync_log"]} == {"vtex"}


def test_a_second_channel_goes_through_the_same_lane_under_its_own_name(shop, state_db, registry, vtex_api):
    order_id = stored_order(shop, state_db)
    lake = Lake()
    assert dict(run(registry, state_db, vtex_api, no_session, lake).outcomes) == {"placed": 1}
    placed = vtex_api.order(f"TTS-{order_id}")
    assert placed["openTextField"] == {"value": f"Mercado Livre order {order_id}"}

    # The seller cancels it in VTEX: the run opens the shop's session, and only then.
    vtex_api.cancel_order(f"TTS-{order_id}", reason="Sem estoque")
    OrderStore(state_db).mark_for_sync("demo", [order_id], "vtex_cancel")
    session = Shop()
    opened = []

    def open_session():
        opened.append(True)
        return nullcontext(session)

    report = run(registry, state_db, vtex_api, open_session, lake)
    assert dict(report.outcomes) == {"cancelled_on_mercado_livre": 1} and opened == [True]
    assert session.cancelled == [(order_id, "seller_cancel_reason_out_of_stock")]
    assert OrderStore(state_db).get("demo", order_id).state == "cancelled"
    (cancel_row,) = [r for r in lake.parts["sync_log"] if r["operation"] == "cancel_order"]
    assert (cancel_row["api"], cancel_row["item_key"], cancel_row["result"]) == (
        "mercado_livre",
        order_id,
        "ok",
    )
