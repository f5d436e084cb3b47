"""The VTEX client against the emulator on loopback: every endpoint family, errors, retries, idempotence."""

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tiktok_pipelines.core.feed import iter_feed
from tiktok_pipelines.http import RetryPolicy
from tiktok_pipelines.sandbox.catalog import Sku
from tiktok_pipelines.sandbox.feeds import image_url, render_feed
from tiktok_pipelines.sandbox.vtex import catalog_only_credentials
from tiktok_pipelines.sandbox.world import DEMO_VTEX_APP_TOKEN
from tiktok_pipelines.vtex.client import (
    FixedPrice,
    Invoice,
    InvoiceItem,
    VtexAccount,
    VtexAuthError,
    VtexClient,
    VtexConflictError,
    VtexNotFoundError,
    VtexOptions,
    VtexRateLimitedError,
    VtexServerError,
    VtexValidationError,
    order_money,
)
from tiktok_pipelines.vtex.orders import Address, Customer, MarketplaceOrder, OrderItem

INVENTORY = "/api/logistics/pvt/inventory/skus/{sku_id}"
PLACE = "/api/fulfillment/pvt/orders"


def in_stock(catalog, minimum: int = 3) -> list[Sku]:
    return [s for p in catalog.products for s in p.skus if s.available >= minimum]


def order_for(api: VtexClient, marketplace_order_id: str, lines: list[tuple[Sku, int]], shipping: int = 1290):
    """A marketplace order at the prices the store sells at (read from the simulation, in cents)."""
    simulation = api.simulate([(s.sku_id, q) for s, q in lines])
    prices = {item["id"]: item["price"] for item in simulation["items"]}
    return MarketplaceOrder(
        marketplace_order_id=marketplace_order_id,
        items=tuple(OrderItem(str(s.sku_id), q, prices[str(s.sku_id)]) for s, q in lines),
        customer=Customer("ana@example.com", "Ana", "Souza", "52998224725", phone="+5511999990000"),
        address=Address(
            "Ana Souza", "20040-002", "Rio de Janeiro", "RJ", "Avenida Rio Branco", "156", "Centro"
        ),
        shipping_cents=shipping,
    )


# ---------------------------------------------------------------- catalog
def test_sku_ids_page_through_the_whole_catalog(vtex_api, sandbox):
    expected = sorted(s.sku_id for s in sandbox.demo_catalog.skus())
    assert list(vtex_api.iter_sku_ids(page_size=7)) == expected
    assert vtex_api.sku_ids(page=1000, page_size=10) == []
    with pytest.raises(ValueError):
        vtex_api.sku_ids(page_size=1001)


def test_sku_context_is_the_feed_sku(vtex_api, sandbox):
    catalog = sandbox.demo_catalog
    product = next(p for p in catalog.products if len(p.skus) > 1)
    sku = product.skus[1]
    context = vtex_api.sku(sku.sku_id)
    assert context["Id"] == sku.sku_id and context["ProductId"] == product.product_id
    assert context["NameComplete"] == f"{product.name} {sku.variant_name}"
    assert context["BrandId"] == str(product.brand.id) and context["BrandName"] == product.brand.name
    assert context["AlternateIds"] == {"Ean": sku.ean, "RefId": sku.ref_id}
    assert [i["FileId"] for i in context["Images"]] == sku.image_ids
    feeds_url = sandbox.urls()["feeds"]
    assert context["Images"][0]["ImageUrl"] == image_url(feeds_url, sku.image_ids[0], product)
    assert context["ProductCategories"][str(product.category.id)] == product.category.name
    assert context["Dimension"]["weight"] == float(sku.weight_kg * 1000)  # grams, the sandbox's unit
    assert vtex_api.sku_by_ean(sku.ean)["Id"] == sku.sku_id
    assert vtex_api.sku_id_by_ref_id(sku.ref_id) == sku.sku_id
    assert vtex_api.sku_eans(sku.sku_id) == [sku.ean]
    with pytest.raises(VtexNotFoundError):
        vtex_api.sku(1)


def test_vtex_and_the_feed_agree_on_every_sku(vtex_api, sandbox):
    catalog = sandbox.demo_catalog
    feed = {i.seller_sku: i for i in iter_feed(render_feed(catalog, "rss", sandbox.urls()["feeds"]))}
    contexts = vtex_api.skus_many(int(s) for s in feed)
    assert not contexts.errors
    for sku_id, item in feed.items():
        ctx = contexts.values[sku_id]
        assert item.gtin == ctx["AlternateIds"]["Ean"]
        assert item.brand == ctx["BrandName"]
        assert item.item_group_id == str(ctx["ProductId"])
        assert item.image_link == ctx["Images"][0]["ImageUrl"]
        assert item.title == ctx["NameComplete"]


def test_products_brands_categories_and_sales_channels(vtex_api, sandbox):
    catalog = sandbox.demo_catalog
    product = catalog.products[0]
    record = vtex_api.product(product.product_id)
    assert record["BrandId"] == product.brand.id  # an int here, a string in the SKU context
    assert record["CategoryId"] == product.category.id and record["LinkId"] == product.slug
    assert vtex_api.product_context(product.product_id)["ListStoreId"] == [1, 2]
    assert [s["Id"] for s in vtex_api.skus_of_product(product.product_id)] == [s.sku_id for s in product.skus]
    pairs = dict(vtex_api.iter_product_and_sku_ids())
    assert pairs == {p.product_id: [s.sku_id for s in p.skus] for p in catalog.products}

    brands = vtex_api.brands()
    assert {b["name"] for b in brands} == {b.name for b in catalog.brands}
    assert set(brands[0]) == {"id", "name", "isActive", "title", "metaTagDescription", "imageUrl"}
    assert list(vtex_api.iter_brands(page_size=5)) == brands
    assert vtex_api.brand(brands[3]["id"]) == brands[3]

    tree = vtex_api.category_tree(3)
    moda = next(n for n in tree if n["name"] == "Moda")
    assert {"id", "name", "hasChildren", "url", "children", "Title", "MetaTagDescription"} <= set(moda)
    leaves = {c["id"] for n in tree for c in n["children"] if not c["hasChildren"]}
    leaves |= {g["id"] for n in tree for c in n["children"] for g in c["children"]}
    assert {c.id for c in catalog.categories} <= leaves
    assert vtex_api.category(product.category.id)["Id"] == product.category.id
    assert [c["Id"] for c in vtex_api.sales_channels()] == [1, 2]


# ---------------------------------------------------------------- inventory
def test_stock_per_warehouse_and_over_all_warehouses(vtex_api, sandbox, vtex_control):
    sku = in_stock(sandbox.demo_catalog)[0]
    before = sku.available
    item = vtex_api.inventory_item(sku.sku_id, "1_1")
    assert (item.total, item.reserved, item.available) == (before, 0, before)

    # An order reserves units: total stays, available (total - reserved) drops.
    vtex_api.place_order(order_for(vtex_api, "INV-1", [(sku, 2)]))
    stock = vtex_api.stock(sku.sku_id)
    (warehouse,) = stock.warehouses
    assert (warehouse.total, warehouse.reserved, warehouse.available) == (before, 2, before - 2)
    assert stock.available == before - 2 == vtex_api.inventory_item(sku.sku_id, "1_1").available

    vtex_api.set_inventory(sku.sku_id, "1_1", 50)
    assert vtex_api.stock(sku.sku_id).available == 48  # the reservation is kept
    vtex_api.set_inventory(sku.sku_id, "1_1", 0, unlimited=True)
    assert vtex_api.stock(sku.sku_id).unlimited and vtex_api.stock(sku.sku_id).quantity(9999) == 9999

    with pytest.raises(VtexNotFoundError):
        vtex_api.inventory_item(sku.sku_id, "no-such-warehouse")
    with pytest.raises(VtexNotFoundError):
        vtex_api.inventory(1)
    assert vtex_api.warehouses()[0]["id"] == "1_1"


def test_bulk_stock_reads_every_sku_within_the_account_concurrency(sandbox, vtex_control):
    env = sandbox.environment()
    options = VtexOptions(
        base_url=env["VTEX_BASE_URL"],
        rate_limit_per_second=5000,
        max_concurrency=3,
        retry=RetryPolicy(attempts=2, initial=0.01),
    )
    account = VtexAccount(
        "demostore", "vtexappkey-demostore-SANDBOX", DEMO_VTEX_APP_TOKEN, warehouse_ids=("1_1",)
    )
    ids = [s.sku_id for s in sandbox.demo_catalog.skus()][:24]
    vtex_control.latency(0.02)
    results = {}
    # Two clients of the same account in two threads (two assets of one run) share one bound.
    with VtexClient(account, options) as first, VtexClient(account, options) as second:

        def read(name, client):
            results[name] = client.stock_many([*ids, 1])

        threads = [threading.Thread(target=read, args=(n, c)) for n, c in (("a", first), ("b", second))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for result in results.values():
        assert set(result.values) == {str(i) for i in ids}
        assert result.not_found == ["1"] and not result.failed
        for sku_id, stock in result.values.items():
            assert stock.available == sandbox.demo_catalog.sku(int(sku_id)).available
    assert vtex_control.count("GET", INVENTORY) == 2 * 25
    assert 1 < vtex_control.max_in_flight() <= 3


# ---------------------------------------------------------------- pricing
def test_prices_are_exact_decimals_with_fixed_prices_per_trade_policy(vtex_api, sandbox):
    catalog = sandbox.demo_catalog
    on_sale = next(s for s in catalog.skus() if s.price < s.list_price)
    price = vtex_api.price(on_sale.sku_id)
    assert price.list_price == on_sale.list_price and isinstance(price.list_price, Decimal)
    (fixed,) = [f for f in price.fixed_prices if f.trade_policy_id == "1"]
    assert fixed.value == on_sale.price
    assert price.for_trade_policy("1").selling_price == on_sale.price
    computed = vtex_api.computed_price(on_sale.sku_id)
    assert (computed.selling_price, computed.list_price) == (on_sale.price, on_sale.list_price)

    with_tp2 = next(
        s
        for s in catalog.skus()
        if any(f.trade_policy_id == "2" for f in vtex_api.price(s.sku_id).fixed_prices)
    )
    tp2 = vtex_api.computed_price(with_tp2.sku_id, "2")
    assert tp2.selling_price == (with_tp2.price * Decimal("0.95")).quantize(Decimal("0.01"))
    assert {c.trade_policy_id for c in vtex_api.computed_prices(with_tp2.sku_id)} == {"1", "2"}

    bulk = vtex_api.computed_prices_many([s.sku_id for s in catalog.skus()][:20])
    assert all(bulk.values[str(s.sku_id)].selling_price == s.price for s in catalog.skus()[:20])
    assert vtex_api.pricing_rate_limit["limit"] == 1000  # Pricing announces its bucket on every answer


def test_put_price_round_trips_decimals_and_replaces_fixed_prices(vtex_api, sandbox):
    sku = sandbox.demo_catalog.skus()[3]
    now = datetime.now(UTC)
    vtex_api.put_price(
        sku.sku_id,
        base_price=Decimal("700.00"),
        cost_price=Decimal("350.00"),
        list_price=Decimal("799.90"),
        fixed_prices=[
            FixedPrice("1", Decimal("666.66"), Decimal("799.90")),
            FixedPrice("1", Decimal("600.01"), None, min_quantity=3),
            FixedPrice(
                "2",
                Decimal("650"),
                None,
                valid_from=now - timedelta(days=1),
                valid_to=now + timedelta(days=1),
            ),
        ],
    )
    price = vtex_api.price(sku.sku_id)
    assert price.markup == Decimal("100") and price.base_price == Decimal("700")
    assert price.for_trade_policy("1").selling_price == Decimal("666.66")
    assert price.for_trade_policy("1", quantity=3).selling_price == Decimal("600.01")
    assert vtex_api.computed_price(sku.sku_id, "1", quantity=5).selling_price == Decimal("600.01")
    assert vtex_api.computed_price(sku.sku_id, "2").selling_price == Decimal("650")
    assert price.for_trade_policy("2").selling_price == Decimal("650")
    later = price.for_trade_policy("2", at=now + timedelta(days=2))  # the window has closed
    assert (later.selling_price, later.list_price) == (Decimal("700"), Decimal("799.90"))
    # The store's feed follows trade policy 1.
    assert (sku.price, sku.list_price) == (Decimal("666.66"), Decimal("799.90"))

    vtex_api.put_price(sku.sku_id, cost_price=Decimal("100"), markup=Decimal("50"))
    price = vtex_api.price(sku.sku_id)
    assert price.base_price == Decimal("150") and price.fixed_prices == ()
    with pytest.raises(ValueError, match="exactly two"):
        vtex_api.put_price(sku.sku_id, base_price=Decimal(1), cost_price=Decimal(1), markup=Decimal(0))


def test_a_sku_without_price_reads_as_none(vtex_api, sandbox):
    sku_id = sandbox.demo_catalog.skus()[0].sku_id
    vtex_api._request("DELETE", f"/pricing/prices/{sku_id}", base="pricing")
    assert vtex_api.price(sku_id) is None and vtex_api.computed_price(sku_id) is None
    assert vtex_api.prices_many([sku_id]).not_found == [str(sku_id)]
    other = sandbox.demo_catalog.skus()[1].sku_id
    computed = vtex_api.computed_prices_many([sku_id, other])
    assert computed.not_found == [str(sku_id)] and list(computed.values) == [str(other)]


# ---------------------------------------------------------------- orders (fulfillment protocol and OMS)
def test_marketplace_order_flow_keeps_cents_and_statuses(vtex_api, sandbox):
    skus = in_stock(sandbox.demo_catalog)[:2]
    simulation = vtex_api.simulate([(s.sku_id, 1) for s in skus], postal_code="20040-002")
    assert simulation["items"][0]["price"] == int(skus[0].price * 100)
    assert [sla["id"] for sla in simulation["logisticsInfo"][0]["slas"]] == ["Normal", "Expressa"]

    order = order_for(vtex_api, "5800001", [(skus[0], 2), (skus[1], 1)], shipping=1590)
    placed = vtex_api.place_order(order)
    assert placed.order_id == vtex_api.order_id_for("5800001") == "TTS-5800001"
    assert vtex_api.order(placed.order_id)["status"] == "waiting-ffmt-authorization"

    receipt = vtex_api.authorize_dispatch(placed.order_id, "5800001")
    assert receipt["orderId"] == placed.order_id and receipt["receipt"]
    full = vtex_api.order(placed.order_id)
    assert full["status"] == "ready-for-handling"  # the sandbox's window to cancel is 0 s by default
    assert full["value"] == order.value_cents and isinstance(full["value"], int)
    totals = {t["id"]: t["value"] for t in full["totals"]}
    assert totals["Shipping"] == 1590 and totals["Items"] == order.value_cents - 1590
    assert full["items"][0]["price"] == order.items[0].price_cents
    assert full["marketplaceOrderId"] == "5800001" and full["affiliateId"] == "TTS"
    assert order_money(full)["value"] == Decimal(order.value_cents) / 100

    vtex_api.start_handling(placed.order_id)
    assert vtex_api.order(placed.order_id)["status"] == "handling"
    listed = vtex_api.list_orders(status="handling")
    assert [o["orderId"] for o in listed["list"]] == [placed.order_id]
    assert vtex_api.list_orders(status=["invoiced", "canceled"])["paging"]["total"] == 0
    hour = timedelta(hours=1)
    now = datetime.now(UTC)
    assert vtex_api.list_orders(created_from=now - hour)["paging"]["total"] == 1
    assert vtex_api.list_orders(created_from=now - hour, created_to=now - hour / 2)["paging"]["total"] == 0


def test_placing_the_same_marketplace_order_twice_creates_one_order(vtex_api, sandbox, vtex_control):
    sku = in_stock(sandbox.demo_catalog)[0]
    before = sku.available
    order = order_for(vtex_api, "DUP-1", [(sku, 1)])
    first = vtex_api.place_order(order)
    second = vtex_api.place_order(order)
    assert first.order_id == second.order_id == "TTS-DUP-1"
    assert [o["orderId"] for o in vtex_control.orders()] == ["TTS-DUP-1"]
    assert sku.available == before - 1  # reserved once


def test_a_crash_between_placing_and_authorizing_still_gives_one_order(vtex_api, sandbox, vtex_control):
    sku = in_stock(sandbox.demo_catalog)[0]
    order = order_for(vtex_api, "CRASH-1", [(sku, 1)])
    # VTEX creates the order but the answer is lost (a 502 after processing): the client retries the
    # placement, which VTEX answers with the same order.
    vtex_control.fault(502, path="/fulfillment/pvt/orders$", after=True)
    placed = vtex_api.place_order(order)
    assert vtex_control.count("POST", PLACE) == 2
    # The run dies before authorizing; the next run (a new client) places again, then authorizes.
    env = sandbox.environment()
    with VtexClient(vtex_api.account, VtexOptions(base_url=env["VTEX_BASE_URL"])) as next_run:
        again = next_run.place_order(order)
        next_run.authorize_dispatch(again.order_id, "CRASH-1")
        assert next_run.order(again.order_id)["status"] == "ready-for-handling"
    assert again.order_id == placed.order_id
    assert len(vtex_control.orders()) == 1


def test_authorizing_twice_is_safe_but_a_canceled_order_is_not_authorized(vtex_api, sandbox):
    skus = in_stock(sandbox.demo_catalog)
    placed = vtex_api.place_order(order_for(vtex_api, "AUTH-1", [(skus[0], 1)]))
    first = vtex_api.authorize_dispatch(placed.order_id, "AUTH-1")
    assert vtex_api.authorize_dispatch(placed.order_id, "AUTH-1")["receipt"] == first["receipt"]

    other = vtex_api.place_order(order_for(vtex_api, "AUTH-2", [(skus[1], 1)]))
    vtex_api.cancel_order(other.order_id, "buyer canceled on TikTok")
    with pytest.raises(VtexConflictError):
        vtex_api.authorize_dispatch(other.order_id, "AUTH-2")


def test_price_divergence_and_missing_stock_are_refused_with_vtex_codes(vtex_api, sandbox, vtex_control):
    skus = in_stock(sandbox.demo_catalog)
    order = order_for(vtex_api, "BAD-1", [(skus[0], 1)])
    wrong = MarketplaceOrder(
        order.marketplace_order_id,
        (OrderItem(order.items[0].vtex_sku_id, 1, order.items[0].price_cents - 1),),
        order.customer,
        order.address,
    )
    with pytest.raises(VtexValidationError) as exc:
        vtex_api.place_order(wrong)
    assert exc.value.code == "FMT007" and exc.value.status == 400
    assert vtex_control.count("POST", PLACE) == 1  # a 400 is never retried

    greedy = order_for(vtex_api, "BAD-2", [(skus[1], skus[1].available + 1)])
    with pytest.raises(VtexValidationError) as exc:
        vtex_api.place_order(greedy)
    assert exc.value.code == "ORDER027"
    assert vtex_control.orders() == []


def test_cancel_releases_stock_and_tells_the_marketplace(vtex_api, sandbox, vtex_control, recorder):
    sku = in_stock(sandbox.demo_catalog)[0]
    before = sku.available
    order = order_for(vtex_api, "CXL-1", [(sku, 2)])
    order = MarketplaceOrder(**{**order.__dict__, "marketplace_services_endpoint": recorder.url + "/tiktok"})
    placed = vtex_api.place_order(order)
    assert sku.available == before - 2
    receipt = vtex_api.cancel_order(placed.order_id, "buyer canceled")
    assert vtex_api.order(placed.order_id)["status"] == "canceled"
    assert vtex_api.order(placed.order_id)["cancelReason"] == "buyer canceled"
    assert sku.available == before
    assert vtex_api.cancel_order(placed.order_id)["receipt"] == receipt["receipt"]  # repeating is harmless
    assert recorder.wait_for(lambda reqs: any(r["path"] == "/tiktok/pvt/orders/CXL-1/cancel" for r in reqs))


def test_invoice_notification_sends_string_cents_and_tracking(vtex_api, sandbox, vtex_control):
    skus = in_stock(sandbox.demo_catalog)[:2]
    order = order_for(vtex_api, "NF-1", [(skus[0], 1), (skus[1], 2)])
    placed = vtex_api.place_order(order)
    with pytest.raises(VtexConflictError) as exc:
        vtex_api.start_handling(placed.order_id)  # still waiting for authorization
    assert exc.value.code == "OMS003"
    vtex_api.authorize_dispatch(placed.order_id, "NF-1")
    invoice = Invoice(
        number="1234",
        value_cents=order.value_cents,
        issued_at=datetime.now(UTC),
        items=tuple(InvoiceItem(i.vtex_sku_id, i.quantity, i.price_cents) for i in order.items),
        key="35240611222333000181550010000012341000000017",
        xml="<nfeProc/>",
    )
    assert invoice.payload()["invoiceValue"] == str(order.value_cents)
    vtex_api.notify_invoice(placed.order_id, invoice)
    vtex_api.notify_invoice(placed.order_id, invoice)  # same number: receipt renewed, nothing doubled
    full = vtex_api.order(placed.order_id)
    assert full["status"] == "invoiced" and full["invoicedDate"]
    (package,) = full["packageAttachment"]["packages"]
    assert package["invoiceValue"] == order.value_cents and package["embeddedInvoice"] == "<nfeProc/>"

    vtex_api.update_invoice_tracking(
        placed.order_id,
        "1234",
        tracking_number="BR123",
        tracking_url="https://t.example/BR123",
        courier="Correios",
    )
    package = vtex_api.order(placed.order_id)["packageAttachment"]["packages"][0]
    assert (package["trackingNumber"], package["courier"]) == ("BR123", "Correios")
    with pytest.raises(VtexValidationError):
        vtex_api.cancel_order(placed.order_id)  # invoiced: needs a return invoice first
    with pytest.raises(VtexNotFoundError):
        vtex_api.update_invoice_tracking(placed.order_id, "9999", tracking_number="X")


def test_partial_invoice_keeps_the_order_in_handling(vtex_api, sandbox):
    skus = in_stock(sandbox.demo_catalog)[:2]
    order = order_for(vtex_api, "NF-2", [(skus[0], 1), (skus[1], 1)])
    placed = vtex_api.place_order(order)
    vtex_api.authorize_dispatch(placed.order_id, "NF-2")
    vtex_api.start_handling(placed.order_id)
    first = order.items[0]
    part = Invoice(
        "1", first.price_cents, datetime.now(UTC), (InvoiceItem(first.vtex_sku_id, 1, first.price_cents),)
    )
    vtex_api.notify_invoice(placed.order_id, part)
    assert vtex_api.order(placed.order_id)["status"] == "handling"
    with pytest.raises(VtexValidationError):
        vtex_api.notify_invoice(
            placed.order_id, Invoice("2", 1, datetime.now(UTC), part.items)
        )  # more than ordered


# ---------------------------------------------------------------- orders feed and hook
def test_orders_feed_delivers_filtered_events_until_committed(vtex_api, sandbox):
    assert vtex_api.orders_feed_config() is None
    vtex_api.configure_orders_feed(statuses=["ready-for-handling", "canceled"], visibility_timeout_seconds=60)
    skus = in_stock(sandbox.demo_catalog)
    kept = vtex_api.place_order(order_for(vtex_api, "FEED-1", [(skus[0], 1)]))
    vtex_api.authorize_dispatch(kept.order_id, "FEED-1")
    dropped = vtex_api.place_order(order_for(vtex_api, "FEED-2", [(skus[1], 1)]))
    vtex_api.cancel_order(dropped.order_id)

    events = vtex_api.orders_feed()
    assert [(e.order_id, e.state) for e in events] == [
        ("TTS-FEED-1", "ready-for-handling"),
        ("TTS-FEED-2", "canceled"),
    ]
    assert events[0].last_state == "window-to-cancel" and events[0].domain == "Fulfillment"
    assert vtex_api.orders_feed() == []  # invisible until the visibility timeout
    assert vtex_api.orders_feed_config()["quantity"] == 2
    vtex_api.commit_orders_feed(e.handle for e in events)
    assert vtex_api.orders_feed_config()["quantity"] == 0
    with pytest.raises(ValueError):
        vtex_api.orders_feed(max_lot=11)
    with pytest.raises(VtexConflictError):
        vtex_api.configure_orders_feed(expression='status = "invoiced"')  # another filter type
    vtex_api.delete_orders_feed()
    vtex_api.configure_orders_feed(expression='status = "invoiced" or value > 100000')
    assert vtex_api.orders_feed_config()["filter"]["type"] == "FromOrders"


def test_order_hook_pings_then_notifies_every_status(vtex_api, sandbox, vtex_control, recorder):
    vtex_api.configure_order_hook(recorder.url + "/vtex/orders", headers={"X-Hook-Secret": "s3cr3t"})
    assert recorder.requests[0]["json"] == {"hookConfig": "ping"}
    assert recorder.requests[0]["headers"]["x-hook-secret"] == "s3cr3t"
    assert vtex_api.order_hook_config()["hook"]["url"] == recorder.url + "/vtex/orders"

    sku = in_stock(sandbox.demo_catalog)[0]
    placed = vtex_api.place_order(order_for(vtex_api, "HOOK-1", [(sku, 1)]))
    vtex_api.authorize_dispatch(placed.order_id, "HOOK-1")
    vtex_control.invoice(placed.order_id)
    expected = [
        "order-accepted",
        "waiting-ffmt-authorization",
        "authorize-fulfillment",
        "window-to-cancel",
        "ready-for-handling",
        "handling",
        "invoice",
        "invoiced",
    ]
    assert recorder.wait_for(lambda reqs: len(reqs) >= 1 + len(expected))
    notes = [r["json"] for r in recorder.requests[1:]]
    assert [n["State"] for n in notes] == expected
    assert notes[0]["LastState"] is None and notes[1]["LastState"] == "order-accepted"
    assert notes[-1]["LastState"] == "invoice"
    assert {n["OrderId"] for n in notes} == {placed.order_id}
    assert notes[0]["Origin"] == {"Account": "demostore", "Key": vtex_api.account.app_key.get_secret_value()}
    assert all(r["headers"]["x-hook-secret"] == "s3cr3t" for r in recorder.requests[1:])

    vtex_api.delete_order_hook()
    assert vtex_api.order_hook_config() is None


def test_a_hook_target_that_fails_the_ping_is_refused(vtex_api, recorder):
    recorder.status = 500
    with pytest.raises(VtexValidationError, match="ping"):
        vtex_api.configure_order_hook(recorder.url)
    assert vtex_api.order_hook_config() is None


# ---------------------------------------------------------------- errors, retries, secrets
def test_bad_credentials_are_typed_not_retried_and_never_leak_the_token(sandbox, vtex_control, caplog):
    env = sandbox.environment()
    secret = "not-the-right-token-0123456789"
    account = VtexAccount("demostore", "vtexappkey-demostore-SANDBOX", secret)
    caplog.set_level(logging.DEBUG)
    with VtexClient(account, VtexOptions(base_url=env["VTEX_BASE_URL"])) as client:
        with pytest.raises(VtexAuthError) as exc:
            client.sku_ids()
        assert exc.value.status == 401
        assert vtex_control.count("GET", "/api/catalog_system/pvt/sku/stockkeepingunitids") == 1
        assert secret not in str(exc.value) and secret not in repr(exc.value)
        assert secret not in repr(client) and secret not in repr(client.account)
    assert secret not in caplog.text

    for blank in ("", " ", "tok en", "token\n"):
        with pytest.raises(ValueError, match="app_token") as exc:
            VtexAccount("demostore", "vtexappkey-demostore-SANDBOX", blank)
        assert blank not in str(exc.value) or not blank.strip()


def test_a_key_without_the_resource_gets_403(sandbox, vtex_control):
    env = sandbox.environment()
    key, token = catalog_only_credentials("demostore")
    options = VtexOptions(base_url=env["VTEX_BASE_URL"], pricing_base_url=env["VTEX_PRICING_BASE_URL"])
    with VtexClient(VtexAccount("demostore", key, token), options) as client:
        assert client.sku_ids()  # the catalog is allowed
        with pytest.raises(VtexAuthError) as exc:
            client.inventory(sandbox.demo_catalog.skus()[0].sku_id)
        assert exc.value.status == 403 and "License Manager" in str(exc.value)
        with pytest.raises(VtexAuthError):
            client.price(sandbox.demo_catalog.skus()[0].sku_id)
    assert vtex_control.count("GET", INVENTORY) == 1


def test_429_waits_for_retry_after_then_succeeds(vtex_api, sandbox, vtex_control, caplog):
    sku = sandbox.demo_catalog.skus()[0]
    vtex_control.fault(429, retry_after=1, family="logistics")
    caplog.set_level(logging.WARNING)
    started = time.monotonic()
    stock = vtex_api.stock(sku.sku_id)
    elapsed = time.monotonic() - started
    assert stock.available == sku.available
    assert elapsed >= 1.0  # the client's own backoff would have waited 0.05 s
    assert vtex_control.count("GET", INVENTORY) == 2
    assert vtex_api.stats["rate_limited"] == 1 and vtex_api.stats["retries"] == 1
    assert "retrying" in caplog.text and DEMO_VTEX_APP_TOKEN not in caplog.text


def test_pricing_token_bucket_throttles_and_every_read_still_succeeds(vtex_api, sandbox, vtex_control):
    vtex_control.rate_limit("pricing-read", rate=10, burst=5)
    ids = [s.sku_id for s in sandbox.demo_catalog.skus()[:8]]
    result = vtex_api.prices_many(ids)
    assert set(result.values) == {str(i) for i in ids} and not result.errors
    limited = vtex_control.responses().get("GET /pricing/prices/{item_id} 429", 0)
    assert limited >= 1 and vtex_api.stats["rate_limited"] == limited


def test_exhausted_retries_surface_the_rate_limit(sandbox, vtex_control):
    env = sandbox.environment()
    options = VtexOptions(base_url=env["VTEX_BASE_URL"], retry=RetryPolicy(attempts=2, initial=0.01))
    account = VtexAccount("demostore", "vtexappkey-demostore-SANDBOX", DEMO_VTEX_APP_TOKEN)
    vtex_control.fault(429, retry_after=0, times=5, family="catalog")
    with VtexClient(account, options) as client, pytest.raises(VtexRateLimitedError) as exc:
        client.brands()
    assert exc.value.retry_after == 0 and vtex_control.count("GET", "/api/catalog_system/pvt/brand/list") == 2


def test_server_errors_are_retried_only_where_repeating_is_safe(vtex_api, sandbox, vtex_control):
    vtex_control.fault(503, times=2, family="catalog")
    assert vtex_api.brands()
    assert vtex_control.count("GET", "/api/catalog_system/pvt/brand/list") == 3

    sku = in_stock(sandbox.demo_catalog)[0]
    placed = vtex_api.place_order(order_for(vtex_api, "5XX-1", [(sku, 1)]))
    vtex_api.authorize_dispatch(placed.order_id, "5XX-1")
    vtex_control.fault(503, path="start-handling")
    with pytest.raises(VtexServerError):
        vtex_api.start_handling(placed.order_id)  # a POST that is not idempotent: not repeated blindly
    assert vtex_control.count("POST", "/api/oms/pvt/orders/{order_id}/start-handling") == 1


def test_timeouts_and_locks_are_retried_for_idempotent_calls(sandbox, vtex_control):
    env = sandbox.environment()
    options = VtexOptions(
        base_url=env["VTEX_BASE_URL"], timeout_seconds=0.3, retry=RetryPolicy(attempts=3, initial=0.01)
    )
    account = VtexAccount("demostore", "vtexappkey-demostore-SANDBOX", DEMO_VTEX_APP_TOKEN)
    sku = sandbox.demo_catalog.skus()[0]
    with VtexClient(account, options) as client:
        vtex_control.fault(delay=1.0, family="logistics", method="GET")
        assert client.inventory(sku.sku_id).vtex_sku_id == str(sku.sku_id)
        assert client.stats["network_errors"] == 1
        vtex_control.fault(423, family="logistics", method="PUT")
        client.set_inventory(sku.sku_id, "1_1", 77)
    assert (
        vtex_control.count("PUT", "/api/logistics/pvt/inventory/skus/{sku_id}/warehouses/{warehouse_id}") == 2
    )
    assert sku.available == 77


def test_an_affiliate_is_required_for_marketplace_calls(sandbox):
    env = sandbox.environment()
    account = VtexAccount("demostore", "vtexappkey-demostore-SANDBOX", DEMO_VTEX_APP_TOKEN)
    with VtexClient(account, VtexOptions(base_url=env["VTEX_BASE_URL"])) as client:
        with pytest.raises(ValueError, match="affiliate"):
            client.simulate([(1, 1)])
        with pytest.raises(ValueError, match="affiliate"):
            client.order_id_for("1")
        assert client.stats["requests"] == 0
