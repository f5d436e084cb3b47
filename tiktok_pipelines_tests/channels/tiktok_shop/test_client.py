"""The client against the emulator, served on loopback, for every endpoint family the project uses."""

import base64
import itertools
import threading
import time

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tiktok_pipelines.channels.tiktok_shop.client import (
    BrandExistsError,
    NotFoundError,
    PriceLockedError,
    TikTokAuthClient,
    TikTokShopClient,
    ValidationError,
    parse_versions,
    verify_webhook_signature,
)
from tiktok_pipelines.sandbox.feeds.images import product_png
from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines.sandbox.tiktok_shop import SANDBOX_APP_KEY, SANDBOX_APP_SECRET

LEAF_APPAREL = "824330"  # Roupas Masculinas > Camisetas e Polos > Camisetas
NFE = b'<?xml version="1.0"?><nfeProc xmlns="http://www.portalfiscal.inf.br/nfe"><NFe><infNFe Id="NFe1"/></NFe></nfeProc>'


@pytest.fixture(scope="module")
def served():
    """One emulator on loopback for the module; each test gets a shop of its own."""
    from tiktok_pipelines.sandbox.tiktok_shop import EmulatorConfig, TikTokShopEmulator, create_tiktok_app

    emulator = TikTokShopEmulator(EmulatorConfig())
    server = ServerThread(create_tiktok_app(emulator)).start()
    emulator.config.base_url = server.url
    yield emulator, server.url
    server.stop()
    emulator.webhooks.stop()


_shops = itertools.count(1)


@pytest.fixture
def emulator(served):
    return served[0]


@pytest.fixture
def shop_code(served):
    emulator, _ = served
    return emulator.add_shop(f"BRT{next(_shops):05d}").code


@pytest.fixture
def api(served, shop_code):
    """A client of a fresh shop, authorized the way the platform authorizes (auth code → token)."""
    emulator, url = served
    with TikTokAuthClient(SANDBOX_APP_KEY, SANDBOX_APP_SECRET, url) as auth:
        tokens = auth.get_token(emulator.issue_auth_code(shop_code))
    shop = emulator.shop_by_code(shop_code)
    with TikTokShopClient(
        SANDBOX_APP_KEY, SANDBOX_APP_SECRET, tokens.access_token.get_secret_value(), shop.cipher, base_url=url
    ) as client:
        yield client


@pytest.fixture
def catalog():
    from tiktok_pipelines.sandbox.catalog import generate_catalog

    return generate_catalog(6, seed=11)


def product_body(api, seller_skus=("CAM-P", "CAM-M"), title="Camiseta Básica Algodão"):
    image = api.upload_image(product_png(7), "MAIN_IMAGE", "camiseta.png")
    warehouses = [w["id"] for w in api.get_warehouses() if w["type"] == "SALES_WAREHOUSE"]
    attributes = {a["name"]: a for a in api.get_category_attributes(LEAF_APPAREL)}
    material = attributes["Material"]
    return {
        "title": title,
        "description": "<p>Camiseta 100% algodão</p>",
        "category_id": LEAF_APPAREL,
        "brand_id": api.get_or_create_brand("Marca Própria Teste"),
        "main_images": [{"uri": image["uri"]}],
        "package_weight": {"value": "0.3", "unit": "KILOGRAM"},
        "package_dimensions": {"length": "30", "width": "20", "height": "3", "unit": "CENTIMETER"},
        "product_attributes": [{"id": material["id"], "values": [{"id": material["values"][0]["id"]}]}],
        "skus": [
            {
                "seller_sku": sku,
                "sales_attributes": [{"name": "Tamanho", "value_name": sku.rsplit("-", 1)[-1]}],
                "price": {"amount": "59.90", "currency": "BRL"},
                "inventory": [{"warehouse_id": w, "quantity": 10} for w in warehouses],
            }
            for sku in seller_skus
        ],
    }


def test_authorization_shops_and_warehouses(api, emulator, shop_code):
    assert api.get_authorized_shops() == [emulator.shop_by_code(shop_code).as_api()]
    warehouses = api.get_warehouses()
    assert {w["type"] for w in warehouses} == {"SALES_WAREHOUSE", "RETURN_WAREHOUSE"}


def test_categories_rules_attributes_and_recommendation(api):
    categories = api.get_categories(locale="pt-BR", category_version="v1")
    by_id = {c["id"]: c for c in categories}
    assert (
        by_id[LEAF_APPAREL]["is_leaf"]
        and by_id[by_id[LEAF_APPAREL]["parent_id"]]["local_name"] == "Camisetas e Polos"
    )
    rules = api.get_category_rules("601741")
    assert rules["product_certifications"][0]["is_required"]
    attributes = api.get_category_attributes(LEAF_APPAREL)
    assert any(a["is_requried"] and a["type"] == "PRODUCT_PROPERTY" for a in attributes)
    with pytest.raises(ValidationError) as info:
        api.get_category_rules("824328")  # a root: not a leaf
    assert info.value.code == 12052024
    rec = api.recommend_category("Fone de Ouvido Bluetooth Sem Fio")
    assert rec["leaf_category_id"] == "601741"


def test_brands_create_exists_and_find(api):
    brand_id = api.create_brand("Jabuticaba Moda")
    with pytest.raises(BrandExistsError):
        api.create_brand("jabuticaba moda")
    assert api.get_or_create_brand("Jabuticaba Moda") == brand_id
    assert api.find_brand("JABUTICABA MODA")["id"] == brand_id
    assert api.get_or_create_brand("Havaianas") == api.find_brand("havaianas")["id"]
    page = api.get_brands(page_size=2)
    assert len(page.items) == 2 and page.next_page_token and page.total_count >= 7
    assert len(list(api.iter_brands(page_size=2))) == page.total_count


def test_product_lifecycle(api):
    body = product_body(api)
    assert api.check_listing(body)["check_result"] == "PASS"
    created = api.create_product(body)
    product_id = created["product_id"]
    assert {s["seller_sku"] for s in created["skus"]} == {"CAM-P", "CAM-M"}
    product = api.get_product(product_id)
    assert product["status"] == "ACTIVATE" and product["category_chains"][-1]["id"] == LEAF_APPAREL
    # partial edit touches only what is given
    api.partial_edit_product(product_id, {"title": "Camiseta Básica Algodão Orgânico"})
    assert api.get_product(product_id)["title"].endswith("Orgânico")
    # a full edit without a SKU deletes it
    edited = dict(body, skus=body["skus"][:1])
    api.edit_product(product_id, edited)
    assert [s["seller_sku"] for s in api.get_product(product_id)["skus"]] == ["CAM-P"]
    found = list(api.iter_products(page_size=1, seller_skus=["CAM-P"]))
    assert [p["id"] for p in found] == [product_id]
    result = api.delete_products([product_id, "1234"])
    assert [e.detail["product_id"] for e in result.errors] == ["1234"]
    with pytest.raises(NotFoundError):
        api.get_product(product_id)


def test_invalid_listing_is_refused_with_reasons(api):
    body = product_body(api)
    body["product_attributes"] = []
    body["main_images"] = [{"uri": "never-uploaded"}]
    check = api.check_listing(body)
    assert check["check_result"] == "FAIL"
    with pytest.raises(ValidationError) as info:
        api.create_product(body)
    assert "Material" in info.value.message and "never-uploaded" in info.value.message


def test_inventory_update_reports_missing_warehouses_per_sku(api):
    created = api.create_product(product_body(api))
    warehouses = [w["id"] for w in api.get_warehouses() if w["type"] == "SALES_WAREHOUSE"]
    good, bad = created["skus"]
    result = api.update_inventory(
        created["product_id"],
        [
            {"id": good["id"], "inventory": [{"warehouse_id": w, "quantity": 7} for w in warehouses]},
            {"id": bad["id"], "inventory": [{"warehouse_id": warehouses[0], "quantity": 1}]},
        ],
    )
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.code == 12019028 and error.detail["sku_id"] == bad["id"]
    assert error.detail["extra_errors"][0]["warehouse_id"] == warehouses[1]
    stock = {s["id"]: s for s in api.search_inventory(product_ids=[created["product_id"]])[0]["skus"]}
    assert stock[good["id"]]["total_available_quantity"] == 14
    assert stock[bad["id"]]["total_available_quantity"] == 20  # untouched


def test_prices_update_and_lock(api, emulator, shop_code):
    created = api.create_product(product_body(api))
    sku = created["skus"][0]["id"]
    api.update_prices(created["product_id"], [{"id": sku, "price": {"amount": "49.90", "currency": "BRL"}}])
    product = api.get_product(created["product_id"])
    assert next(s for s in product["skus"] if s["id"] == sku)["price"]["sale_price"] == "49.90"
    emulator.shop_by_code(shop_code).price_locks.add(sku)
    with pytest.raises(PriceLockedError):
        api.update_prices(
            created["product_id"], [{"id": sku, "price": {"amount": "39.90", "currency": "BRL"}}]
        )
    outcomes = list(
        api.update_prices_many(
            [(created["product_id"], [{"id": sku, "price": {"amount": "1", "currency": "BRL"}}])]
        )
    )
    assert isinstance(outcomes[0].error, PriceLockedError)


def test_image_upload_is_multipart_and_validated(api):
    image = api.upload_image(product_png(3, size=400), "ATTRIBUTE_IMAGE")
    assert (image["width"], image["height"], image["use_case"]) == (400, 400, "ATTRIBUTE_IMAGE")
    with pytest.raises(ValidationError):
        api.upload_image(b"definitely not an image")
    assert api.stats.requests["POST /product/202309/images/upload"] == 2


def test_orders_packages_shipping_and_tracking(api, emulator, shop_code, catalog):
    emulator.seed_products(emulator.shop_by_code(shop_code), catalog, count=5)
    order_ids = emulator.create_orders(shop_code, 4, status="AWAITING_SHIPMENT")
    emulator.create_orders(shop_code, 1, status="UNPAID")
    found = list(api.iter_orders(page_size=3, order_status="AWAITING_SHIPMENT"))
    assert sorted(o["id"] for o in found) == sorted(order_ids)
    orders = api.get_orders(order_ids)
    assert all(o["payment"]["currency"] == "BRL" and o["line_items"] for o in orders)
    package_id = orders[0]["packages"][0]["id"]
    assert api.get_package(package_id)["package_status"] == "TO_FULFILL"
    assert len(list(api.iter_packages(page_size=2))) == 5
    # A Brazilian package ships once TikTok accepted its NF-e.
    api.upload_invoices([{"order_ids": [orders[0]["id"]], "package_id": package_id, "file": NFE}])
    emulator.set_invoice_outcome(package_id, "SUCCESS")
    api.ship_package(package_id, handover_method="PICKUP")
    assert api.get_order(orders[0]["id"])["status"] == "AWAITING_COLLECTION"
    with pytest.raises(ValidationError):
        api.ship_package(package_id, handover_method="PICKUP")  # already shipped
    tracking = api.get_tracking(orders[0]["id"])
    assert tracking[0]["description"] == "Pedido enviado ao transportador"


def test_invoices_are_validated_per_item(api, emulator, shop_code, catalog):
    emulator.seed_products(emulator.shop_by_code(shop_code), catalog, count=3)
    order = api.get_order(emulator.create_orders(shop_code, 1)[0])
    package_id = order["packages"][0]["id"]
    result = api.upload_invoices(
        [
            {"order_ids": [order["id"]], "package_id": package_id, "file": NFE},
            {
                "order_ids": [order["id"]],
                "package_id": package_id,
                "file": base64.b64encode(b"<a>no nfe</a>").decode(),
            },
            {"order_ids": ["1"], "package_id": "999", "file": NFE},
        ]
    )
    assert [e.detail["package_id"] for e in result.errors] == [package_id, "999"]
    assert emulator.shop_by_code(shop_code).invoices[package_id]["invoice_status"] == "PROCESSING"
    emulator.set_invoice_outcome(package_id, "SUCCESS")
    assert emulator.shop_by_code(shop_code).invoices[package_id]["invoice_status"] == "SUCCESS"


def test_returns_and_cancellations(api, emulator, shop_code, catalog):
    emulator.seed_products(emulator.shop_by_code(shop_code), catalog, count=3)
    cancelled = emulator.create_orders(shop_code, 1, status="CANCELLED")[0]
    delivered = emulator.create_orders(shop_code, 1, status="DELIVERED")[0]
    return_id = emulator.request_return(delivered)
    cancels = list(api.iter_cancellations(order_ids=[cancelled]))
    assert cancels[0]["cancel_status"] == "CANCELLATION_REQUEST_COMPLETE"
    returns = api.search_returns(page_size=10, order_ids=[delivered])
    assert [r["return_id"] for r in returns.items] == [return_id]
    with pytest.raises(ValidationError, match="page_size"):
        api.search_returns(page_size=5)  # returns take 10..50


def test_shop_products_performance(api, emulator, shop_code, catalog):
    emulator.seed_products(emulator.shop_by_code(shop_code), catalog, count=3)
    emulator.create_orders(shop_code, 5, status="COMPLETED")
    today = time.strftime("%Y-%m-%d", time.gmtime())
    tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86400))
    rows = list(api.iter_shop_products_performance(today, tomorrow, page_size=1))
    assert rows and sum(r["units_sold"] for r in rows) >= 5


def test_webhook_subscription_delivers_signed_events(api, emulator, shop_code, catalog):
    received = []
    done = threading.Event()

    async def hook(request: Request) -> Response:
        received.append((await request.body(), request.headers.get("authorization")))
        done.set()
        return Response(status_code=200)

    server = ServerThread(Starlette(routes=[Route("/tiktok", hook, methods=["POST"])])).start()
    try:
        api.update_webhook(f"{server.url}/tiktok", "ORDER_STATUS_CHANGE")
        assert api.get_webhooks()[0]["address"] == f"{server.url}/tiktok"
        emulator.seed_products(emulator.shop_by_code(shop_code), catalog, count=2)
        order_id = emulator.create_orders(shop_code, 1, status="UNPAID")[0]
        emulator.set_order_status(order_id, "AWAITING_SHIPMENT")
        assert done.wait(5)
    finally:
        server.stop()
    body, authorization = received[0]
    assert verify_webhook_signature(SANDBOX_APP_KEY, SANDBOX_APP_SECRET, body, authorization)


def test_create_is_idempotent_with_the_same_key(api):
    body = product_body(api, seller_skus=("IDEM-P", "IDEM-M"))
    body["idempotency_key"] = "acme-feed-42-v1"
    first = api.create_product(body)
    again = api.create_product(body)
    assert first["product_id"] == again["product_id"]
    assert len(list(api.iter_products(seller_skus=["IDEM-P"]))) == 1


def test_bulk_outcomes_keep_failures_apart(api, emulator, shop_code, catalog):
    shop = emulator.shop_by_code(shop_code)
    emulator.seed_products(shop, catalog, count=2)
    product = next(iter(shop.products.values()))
    skus = [
        {"id": s["id"], "inventory": [{"warehouse_id": w, "quantity": 3} for w in shop.sales_warehouse_ids]}
        for s in product["skus"]
    ]
    outcomes = {o.item[0]: o for o in api.update_inventory_many([(product["id"], skus), ("404404", skus)])}
    assert outcomes[product["id"]].ok and outcomes[product["id"]].value.ok
    assert isinstance(outcomes["404404"].error, NotFoundError)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "product=202502,order=202507",
            {"POST /product/202502/products/search", "GET /order/202507/orders"},
        ),
        (
            "product=202509,order=202601",
            {
                "POST /product/202502/products/search",
                "PUT /product/202509/products/{product_id}",
                "POST /product/202509/products/{product_id}/partial_edit",
                "GET /order/202507/orders",
            },
        ),
    ],
)
def test_every_version_the_client_can_be_set_to_is_served(served, shop_code, api, spec, expected):
    emulator, url = served
    body = product_body(api)
    shop = emulator.shop_by_code(shop_code)
    with TikTokAuthClient(SANDBOX_APP_KEY, SANDBOX_APP_SECRET, url) as auth:
        token = auth.get_token(emulator.issue_auth_code(shop_code)).access_token.get_secret_value()
    emulator.reset_stats()
    with TikTokShopClient(
        SANDBOX_APP_KEY, SANDBOX_APP_SECRET, token, shop.cipher, base_url=url, versions=parse_versions(spec)
    ) as moved:
        created = moved.create_product(body)  # product create exists in 202309 only
        product_id = created["product_id"]
        found = moved.search_products(seller_skus=["CAM-P"]).items
        assert [p["id"] for p in found] == [product_id]
        moved.partial_edit_product(product_id, {"title": "Camiseta Básica 100% Algodão"})
        sku_ids = {s["seller_sku"]: s["id"] for s in moved.get_product(product_id)["skus"]}
        skus = [{**s, "id": sku_ids[s["seller_sku"]]} for s in body["skus"]]
        moved.edit_product(product_id, {**body, "title": "Camiseta Algodão", "skus": skus})
        assert shop.products[product_id]["title"] == "Camiseta Algodão"
        order_id = emulator.create_orders(shop_code, 1)[0]
        assert moved.get_order(order_id)["id"] == order_id
    assert expected <= set(emulator.stats()["calls"])


def test_a_version_older_than_the_familys_first_is_refused():
    with pytest.raises(ValueError, match="oldest product version is 202309"):
        parse_versions("product=202212")
