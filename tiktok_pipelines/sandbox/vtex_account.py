"""One VTEX store in the sandbox: inventory per warehouse, Pricing v2 records, marketplace orders with
their workflow, the orders feed and hook configurations. Plain synchronous state; `sandbox.vtex` puts it
behind HTTP, authentication, rate limits and notification delivery.

Inventory and prices are derived from the world's `Catalog` and written back to it, so the product feed
and the VTEX APIs agree: a SKU's available quantity per warehouse is `Sku.stock`, the selling and list
price on trade policy 1 are `Sku.price` / `Sku.list_price`. A price change or a SKU going in or out of
stock bumps `Catalog.version`, as the store's feed would change.

Money: prices are `Decimal` reais (Pricing API); everything in orders is integer cents.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol

from tiktok_pipelines.core.money import to_cents
from tiktok_pipelines.sandbox.catalog import Catalog, Product, Sku
from tiktok_pipelines.sandbox.vtex_catalog import (
    SALES_CHANNELS,
    category_path_ids,
    sized_image_url,
    sku_name,
)

CENT = Decimal("0.01")
FEED_TRADE_POLICY = "1"  # the trade policy whose prices the store's product feed shows
UNLIMITED_BALANCE = 1_000_000
SLAS = (("Normal", "5bd", Decimal("1.0")), ("Expressa", "2bd", Decimal("1.8")))

# Workflow statuses the sandbox moves orders through, with the description VTEX shows.
STATUS_DESCRIPTIONS = {
    "order-accepted": "Pedido aceito",
    "waiting-ffmt-authorization": "Aguardando autorização para despachar",
    "authorize-fulfillment": "Autorizar despacho",
    "window-to-cancel": "Carência para cancelamento",
    "ready-for-handling": "Pronto para o manuseio",
    "handling": "Preparando entrega",
    "invoice": "Verificando fatura",
    "invoiced": "Faturado",
    "cancel": "Cancelando",
    "canceled": "Cancelado",
}
KNOWN_STATUSES = {
    *STATUS_DESCRIPTIONS,
    "order-created",
    "on-order-completed",
    "on-order-completed-ffm",
    "payment-pending",
    "payment-approved",
    "waiting-for-authorization",
    "waiting-for-manual-authorization",
    "window-to-change-payment",
    "window-to-change-seller",
    "start-handling",
    "ready-for-invoicing",
    "request-cancel",
    "cancellation-requested",
    "waiting-for-fulfillment",
    "waiting-for-mkt-authorization",
    "waiting-seller-handling",
    "waiting-for-sellers-confirmation",
}
CANCELLABLE = {
    "order-accepted",
    "waiting-ffmt-authorization",
    "authorize-fulfillment",
    "window-to-cancel",
    "ready-for-handling",
    "handling",
}
INVOICEABLE = {"ready-for-handling", "handling", "invoice", "invoiced"}


class ApiError(Exception):
    """An error answer: HTTP status, VTEX code (when VTEX documents one) and message."""

    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "exception": None}}


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


def now_utc() -> datetime:
    return datetime.now(UTC)


def vtex_time(at: datetime | None = None) -> str:
    """VTEX's OMS timestamps: seven fractional digits and an explicit offset."""
    at = at or now_utc()
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0+00:00"


def parse_time(value: Any, what: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"{what} is not an ISO 8601 date: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _int(value: Any, what: str, minimum: int | None = None) -> int:
    # Order money is integer cents: 99.9 or "99.90" is a client bug VTEX does not silently fix.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{what} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ApiError(400, f"{what} must be at least {minimum}")
    return value


def _decimal(value: Any, what: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ApiError(400, f"{what} must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ApiError(400, f"{what} must be a number, got {value!r}") from None
    if not number.is_finite() or number < 0:
        raise ApiError(400, f"{what} must be a non-negative number")
    return number


@dataclass
class AppKey:
    key: str
    token: str = field(repr=False)
    resources: frozenset[str] = frozenset()


@dataclass
class Affiliate:
    """A marketplace affiliate of the store: orders come in under its id on its sales channel, and SKU
    changes are notified to its endpoint."""

    id: str
    name: str
    sales_channel: str = "1"
    notification_url: str | None = None
    follow_up_email: str = "marketplace@example.com"


@dataclass
class Balance:
    """What VTEX keeps per SKU and warehouse beside the available quantity (which is `Sku.stock`)."""

    reserved: int = 0
    unlimited: bool = False
    lead_time: str = "00:00:00"
    date_utc: str | None = None


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


@dataclass
class FeedQueue:
    """One app key's orders feed v3."""

    filter: dict[str, Any]
    visibility_timeout: int
    retention: int
    items: list[dict[str, Any]] = field(default_factory=list)


class SandboxAccount:
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

    # ------------------------------------------------------------ inventory
    def balance(self, sku_id: int, warehouse_id: str) -> Balance:
        key = (sku_id, warehouse_id)
        if key not in self.balances:
            self.balances[key] = Balance()
        return self.balances[key]

    def check_warehouse(self, warehouse_id: str) -> None:
        if warehouse_id not in self.catalog.warehouses:
            raise ApiError(404, f"Warehouse {warehouse_id} not found")

    def warehouse_view(self, sku: Sku, warehouse_id: str) -> dict[str, Any]:
        bal = self.balance(sku.sku_id, warehouse_id)
        available = sku.stock.get(warehouse_id, 0)
        return {
            "total": available + bal.reserved,
            "reserved": bal.reserved,
            "available": available,
            "unlimited": bal.unlimited,
            "lead_time": bal.lead_time,
            "date_utc": bal.date_utc,
        }

    def available(self, sku: Sku, warehouse_id: str) -> int:
        if self.balance(sku.sku_id, warehouse_id).unlimited:
            return UNLIMITED_BALANCE
        return sku.stock.get(warehouse_id, 0)

    def total_available(self, sku: Sku) -> int:
        return min(UNLIMITED_BALANCE, sum(self.available(sku, wh) for wh in self.catalog.warehouses))

    def set_total(
        self,
        sku_id: Any,
        warehouse_id: str,
        quantity: int,
        *,
        unlimited: bool = False,
        lead_time: str | None = None,
    ) -> None:
        """VTEX's inventory PUT: the total quantity; available = total − reserved."""
        _, sku = self.sku(sku_id)
        self.check_warehouse(warehouse_id)
        quantity = _int(quantity, "quantity", 0)
        bal = self.balance(sku.sku_id, warehouse_id)
        was_in_stock = self.total_available(sku) > 0
        before = (sku.stock.get(warehouse_id, 0), bal.unlimited)
        sku.stock[warehouse_id] = max(0, quantity - bal.reserved)
        bal.unlimited = bool(unlimited)
        if lead_time is not None:
            bal.lead_time = lead_time
        bal.date_utc = vtex_time()
        self._stock_changed(sku, was_in_stock, before != (sku.stock[warehouse_id], bal.unlimited))

    def set_available(self, sku_id: Any, warehouse_id: str, available: int) -> None:
        _, sku = self.sku(sku_id)
        self.set_total(sku.sku_id, warehouse_id, available + self.balance(sku.sku_id, warehouse_id).reserved)

    def _stock_changed(self, sku: Sku, was_in_stock: bool, changed: bool) -> None:
        if not changed:
            return
        if was_in_stock != (self.total_available(sku) > 0):
            self.catalog.version += 1  # the feed's availability flips
        self.listener.sku_changed(self, sku, stock=True, price=False)

    def _reserve(self, sku: Sku, quantity: int) -> str:
        """Reserves stock for an order line in the first warehouse that can serve it all."""
        for wh in self.catalog.warehouses:
            if self.available(sku, wh) >= quantity:
                was = self.total_available(sku) > 0
                bal = self.balance(sku.sku_id, wh)
                if not bal.unlimited:
                    sku.stock[wh] = sku.stock.get(wh, 0) - quantity
                    bal.reserved += quantity
                self._stock_changed(sku, was, not bal.unlimited)
                return wh
        raise ApiError(400, f"Item {sku.sku_id} não tem estoque suficiente", "ORDER027")

    def _release(self, sku_id: int, warehouse_id: str, quantity: int) -> None:
        found = self.find_sku(sku_id)
        bal = self.balance(sku_id, warehouse_id)
        if found is None or bal.unlimited:
            return
        sku = found[1]
        was = self.total_available(sku) > 0
        bal.reserved = max(0, bal.reserved - quantity)
        sku.stock[warehouse_id] = sku.stock.get(warehouse_id, 0) + quantity
        self._stock_changed(sku, was, True)

    def _consume(self, sku_id: int, warehouse_id: str, quantity: int) -> None:
        """Invoiced units leave the warehouse: the reservation ends, availability is unchanged."""
        bal = self.balance(sku_id, warehouse_id)
        bal.reserved = max(0, bal.reserved - quantity)

    # ------------------------------------------------------------ prices
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
        base = _decimal(body.get("basePrice"), "basePrice")
        cost = _decimal(body.get("costPrice"), "costPrice")
        markup = _decimal(body.get("markup"), "markup")
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
                _decimal(f["value"], f"fixedPrices[{i}].value"),
                _decimal(f.get("listPrice"), f"fixedPrices[{i}].listPrice"),
                _int(f.get("minQuantity", 1), f"fixedPrices[{i}].minQuantity", 1),
            )
            if f.get("dateRange"):
                window = f["dateRange"]
                parse_time(window.get("from"), "dateRange.from")
                parse_time(window.get("to"), "dateRange.to")
                entry["dateRange"] = {"from": window["from"], "to": window["to"]}
            fixed.append(entry)
        record = PriceRecord(
            base=base,
            list=_decimal(body.get("listPrice"), "listPrice"),
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

    # ------------------------------------------------------------ fulfillment simulation
    def _check_channel(self, sales_channel: Any) -> str:
        sc = str(sales_channel or "")
        if sc not in SALES_CHANNELS:
            raise ApiError(400, f"Sales channel {sales_channel!r} not found")
        return sc

    def affiliate(self, affiliate_id: Any) -> Affiliate:
        affiliate = self.affiliates.get(str(affiliate_id or ""))
        if affiliate is None:
            raise ApiError(400, f"Affiliate {affiliate_id!r} not found in account {self.name}")
        return affiliate

    def _unit_price_cents(self, sku: Sku, sales_channel: str, quantity: int) -> tuple[int, int] | None:
        try:
            selling, listed = self.price_record(sku.sku_id).computed(sales_channel, quantity)
        except ApiError:
            return None
        return to_cents(selling), to_cents(listed)

    def _slas(self, sku: Sku, quantity: int) -> list[dict[str, Any]]:
        kilos = max(1, int((sku.weight_kg * quantity).to_integral_value(rounding="ROUND_CEILING")))
        base = 990 + 150 * kilos
        return [
            {
                "id": name,
                "deliveryChannel": "delivery",
                "name": name,
                "deliveryIds": [
                    {
                        "courierId": "1",
                        "warehouseId": self.catalog.warehouses[0],
                        "dockId": "1",
                        "courierName": "Transportadora Sandbox",
                        "quantity": quantity,
                    }
                ],
                "shippingEstimate": estimate,
                "shippingEstimateDate": None,
                "lockTTL": "10d",
                "availableDeliveryWindows": [],
                "deliveryWindow": None,
                "price": int((base * factor).to_integral_value(rounding=ROUND_HALF_UP)),
                "listPrice": int((base * factor).to_integral_value(rounding=ROUND_HALF_UP)),
                "tax": 0,
                "pickupStoreInfo": {
                    "isPickupStore": False,
                    "friendlyName": None,
                    "address": None,
                    "additionalInfo": None,
                    "dockId": None,
                },
                "pickupPointId": None,
                "pickupDistance": 0.0,
                "polygonName": None,
                "transitTime": estimate,
            }
            for name, estimate, factor in SLAS
        ]

    def simulate(self, body: Any, sales_channel: Any, affiliate_id: Any = None) -> dict[str, Any]:
        sc = self._check_channel(sales_channel)
        if affiliate_id is not None:
            self.affiliate(affiliate_id)
        if not isinstance(body, dict) or not isinstance(body.get("items"), list) or not body["items"]:
            raise ApiError(400, "items is required")
        postal = body.get("postalCode")
        postal_ok = bool(postal) and bool(re.fullmatch(r"\d{5}-?\d{3}", str(postal)))
        items, logistics, messages = [], [], []
        total = 0
        for index, line in enumerate(body["items"]):
            if not isinstance(line, dict):
                raise ApiError(400, f"items[{index}] must be an object")
            quantity = _int(line.get("quantity"), f"items[{index}].quantity", 1)
            found = self.find_sku(line.get("id"))
            if found is None or not (found[1].active and found[0].active):
                messages.append(
                    {"code": "ORD002", "text": f"Item {line.get('id')} não encontrado", "status": "error"}
                )
                continue
            sku = found[1]
            prices = self._unit_price_cents(sku, sc, quantity)
            if prices is None:
                messages.append({"code": "ORD003", "text": f"Item {sku.sku_id} sem preço", "status": "error"})
                continue
            price, list_price = prices
            balance = self.total_available(sku)
            total += price * quantity
            items.append(
                {
                    "id": str(sku.sku_id),
                    "requestIndex": index,
                    "quantity": quantity,
                    "seller": str(line.get("seller") or "1"),
                    "sellerChain": ["1"],
                    "tax": 0,
                    "priceValidUntil": (now_utc() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "price": price,
                    "listPrice": list_price,
                    "rewardValue": 0,
                    "sellingPrice": price,
                    "offerings": [],
                    "priceTags": [],
                    "measurementUnit": "un",
                    "unitMultiplier": 1.0,
                    "parentItemIndex": None,
                    "parentAssemblyBinding": None,
                    "availability": "available" if balance >= quantity else "withoutStock",
                    "priceDefinition": {
                        "calculatedSellingPrice": price,
                        "total": price * quantity,
                        "sellingPrices": [{"value": price, "quantity": quantity}],
                    },
                }
            )
            logistics.append(
                {
                    "itemIndex": len(items) - 1,
                    "quantity": quantity,
                    "shipsTo": ["BRA"],
                    "slas": self._slas(sku, quantity) if postal_ok and balance >= quantity else [],
                    "stockBalance": balance,
                    "deliveryChannels": [{"id": "delivery", "stockBalance": balance}],
                }
            )
        if postal and not postal_ok:
            messages.append(
                {"code": "invalidPostalCode", "text": f"CEP inválido: {postal}", "status": "error"}
            )
        return {
            "items": items,
            "ratesAndBenefitsData": {"rateAndBenefitsIdentifiers": [], "teaser": []},
            "paymentData": None,
            "selectableGifts": [],
            "marketingData": None,
            "postalCode": postal,
            "country": body.get("country") or "BRA",
            "logisticsInfo": logistics,
            "messages": messages,
            "pickupPoints": [],
            "subscriptionData": None,
            "totals": [{"id": "Items", "name": "Total dos Itens", "value": total}],
            "itemMetadata": None,
        }

    # ------------------------------------------------------------ placing orders
    def order(self, order_id: str) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            for candidate in self.orders.values():
                if candidate["sequence"] == order_id:
                    return candidate
            raise ApiError(404, f"Order {order_id} not found", "OMS002")
        return order

    def place_orders(self, body: Any, sales_channel: Any, affiliate_id: Any) -> list[dict[str, Any]]:
        """Fulfillment `POST /api/fulfillment/pvt/orders`: a JSON array of marketplace orders.

        Idempotent on (affiliate, marketplaceOrderId): an order already placed is answered as it was
        placed, never created twice. Every order is validated before any is created.
        """
        sc = self._check_channel(sales_channel)
        affiliate = self.affiliate(affiliate_id)
        if not isinstance(body, list) or not body:
            raise ApiError(400, "the body must be a non-empty JSON array of orders")
        plans = []
        for n, payload in enumerate(body):
            if not isinstance(payload, dict):
                raise ApiError(400, f"order [{n}] must be an object")
            mkp_id = str(payload.get("marketplaceOrderId") or "").strip()
            if not mkp_id:
                raise ApiError(400, "marketplaceOrderId is required")
            order_id = f"{affiliate.id}-{mkp_id}"
            if order_id in self.orders:
                plans.append((order_id, None))
            else:
                plans.append((order_id, self._validate_order(payload, sc, n)))
        results = []
        for order_id, plan in plans:
            if plan is not None:
                self._create_order(order_id, plan, sc, affiliate)
            results.append(self._placement_view(self.orders[order_id]))
        return results

    def _validate_order(self, payload: dict[str, Any], sc: str, n: int) -> dict[str, Any]:
        where = f"order [{n}]"
        items = payload.get("items")
        if not isinstance(items, list) or not items:
            raise ApiError(400, f"{where}: items is required")
        profile = payload.get("clientProfileData")
        if not isinstance(profile, dict):
            raise ApiError(400, f"{where}: clientProfileData is required")
        for name in ("email", "firstName", "lastName", "document"):
            if not profile.get(name):
                raise ApiError(400, f"{where}: clientProfileData.{name} is required")
        shipping = payload.get("shippingData")
        address = shipping.get("address") if isinstance(shipping, dict) else None
        if not isinstance(address, dict):
            raise ApiError(400, f"{where}: shippingData.address is required")
        for name in ("postalCode", "city", "state", "street", "number"):
            if not address.get(name):
                raise ApiError(400, f"{where}: shippingData.address.{name} is required")
        logistics = shipping.get("logisticsInfo")
        if not isinstance(logistics, list) or sorted(
            int(li.get("itemIndex", -1)) for li in logistics if isinstance(li, dict)
        ) != list(range(len(items))):
            raise ApiError(400, f"{where}: shippingData.logisticsInfo needs one entry per item index")
        if payload.get("marketplacePaymentValue") is not None:
            _int(payload["marketplacePaymentValue"], f"{where}: marketplacePaymentValue", 0)
        sla_ids = {name for name, _, _ in SLAS}
        lines = []
        wanted: dict[int, int] = {}
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise ApiError(400, f"{where}: items[{i}] must be an object")
            quantity = _int(item.get("quantity"), f"{where}: items[{i}].quantity", 1)
            price = _int(item.get("price"), f"{where}: items[{i}].price (cents)", 0)
            if str(item.get("seller") or "1") != "1":
                raise ApiError(
                    400, f"{where}: items[{i}].seller {item.get('seller')!r} is not a seller of this store"
                )
            found = self.find_sku(item.get("id"))
            if found is None or not (found[0].active and found[1].active):
                raise ApiError(400, f"Item {item.get('id')} não encontrado ou inativo", "ORDER027")
            product, sku = found
            expected = self._unit_price_cents(sku, sc, quantity)
            if expected is None:
                raise ApiError(400, f"Item {sku.sku_id} sem preço na política comercial {sc}", "ORDER027")
            if price != expected[0] and not payload.get("isCreatedAsync"):
                raise ApiError(
                    400,
                    f"Divergência de preço no item {sku.sku_id}: enviado {price}, esperado {expected[0]}",
                    "FMT007",
                )
            wanted[sku.sku_id] = wanted.get(sku.sku_id, 0) + quantity
            if self.total_available(sku) < wanted[sku.sku_id]:
                raise ApiError(400, f"Item {sku.sku_id} não tem estoque suficiente", "ORDER027")
            lines.append((product, sku, item, quantity, price, expected[1]))
        by_index = {int(li["itemIndex"]): li for li in logistics}
        for index, li in by_index.items():
            if li.get("selectedSla") not in sla_ids:
                raise ApiError(
                    400, f"SLA {li.get('selectedSla')!r} indisponível para o item {index}", "ORDER027"
                )
            _int(li.get("price", 0), f"{where}: logisticsInfo[{index}].price (cents)", 0)
        return {"payload": payload, "lines": lines, "logistics": by_index}

    def _create_order(self, order_id: str, plan: dict[str, Any], sc: str, affiliate: Affiliate) -> None:
        payload = plan["payload"]
        created = now_utc()
        items, logistics_info = [], []
        items_total = shipping_total = 0
        for index, (product, sku, item, quantity, price, list_price) in enumerate(plan["lines"]):
            warehouse = self._reserve(sku, quantity)
            path_ids = category_path_ids(product.category)
            items.append(
                {
                    "uniqueId": uuid.uuid4().hex.upper(),
                    "id": str(sku.sku_id),
                    "productId": str(product.product_id),
                    "ean": sku.ean,
                    "lockId": f"00-{order_id}",
                    "itemAttachment": {"content": {}, "name": None},
                    "attachments": [],
                    "quantity": quantity,
                    "seller": "1",
                    "name": sku_name(product, sku),
                    "refId": sku.ref_id,
                    "price": price,
                    "listPrice": list_price,
                    "manualPrice": None,
                    "priceTags": [],
                    "imageUrl": sized_image_url(self.image_base_url, sku.image_ids[0], product)
                    if sku.image_ids
                    else None,
                    "detailUrl": f"/{product.slug}/p",
                    "components": [],
                    "bundleItems": [],
                    "params": [],
                    "offerings": [],
                    "sellerSku": str(sku.sku_id),
                    "priceValidUntil": None,
                    "commission": int(item.get("commission") or 0),
                    "tax": 0,
                    "preSaleDate": None,
                    "additionalInfo": {
                        "brandName": product.brand.name,
                        "brandId": str(product.brand.id),
                        "categoriesIds": "/" + "/".join(str(i) for i in path_ids) + "/",
                        "productClusterId": "",
                        "commercialConditionId": "1",
                        "dimension": {
                            "cubicweight": round(sku.height_cm * sku.width_cm * sku.length_cm / 6000, 4),
                            "height": sku.height_cm,
                            "length": sku.length_cm,
                            "weight": float(sku.weight_kg * 1000),
                            "width": sku.width_cm,
                        },
                        "offeringInfo": None,
                        "offeringType": None,
                        "offeringTypeId": None,
                    },
                    "measurementUnit": "un",
                    "unitMultiplier": 1.0,
                    "sellingPrice": price,
                    "isGift": False,
                    "shippingPrice": None,
                    "rewardValue": 0,
                    "freightCommission": int(item.get("freightCommission") or 0),
                    "priceDefinition": {
                        "sellingPrices": [{"value": price, "quantity": quantity}],
                        "calculatedSellingPrice": price,
                        "total": price * quantity,
                    },
                    "taxCode": None,
                    "parentItemIndex": None,
                    "parentAssemblyBinding": None,
                    "callCenterOperator": None,
                    "serialNumbers": None,
                    "assemblies": [],
                    "costPrice": None,
                }
            )
            items_total += price * quantity
            li = plan["logistics"][index]
            freight = int(li.get("price") or 0)
            shipping_total += freight
            sla_id = li["selectedSla"]
            estimate = li.get("shippingEstimate") or next(e for n, e, _ in SLAS if n == sla_id)
            days = int(re.sub(r"\D", "", estimate) or "5")
            logistics_info.append(
                {
                    "itemIndex": index,
                    "selectedSla": sla_id,
                    "selectedDeliveryChannel": li.get("selectedDeliveryChannel") or "delivery",
                    "lockTTL": li.get("lockTTL") or "8d",
                    "price": freight,
                    "listPrice": freight,
                    "sellingPrice": freight,
                    "deliveryWindow": li.get("deliveryWindow"),
                    "deliveryCompany": "Transportadora Sandbox",
                    "shippingEstimate": estimate,
                    "shippingEstimateDate": vtex_time(created + timedelta(days=days)),
                    "slas": [],
                    "shipsTo": ["BRA"],
                    "deliveryIds": [
                        {
                            "courierId": "1",
                            "courierName": "Transportadora Sandbox",
                            "dockId": "1",
                            "quantity": quantity,
                            "warehouseId": warehouse,
                            "accountCarrierName": None,
                            "kitItemDetails": [],
                        }
                    ],
                    "deliveryChannels": [{"id": "delivery", "stockBalance": 0}],
                    "deliveryChannel": "delivery",
                    "pickupStoreInfo": {"isPickupStore": False},
                    "addressId": "1",
                    "versionId": None,
                    "entityId": None,
                    "polygonName": None,
                    "transitTime": estimate,
                }
            )
        profile = dict(payload["clientProfileData"])
        profile.setdefault("documentType", "cpf")
        profile.setdefault("phone", None)
        profile.setdefault("isCorporate", False)
        profile["userProfileId"] = str(uuid.uuid5(uuid.NAMESPACE_DNS, profile["email"]))
        address = {
            "addressId": "1",
            "geoCoordinates": [],
            "country": "BRA",
            "addressType": "residential",
            **payload["shippingData"]["address"],
        }
        sequence = str(self.next_sequence)
        self.next_sequence += 1
        payment = payload.get("paymentData") or {}
        transactions = (
            [
                {
                    "isActive": True,
                    "transactionId": uuid.uuid4().hex.upper(),
                    "merchantName": self.name.upper(),
                    "payments": [dict(p, id=uuid.uuid4().hex.upper()) for p in payment.get("payments") or []],
                }
            ]
            if payment.get("payments")
            else []
        )
        order = {
            "orderId": order_id,
            "sequence": sequence,
            "marketplaceOrderId": payload["marketplaceOrderId"],
            "marketplaceServicesEndpoint": payload.get("marketplaceServicesEndpoint"),
            "sellerOrderId": f"00-{order_id}",
            "origin": "Fulfillment",
            "affiliateId": affiliate.id,
            "salesChannel": sc,
            "merchantName": None,
            "status": "order-accepted",
            "statusDescription": STATUS_DESCRIPTIONS["order-accepted"],
            "value": items_total + shipping_total,
            "creationDate": vtex_time(created),
            "lastChange": vtex_time(created),
            "orderGroup": None,
            "followUpEmail": f"{uuid.uuid5(uuid.NAMESPACE_URL, order_id).hex[:32]}@ct.vtex.com.br",
            "totals": [
                {"id": "Items", "name": "Total dos Itens", "value": items_total},
                {"id": "Discounts", "name": "Total dos Descontos", "value": 0},
                {"id": "Shipping", "name": "Total do Frete", "value": shipping_total},
                {"id": "Tax", "name": "Total da Taxa", "value": 0},
            ],
            "items": items,
            "marketplaceItems": [],
            "clientProfileData": profile,
            "giftRegistryData": None,
            "marketingData": None,
            "ratesAndBenefitsData": {"id": "ratesAndBenefitsData", "rateAndBenefitsIdentifiers": []},
            "shippingData": {
                "id": "shippingData",
                "address": address,
                "logisticsInfo": logistics_info,
                "trackingHints": [],
                "selectedAddresses": [address],
                "isFOB": False,
            },
            "paymentData": {"giftCards": [], "transactions": transactions},
            "packageAttachment": {"packages": []},
            "sellers": [{"id": "1", "name": self.catalog.account, "logo": "", "fulfillmentEndpoint": None}],
            "callCenterOperatorData": None,
            "followUpEmailData": None,
            "lastMessage": None,
            "hostname": self.name,
            "invoiceData": None,
            "changesAttachment": None,
            "openTextField": payload.get("openTextField"),
            "roundingError": 0,
            "orderFormId": uuid.uuid4().hex,
            "commercialConditionData": None,
            "isCompleted": True,
            "customData": None,
            "storePreferencesData": {
                "countryCode": "BRA",
                "currencyCode": "BRL",
                "currencyFormatInfo": {
                    "CurrencyDecimalDigits": 2,
                    "CurrencyDecimalSeparator": ",",
                    "CurrencyGroupSeparator": ".",
                    "CurrencyGroupSize": 3,
                    "StartsWithCurrencySymbol": True,
                },
                "currencyLocale": 1046,
                "currencySymbol": "R$",
                "timeZone": "E. South America Standard Time",
            },
            "allowCancellation": True,
            "allowEdition": False,
            "isCheckedIn": False,
            "marketplace": {
                "baseURL": payload.get("marketplaceServicesEndpoint"),
                "isCertified": None,
                "name": affiliate.name,
            },
            "authorizedDate": None,
            "invoicedDate": None,
            "cancelReason": None,
            "itemMetadata": None,
            "subscriptionData": None,
            "taxData": None,
            "checkedInPickupPointId": None,
            "cancellationData": None,
            "clientPreferencesData": {"locale": "pt-BR", "optinNewsLetter": False},
        }
        self.orders[order_id] = order
        self.order_history[order_id] = []
        self._record(order, None)
        self._move(order, "waiting-ffmt-authorization")

    @staticmethod
    def _placement_view(order: dict[str, Any]) -> dict[str, Any]:
        shipping = order["shippingData"]
        return {
            "marketplaceOrderId": order["marketplaceOrderId"],
            "orderId": order["orderId"],
            "followUpEmail": order["followUpEmail"],
            "items": [
                {
                    "id": i["id"],
                    "quantity": i["quantity"],
                    "seller": i["seller"],
                    "commission": i["commission"],
                    "freightCommission": i["freightCommission"],
                    "price": i["price"],
                    "bundleItems": [],
                    "itemAttachment": {"name": None, "content": {}},
                    "attachments": [],
                    "priceTags": [],
                    "measurementUnit": "un",
                    "unitMultiplier": 1.0,
                    "isGift": False,
                }
                for i in order["items"]
            ],
            "clientProfileData": order["clientProfileData"],
            "shippingData": {
                "isFOB": False,
                "address": shipping["address"],
                "selectedAddresses": shipping["selectedAddresses"],
                "logisticsInfo": [
                    {
                        "itemIndex": li["itemIndex"],
                        "selectedSla": li["selectedSla"],
                        "selectedDeliveryChannel": li["selectedDeliveryChannel"],
                        "lockTTL": li["lockTTL"],
                        "shippingEstimate": li["shippingEstimate"],
                        "price": li["price"],
                        "deliveryWindow": li["deliveryWindow"],
                        "deliveryIds": li["deliveryIds"],
                    }
                    for li in shipping["logisticsInfo"]
                ],
                "trackingHints": [],
            },
            "paymentData": None,
            "customData": None,
            "marketplaceServicesEndpoint": order["marketplaceServicesEndpoint"],
        }

    # ------------------------------------------------------------ workflow
    def _record(self, order: dict[str, Any], last_state: str | None) -> None:
        self.order_history[order["orderId"]].append(
            {"state": order["status"], "lastState": last_state or "", "at": order["lastChange"]}
        )
        self.listener.order_changed(self, order, last_state)

    def _move(self, order: dict[str, Any], status: str) -> None:
        last = order["status"]
        order["status"] = status
        order["statusDescription"] = STATUS_DESCRIPTIONS.get(status, status)
        order["lastChange"] = vtex_time()
        order["allowCancellation"] = status in CANCELLABLE
        self._record(order, last)

    def authorize(self, order_id: str, body: Any, sales_channel: Any, affiliate_id: Any) -> dict[str, Any]:
        """Fulfillment `.../orders/{orderId}/fulfill`: the marketplace was paid; dispatch may start."""
        self._check_channel(sales_channel)
        affiliate = self.affiliate(affiliate_id)
        order = self.order(order_id)
        if order["affiliateId"] != affiliate.id:
            raise ApiError(404, f"Order {order_id} not found for affiliate {affiliate.id}", "OMS002")
        if not isinstance(body, dict) or str(body.get("marketplaceOrderId")) != order["marketplaceOrderId"]:
            raise ApiError(400, "marketplaceOrderId does not match the order")
        if order["status"] in ("cancel", "canceled"):
            raise ApiError(409, f"Order {order_id} is canceled", "OMS003")
        receipt = order.setdefault("_authorization", None)
        if receipt is None:
            now = now_utc()
            order["_authorization"] = receipt = {
                "orderId": order["orderId"],
                "marketplaceOrderId": order["marketplaceOrderId"],
                "receipt": str(uuid.uuid4()),
                "date": vtex_time(now),
                "items": [{"id": i["id"]} for i in order["items"]],
                "shippingData": {
                    "logisticsInfo": [
                        {
                            "itemIndex": li["itemIndex"],
                            "selectedSla": li["selectedSla"],
                            "selectedDeliveryChannel": li["selectedDeliveryChannel"],
                            "shippingEstimateDate": li["shippingEstimateDate"],
                        }
                        for li in order["shippingData"]["logisticsInfo"]
                    ]
                },
            }
            order["authorizedDate"] = vtex_time(now)
            self._move(order, "authorize-fulfillment")
            self._move(order, "window-to-cancel")
            self.listener.call_later(self.window_to_cancel_seconds, lambda: self.end_window(order_id))
        return {k: v for k, v in receipt.items()}

    def end_window(self, order_id: str) -> None:
        order = self.orders.get(order_id)
        if order is not None and order["status"] == "window-to-cancel":
            self._move(order, "ready-for-handling")

    def start_handling(self, order_id: str) -> None:
        order = self.order(order_id)
        if order["status"] != "ready-for-handling":
            raise ApiError(409, "Order status should be ready-for-handling to perform this action", "OMS003")
        self._move(order, "handling")

    def cancel(self, order_id: str, reason: str | None = None) -> dict[str, Any]:
        order = self.order(order_id)
        if order.get("_cancellation"):
            return dict(order["_cancellation"])
        if any(p["type"] == "Output" for p in order["packageAttachment"]["packages"]):
            raise ApiError(
                400, "An invoiced order can only be canceled after a return (Input) invoice", "OMS003"
            )
        if order["status"] not in CANCELLABLE:
            raise ApiError(400, f"Order in status {order['status']} cannot be canceled", "OMS003")
        for item, li in zip(order["items"], order["shippingData"]["logisticsInfo"], strict=True):
            for delivery in li["deliveryIds"]:
                self._release(int(item["id"]), delivery["warehouseId"], delivery["quantity"])
        receipt = {"date": vtex_time(), "orderId": order_id, "receipt": uuid.uuid4().hex}
        order["_cancellation"] = receipt
        order["cancelReason"] = reason
        order["cancellationData"] = {
            "RequestedByUser": False,
            "RequestedBySystem": False,
            "RequestedBySellerNotification": True,
            "RequestedByPaymentNotification": False,
            "Reason": reason,
            "CancellationDate": receipt["date"],
        }
        self._move(order, "cancel")
        self._move(order, "canceled")
        self.listener.marketplace_callback(
            self,
            order,
            "cancel",
            {"orderId": order_id, "marketplaceOrderId": order["marketplaceOrderId"], "reason": reason},
        )
        return dict(receipt)

    def invoice(self, order_id: str, body: Any, resources: frozenset[str] | None = None) -> dict[str, Any]:
        """OMS invoice notification (see the client's `Invoice`): keyed by invoiceNumber."""
        order = self.order(order_id)
        if not isinstance(body, dict):
            raise ApiError(400, "the body must be a JSON object")
        kind = body.get("type")
        if kind not in ("Output", "Input"):
            raise ApiError(400, "type must be Output (sale) or Input (return)")
        if resources is not None and kind == "Input" and "Notify refund" not in resources:
            raise ApiError(403, "Input invoices need the Notify refund resource")
        number = str(body.get("invoiceNumber") or "").strip()
        if not number:
            raise ApiError(400, "invoiceNumber is required")
        raw_value = body.get("invoiceValue")
        if isinstance(raw_value, bool) or not (
            (isinstance(raw_value, str) and raw_value.isdigit()) or isinstance(raw_value, int)
        ):
            raise ApiError(400, f'invoiceValue must be the value in cents, e.g. "2499"; got {raw_value!r}')
        value = int(raw_value)
        issued = parse_time(body.get("issuanceDate"), "issuanceDate")
        packages = order["packageAttachment"]["packages"]
        for package in packages:
            if package["invoiceNumber"] == number:
                return {"date": vtex_time(), "orderId": order_id, "receipt": uuid.uuid4().hex}
        if kind == "Output" and order["status"] not in INVOICEABLE:
            raise ApiError(
                400, "Order status should be ready-for-handling or handling to be invoiced", "OMS003"
            )
        if kind == "Input" and order["status"] != "invoiced":
            raise ApiError(400, "A return invoice needs an invoiced order", "OMS003")
        lines = body.get("items")
        if not isinstance(lines, list) or not lines:
            raise ApiError(400, "items is required")
        ordered = {i["id"]: (index, i) for index, i in enumerate(order["items"])}
        invoiced_qty = self._invoiced_quantities(order, kind)
        package_items = []
        for n, line in enumerate(lines):
            if not isinstance(line, dict) or str(line.get("id")) not in ordered:
                raise ApiError(
                    400,
                    f"items[{n}]: item {line.get('id') if isinstance(line, dict) else line!r} is not in the order",
                )
            index, item = ordered[str(line["id"])]
            quantity = _int(line.get("quantity"), f"items[{n}].quantity", 1)
            price = _int(line.get("price"), f"items[{n}].price (cents)", 0)
            if invoiced_qty.get(item["id"], 0) + quantity > item["quantity"]:
                raise ApiError(400, f"items[{n}]: more units of item {item['id']} than ordered")
            invoiced_qty[item["id"]] = invoiced_qty.get(item["id"], 0) + quantity
            package_items.append(
                {
                    "itemIndex": index,
                    "quantity": quantity,
                    "price": price,
                    "description": line.get("description"),
                    "unitMultiplier": 1.0,
                }
            )
        package = {
            "type": kind,
            "invoiceNumber": number,
            "invoiceValue": value,
            "invoiceUrl": body.get("invoiceUrl"),
            "issuanceDate": vtex_time(issued),
            "invoiceKey": body.get("invoiceKey"),
            "embeddedInvoice": body.get("embeddedInvoice"),
            "courier": body.get("courier"),
            "trackingNumber": body.get("trackingNumber"),
            "trackingUrl": body.get("trackingUrl"),
            "dispatchedDate": body.get("dispatchedDate"),
            "items": package_items,
            "restitutions": {},
            "volumes": None,
            "cfop": None,
            "courierStatus": None,
        }
        packages.append(package)
        if kind == "Output":
            for pi in package_items:
                item = order["items"][pi["itemIndex"]]
                for delivery in order["shippingData"]["logisticsInfo"][pi["itemIndex"]]["deliveryIds"]:
                    self._consume(int(item["id"]), delivery["warehouseId"], pi["quantity"])
            complete = all(invoiced_qty.get(i["id"], 0) >= i["quantity"] for i in order["items"])
            if complete and order["status"] != "invoiced":
                if order["status"] == "ready-for-handling":
                    self._move(order, "handling")
                self._move(order, "invoice")
                order["invoicedDate"] = vtex_time()
                self._move(order, "invoiced")
            self.listener.marketplace_callback(
                self, order, "invoice", self._marketplace_invoice(package, order)
            )
        return {"date": vtex_time(), "orderId": order_id, "receipt": uuid.uuid4().hex}

    @staticmethod
    def _invoiced_quantities(order: dict[str, Any], kind: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for package in order["packageAttachment"]["packages"]:
            if package["type"] != kind:
                continue
            for pi in package["items"]:
                item_id = order["items"][pi["itemIndex"]]["id"]
                out[item_id] = out.get(item_id, 0) + pi["quantity"]
        return out

    @staticmethod
    def _marketplace_invoice(package: dict[str, Any], order: dict[str, Any]) -> dict[str, Any]:
        """What VTEX posts to the marketplace's `{endpoint}/pvt/orders/{marketplaceOrderId}/invoice`."""
        return {
            "type": package["type"],
            "invoiceNumber": package["invoiceNumber"],
            "invoiceValue": package["invoiceValue"],
            "issuanceDate": package["issuanceDate"],
            "invoiceKey": package["invoiceKey"],
            "invoiceUrl": package["invoiceUrl"],
            "embeddedInvoice": package["embeddedInvoice"],
            "courier": package["courier"],
            "trackingNumber": package["trackingNumber"],
            "trackingUrl": package["trackingUrl"],
            "dispatchedDate": package["dispatchedDate"],
            "items": [
                {
                    "id": order["items"][pi["itemIndex"]]["id"],
                    "quantity": pi["quantity"],
                    "price": pi["price"],
                }
                for pi in package["items"]
            ],
        }

    def replace_invoice(self, order_id: str, body: dict[str, Any]) -> str:
        """Swaps the NF-e of the order's latest sale invoice for a new one (number, key, value, XML) and
        posts the invoice to the marketplace again; returns the number replaced."""
        order = self.order(order_id)
        package = next(
            (p for p in reversed(order["packageAttachment"]["packages"]) if p["type"] == "Output"), None
        )
        if package is None:
            raise ApiError(404, f"Order {order_id} has no sale invoice to replace")
        replaced = package["invoiceNumber"]
        package.update(
            invoiceNumber=str(body["invoiceNumber"]),
            invoiceValue=int(body["invoiceValue"]),
            invoiceKey=body.get("invoiceKey"),
            invoiceUrl=body.get("invoiceUrl"),
            embeddedInvoice=body.get("embeddedInvoice"),
            issuanceDate=vtex_time(parse_time(body.get("issuanceDate"), "issuanceDate")),
        )
        order["lastChange"] = vtex_time()
        self.listener.marketplace_callback(self, order, "invoice", self._marketplace_invoice(package, order))
        return replaced

    def update_tracking(self, order_id: str, number: str, body: Any) -> dict[str, Any]:
        order = self.order(order_id)
        package = next(
            (p for p in order["packageAttachment"]["packages"] if p["invoiceNumber"] == number), None
        )
        if package is None:
            raise ApiError(404, f"Invoice {number} not found in order {order_id}")
        if not isinstance(body, dict):
            raise ApiError(400, "the body must be a JSON object")
        for name in ("trackingNumber", "trackingUrl", "courier", "dispatchedDate"):
            if body.get(name) is not None:
                package[name] = body[name]
        order["lastChange"] = vtex_time()
        order["shippingData"]["trackingHints"] = [
            {"trackingId": p["trackingNumber"], "courierName": p["courier"], "trackingUrl": p["trackingUrl"]}
            for p in order["packageAttachment"]["packages"]
            if p.get("trackingNumber")
        ]
        self.listener.marketplace_callback(self, order, "invoice", self._marketplace_invoice(package, order))
        return {"date": vtex_time(), "orderId": order_id, "receipt": uuid.uuid4().hex}

    def list_orders(self, params: dict[str, str]) -> dict[str, Any]:
        per_page = _query_int(params.get("per_page"), 15, "per_page")
        page = _query_int(params.get("page"), 1, "page")
        if not 1 <= per_page <= 100:
            raise ApiError(400, "per_page must be between 1 and 100")
        if not 1 <= page <= 30:
            raise ApiError(400, "page must be between 1 and 30")
        statuses = {s for s in (params.get("f_status") or "").split(",") if s}
        window = params.get("f_creationDate")
        start = end = None
        if window:
            m = re.fullmatch(r"creationDate:\[(\S+) TO (\S+)\]", window)
            if not m:
                raise ApiError(400, "f_creationDate must read creationDate:[<from> TO <to>]")
            start = None if m.group(1) == "*" else parse_time(m.group(1), "f_creationDate")
            end = None if m.group(2) == "*" else parse_time(m.group(2), "f_creationDate")
        rows = []
        for order in self.orders.values():
            created = parse_time(order["creationDate"], "creationDate")
            if statuses and order["status"] not in statuses:
                continue
            if (start and created < start) or (end and created > end):
                continue
            rows.append(order)
        rows.sort(key=lambda o: o["creationDate"], reverse=True)
        chunk = rows[(page - 1) * per_page : page * per_page]
        profile = lambda o: f"{o['clientProfileData']['firstName']} {o['clientProfileData']['lastName']}"  # noqa: E731
        return {
            "list": [
                {
                    "orderId": o["orderId"],
                    "creationDate": o["creationDate"],
                    "clientName": profile(o),
                    "items": None,
                    "totalValue": o["value"],
                    "paymentNames": "",
                    "status": o["status"],
                    "statusDescription": o["statusDescription"],
                    "marketPlaceOrderId": o["marketplaceOrderId"],
                    "sequence": o["sequence"],
                    "salesChannel": o["salesChannel"],
                    "affiliateId": o["affiliateId"],
                    "origin": o["origin"],
                    "workflowInErrorState": False,
                    "workflowInRetry": False,
                    "lastMessageUnread": None,
                    "ShippingEstimatedDate": None,
                    "orderIsComplete": True,
                    "authorizedDate": o["authorizedDate"],
                    "totalItems": sum(i["quantity"] for i in o["items"]),
                    "currencyCode": "BRL",
                    "hostname": o["hostname"],
                    "invoiceOutput": [
                        p["invoiceNumber"]
                        for p in o["packageAttachment"]["packages"]
                        if p["type"] == "Output"
                    ]
                    or None,
                    "invoiceInput": [
                        p["invoiceNumber"] for p in o["packageAttachment"]["packages"] if p["type"] == "Input"
                    ]
                    or None,
                    "lastChange": o["lastChange"],
                }
                for o in chunk
            ],
            "facets": [],
            "paging": {
                "total": len(rows),
                "pages": max(1, -(-len(rows) // per_page)),
                "currentPage": page,
                "perPage": per_page,
            },
            "stats": {"stats": {"totalValue": {"Count": len(rows), "Sum": sum(o["value"] for o in rows)}}},
        }

    def public_order(self, order: dict[str, Any]) -> dict[str, Any]:
        """The order as the OMS returns it (without the sandbox's bookkeeping)."""
        return {k: v for k, v in order.items() if not k.startswith("_")}

    # ------------------------------------------------------------ feed and hook
    @staticmethod
    def check_filter(body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("filter"), dict):
            raise ApiError(400, "filter is required")
        flt = body["filter"]
        if flt.get("type") == "FromWorkflow":
            statuses = flt.get("status") or []
            if not isinstance(statuses, list) or any(s not in KNOWN_STATUSES for s in statuses):
                raise ApiError(400, f"unknown status in filter: {statuses!r}")
            return {"type": "FromWorkflow", "status": list(statuses)}
        if flt.get("type") == "FromOrders":
            expression = flt.get("expression")
            if not isinstance(expression, str) or not expression.strip():
                raise ApiError(400, "a FromOrders filter needs an expression")
            compile_expression(expression)
            return {
                "type": "FromOrders",
                "expression": expression,
                "disableSingleFire": bool(flt.get("disableSingleFire")),
            }
        raise ApiError(400, "filter.type must be FromWorkflow or FromOrders")

    @staticmethod
    def matches(flt: dict[str, Any], order: dict[str, Any]) -> bool:
        if flt["type"] == "FromWorkflow":
            return not flt["status"] or order["status"] in flt["status"]
        return compile_expression(flt["expression"])(order)

    def configure_feed(self, app_key: str, body: Any) -> None:
        flt = self.check_filter(body)
        existing = self.feeds.get(app_key)
        if existing and existing.filter["type"] != flt["type"]:
            raise ApiError(409, "The feed already has a filter of another type; delete it first")
        queue = body.get("queue") or {}
        visibility = _int(queue.get("visibilityTimeoutInSeconds", 240), "visibilityTimeoutInSeconds", 0)
        retention = _int(
            queue.get("messageRetentionPeriodInSeconds", 345600), "messageRetentionPeriodInSeconds", 0
        )
        if not 345600 <= retention <= 1209600:
            raise ApiError(400, "messageRetentionPeriodInSeconds must be between 345600 and 1209600")
        if existing:
            existing.filter, existing.visibility_timeout, existing.retention = flt, visibility, retention
        else:
            self.feeds[app_key] = FeedQueue(flt, visibility, retention)

    def feed_config(self, app_key: str) -> dict[str, Any]:
        feed = self.feeds.get(app_key)
        if feed is None:
            raise ApiError(404, "No feed is configured for this app key")
        now = now_utc()
        oldest = min((parse_time(i["currentChange"], "t") for i in feed.items), default=None)
        return {
            "filter": feed.filter,
            "queue": {
                "visibilityTimeoutInSeconds": feed.visibility_timeout,
                "messageRetentionPeriodInSeconds": feed.retention,
            },
            "quantity": len(feed.items),
            "approximateAgeOfOldestMessageInSeconds": (now - oldest).total_seconds() if oldest else 0,
        }

    def feed_items(self, app_key: str, max_lot: int) -> list[dict[str, Any]]:
        feed = self.feeds.get(app_key)
        if feed is None:
            raise ApiError(404, "No feed is configured for this app key")
        now = now_utc()
        out = []
        for item in feed.items:
            if len(out) >= max_lot:
                break
            if item["_visible_at"] > now:
                continue
            item["handle"] = uuid.uuid4().hex
            item["_visible_at"] = now + timedelta(seconds=feed.visibility_timeout)
            out.append({k: v for k, v in item.items() if not k.startswith("_")})
        return out

    def commit_feed(self, app_key: str, handles: Any) -> None:
        feed = self.feeds.get(app_key)
        if feed is None:
            raise ApiError(404, "No feed is configured for this app key")
        if not isinstance(handles, list):
            raise ApiError(400, "handles must be a list")
        wanted = {str(h) for h in handles}
        feed.items = [i for i in feed.items if i.get("handle") not in wanted]

    def push_feed_event(self, order: dict[str, Any], last_state: str | None) -> None:
        for feed in self.feeds.values():
            if self.matches(feed.filter, order):
                feed.items.append(
                    {
                        "eventId": uuid.uuid4().hex,
                        "handle": None,
                        "domain": "Fulfillment",
                        "state": order["status"],
                        "lastState": last_state,
                        "orderId": order["orderId"],
                        "lastChange": order["lastChange"],
                        "currentChange": order["lastChange"],
                        "_visible_at": now_utc(),
                    }
                )

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


def _query_int(value: str | None, default: int, name: str) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, f"{name} must be a number") from None


_CLAUSE = re.compile(r"^\s*(\w+)\s*(=|!=|>=|<=|>|<|in)\s*(.+?)\s*$")


def compile_expression(expression: str) -> Callable[[dict[str, Any]], bool]:
    """The sandbox's subset of the JSONata of a FromOrders filter: comparisons of order fields
    (`status = "invoiced"`, `value > 10000`, `salesChannel in ["1","2"]`) joined by `and` / `or`."""
    import json

    def clause(text: str) -> Callable[[dict[str, Any]], bool]:
        m = _CLAUSE.match(text)
        if not m:
            raise ApiError(400, f"the sandbox cannot evaluate the expression part {text!r}")
        name, op, raw = m.groups()
        try:
            literal = json.loads(raw)
        except json.JSONDecodeError:
            raise ApiError(400, f"not a literal in the expression: {raw!r}") from None
        if op == "in" and not isinstance(literal, list):
            raise ApiError(400, "`in` takes a list")

        def test(order: dict[str, Any]) -> bool:
            value = order.get(name)
            if op == "=":
                return value == literal
            if op == "!=":
                return value != literal
            if op == "in":
                return value in literal
            if value is None:
                return False
            return {
                ">": value > literal,
                "<": value < literal,
                ">=": value >= literal,
                "<=": value <= literal,
            }[op]

        return test

    alternatives = [
        [clause(c) for c in re.split(r"\s+and\s+", part)] for part in re.split(r"\s+or\s+", expression)
    ]
    return lambda order: any(all(c(order) for c in group) for group in alternatives)
