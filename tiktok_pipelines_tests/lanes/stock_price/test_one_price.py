"""A channel whose products show one price for all their SKUs (`Capabilities.one_price`, Mercado Livre):
the VTEX reads give every SKU of a product the product's price, the highest of its SKUs' own, whichever
of them a run reads."""

from decimal import Decimal
from types import SimpleNamespace

from tiktok_pipelines.channels.mercado_livre.channel import capabilities as mercado_livre
from tiktok_pipelines.core.models.offers import decode_target
from tiktok_pipelines.core.stock_price import StockPriceOptions
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.lanes.stock_price.vtex_reads import VtexRead
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines.stores.stock_price import ListedIds, SkuSyncStore
from tiktok_pipelines.vtex.client import BulkResult
from tiktok_pipelines_tests.stores.test_registry import FIELDS

C = FIELDS["client_id"]
CHANNEL = "mercado_livre"


class Prices:
    """VTEX's computed prices by VTEX SKU id (selling price, list price)."""

    def __init__(self, **prices: str):
        self.prices = prices

    def computed_prices_many(self, ids, trade_policy):
        return BulkResult(
            {i: SimpleNamespace(selling_price=Decimal(self.prices[i]), list_price=None) for i in ids}
        )


def read(registry, state_db, vtex: Prices, *skus: str) -> dict[str, str]:
    """Reads the SKUs named (of the item I1 and its variations V1-V3) and stores the targets; every
    SKU's price target after."""
    client = registry.get(C)
    store = SkuSyncStore(state_db, CHANNEL)
    rows = store.rows(C, "price", list(skus))
    options = StockPriceOptions.from_client_options({})
    caps = {CHANNEL: mercado_livre()}
    reading = VtexRead(vtex, client, options, SyncLog(C, "stock_price", CHANNEL), caps, {CHANNEL: store})
    reading.prices(rows).save({CHANNEL: store}, C, "run")
    return {r.seller_sku: decode_target(r.target)["price"] for r in store.rows(C, "price")}


def test_every_sku_of_an_item_wants_its_highest_price_whichever_are_read(registry, state_db):
    registry.add(build_client(**FIELDS))
    SkuSyncStore(state_db, CHANNEL).register(C, {s: ListedIds(s, "I1", f"V{s}") for s in ("1", "2", "3")})

    # One variation on sale: the item keeps the price of the others.
    assert read(registry, state_db, Prices(**{"1": "99.90", "2": "69.93", "3": "99.90"}), "1", "2", "3") == {
        "1": "99.90",
        "2": "99.90",
        "3": "99.90",
    }
    # One of the two dearest goes on sale too (only it read): the other still holds the price.
    assert set(read(registry, state_db, Prices(**{"1": "59.90"}), "1").values()) == {"99.90"}
    # The last one too: the item's price is now the highest of what VTEX says of each, SKUs not read
    # included.
    assert read(registry, state_db, Prices(**{"3": "59.90"}), "3") == {
        "1": "69.93",
        "2": "69.93",
        "3": "69.93",
    }
