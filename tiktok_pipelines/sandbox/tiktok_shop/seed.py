"""The seeded world of the emulator: shops with their warehouses (Brazilian addresses), buyers' names
and cities, and products listed straight from a merchant catalog (as if published earlier), so the order
simulator and the stock tests work before the catalog pipeline has run."""

from __future__ import annotations

import base64
import hashlib
import random
from typing import TYPE_CHECKING, Any

from tiktok_pipelines.sandbox.tiktok_shop.category_tree import TikTokCategory
from tiktok_pipelines.sandbox.tiktok_shop.state import Shop

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.catalog import Catalog

BR_CITIES = (
    ("SP", "São Paulo", "01310-100", "Avenida Paulista, 1578"),
    ("RJ", "Rio de Janeiro", "22021-001", "Avenida Atlântica, 1702"),
    ("MG", "Belo Horizonte", "30130-010", "Rua da Bahia, 1148"),
    ("BA", "Salvador", "40020-000", "Avenida Sete de Setembro, 300"),
    ("PR", "Curitiba", "80010-000", "Rua XV de Novembro, 700"),
    ("RS", "Porto Alegre", "90010-150", "Rua dos Andradas, 1001"),
    ("PE", "Recife", "50030-230", "Avenida Boa Viagem, 2500"),
)
FIRST_NAMES = ("Ana", "Bruno", "Carla", "Diego", "Eduarda", "Felipe", "Gabriela", "Heitor", "Isabela", "João")
LAST_NAMES = (
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Lima",
    "Pereira",
    "Costa",
    "Ferreira",
    "Almeida",
    "Rocha",
)

# The sandbox catalog's VTEX categories and the leaf each is listed under when seeded.
SEED_CATEGORY_BY_VTEX_CATEGORY = {
    11: "824330",
    12: "824341",
    13: "601305",
    21: "605198",
    22: "605211",
    31: "600003",
    32: "600011",
    41: "601741",
    42: "601751",
    51: "601452",
    61: "824587",
}


def seed_attributes(leaf: TikTokCategory) -> list[dict[str, Any]]:
    """Values for the required product attributes of a leaf (its first value, or 500 when free-form)."""
    out = []
    for attr in leaf.attributes:
        if attr["type"] == "PRODUCT_PROPERTY" and attr["is_requried"]:
            value = {"id": attr["values"][0]["id"]} if attr["values"] else {"name": "500"}
            out.append({"id": attr["id"], "values": [value]})
    return out


class SeedMixin:
    """Shops and seeded products of `TikTokShopEmulator`."""

    def add_shop(
        self,
        code: str,
        name: str | None = None,
        *,
        seller_id: str | None = None,
        warehouses: int = 2,
        region: str = "BR",
    ) -> Shop:
        """A seller's shop with `warehouses` sales warehouses (and one return warehouse)."""
        with self.lock:
            for shop in self.shops.values():
                if shop.code == code:
                    return shop
            rng = random.Random(f"{self.config.seed}:shop:{code}")
            shop_id = str(rng.randrange(7 * 10**18, 8 * 10**18))
            cipher = "ROW_" + base64.urlsafe_b64encode(
                hashlib.sha256(f"cipher:{shop_id}".encode()).digest()[:24]
            ).decode().rstrip("=")
            shop = Shop(
                id=shop_id,
                code=code,
                name=name or f"Loja {code}",
                cipher=cipher,
                seller_id=seller_id or f"seller-{code.lower()}",
                region=region,
            )
            for i in range(warehouses):
                city = BR_CITIES[i % len(BR_CITIES)]
                shop.warehouses.append(
                    {
                        "id": str(rng.randrange(7 * 10**18, 8 * 10**18)),
                        "entity_id": str(rng.randrange(10**15, 10**16)),
                        "name": f"CD {city[1]}",
                        "effect_status": "ENABLED",
                        "type": "SALES_WAREHOUSE",
                        "sub_type": "DOMESTIC_WAREHOUSE",
                        "is_default": i == 0,
                        "address": {
                            "region": "Brasil",
                            "state": city[0],
                            "city": city[1],
                            "postal_code": city[2],
                            "full_address": city[3],
                            "region_code": "BR",
                            "contact_person": "Expedição",
                            "phone_number": "(11) 4000-1000",
                        },
                    }
                )
            shop.warehouses.append(
                {
                    "id": str(rng.randrange(7 * 10**18, 8 * 10**18)),
                    "entity_id": str(rng.randrange(10**15, 10**16)),
                    "name": "Devoluções",
                    "effect_status": "ENABLED",
                    "type": "RETURN_WAREHOUSE",
                    "sub_type": "DOMESTIC_WAREHOUSE",
                    "is_default": False,
                    "address": {
                        "region": "Brasil",
                        "state": "SP",
                        "city": "Barueri",
                        "postal_code": "06454-000",
                        "full_address": "Alameda Rio Negro, 500",
                        "region_code": "BR",
                    },
                }
            )
            self.shops[shop_id] = shop
            return shop

    def seed_products(self, shop: Shop, catalog: Catalog, count: int | None = None) -> list[str]:
        """Lists catalog products on the shop directly (as if published earlier); returns product ids.

        Lets the order simulator and stock tests work before the catalog pipeline has run.
        """
        created = []
        for product in catalog.products[: count if count is not None else len(catalog.products)]:
            brand = self.brands.get(product.brand.name.casefold()) or self._add_brand(product.brand.name)
            leaf = self.categories[SEED_CATEGORY_BY_VTEX_CATEGORY.get(product.category.id, "824330")]
            body = {
                "title": product.name,
                "description": product.description,
                "category_id": leaf.id,
                "brand_id": brand["id"],
                "main_images": [{"uri": self._store_image(b"seeded", "MAIN_IMAGE", 800, 800)["uri"]}],
                "package_weight": {"value": str(product.skus[0].weight_kg), "unit": "KILOGRAM"},
                "package_dimensions": {"length": "30", "width": "20", "height": "10", "unit": "CENTIMETER"},
                "product_attributes": seed_attributes(leaf),
                "certifications": [
                    {"id": c["id"], "images": [{"uri": "seeded"}]}
                    for c in leaf.rules()["product_certifications"]
                ],
                "skus": [
                    {
                        "seller_sku": str(sku.sku_id),
                        "sales_attributes": [{"name": "Cor", "value_name": sku.variant_name}]
                        if len(product.skus) > 1
                        else [],
                        "price": {"amount": str(sku.price), "currency": shop.currency},
                        "list_price": {"amount": str(sku.list_price), "currency": shop.currency},
                        "inventory": [
                            {"warehouse_id": wid, "quantity": sku.available if i == 0 else 0}
                            for i, wid in enumerate(shop.sales_warehouse_ids)
                        ],
                        "identifier_code": {"code": sku.ean, "type": "EAN"},
                    }
                    for sku in product.skus
                ],
                "external_product_id": str(product.product_id),
            }
            with self.lock:
                created.append(self._create_product(shop, body)["product_id"])
        return created
