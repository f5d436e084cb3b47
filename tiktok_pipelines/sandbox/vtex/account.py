"""One VTEX store in the sandbox: inventory per warehouse, Pricing v2 records, marketplace orders with
their workflow and invoices, the orders feed and hook configurations, and the seeded random walk of stock
and prices. Plain synchronous state, one mixin per API family (each in its module, next to that family's
endpoints); `VtexEmulator` puts it behind HTTP, authentication, rate limits and notification delivery.

Inventory and prices are derived from the world's `Catalog` and written back to it, so the product feed
and the VTEX APIs agree: a SKU's available quantity per warehouse is `Sku.stock`, the selling and list
price on trade policy 1 are `Sku.price` / `Sku.list_price`. A price change or a SKU going in or out of
stock bumps `Catalog.version`, as the store's feed would change.

Money: prices are `Decimal` reais (Pricing API); everything in orders is integer cents.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from tiktok_pipelines.sandbox.catalog import Catalog, Product, Sku
from tiktok_pipelines.sandbox.vtex.errors import ApiError
from tiktok_pipelines.sandbox.vtex.inventory import Balance, InventoryMixin
from tiktok_pipelines.sandbox.vtex.invoices import InvoicesMixin
from tiktok_pipelines.sandbox.vtex.marketplace import Affiliate, MarketplaceMixin
from tiktok_pipelines.sandbox.vtex.oms import OmsMixin
from tiktok_pipelines.sandbox.vtex.order_feed import FeedQueue, OrderFeedMixin
from tiktok_pipelines.sandbox.vtex.pricing import CENT, FEED_TRADE_POLICY, PriceRecord, PricingMixin
from tiktok_pipelines.sandbox.vtex.resources import AppKey


class Listener(Protocol):
    """What the account tells the HTTP layer: changes to notify and timers to set."""

    def sku_changed(self, account: SandboxAccount, sku: Sku, *, stock: bool, price: bool) -> None: ...

    def order_changed(
        self, account: SandboxAccount, order: dict[str, Any], last_state: str | None
    ) -> None: ...

    def marketplace_callback(
        self, account: SandboxAccount, order: dict[str, Any], kind: str, body: dict
    ) -> None: ...

    def call_later(self, seconds: float, fn: Callable[[], None]) -> None: ...


class _Silent:
    def sku_changed(self, *a: Any, **k: Any) -> None:
        pass

    def order_changed(self, *a: Any, **k: Any) -> None:
        pass

    def marketplace_callback(self, *a: Any, **k: Any) -> None:
        pass

    def call_later(self, seconds: float, fn: Callable[[], None]) -> None:
        fn()


class SandboxAccount(InventoryMixin, PricingMixin, MarketplaceMixin, OmsMixin, InvoicesMixin, OrderFeedMixin):
    """A VTEX account of the sandbox (see the module docstring)."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        image_base_url: str,
        public_url: str = "",
        app_keys: Iterable[AppKey] = (),
        affiliates: Iterable[Affiliate] = (),
        listener: Listener | None = None,
    ):
        self.name = catalog.account
        self.catalog = catalog
        self.image_base_url = image_base_url
        self.public_url = public_url
        self.app_keys = {k.key: k for k in app_keys}
        self.affiliates = {a.id: a for a in affiliates}
        self.listener: Listener = listener or _Silent()
        self.balances: dict[tuple[int, str], Balance] = {}
        self.prices: dict[int, PriceRecord] = {}
        self.deleted_prices: set[int] = set()
        self.orders: dict[str, dict[str, Any]] = {}
        self.order_history: dict[str, list[dict[str, str]]] = {}
        self.nfe_documents: dict[str, bytes] = {}
        self.next_sequence = 500_001
        self.next_invoice_number = 1001
        self.hooks: dict[str, dict[str, Any]] = {}
        self.feeds: dict[str, FeedQueue] = {}
        self.window_to_cancel_seconds = 0.0
        self.weight_unit = "g"
        # The demo ERP (`VtexEmulator._auto_invoice`): {} is off; else seconds, broken_share, correct_seconds.
        self.auto_invoice: dict[str, Any] = {}
        self.erp_rng = random.Random(f"{catalog.seed}:erp:{catalog.account}")
        self.walk_rng = random.Random(f"{catalog.seed}:walk:{catalog.account}")
        self._index: dict[int, tuple[Product, Sku]] = {}
        self._index_key: tuple[int, int] | None = None

    # ------------------------------------------------------------ catalog lookups
    def find_sku(self, sku_id: Any) -> tuple[Product, Sku] | None:
        try:
            wanted = int(str(sku_id))
        except ValueError:
            return None
        # Products are added (the list grows) or removed (the list is replaced) by the catalog's own
        # methods; either changes this key, and only then is the index rebuilt.
        key = (id(self.catalog.products), len(self.catalog.products))
        if key != self._index_key:
            self._index = {s.sku_id: (p, s) for p in self.catalog.products for s in p.skus}
            self._index_key = key
        return self._index.get(wanted)

    def sku(self, sku_id: Any) -> tuple[Product, Sku]:
        found = self.find_sku(sku_id)
        if found is None:
            raise ApiError(404, f"SKU {sku_id} not found")
        return found

    def product(self, product_id: Any) -> Product:
        try:
            return self.catalog.product(int(str(product_id)))
        except (KeyError, ValueError):
            raise ApiError(404, f"Product {product_id} not found") from None

    # ------------------------------------------------------------ random walk
    def walk_step(
        self, skus_per_step: int = 3, stock: bool = True, prices: bool = True
    ) -> list[dict[str, Any]]:
        """Moves stock and prices of a few SKUs, as a live store does; returns what changed."""
        rng = self.walk_rng
        pool = [s for p in self.catalog.products if p.active for s in p.skus if s.active]
        changes = []
        for sku in rng.sample(pool, min(skus_per_step, len(pool))):
            change: dict[str, Any] = {"skuId": sku.sku_id}
            move_stock = stock and (not prices or rng.random() < 0.6)
            move_price = prices and (not move_stock or rng.random() < 0.4)
            if move_stock:
                wh = rng.choice(self.catalog.warehouses)
                current = sku.stock.get(wh, 0)
                roll = rng.random()
                if roll < 0.1:
                    target = 0
                elif roll < 0.25:
                    target = current + rng.randint(10, 50)
                else:
                    target = max(0, current + rng.randint(-5, 5))
                if target == current:  # a step always moves something, so it is always notified
                    target = current + rng.randint(1, 5)
                self.set_available(sku.sku_id, wh, target)
                change.update(warehouseId=wh, available=target)
            if move_price:
                record = self.price_record(sku.sku_id)
                selling, listed = record.computed(FEED_TRADE_POLICY)
                factor = Decimal(str(rng.choice((0.9, 0.95, 0.97, 1.03, 1.05, 1.1))))
                new_price = max(CENT, (selling * factor).quantize(CENT, rounding=ROUND_HALF_UP))
                if new_price == selling:
                    new_price = selling + CENT
                self.set_trade_policy_price(sku.sku_id, new_price, max(listed, new_price))
                change.update(price=str(new_price))
            changes.append(change)
        return changes
