"""The stock and prices a new listing is created with: the client's stock and price rules on the channel
(`channel_rules` included, and the most units the channel shows), through the functions the stock and
price lane uses (`core.stock_price.stock_target`, `price_target`), so a listing shows the channel's price
and stock from its first minute instead of the client-wide ones until the next stock and price run."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from tiktok_pipelines.channels.base import Capabilities
from tiktok_pipelines.core import stock_price as rules_of
from tiktok_pipelines.core.models.listings import ListingDraft
from tiktok_pipelines.core.models.offers import PriceTarget
from tiktok_pipelines.core.stock_price import StockPriceOptions, StockPriceOptionsError
from tiktok_pipelines.lanes.catalog.errors import CatalogRunError
from tiktok_pipelines.stores.registry import Client
from tiktok_pipelines.vtex.client import VtexClient

VtexOpener = Callable[[], AbstractContextManager[VtexClient]]


@dataclass(frozen=True)
class FirstOffer:
    """A new listing's first stock and prices on one channel, for one client."""

    client: Client
    capabilities: Capabilities
    rules: StockPriceOptions  # the client's rules on the channel
    warehouse_ids: Sequence[str]  # the channel's warehouses (none: a channel without warehouses)
    vtex_client: VtexOpener

    @classmethod
    def of(
        cls,
        client: Client,
        capabilities: Capabilities,
        warehouse_ids: Sequence[str],
        vtex_client: VtexOpener,
        *,
        own_warehouses: bool = True,
    ) -> FirstOffer:
        """The client's rules on the channel, or CatalogRunError saying which rule is wrong. Without
        `own_warehouses` (a push to another shop, the client's sandbox shop), the client's
        `warehouse_map`, which names its own shop's warehouses, is left out: every VTEX warehouse feeds
        the first of `warehouse_ids`."""
        try:
            options = StockPriceOptions.from_client_options(client.options)
            if not own_warehouses:
                options = options.model_copy(update={"warehouse_map": None})
            rules = options.for_channel(capabilities.name.value, capabilities.stock_most)
        except StockPriceOptionsError as exc:
            raise CatalogRunError(
                f"{exc}. Fix them with `tiktok-pipelines clients set {client.client_id} --option ...`"
            ) from None
        return cls(client, capabilities, rules, list(warehouse_ids), vtex_client)

    def stock(self, vtex_sku_ids: Iterable[str]) -> tuple[dict[str, dict[str, int]], list[str]]:
        """Each VTEX SKU's units per stock key of the channel (option `initial_stock`: VTEX's, by the
        channel's rules, or none), and a warning per SKU VTEX could not give."""
        if str(self.client.option("initial_stock")) == "zero":
            return {}, []
        keys = self.capabilities.stock_keys(self.warehouse_ids)
        vtex_warehouses = self.client.vtex_warehouse_ids
        try:
            plan = rules_of.channel_plan(self.rules, vtex_warehouses, keys, self.capabilities.warehouses)
        except StockPriceOptionsError as exc:
            raise CatalogRunError(str(exc)) from None
        with self.vtex_client() as api:
            result = api.stock_many(list(vtex_sku_ids), warehouse_ids=list(plan))
        quantities = {
            vtex_sku_id: rules_of.stock_target(
                {
                    w.warehouse_id: rules_of.WarehouseReading(w.available, w.unlimited)
                    for w in stock.warehouses
                },
                plan,
                keys,
                self.rules,
            )
            for vtex_sku_id, stock in result.values.items()
        }
        return quantities, [f"stock of VTEX SKU {k}: {e}" for k, e in result.errors.items()]

    def prices(self, draft: ListingDraft) -> dict[str, PriceTarget]:
        """The price of each of the draft's SKUs (the feed's, by the channel's rules); the one price of
        the product on a channel that shows one (`one_price`). A SKU without a usable price has none."""
        own = {sku: self._price(price) for sku, price in draft.prices.items()}
        if self.capabilities.one_price:
            shared = rules_of.shared_price(own.values())
            return {sku: shared for sku in own if shared is not None}
        return {sku: target for sku, target in own.items() if target is not None}

    def _price(self, price: Mapping[str, Any]) -> PriceTarget | None:
        selling = rules_of.money(price.get("amount"))
        if selling is None:
            return None
        return rules_of.price_target(selling, rules_of.money(price.get("list_amount")), self.rules)
