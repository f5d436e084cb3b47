"""Users (reference §4): the sellers of the sandbox, `/users/me` (the token's user, in full) and
`/users/{id}` (the public part); and the seeded listings: a merchant catalog's products listed on a
seller directly, as if published earlier, so the buyer simulator works before any pipeline has run."""

from __future__ import annotations

import random
import re
from typing import TYPE_CHECKING, Any

from tiktok_pipelines.sandbox.mercado_livre.categories import LEAF_BY_CATALOG_CATEGORY
from tiktok_pipelines.sandbox.mercado_livre.errors import not_found
from tiktok_pipelines.sandbox.mercado_livre.routes import Call, table
from tiktok_pipelines.sandbox.mercado_livre.state import CURRENCY, Seller

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.catalog import Catalog, Product


def catalog_item(product: Product, store_url: str) -> dict[str, Any]:
    """The body a seller would post for a catalog product: its leaf, required attributes, one price for
    every variation (the highest), SELLER_SKU and GTIN per SKU, pictures by URL."""
    leaf = LEAF_BY_CATALOG_CATEGORY[product.category.id]
    attributes = [
        {"id": "BRAND", "value_name": product.brand.name},
        {"id": "MODEL", "value_name": product.slug[:60]},
        {"id": "GENDER", "value_name": "Sem gênero"},
    ]
    pictures = [{"source": f"{store_url}/arquivos/ids/{image}.jpg"} for image in product.skus[0].image_ids]
    body: dict[str, Any] = {
        "title": product.name[:60],
        "category_id": leaf.id,
        "price": float(max(sku.price for sku in product.skus)),
        "currency_id": CURRENCY,
        "buying_mode": "buy_it_now",
        "listing_type_id": "gold_special",
        "condition": "new",
        "pictures": pictures,
        "description": {"plain_text": re.sub(r"<[^>]+>", "", product.description)},
    }
    sku_attributes = [
        [{"id": "SELLER_SKU", "value_name": str(sku.sku_id)}, {"id": "GTIN", "value_name": sku.ean}]
        for sku in product.skus
    ]
    if len(product.skus) == 1:
        body["available_quantity"] = product.skus[0].available
        body["attributes"] = attributes + sku_attributes[0]
        body["seller_custom_field"] = product.skus[0].ref_id
        return body
    body["attributes"] = attributes
    body["variations"] = [
        {
            "attribute_combinations": [
                {"id": attribute_id, "value_name": value}
                for attribute_id, value in (("COLOR", sku.color), ("SIZE", sku.size))
                if value and attribute_id in leaf.variation_attributes
            ],
            "available_quantity": sku.available,
            "attributes": sku_attributes[i],
            "seller_custom_field": sku.ref_id,
        }
        for i, sku in enumerate(product.skus)
    ]
    return body


class UsersMixin:
    """Sellers and their seeded listings, of `MercadoLivreEmulator`."""

    def add_seller(
        self, nickname: str, first_name: str = "Loja", last_name: str = "Sandbox", operator: bool = False
    ) -> Seller:
        with self.lock:
            if nickname in self.sellers:
                return self.sellers[nickname]
            rng = random.Random(f"{self.config.seed}:seller:{nickname}")
            seller = Seller(
                id=rng.randrange(10**8, 2 * 10**9),
                nickname=nickname,
                first_name=first_name,
                last_name=last_name,
                email=f"{nickname.lower()}@sandbox.mercadolivre.local",
                operator=operator,
            )
            self.sellers[nickname] = seller
            self.sellers_by_id[seller.id] = seller
            return seller

    def seller(self, nickname: str) -> Seller:
        seller = self.sellers.get(nickname)
        if seller is None:
            raise KeyError(f"no seller {nickname!r} in the sandbox")
        return seller

    def seed_items(self, nickname: str, catalog: Catalog, count: int | None = None) -> list[str]:
        """Lists catalog products on the seller (no notification: as if published before); item ids."""
        seller = self.seller(nickname)
        created = []
        with self.lock:
            for product in catalog.products[: count if count is not None else len(catalog.products)]:
                created.append(
                    self.create_item(seller, catalog_item(product, catalog.store_url), quiet=True)["id"]
                )
        return created


def h_me(call: Call) -> Any:
    return call.me.as_api()


def h_user(call: Call) -> Any:
    try:
        seller = call.emulator.sellers_by_id.get(int(call.params["user_id"]))
    except ValueError:
        seller = None
    if seller is None:
        raise not_found(f"User {call.params['user_id']} not found")
    return seller.as_api() if call.seller is seller else seller.public()


ROUTES = table({"GET /users/me": h_me}) + table({"GET /users/{user_id}": h_user}, auth=False)
