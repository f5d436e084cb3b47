"""What TikTok shows, read from a product search answer shaped as the platform documents it (reference §3:
SKU prices carry `sale_price` and `tax_exclusive_price`, never `amount`), not as the emulator answers."""

from decimal import Decimal

import httpx
import pytest

from tiktok_pipelines.channels.tiktok_shop.channel import TikTokShopSession, capabilities
from tiktok_pipelines.channels.tiktok_shop.client import TikTokShopClient, parse_price_fields
from tiktok_pipelines.core.models.offers import decode_target, encode_target
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.http import RetryPolicy
from tiktok_pipelines.lanes.stock_price.channel_state import read_channel_state
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines.stores.stock_price import ListedIds, SkuSyncStore
from tiktok_pipelines_tests.stores.test_registry import FIELDS


def documented_search(region: str = "BR") -> dict:
    """`data` of POST /product/202309/products/search with one product of two SKUs."""
    return {
        "products": [
            {
                "id": "1729592969712207000",
                "title": "Camiseta Básica",
                "status": "ACTIVATE",
                "sales_regions": [region],
                "skus": [
                    {
                        "id": "1729592969712207001",
                        "seller_sku": "CAM-P",
                        "price": {"currency": "BRL", "sale_price": "79.90", "tax_exclusive_price": "71.50"},
                        "inventory": [{"warehouse_id": "7068517275539719942", "quantity": 12}],
                    },
                    {
                        "id": "1729592969712207002",
                        "seller_sku": "CAM-M",
                        "price": {"currency": "BRL", "sale_price": "89.90", "tax_exclusive_price": "80.45"},
                        "inventory": [{"warehouse_id": "7068517275539719942", "quantity": 4}],
                    },
                ],
                "create_time": 1700000000,
                "update_time": 1700000500,
            }
        ],
        "next_page_token": "",
        "total_count": 1,
    }


def shop_answering(data: dict, **kwargs) -> TikTokShopSession:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/product/202309/products/search"
        return httpx.Response(200, json={"code": 0, "message": "Success", "request_id": "r1", "data": data})

    client = TikTokShopClient(
        "key",
        "secret",
        "token",
        "cipher",
        base_url="https://api.test",
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=1),
        rate_limit_per_second=1000,
        **kwargs,
    )
    return TikTokShopSession(client, capabilities())


@pytest.fixture
def store(state_db, registry):
    registry.add(build_client(**{**FIELDS, "client_id": "c1"}))
    store = SkuSyncStore(state_db)
    store.register(
        "c1",
        {
            "CAM-P": ListedIds("11", "1729592969712207000", "1729592969712207001"),
            "CAM-M": ListedIds("12", "1729592969712207000", "1729592969712207002"),
        },
    )
    believed = {"price": "99.90", "list_price": None, "currency": "BRL"}
    store.confirm("c1", "price", {"CAM-P": encode_target(believed), "CAM-M": encode_target(believed)})
    return store


def confirmed_prices(store: SkuSyncStore) -> dict[str, Decimal]:
    return {r.seller_sku: Decimal(decode_target(r.confirmed)["price"]) for r in store.rows("c1", "price")}


def test_the_price_tiktok_shows_is_read_from_the_documented_answer(store):
    report = read_channel_state(
        shop_answering(documented_search()), store, "c1", SyncLog("c1", "stock_price")
    )
    # A Brazilian shop's price is the sale_price: both SKUs drifted from what the sync believed.
    assert sorted((d["seller_sku"], d["shown"]) for d in report.price_drift) == [
        ("CAM-M", "89.90"),
        ("CAM-P", "79.90"),
    ]
    assert confirmed_prices(store) == {"CAM-P": Decimal("79.90"), "CAM-M": Decimal("89.90")}


def test_where_tax_is_added_on_top_the_configured_field_is_read(store):
    shop = shop_answering(
        documented_search(region="US"), price_fields=parse_price_fields("sale_price,US=tax_exclusive_price")
    )
    read_channel_state(shop, store, "c1", SyncLog("c1", "stock_price"))
    assert confirmed_prices(store) == {"CAM-P": Decimal("71.50"), "CAM-M": Decimal("80.45")}


def test_an_answer_without_a_readable_price_changes_no_price(store):
    data = documented_search()
    data["products"][0]["skus"][0]["price"] = {"currency": "BRL"}
    data["products"][0]["skus"][1]["price"] = {"currency": "BRL", "sale_price": "abc"}
    report = read_channel_state(shop_answering(data), store, "c1", SyncLog("c1", "stock_price"))
    assert report.price_drift == [] and report.skus_seen == 2
    assert confirmed_prices(store) == {"CAM-P": Decimal("99.90"), "CAM-M": Decimal("99.90")}


@pytest.mark.parametrize("spec", ["amount", "US=price", "BRA=sale_price", "sale_price,US"])
def test_a_bad_price_field_setting_is_refused(spec):
    with pytest.raises(ValueError, match="price field"):
        parse_price_fields(spec)
