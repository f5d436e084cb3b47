"""Stock and prices on TikTok Shop: the payloads of the inventory and price updates, their answers as
per-SKU results, and a product search read as offers, against answers shaped as reference §3 documents
them."""

import json
from decimal import Decimal

import httpx
import pytest

from tiktok_pipelines.channels.base import ChannelRefusedError
from tiktok_pipelines.channels.tiktok_shop.channel import TikTokShopSession, capabilities
from tiktok_pipelines.channels.tiktok_shop.client import TikTokShopClient
from tiktok_pipelines.channels.tiktok_shop.offers import inventory_item, missing_warehouses, price_item
from tiktok_pipelines.core.models.offers import (
    ListedOffer,
    PriceTarget,
    PriceUpdate,
    SkuRefusal,
    StockUpdate,
    encode_target,
)
from tiktok_pipelines.http import RetryPolicy


def test_payload_items_and_errors():
    assert inventory_item("S1", {"T2": 0, "T1": 5}) == {
        "id": "S1",
        "inventory": [{"warehouse_id": "T1", "quantity": 5}, {"warehouse_id": "T2", "quantity": 0}],
    }
    assert price_item("S1", {"price": "9.90", "list_price": "12.90", "currency": "BRL"}) == {
        "id": "S1",
        "price": {"amount": "9.90", "currency": "BRL"},
        "list_price": {"amount": "12.90", "currency": "BRL"},
    }
    detail = {
        "sku_id": "S1",
        "extra_errors": [
            {"warehouse_id": "T2", "code": 12019028, "message": "all warehouses of the sku must be listed"},
            {"warehouse_id": "T3", "code": 12019030, "message": "quantity"},
        ],
    }
    assert missing_warehouses(detail) == ["T2"]
    assert encode_target({"b": 1, "a": 2}) == '{"a":2,"b":1}'


class Shop:
    """A TikTok Shop answering each request with the next of `answers` (envelope code, data), recording
    what it was sent."""

    def __init__(self, *answers: tuple[int, dict]):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        code, data = self.answers.pop(0)
        message = "Success" if code == 0 else "The price of the SKU is locked by a promotion"
        return httpx.Response(200, json={"code": code, "message": message, "request_id": "r1", "data": data})

    def session(self) -> TikTokShopSession:
        client = TikTokShopClient(
            "key",
            "secret",
            "token",
            "cipher",
            base_url="https://api.test",
            transport=httpx.MockTransport(self.handler),
            retry=RetryPolicy(attempts=1),
            rate_limit_per_second=1000,
        )
        return TikTokShopSession(client, capabilities())

    def body(self, i: int = 0) -> dict:
        return json.loads(self.requests[i].content)


def test_an_inventory_push_lists_every_warehouse_and_answers_per_sku():
    refused = {
        "code": 12019028,
        "message": "The inventory of all warehouses of the SKU must be updated",
        "detail": {
            "sku_id": "702",
            "extra_errors": [{"warehouse_id": "W9", "code": 12019028, "message": "missing warehouse"}],
        },
    }
    shop = Shop((0, {"errors": [refused]}))

    result = shop.session().push_inventory(
        "P1", [StockUpdate("701", {"W2": 0, "W1": 7}), StockUpdate("702", {"W1": 3})]
    )

    assert shop.requests[0].url.path == "/product/202309/products/P1/inventory/update"
    assert shop.body()["skus"] == [
        {
            "id": "701",
            "inventory": [{"warehouse_id": "W1", "quantity": 7}, {"warehouse_id": "W2", "quantity": 0}],
        },
        {"id": "702", "inventory": [{"warehouse_id": "W1", "quantity": 3}]},
    ]
    assert result.refusal("701") is None
    refusal = result.refusal("702")
    assert refusal == SkuRefusal(
        "702",
        "12019028",
        "The inventory of all warehouses of the SKU must be updated " + json.dumps(refused["detail"]),
        ("W9",),
    )


def test_a_price_push_sends_amounts_and_a_locked_price_is_a_refusal():
    shop = Shop((0, {}), (12019045, {}))
    session = shop.session()
    update = PriceUpdate("701", PriceTarget(Decimal("59.90"), Decimal("79.90"), "BRL"))

    assert session.push_prices("P1", [update]).ok
    assert shop.body()["skus"] == [
        {
            "id": "701",
            "price": {"amount": "59.90", "currency": "BRL"},
            "list_price": {"amount": "79.90", "currency": "BRL"},
        }
    ]
    with pytest.raises(ChannelRefusedError) as caught:
        session.push_prices("P1", [update])
    assert caught.value.code == 12019045


def test_a_product_search_is_read_as_offers_page_by_page():
    def product(pid: str, skus: list[dict]) -> dict:
        return {"id": pid, "status": "ACTIVATE", "sales_regions": ["BR"], "skus": skus}

    first = product(
        "P1",
        [
            {
                "id": "701",
                "seller_sku": "CAM-P",
                "price": {"currency": "BRL", "sale_price": "79.90", "tax_exclusive_price": "71.50"},
                "inventory": [{"warehouse_id": "W1", "quantity": 12}, {"warehouse_id": "W2", "quantity": 0}],
            },
            {"id": "702", "seller_sku": "CAM-M", "price": {"currency": "BRL"}, "inventory": []},
        ],
    )
    shop = Shop(
        (0, {"products": [first], "next_page_token": "t2", "total_count": 2}),
        (0, {"products": [product("P2", [])], "next_page_token": "", "total_count": 2}),
    )

    listed = list(shop.session().listed_offers())

    assert [p.channel_product_id for p in listed] == ["P1", "P2"]
    assert listed[0].offers == (
        ListedOffer("P1", "701", "CAM-P", {"W1": 12, "W2": 0}, Decimal("79.90"), "BRL"),
        ListedOffer("P1", "702", "CAM-M", {}, None, "BRL"),
    )
    assert listed[1].offers == ()
    assert [r.url.params["page_token"] for r in shop.requests[1:]] == ["t2"]
