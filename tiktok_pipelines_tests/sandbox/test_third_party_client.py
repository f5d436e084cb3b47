"""The TikTok Shop emulator driven by a client it was not written with: PyPI `tiktok-shop-api` 0.1.0, whose
models come from TikTok's published documentation.

The emulator must sign-check, answer and shape its envelopes so that this client works unchanged: tokens,
shops, warehouses, brands, categories, image upload, products create / get / search / edit / partial edit,
inventory and price updates, orders search and detail, packages, webhook subscriptions. It signs with its
own `Signer`, calls product search 202502, order detail 202507 and the 202509 edits, and parses answers
into attrs models, so a field the emulator shapes unlike the documentation breaks a model here.

Where this client departs from the reference, the test says so and works around it:
- it sends a list query parameter as a repeated key (`ids=A&ids=B`) where the platform takes one
  comma-separated value (the official SDK comma-joins); the emulator refuses the repeated key as the
  platform does, and the test sends the ids joined;
- its request model of `list_price` only takes the currencies of the markets its documentation lists (not
  BRL), so the product it creates has none.
"""

import logging
from io import BytesIO

import pytest
import tiktok_shop_api as tts
from tiktok_shop_api.generated import models
from tiktok_shop_api.generated.types import File, Unset

from tiktok_pipelines.sandbox.feeds.images import product_png
from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines.sandbox.tiktok_shop import (
    SANDBOX_APP_KEY,
    SANDBOX_APP_SECRET,
    EmulatorConfig,
    TikTokShopEmulator,
    create_tiktok_app,
    seed_attributes,
)

# Importing this client adds a redaction filter to the process's `httpx` logger; the project's own
# redaction is tested elsewhere and must not lean on it.
_httpx_log = logging.getLogger("httpx")
for _filter in [f for f in _httpx_log.filters if type(f).__module__.startswith("tiktok_shop_api")]:
    _httpx_log.removeFilter(_filter)

LEAF = "824330"


@pytest.fixture
def world():
    emulator = TikTokShopEmulator(EmulatorConfig())
    shop = emulator.add_shop("BRTP0001", "Loja Terceiros")
    server = ServerThread(create_tiktok_app(emulator)).start()
    emulator.config.base_url = server.url
    try:
        auth = tts.TikTokShopAuth(SANDBOX_APP_KEY, SANDBOX_APP_SECRET, base_url=server.url)
        tokens = auth.exchange_code(emulator.issue_auth_code(shop.code))
        app = tts.TikTokShop(SANDBOX_APP_KEY, SANDBOX_APP_SECRET, tokens.access_token, base_url=server.url)
        yield emulator, shop, auth, tokens, app
        app.close()
    finally:
        server.stop()
        emulator.webhooks.stop()


def product_body(emulator: TikTokShopEmulator, shop, uri: str, **extra) -> dict:
    leaf = emulator.categories[LEAF]
    return {
        "title": "Garrafa Térmica Inox 1L",
        "description": "<p>Mantém a temperatura por 12 horas.</p>",
        "category_id": leaf.id,
        "main_images": [{"uri": uri}],
        "package_weight": {"value": "0.6", "unit": "KILOGRAM"},
        "package_dimensions": {"length": "30", "width": "12", "height": "12", "unit": "CENTIMETER"},
        "product_attributes": seed_attributes(leaf),
        "certifications": [
            {"id": c["id"], "images": [{"uri": uri}]} for c in leaf.rules()["product_certifications"]
        ],
        "skus": [
            {
                "seller_sku": "TP-GARRAFA-1",
                "price": {"amount": "89.90", "currency": "BRL"},
                "inventory": [{"warehouse_id": w, "quantity": 7} for w in shop.sales_warehouse_ids],
            }
        ],
        **extra,
    }


def test_tokens_shops_and_app_level_reads(world):
    emulator, shop, auth, tokens, app = world
    assert tokens.access_token.startswith("TTP_") and tokens.seller_base_region == "BR"
    renewed = auth.refresh(tokens.refresh_token)
    assert renewed.access_token != tokens.access_token

    shops = app.authorization.get_authorized_shops().data.shops
    assert [(s.code, s.cipher, s.region) for s in shops] == [(shop.code, shop.cipher, "BR")]
    assert [s.id for s in app.seller.get_active_shops().data.shops] == [shop.id]

    api = app.with_shop(shop_cipher=shops[0].cipher)
    warehouses = api.logistics.get_warehouse_list().data.warehouses
    sales = [w.id for w in warehouses if w.type_ == "SALES_WAREHOUSE"]
    assert sales == shop.sales_warehouse_ids
    brands = api.products.get_brands(page_size=100, brand_name="Nike").data.brands
    assert [b.name for b in brands] == ["Nike"]
    created = api.products.create_custom_brands(body=models.CreateCustomBrandsRequest(name="Marca Terceira"))
    assert created.data.id == emulator.brands["marca terceira"]["id"]
    categories = api.products.get_categories().data.categories
    assert any(c.id == LEAF and c.is_leaf for c in categories)


def test_products_through_their_whole_life(world):
    emulator, shop, _auth, _tokens, app = world
    api = app.with_shop(shop_cipher=shop.cipher)
    upload = api.products.upload_product_image(
        body=models.UploadProductImageRequest(
            data=File(payload=BytesIO(product_png(1)), file_name="garrafa.png", mime_type="image/png"),
            use_case=models.UploadProductImageRequestUseCase.MAIN_IMAGE,
        )
    )
    uri = upload.data.uri
    assert uri in emulator.images and (upload.data.width, upload.data.height) == (600, 600)

    # No brand given: the answer leaves `brand` out (a null would not fit the documented model).
    body = product_body(emulator, shop, uri, save_mode="LISTING", idempotency_key="tp-garrafa-1")
    created = api.products.create_product(body=models.CreateProductRequest.from_dict(body)).data
    product_id, sku_id = created.product_id, created.skus[0].id

    product = api.products.get_product(product_id).data
    assert isinstance(product.brand, Unset)
    sku = product.skus[0]
    assert (sku.price.sale_price, sku.price.tax_exclusive_price, sku.price.currency) == (
        "89.90",
        "89.90",
        "BRL",
    )
    assert [c.id for c in product.category_chains][-1] == LEAF

    api.products.update_inventory(
        product_id,
        body=models.UpdateInventoryRequest.from_dict(
            {
                "skus": [
                    {
                        "id": sku_id,
                        "inventory": [{"warehouse_id": w, "quantity": 3} for w in shop.sales_warehouse_ids],
                    }
                ]
            }
        ),
    )
    api.products.update_price(
        product_id,
        body=models.UpdatePriceRequest.from_dict(
            {"skus": [{"id": sku_id, "price": {"amount": "79.90", "currency": "BRL"}}]}
        ),
    )
    # Product search 202502 (the only version this client has).
    found = api.products.search_products(
        page_size=10, body=models.SearchProductsRequest.from_dict({"seller_skus": ["TP-GARRAFA-1"]})
    ).data
    assert found.total_count == 1
    shown = found.products[0].skus[0]
    assert shown.price.sale_price == "79.90"
    assert [i.quantity for i in shown.inventory] == [3] * len(shop.sales_warehouse_ids)

    # Partial edit and full edit 202509.
    api.products.partial_edit_product(
        product_id, body=models.PartialEditProductRequest.from_dict({"title": "Garrafa Térmica Inox 1 Litro"})
    )
    assert shop.products[product_id]["title"] == "Garrafa Térmica Inox 1 Litro"
    full = product_body(emulator, shop, uri, title="Garrafa Térmica Inox")
    full["skus"][0]["id"] = sku_id
    api.products.edit_product(product_id, body=models.EditProductRequest.from_dict(full))
    assert shop.products[product_id]["title"] == "Garrafa Térmica Inox"
    calls = emulator.stats()["calls"]
    for endpoint in (
        "POST /product/202502/products/search",
        "POST /product/202509/products/{product_id}/partial_edit",
        "PUT /product/202509/products/{product_id}",
    ):
        assert calls[endpoint] == 1, endpoint


def test_orders_packages_and_webhooks(world):
    from tiktok_pipelines.sandbox.catalog import generate_catalog

    emulator, shop, _auth, _tokens, app = world
    api = app.with_shop(shop_cipher=shop.cipher)
    emulator.seed_products(shop, generate_catalog(5, seed=3), count=3)
    order_ids = emulator.create_orders(shop.code, 2)

    listed = api.orders.get_order_list(page_size=10, body=models.GetOrderListRequest.from_dict({})).data
    assert sorted(o.id for o in listed.orders) == sorted(order_ids) and listed.total_count == 2

    detail = api.orders.get_order_detail(ids=[order_ids[0]]).data.orders[0]  # order detail 202507
    assert detail.id == order_ids[0] and detail.status == "AWAITING_SHIPMENT"
    assert detail.payment.total_amount == shop.orders[order_ids[0]]["payment"]["total_amount"]
    assert [li.sku_id for li in detail.line_items] == [
        li["sku_id"] for li in shop.orders[order_ids[0]]["line_items"]
    ]

    # This client repeats the key for a list (`ids=A&ids=B`); the platform takes one comma-separated
    # value and refuses a repeated key with its parameter error. One joined value works.
    with pytest.raises(tts.TikTokShopError) as refused:
        api.orders.get_order_detail(ids=order_ids)
    assert refused.value.code == 36009004 and "`ids`" in refused.value.message
    both = api.orders.get_order_detail(ids=[",".join(order_ids)]).data.orders
    assert sorted(o.id for o in both) == sorted(order_ids)

    packages = api.fulfillment.search_package(page_size=10, body=models.SearchPackageRequest.from_dict({}))
    package_ids = {pkg["id"] for o in order_ids for pkg in shop.orders[o]["packages"]}
    assert {(p.id, p.status) for p in packages.data.packages} == {(i, "TO_FULFILL") for i in package_ids}
    one = next(iter(package_ids))
    assert api.fulfillment.get_package_detail(one).data.package_id == one

    api.event.update_shop_webhook(
        body=models.UpdateShopWebhookRequest.from_dict(
            {"address": "https://receiver.example/webhooks/tiktok", "event_type": "ORDER_STATUS_CHANGE"}
        )
    )
    hooks = api.event.get_shop_webhooks().data.webhooks
    assert [(h.event_type, h.address) for h in hooks] == [
        ("ORDER_STATUS_CHANGE", "https://receiver.example/webhooks/tiktok")
    ]
