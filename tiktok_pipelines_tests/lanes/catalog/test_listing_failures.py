"""A parameter error TikTok gives one product costs that product, never the run: it is not read as a
credentials problem because its message names a token, and repeated, it pauses the product."""

import json

import httpx

from tiktok_pipelines.channels.tiktok_shop.channel import TikTokShopSession, capabilities
from tiktok_pipelines.channels.tiktok_shop.client import TikTokShopClient
from tiktok_pipelines.channels.tiktok_shop.listing import build_draft
from tiktok_pipelines.core.models.listings import ListingOptions
from tiktok_pipelines.core.models.products import Product, Variant
from tiktok_pipelines.http import RetryPolicy
from tiktok_pipelines.lanes.catalog.listings import ListingPublisher
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.channels.tiktok_shop.test_listing import choice, feed, vtex
from tiktok_pipelines_tests.stores.test_registry import FIELDS

REFUSAL = "invalid param error: page_token of the size chart is not valid"


class Images:
    def resolve(self, refs):
        return {ref: f"uri:{ref[0]}" for ref in refs}, {}


def draft(group: str, sku: str):
    return build_draft(
        Product(group, [Variant(feed(sku, item_group_id=group), vtex(sku))]),
        choice(),
        "B1",
        None,
        lambda a: None,
        ListingOptions(),
    )


def tiktok(request: httpx.Request) -> httpx.Response:
    def envelope(code=0, data=None, message="Success"):
        return httpx.Response(200, json={"code": code, "message": message, "request_id": "r", "data": data})

    if request.url.path.endswith("/products/search"):
        return envelope(data={"products": [], "next_page_token": "", "total_count": 0})
    body = json.loads(request.content)
    sku = body["skus"][0]["seller_sku"]
    if sku == "BAD":
        return envelope(36009004, message=REFUSAL)
    return envelope(data={"product_id": f"P-{sku}", "skus": [{"id": f"S-{sku}", "seller_sku": sku}]})


def test_a_parameter_error_fails_one_product_and_pauses_it_when_repeated(state_db, registry):
    registry.add(build_client(**{**FIELDS, "client_id": "c1"}))
    shop = TikTokShopClient(
        "key",
        "secret",
        "token",
        "cipher",
        base_url="https://api.test",
        transport=httpx.MockTransport(tiktok),
        retry=RetryPolicy(attempts=1),
        rate_limit_per_second=1000,
    )
    listings = ListingMap(state_db)
    session = TikTokShopSession(shop, capabilities())
    publisher = ListingPublisher(
        session,
        Images(),
        listings,
        "c1",
        warehouse_ids=["W1"],
        stock=lambda skus: ({}, []),
        prices=lambda draft: {},
        pause_after=2,
    )
    good, bad = draft("G-OK", "OK"), draft("G-BAD", "BAD")
    for run in (1, 2):
        report = publisher.push(
            [good, bad] if run == 1 else [bad], [], {}, {}, {}
        )  # never raises ChannelAuthError
        results = {r.product_key: r for r in report.results}
        assert not results["G-BAD"].ok and not results["G-BAD"].systemic
        assert REFUSAL in results["G-BAD"].message
    assert listings.product("c1", "G-OK").channel_product_id == "P-OK"
    failed = listings.product("c1", "G-BAD")
    assert failed.failures == 2 and failed.paused
