"""Stock and prices on Mercado Livre (the `OfferApi` of its session, reference §5): one
`PUT /items/{id}` per item with only what changed.

An item without variations is its own SKU (its channel SKU id is the item id): `available_quantity` and
`price` go on the item. An item with variations takes them per variation, and each variation sent
carries its `id`, and every other variation of the item is sent too, by its id alone: Mercado Livre
deletes a variation a write leaves out, and creates one sent without its id anew, losing its sales.
The item's variations are therefore read before the write (a read, not a write). Mercado Livre keeps one quantity per item or variation: the quantities a push names for the
channel's warehouses are added up. Prices are equal across an item's variations on Mercado Livre; the
price of a variation is still sent with it.

A refused write is refused whole (400 with causes): every SKU of the push is counted refused with the
platform's words.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from tiktok_pipelines.channels.mercado_livre.client import MercadoLivreClient
from tiktok_pipelines.core.models import offers as model
from tiktok_pipelines.core.models.offers import ONE_STOCK

ONE_PRICE = "item.variations.price.different"


def seller_sku(holder: dict[str, Any]) -> str | None:
    for attribute in holder.get("attributes") or []:
        if attribute.get("id") == "SELLER_SKU":
            return attribute.get("value_name")
    return holder.get("seller_custom_field")


def price_of(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def money(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def item_write(
    item_id: str, variation_ids: Sequence[int], fields_by_sku: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The body of a `PUT /items/{id}` setting `fields_by_sku` (channel SKU id → fields): on the item
    when it is its own SKU, else on each variation named by its id, every other variation of the item
    (`variation_ids`) kept by its id."""
    if not variation_ids:
        return fields_by_sku.get(item_id, {})
    return {"variations": [{"id": v} | fields_by_sku.get(str(v), {}) for v in variation_ids]}


def listed_offers_of(item: dict[str, Any]) -> model.ProductOffers:
    item_id = str(item["id"])
    holders = item.get("variations") or [item]
    offers = tuple(
        model.ListedOffer(
            channel_product_id=item_id,
            channel_sku_id=str(holder["id"]),
            seller_sku=seller_sku(holder) or (seller_sku(item) if holder is item else None),
            quantities={ONE_STOCK: int(holder.get("available_quantity") or 0)},
            price=price_of(holder.get("price", item.get("price"))),
            currency=item.get("currency_id"),
        )
        for holder in holders
    )
    return model.ProductOffers(item_id, offers)


class MercadoLivreOffers:
    """Stock and prices of a seller's items (`api`, `seller_id`)."""

    api: MercadoLivreClient
    seller_id: str

    def _write(self, item_id: str, fields: dict[str, dict[str, Any]]) -> model.PushResult:
        item = self.api.request("GET", f"/items/{item_id}", params={"attributes": "id,variations"})
        variation_ids = [int(v["id"]) for v in item.get("variations") or []]
        self.api.request("PUT", f"/items/{item_id}", json=item_write(item_id, variation_ids, fields))
        return model.PushResult()

    def push_inventory(
        self, channel_product_id: str, updates: Sequence[model.StockUpdate]
    ) -> model.PushResult:
        fields = {u.channel_sku_id: {"available_quantity": sum(u.quantities.values())} for u in updates}
        return self._write(channel_product_id, fields)

    def push_prices(self, channel_product_id: str, updates: Sequence[model.PriceUpdate]) -> model.PushResult:
        prices = sorted({u.target.price for u in updates})
        if len(prices) > 1:
            message = f"Mercado Livre shows one price per item; its variations were asked {prices}"
            return model.PushResult(
                {u.channel_sku_id: model.SkuRefusal(u.channel_sku_id, ONE_PRICE, message) for u in updates}
            )
        if prices:
            self.api.request("PUT", f"/items/{channel_product_id}", json={"price": money(prices[0])})
        return model.PushResult()

    def listed_offers(self) -> Iterator[model.ProductOffers]:
        ids = list(self.api.seller_item_ids(self.seller_id))
        for item in self.api.items(ids):
            if item.get("status") != "closed":
                yield listed_offers_of(item)
