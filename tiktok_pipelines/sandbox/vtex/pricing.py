"""Pricing v2: a price record per SKU (base, list and cost prices, markup, fixed prices per trade policy,
quantity and date window), computed prices, and the prices endpoints. A price written on trade policy 1
is written back to the world catalog, so the product feed follows."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from starlette.responses import Response

from tiktok_pipelines.sandbox.catalog import Sku
from tiktok_pipelines.sandbox.vtex.catalog_records import SALES_CHANNELS
from tiktok_pipelines.sandbox.vtex.errors import ApiError
from tiktok_pipelines.sandbox.vtex.resources import PRICES_READ, PRICES_WRITE
from tiktok_pipelines.sandbox.vtex.routing import JSON, Ctx, Router, query_int
from tiktok_pipelines.sandbox.vtex.values import now_utc, parse_time, strict_decimal, strict_int

CENT = Decimal("0.01")
FEED_TRADE_POLICY = "1"  # the trade policy whose prices the store's product feed shows


@dataclass
class PriceRecord:
    base: Decimal | None
    list: Decimal | None
    cost: Decimal | None
    markup: Decimal | None
    fixed: list[dict[str, Any]]
    synced: tuple[Decimal, Decimal]  # the catalog's (price, list price) this record agrees with

    def applicable(self, trade_policy: str, quantity: int, at: datetime) -> dict[str, Any] | None:
        best = None
        for f in self.fixed:
            if f["tradePolicyId"] != trade_policy or f["minQuantity"] > quantity:
                continue
            window = f.get("dateRange")
            if window and not (parse_time(window["from"], "from") <= at <= parse_time(window["to"], "to")):
                continue
            if best is None or f["minQuantity"] > best["minQuantity"]:
                best = f
        return best

    def computed(
        self, trade_policy: str, quantity: int = 1, at: datetime | None = None
    ) -> tuple[Decimal, Decimal]:
        """(selling price, list price) on a trade policy."""
        fixed = self.applicable(trade_policy, quantity, at or now_utc())
        if fixed:
            return fixed["value"], fixed.get("listPrice") or self.list or fixed["value"]
        if self.base is None:
            raise ApiError(404, "no base price")
        return self.base, self.list or self.base

    def to_json(self, item_id: str) -> dict[str, Any]:
        return {
            "itemId": item_id,
            "listPrice": self.list,
            "costPrice": self.cost,
            "markup": self.markup,
            "basePrice": self.base,
            "fixedPrices": [dict(f) for f in self.fixed],
        }


class PricingMixin:
    """The prices of a `SandboxAccount`."""

    def price_record(self, sku_id: Any) -> PriceRecord:
        _, sku = self.sku(sku_id)
        if sku.sku_id in self.deleted_prices:
            raise ApiError(404, f"Price for item {sku.sku_id} not found")
        record = self.prices.get(sku.sku_id)
        if record is None:
            record = self.prices[sku.sku_id] = self._initial_price(sku)
        elif record.synced != (sku.price, sku.list_price):
            # The catalog changed elsewhere (the feed server's control routes): follow it.
            self._follow_catalog(record, sku)
        return record

    def _initial_price(self, sku: Sku) -> PriceRecord:
        cost = (sku.list_price * Decimal("0.55")).quantize(CENT)
        fixed = []
        if sku.price != sku.list_price:
            fixed.append(self._fixed(FEED_TRADE_POLICY, sku.price, sku.list_price))
        rng = random.Random(f"{self.catalog.seed}:price:{sku.sku_id}")
        if rng.random() < 0.3:
            fixed.append(self._fixed("2", (sku.price * Decimal("0.95")).quantize(CENT), None))
        return PriceRecord(
            base=sku.list_price,
            list=sku.list_price,
            cost=cost,
            markup=self._markup(sku.list_price, cost),
            fixed=fixed,
            synced=(sku.price, sku.list_price),
        )

    @staticmethod
    def _fixed(trade_policy: str, value: Decimal, list_price: Decimal | None, min_quantity: int = 1) -> dict:
        return {
            "tradePolicyId": trade_policy,
            "value": value,
            "listPrice": list_price,
            "minQuantity": min_quantity,
        }

    @staticmethod
    def _markup(base: Decimal | None, cost: Decimal | None) -> Decimal | None:
        if base is None or not cost:
            return None
        return ((base / cost - 1) * 100).quantize(CENT, rounding=ROUND_HALF_UP)

    def _follow_catalog(self, record: PriceRecord, sku: Sku) -> None:
        record.base = record.list = sku.list_price
        record.fixed = [f for f in record.fixed if f["tradePolicyId"] != FEED_TRADE_POLICY]
        if sku.price != sku.list_price:
            record.fixed.append(self._fixed(FEED_TRADE_POLICY, sku.price, sku.list_price))
        record.markup = self._markup(record.base, record.cost)
        record.synced = (sku.price, sku.list_price)

    def _price_written(self, sku: Sku, record: PriceRecord | None) -> None:
        """After a price write: the feed's prices follow trade policy 1, and affiliates are told."""
        if record is not None:
            try:
                selling, listed = record.computed(FEED_TRADE_POLICY)
            except ApiError:
                selling, listed = sku.price, sku.list_price
            listed = max(listed, selling)
            if (sku.price, sku.list_price) != (selling, listed):
                sku.price, sku.list_price = selling, listed
                self.catalog.version += 1
            record.synced = (sku.price, sku.list_price)
        self.listener.sku_changed(self, sku, stock=False, price=True)

    def put_price(self, sku_id: Any, body: Any) -> None:
        """Pricing PUT: exactly two of basePrice, costPrice and markup; fixedPrices replace all."""
        _, sku = self.sku(sku_id)
        if not isinstance(body, dict):
            raise ApiError(400, "the body must be a JSON object")
        base = strict_decimal(body.get("basePrice"), "basePrice")
        cost = strict_decimal(body.get("costPrice"), "costPrice")
        markup = strict_decimal(body.get("markup"), "markup")
        given = sum(x is not None for x in (base, cost, markup))
        if given != 2:
            raise ApiError(400, "Send exactly two of basePrice, costPrice and markup")
        if base is None:
            base = (cost * (1 + markup / 100)).quantize(CENT, rounding=ROUND_HALF_UP)
        elif cost is None:
            cost = (base / (1 + markup / 100)).quantize(CENT, rounding=ROUND_HALF_UP)
        else:
            markup = self._markup(base, cost)
        fixed = []
        for i, f in enumerate(body.get("fixedPrices") or []):
            if not isinstance(f, dict) or "tradePolicyId" not in f or f.get("value") is None:
                raise ApiError(400, f"fixedPrices[{i}] needs tradePolicyId and value")
            entry = self._fixed(
                str(f["tradePolicyId"]),
                strict_decimal(f["value"], f"fixedPrices[{i}].value"),
                strict_decimal(f.get("listPrice"), f"fixedPrices[{i}].listPrice"),
                strict_int(f.get("minQuantity", 1), f"fixedPrices[{i}].minQuantity", 1),
            )
            if f.get("dateRange"):
                window = f["dateRange"]
                parse_time(window.get("from"), "dateRange.from")
                parse_time(window.get("to"), "dateRange.to")
                entry["dateRange"] = {"from": window["from"], "to": window["to"]}
            fixed.append(entry)
        record = PriceRecord(
            base=base,
            list=strict_decimal(body.get("listPrice"), "listPrice"),
            cost=cost,
            markup=markup,
            fixed=fixed,
            synced=(sku.price, sku.list_price),
        )
        self.prices[sku.sku_id] = record
        self.deleted_prices.discard(sku.sku_id)
        self._price_written(sku, record)

    def delete_price(self, sku_id: Any) -> None:
        _, sku = self.sku(sku_id)
        self.price_record(sku.sku_id)
        self.prices.pop(sku.sku_id, None)
        self.deleted_prices.add(sku.sku_id)
        self._price_written(sku, None)

    def set_trade_policy_price(
        self,
        sku_id: Any,
        price: Decimal,
        list_price: Decimal | None = None,
        trade_policy: str = FEED_TRADE_POLICY,
    ) -> None:
        """Sets what a trade policy sells at (a fixed price, or the base price when it equals it)."""
        _, sku = self.sku(sku_id)
        record = self.price_record(sku.sku_id)
        if list_price is not None and trade_policy == FEED_TRADE_POLICY:
            record.list = record.base = list_price
        record.fixed = [f for f in record.fixed if f["tradePolicyId"] != trade_policy]
        if price != record.base:
            record.fixed.append(
                self._fixed(trade_policy, price, record.list if trade_policy == FEED_TRADE_POLICY else None)
            )
        record.markup = self._markup(record.base, record.cost)
        self._price_written(sku, record)

    def computed_json(self, sku_id: Any, trade_policy: str, quantity: int = 1) -> dict[str, Any]:
        record = self.price_record(sku_id)
        selling, listed = record.computed(trade_policy, quantity)
        return {
            "tradePolicyId": trade_policy,
            "listPrice": listed,
            "costPrice": record.cost,
            "sellingPrice": selling,
            "priceValidUntil": (now_utc() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


router = Router()


@router.api("GET", "/pricing/prices/{item_id}", "pricing", PRICES_READ)
async def price_get(ctx: Ctx) -> Response:
    record = ctx.account.price_record(ctx.path["item_id"])
    return JSON(record.to_json(str(ctx.path["item_id"])))


@router.api("PUT", "/pricing/prices/{item_id}", "pricing", PRICES_WRITE)
async def price_put(ctx: Ctx) -> Response:
    ctx.account.put_price(ctx.path["item_id"], ctx.body)
    return Response(status_code=200)


@router.api("DELETE", "/pricing/prices/{item_id}", "pricing", PRICES_WRITE)
async def price_delete(ctx: Ctx) -> Response:
    ctx.account.delete_price(ctx.path["item_id"])
    return Response(status_code=200)


@router.api("GET", "/pricing/prices/{item_id}/computed/{price_table}", "pricing", PRICES_READ)
async def computed(ctx: Ctx) -> Response:
    quantity = query_int(ctx, "quantity", 1)
    if quantity < 1:
        raise ApiError(400, "quantity must be at least 1")
    return JSON(ctx.account.computed_json(ctx.path["item_id"], ctx.path["price_table"], quantity))


@router.api("GET", "/pricing/prices/{item_id}/computed", "pricing", PRICES_READ)
async def computed_all(ctx: Ctx) -> Response:
    return JSON([ctx.account.computed_json(ctx.path["item_id"], sc) for sc in SALES_CHANNELS])


@router.api("GET", "/pricing/prices/{item_id}/fixed", "pricing", PRICES_READ)
async def fixed_all(ctx: Ctx) -> Response:
    return JSON(ctx.account.price_record(ctx.path["item_id"]).fixed)


@router.api("GET", "/pricing/prices/{item_id}/fixed/{price_table}", "pricing", PRICES_READ)
async def fixed_one(ctx: Ctx) -> Response:
    fixed = ctx.account.price_record(ctx.path["item_id"]).fixed
    return JSON([f for f in fixed if f["tradePolicyId"] == ctx.path["price_table"]])
