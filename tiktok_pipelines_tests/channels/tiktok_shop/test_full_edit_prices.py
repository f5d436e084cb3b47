"""A full edit keeps the price TikTok shows for the SKUs it already has. The product is read with get
product; its answer is shaped as the platform documents it (reference §3: `sale_price` and
`tax_exclusive_price`, never `amount`), and the edit must send that price as `amount`, never "None"."""

import json

import httpx

from tiktok_pipelines.channels.base.catalog import ListingWrite
from tiktok_pipelines.channels.tiktok_shop.channel import TikTokShopSession, capabilities
from tiktok_pipelines.channels.tiktok_shop.client import TikTokShopClient
from tiktok_pipelines.core.models.products import Variant
from tiktok_pipelines.http import RetryPolicy
from tiktok_pipelines_tests.channels.tiktok_shop.test_listing import draft_of, feed, vtex

PRODUCT_ID = "1729592969712207000"


def documented_product(skus: list[dict]) -> dict:
    """`data` of GET /product/202309/products/{product_id} (the fields a full edit reads)."""
    return {
        "id": PRODUCT_ID,
        "title": "Camiseta Pro",
        "status": "ACTIVATE",
        "category_chains": [
            {"id": "824330", "parent_id": "824328", "local_name": "Camisetas", "is_leaf": True}
        ],
        "main_images": [{"uri": "tos-maliva-i-o3syd03w52-us/abc", "urls": ["https://p16/abc"], "width": 800}],
        "skus": skus,
        "create_time": 1700000000,
        "update_time": 1700000500,
    }


def documented_sku(sku_id: str, seller_sku: str, price: dict) -> dict:
    return {
        "id": sku_id,
        "seller_sku": seller_sku,
        "price": price,
        "inventory": [{"warehouse_id": "W1", "quantity": 6}],
        "sales_attributes": [
            {"id": "100000", "name": "Tamanho", "value_id": "7001", "value_name": seller_sku}
        ],
    }


class Images:
    def resolve(self, refs):
        return {ref: f"uri:{ref[0]}" for ref in refs}, {}


def full_edit(product: dict) -> dict:
    """Runs a full edit of the draft's product against TikTok answering `product`; returns the PUT body."""
    sent: dict = {}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            data = product
        else:
            sent.update(json.loads(request.content))
            data = {
                "product_id": PRODUCT_ID,
                "skus": [{"id": "S" + s["seller_sku"], **s} for s in sent["skus"]],
            }
        return httpx.Response(200, json={"code": 0, "message": "Success", "request_id": "r", "data": data})

    shop = TikTokShopClient(
        "key",
        "secret",
        "token",
        "cipher",
        base_url="https://api.test",
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=1),
        rate_limit_per_second=1000,
    )
    session = TikTokShopSession(shop, capabilities())
    draft = draft_of([Variant(feed("P"), vtex("P")), Variant(feed("M"), vtex("M"))])
    # Nothing known of what was pushed: a full edit.
    result = session.update_listing(
        draft, ListingWrite(Images(), {}, ["W1"], "k"), channel_product_id=PRODUCT_ID, pushed=None
    )
    assert result.ok, result.message
    return {s["seller_sku"]: s for s in sent["skus"]}


def test_a_full_edit_keeps_the_price_tiktok_shows():
    skus = full_edit(
        documented_product(
            [
                documented_sku(
                    "SP", "P", {"currency": "BRL", "sale_price": "84.90", "tax_exclusive_price": "84.90"}
                ),
                documented_sku(
                    "SM", "M", {"currency": "BRL", "sale_price": "79.90", "tax_exclusive_price": "79.90"}
                ),
            ]
        )
    )
    assert skus["P"]["id"] == "SP" and skus["P"]["price"] == {"amount": "84.90", "currency": "BRL"}
    assert skus["M"]["price"] == {"amount": "79.90", "currency": "BRL"}


def test_a_sku_whose_price_tiktok_does_not_show_gets_the_feeds():
    skus = full_edit(
        documented_product(
            [
                documented_sku("SP", "P", {"currency": "BRL"}),
                documented_sku(
                    "SM", "M", {"currency": "BRL", "sale_price": "79.90", "tax_exclusive_price": "79.90"}
                ),
            ]
        )
    )
    assert skus["P"]["price"] == {"amount": "99.90", "currency": "BRL"}  # the feed's price
    assert skus["M"]["price"] == {"amount": "79.90", "currency": "BRL"}
