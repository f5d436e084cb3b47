"""Stock and prices on TikTok Shop (the `OfferApi` of its session): the payloads of
`POST /product/202309/products/{product_id}/inventory/update` and `.../prices/update`, their answers, and
the SKUs of a product search read as offers (reference §3).

An inventory update must list every warehouse of each SKU; it is answered with code 0 and the SKUs it
refused in `errors[]`, a left-out warehouse as 12019028 in the error's `extra_errors`. A price update is
accepted or refused whole (a price locked by a promotion: 12019045), raised by the client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from tiktok_pipelines.channels.tiktok_shop.client import ItemError, TikTokShopClient
from tiktok_pipelines.core.models.offers import (
    ListedOffer,
    PriceUpdate,
    ProductOffers,
    PushResult,
    SkuRefusal,
    StockUpdate,
)

MISSING_WAREHOUSE_CODE = 12019028  # inventory update that leaves out a warehouse of the SKU
SEARCH_PAGE_SIZE = 100


def inventory_item(tiktok_sku_id: str, target: Mapping[str, int]) -> dict[str, Any]:
    """One SKU of an inventory update: every warehouse listed."""
    return {
        "id": tiktok_sku_id,
        "inventory": [{"warehouse_id": wh, "quantity": int(q)} for wh, q in sorted(target.items())],
    }


def price_item(tiktok_sku_id: str, target: Mapping[str, Any]) -> dict[str, Any]:
    """One SKU of a price update (`target` as `PriceTarget.as_dict`)."""
    return {
        "id": tiktok_sku_id,
        "price": {"amount": str(target["price"]), "currency": target["currency"]},
        "list_price": {"amount": str(target["list_price"]), "currency": target["currency"]},
    }


def missing_warehouses(detail: Mapping[str, Any]) -> list[str]:
    """Warehouses a refused inventory update left out (12019028 in `extra_errors`)."""
    return sorted(
        str(e.get("warehouse_id"))
        for e in detail.get("extra_errors") or []
        if int(e.get("code") or 0) == MISSING_WAREHOUSE_CODE and e.get("warehouse_id")
    )


def sku_refusal(error: ItemError) -> SkuRefusal:
    """A SKU an inventory update refused, from its entry in `errors[]`."""
    return SkuRefusal(
        channel_sku_id=str(error.detail.get("sku_id")),
        code=str(error.code),
        message=f"{error.message} {json.dumps(error.detail)[:300]}",
        missing_warehouses=tuple(missing_warehouses(error.detail)),
    )


def actual_stock(tiktok_sku: Mapping[str, Any]) -> dict[str, int]:
    """Quantity per warehouse of a SKU as TikTok shows it (product search / detail)."""
    return {
        str(i.get("warehouse_id")): int(i.get("quantity") or 0) for i in tiktok_sku.get("inventory") or []
    }


def listed_offer(product: Mapping[str, Any], sku: Mapping[str, Any], price: Decimal | None) -> ListedOffer:
    """A SKU of a product answer as an offer; `price` is the one the seller set, read by the client
    from the field its configuration names for the product's sales region."""
    return ListedOffer(
        channel_product_id=str(product.get("id")),
        channel_sku_id=str(sku.get("id")),
        seller_sku=sku.get("seller_sku"),
        quantities=actual_stock(sku),
        price=price,
        currency=(sku.get("price") or {}).get("currency"),
    )


class TikTokOffers:
    """Stock and prices on TikTok Shop (the `OfferApi` of its session)."""

    api: TikTokShopClient

    def push_inventory(self, channel_product_id: str, updates: Sequence[StockUpdate]) -> PushResult:
        answer = self.api.update_inventory(
            channel_product_id, [inventory_item(u.channel_sku_id, u.quantities) for u in updates]
        )
        return PushResult({r.channel_sku_id: r for r in map(sku_refusal, answer.errors)})

    def push_prices(self, channel_product_id: str, updates: Sequence[PriceUpdate]) -> PushResult:
        self.api.update_prices(
            channel_product_id, [price_item(u.channel_sku_id, u.target.as_dict()) for u in updates]
        )
        return PushResult()

    def listed_offers(self) -> Iterator[ProductOffers]:
        for product in self.api.iter_products(page_size=SEARCH_PAGE_SIZE):
            skus = product.get("skus") or []
            yield ProductOffers(
                str(product.get("id")),
                tuple(listed_offer(product, s, self.api.listed_price(product, s)) for s in skus),
            )
