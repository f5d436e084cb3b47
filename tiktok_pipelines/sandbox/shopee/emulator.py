"""`ShopeeEmulator`: the in-memory platform, composed of one mixin per API family (each in its module,
next to that family's endpoints), plus what they share: the lock, the seeded random source, the shops,
the "Too many requests" buckets, call counters and the push sender."""

from __future__ import annotations

from typing import Any

from tiktok_pipelines.sandbox.catalog import Catalog
from tiktok_pipelines.sandbox.controls import EmulatorState
from tiktok_pipelines.sandbox.shopee.authorization import TokensMixin
from tiktok_pipelines.sandbox.shopee.catalog_data import CatalogDataMixin
from tiktok_pipelines.sandbox.shopee.fulfilment import FulfilmentMixin
from tiktok_pipelines.sandbox.shopee.media import MediaMixin
from tiktok_pipelines.sandbox.shopee.orders import OrdersMixin
from tiktok_pipelines.sandbox.shopee.products import ProductsMixin
from tiktok_pipelines.sandbox.shopee.pushes import PushMixin, PushSender
from tiktok_pipelines.sandbox.shopee.state import EmulatorConfig, Shop, Switches

# The smallest PNG (1×1), the image of items the sandbox lists itself.
SEED_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


class ShopeeEmulator(
    EmulatorState,
    TokensMixin,
    CatalogDataMixin,
    MediaMixin,
    ProductsMixin,
    OrdersMixin,
    FulfilmentMixin,
    PushMixin,
):
    """The in-memory platform: shops, tokens, categories, brands, images, items, orders, pushes."""

    def __init__(self, config: EmulatorConfig | None = None):
        self.init_state(config or EmulatorConfig(), Switches())
        self.shops: dict[int, Shop] = {}
        self.price_locks: set[tuple[int, int]] = set()  # (item_id, model_id) held by a promotion
        self.init_tokens()
        self.init_catalog_data()
        self.init_media()
        self.init_products()
        self.pushes = PushSender(self)

    def add_shop(
        self,
        shop_id: int | None = None,
        name: str | None = None,
        *,
        merchant_id: int | None = None,
        main_account_id: int | None = None,
        auto_consent: bool = False,
    ) -> Shop:
        """A seller's shop (not yet authorized); `auto_consent` makes it the seller of the consent page."""
        with self.lock:
            shop_id = shop_id or 700_000_000 + len(self.shops) + 1
            if shop_id in self.shops:
                raise ValueError(f"shop {shop_id} exists")
            shop = Shop(
                shop_id,
                name or f"Shop {shop_id}",
                region=self.config.region,
                currency=self.config.currency,
                merchant_id=merchant_id,
                main_account_id=main_account_id,
                auto_consent=auto_consent,
            )
            self.shops[shop_id] = shop
            return shop

    def shop(self, shop_id: Any) -> Shop:
        try:
            return self.shops[int(shop_id)]
        except (KeyError, TypeError, ValueError):
            raise KeyError(f"no shop {shop_id}") from None

    def seed_items(self, shop_id: int, catalog: Catalog, products: int | None = None) -> list[int]:
        """Lists `products` of a merchant catalog on the shop (models from its variants), as a seller who
        used the seller centre would: for the buyers of a demo where nothing published yet."""
        image_id = self.store_image(SEED_PNG)["image_id"]
        leaves = {c.name: c.category_id for c in self.categories.values() if not c.children}
        created = []
        with self.lock:
            shop = self.shop(shop_id)
            for product in catalog.products[:products]:
                category = self.categories[leaves[product.category.path[-1]]]
                attributes = [
                    {
                        "attribute_id": a["attribute_id"],
                        "attribute_value_list": [{"value_id": a["attribute_value_list"][0]["value_id"]}],
                    }
                    for a in category.attributes
                    if a["is_mandatory"]
                ]
                first = product.skus[0]
                body = {
                    "item_name": product.name[:120],
                    "description": product.description or product.name,
                    "original_price": float(first.price),
                    "weight": float(first.weight_kg),
                    "category_id": category.category_id,
                    "image": {"image_id_list": [image_id]},
                    "logistic_info": [{"logistic_id": 90003, "enabled": True}],
                    "attribute_list": attributes,
                    "brand": {"brand_id": self.add_brand(product.brand.name)["brand_id"]},
                    "item_sku": str(product.product_id),
                    "seller_stock": [{"stock": first.available}],
                }
                item_id = self.add_item(shop, body)["item_id"]
                if len(product.skus) > 1:
                    self.init_tier_variation(
                        shop,
                        {
                            "item_id": item_id,
                            "tier_variation": [
                                {
                                    "name": "Variação",
                                    "option_list": [
                                        {"option": f"{s.variant_name or s.ref_id} #{i}"}
                                        for i, s in enumerate(product.skus)
                                    ],
                                }
                            ],
                            "model": [
                                {
                                    "tier_index": [i],
                                    "original_price": float(s.price),
                                    "model_sku": s.ref_id,
                                    "seller_stock": [{"stock": s.available}],
                                }
                                for i, s in enumerate(product.skus)
                            ],
                        },
                    )
                created.append(item_id)
        return created

    # ------------------------------------------------------------ limits and counters
    def stats(self) -> dict[str, Any]:
        with self.lock:
            return super().stats() | {"pushes": self.pushes.health() | {"pending": self.pushes.pending()}}

    def stop(self) -> None:
        self.stop_autopilot()
        self.pushes.stop()
