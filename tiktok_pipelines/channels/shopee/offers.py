"""Stock and prices on Shopee (the `OfferApi` of its session, reference §5): `update_stock` and
`update_price` per model of one item (1 to 50 entries a call, each succeeding or failing alone, answered in
`success_list` / `failure_list`), and the shop's items read back with their models as offers.

Ids: an item is the channel's product (`item_id`); a model is the channel's SKU (`model_id`). An item
without models has one SKU, model 0 of the platform, named `<item_id>:0` here so that it stays unique in
the shop (`sku_id`, `model_id_of`). A local shop keeps one stock per model: the units of every warehouse
of a target are summed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from tiktok_pipelines.channels.shopee.client import ShopeeClient
from tiktok_pipelines.core.models import offers as model

ENTRIES_PER_CALL = 50
ITEMS_PER_PAGE = 100
ITEMS_PER_INFO_CALL = 50
LISTED_STATUSES = ("NORMAL", "UNLIST")


def sku_id(item_id: Any, model_id: Any) -> str:
    """The channel SKU id of a model (`<item_id>:0` for an item without models)."""
    return str(model_id) if int(model_id or 0) else f"{item_id}:0"


def model_id_of(channel_sku_id: str) -> int:
    return 0 if ":" in channel_sku_id else int(channel_sku_id)


def _chunks(entries: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(entries), size):
        yield entries[start : start + size]


def _price(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01")) if value is not None else None
    except InvalidOperation:
        return None


def per_model(
    api: ShopeeClient, path: str, key: str, item_id: str, entries: Sequence[dict[str, Any]]
) -> model.PushResult:
    """`update_stock` / `update_price` of one item, 50 entries a call; the refused models by SKU id."""
    refused: dict[str, model.SkuRefusal] = {}
    for chunk in _chunks(entries, ENTRIES_PER_CALL):
        answer = api.response("POST", path, json={"item_id": int(item_id), key: list(chunk)})
        for failure in answer.get("failure_list") or []:
            sku = sku_id(item_id, failure.get("model_id"))
            refused[sku] = model.SkuRefusal(
                sku, path.rsplit("/", 1)[-1], str(failure.get("failed_reason") or "")
            )
    return model.PushResult(refused)


def stock_of(info: Mapping[str, Any]) -> int:
    summary = (info.get("stock_info_v2") or {}).get("summary_info") or {}
    return int(summary.get("total_available_stock") or 0)


def price_of(info: Mapping[str, Any]) -> tuple[Decimal | None, str | None]:
    prices = info.get("price_info") or []
    first = prices[0] if prices else {}
    return _price(first.get("original_price")), first.get("currency")


class ShopeeOffers:
    """Stock and prices on Shopee (the `OfferApi` of its session)."""

    api: ShopeeClient

    def push_inventory(
        self, channel_product_id: str, updates: Sequence[model.StockUpdate]
    ) -> model.PushResult:
        entries = [
            {
                "model_id": model_id_of(u.channel_sku_id),
                "seller_stock": [{"stock": max(0, sum(int(q) for q in u.quantities.values()))}],
            }
            for u in updates
        ]
        return per_model(self.api, "/api/v2/product/update_stock", "stock_list", channel_product_id, entries)

    def push_prices(self, channel_product_id: str, updates: Sequence[model.PriceUpdate]) -> model.PushResult:
        # Shopee shows one price per model (`original_price`); the list price has no field of its own.
        entries = [
            {"model_id": model_id_of(u.channel_sku_id), "original_price": float(u.target.price)}
            for u in updates
        ]
        return per_model(self.api, "/api/v2/product/update_price", "price_list", channel_product_id, entries)

    def item_ids(
        self, statuses: Sequence[str] = LISTED_STATUSES, since: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of the shop in these statuses (`update_time` from `since`), offset paging."""
        offset = 0
        while True:
            params: list[tuple[str, Any]] = [("offset", offset), ("page_size", ITEMS_PER_PAGE)]
            params += [("item_status", s) for s in statuses]
            if since is not None:
                params.append(("update_time_from", since))
            page = self.api.response("GET", "/api/v2/product/get_item_list", params=params)
            yield from page.get("item") or []
            if not page.get("has_next_page"):
                return
            offset = int(page["next_offset"])

    def item_infos(self, item_ids: Sequence[int]) -> Iterator[dict[str, Any]]:
        """`get_item_base_info` of these items, 50 a call."""
        for chunk in _chunks(list(item_ids), ITEMS_PER_INFO_CALL):
            answer = self.api.response(
                "GET",
                "/api/v2/product/get_item_base_info",
                params={"item_id_list": ",".join(map(str, chunk))},
            )
            yield from answer.get("item_list") or []

    def models(self, item_id: int) -> dict[str, Any]:
        return self.api.response("GET", "/api/v2/product/get_model_list", params={"item_id": item_id})

    def listed_offers(self) -> Iterator[model.ProductOffers]:
        ids = [int(i["item_id"]) for i in self.item_ids()]
        for info in self.item_infos(ids):
            item_id = str(info["item_id"])
            if not info.get("has_model"):
                price, currency = price_of(info)
                offer = model.ListedOffer(
                    item_id,
                    sku_id(item_id, 0),
                    info.get("item_sku") or None,
                    {"": stock_of(info)},
                    price,
                    currency,
                )
                yield model.ProductOffers(item_id, (offer,))
                continue
            offers = []
            for found in self.models(int(item_id)).get("model") or []:
                price, currency = price_of(found)
                offers.append(
                    model.ListedOffer(
                        item_id,
                        sku_id(item_id, found["model_id"]),
                        found.get("model_sku") or None,
                        {"": stock_of(found)},
                        price,
                        currency,
                    )
                )
            yield model.ProductOffers(item_id, tuple(offers))
