"""Stock and price rules: what TikTok should show for a SKU, given what VTEX says.

Pure functions and the client options that drive them (no I/O). Targets are kept as canonical JSON
(`encode_target`), so "does TikTok already show this?" is a string comparison in the state DB.

Stock, per TikTok warehouse: the available units of the VTEX warehouses mapped to it (a warehouse with
unlimited stock counts `unlimited_stock_as`), minus `stock_buffer`, 0 when at or below
`stock_out_of_stock_threshold`, never below 0, at most `stock_max_quantity` (TikTok takes 0–99,999).
A TikTok warehouse no VTEX warehouse maps to shows 0: TikTok wants every warehouse of a SKU listed.

Price: the VTEX computed price on the client's trade policy, plus `price_markup_percent`, rounded to
`price_ending` (e.g. 0.90) in the `price_rounding` direction; the list price gets the same treatment and
is never below the price. A drop of more than `max_price_drop_share` from what TikTok shows is held
until a person confirms it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from tiktok_pipelines.core.client_options import TIKTOK_MAX_QUANTITY, ClientOptions, ClientOptionsError

LANE = "stock_price"
CENT = Decimal("0.01")
KINDS = ("stock", "price")
MISSING_WAREHOUSE_CODE = 12019028  # inventory update that leaves out a warehouse of the SKU


class StockPriceOptionsError(ClientOptionsError):
    """A client's stock or price options are invalid; the message says which and why."""


class StockPriceOptions(ClientOptions):
    """The client options as the stock and price lane reads them: its own validated (the declarations are
    in `client_options`), every other lane's left at its default."""

    @classmethod
    def from_client_options(cls, options: Mapping[str, Any]) -> StockPriceOptions:
        """The lane's options found in a client's options (others belong to other lanes)."""
        try:
            return cls.for_lane(LANE, options)
        except ClientOptionsError as exc:
            raise StockPriceOptionsError(f"invalid stock/price client options: {exc}") from None

    def describe(self) -> dict[str, Any]:
        """Every option of the lane with its effective value, for the CLI and run metadata."""
        return super().describe(LANE)


# ---------------------------------------------------------------- targets as canonical JSON


def encode_target(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def decode_target(text: str | None) -> dict[str, Any] | None:
    return json.loads(text) if text else None


# ---------------------------------------------------------------- stock


def warehouse_plan(
    options: StockPriceOptions, vtex_warehouses: Sequence[str], tiktok_warehouses: Sequence[str]
) -> dict[str, str]:
    """Which TikTok warehouse each VTEX warehouse feeds (VTEX warehouse id → TikTok warehouse id)."""
    if not tiktok_warehouses:
        raise StockPriceOptionsError(
            "the client has no TikTok warehouse ids: authorize its shop (they are filled then) or set them "
            "with `tiktok-pipelines clients set <client> --tiktok-warehouse ...`"
        )
    if options.warehouse_map is None:
        return {wh: tiktok_warehouses[0] for wh in vtex_warehouses}
    unknown = sorted(set(options.warehouse_map.values()) - set(tiktok_warehouses))
    if unknown:
        raise StockPriceOptionsError(
            f"warehouse_map sends stock to TikTok warehouses the client does not have: {', '.join(unknown)} "
            f"(its TikTok warehouses: {', '.join(tiktok_warehouses)})"
        )
    return dict(options.warehouse_map)


def apply_stock_rules(available: int, unlimited: bool, options: StockPriceOptions) -> int:
    """Units to show in one TikTok warehouse, from the units VTEX has for it."""
    quantity = options.unlimited_stock_as if unlimited else available
    quantity -= options.stock_buffer
    if quantity <= options.stock_out_of_stock_threshold:
        quantity = 0
    return min(max(quantity, 0), options.stock_max_quantity, TIKTOK_MAX_QUANTITY)


@dataclass(frozen=True)
class WarehouseReading:
    """One VTEX warehouse's stock of a SKU, as read."""

    available: int
    unlimited: bool = False


def stock_target(
    reading: Mapping[str, WarehouseReading],
    plan: Mapping[str, str],
    tiktok_warehouses: Iterable[str],
    options: StockPriceOptions,
) -> dict[str, int]:
    """Quantity per TikTok warehouse (every one of `tiktok_warehouses`, unmapped ones at 0)."""
    totals: dict[str, int] = {wh: 0 for wh in tiktok_warehouses}
    unlimited: set[str] = set()
    for vtex_wh, stock in reading.items():
        tiktok_wh = plan.get(vtex_wh)
        if tiktok_wh is None:
            continue
        totals.setdefault(tiktok_wh, 0)
        if stock.unlimited:
            unlimited.add(tiktok_wh)
        else:
            totals[tiktok_wh] += max(0, stock.available)
    return {wh: apply_stock_rules(q, wh in unlimited, options) for wh, q in totals.items()}


def inventory_item(tiktok_sku_id: str, target: Mapping[str, int]) -> dict[str, Any]:
    """One SKU of an inventory update: every warehouse listed."""
    return {
        "id": tiktok_sku_id,
        "inventory": [{"warehouse_id": wh, "quantity": int(q)} for wh, q in sorted(target.items())],
    }


def actual_stock(tiktok_sku: Mapping[str, Any]) -> dict[str, int]:
    """Quantity per warehouse of a SKU as TikTok shows it (product search / detail)."""
    return {
        str(i.get("warehouse_id")): int(i.get("quantity") or 0) for i in tiktok_sku.get("inventory") or []
    }


def missing_warehouses(detail: Mapping[str, Any]) -> list[str]:
    """Warehouses a refused inventory update left out (12019028 in `extra_errors`)."""
    return sorted(
        str(e.get("warehouse_id"))
        for e in detail.get("extra_errors") or []
        if int(e.get("code") or 0) == MISSING_WAREHOUSE_CODE and e.get("warehouse_id")
    )


def total_quantity(target: Mapping[str, int] | None) -> int:
    return sum(int(q) for q in (target or {}).values())


# ---------------------------------------------------------------- price


def money(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def round_price(amount: Decimal, ending: Decimal | None, direction: str = "up") -> Decimal:
    """`amount` in cents, or moved to the nearest price ending in `ending` in `direction`
    (47.23 with 0.90: up 47.90, down 46.90, nearest 46.90). Never below one ending above zero."""
    # Cents first: a markup's fraction of a cent must not move a price by a whole ending.
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if ending is None:
        return amount
    base = amount.to_integral_value(rounding=ROUND_FLOOR)
    below = [c for c in (base - 1 + ending, base + ending) if 0 < c <= amount]
    above = [c for c in (base + ending, base + 1 + ending) if c >= amount]
    down = max(below) if below else None
    up = min(above)
    closer_below = down is not None and amount - down < up - amount
    use_down = down is not None and (direction == "down" or (direction == "nearest" and closer_below))
    return (down if use_down else up).quantize(CENT)


def marked_up(amount: Decimal, percent: Decimal) -> Decimal:
    return amount * (1 + percent / 100)


@dataclass(frozen=True)
class PriceTarget:
    price: Decimal
    list_price: Decimal
    currency: str

    def encode(self) -> str:
        return encode_target(
            {"price": str(self.price), "list_price": str(self.list_price), "currency": self.currency}
        )


def price_target(
    selling: Decimal, list_price: Decimal | None, options: StockPriceOptions
) -> PriceTarget | None:
    """The price and list price to show; None when VTEX has no usable price (nothing to push)."""
    if selling is None or selling <= 0:
        return None
    price = round_price(
        marked_up(selling, options.price_markup_percent), options.price_ending, options.price_rounding
    )
    listed = list_price if list_price is not None and list_price > selling else selling
    listed = round_price(
        marked_up(listed, options.price_markup_percent), options.price_ending, options.price_rounding
    )
    return PriceTarget(price, max(listed, price), options.currency)


def price_item(tiktok_sku_id: str, target: Mapping[str, Any]) -> dict[str, Any]:
    """One SKU of a price update."""
    return {
        "id": tiktok_sku_id,
        "price": {"amount": str(target["price"]), "currency": target["currency"]},
        "list_price": {"amount": str(target["list_price"]), "currency": target["currency"]},
    }


def price_drop_share(shown: Decimal | None, new: Decimal) -> float:
    """How much lower `new` is than the price TikTok shows (0 when not lower or nothing shown)."""
    if shown is None or shown <= 0 or new >= shown:
        return 0.0
    return float((shown - new) / shown)


def price_hold(
    target: Mapping[str, Any],
    shown: Mapping[str, Any] | None,
    approved: Mapping[str, Any] | None,
    max_share: float,
) -> str | None:
    """Why a price target must wait for a person (None when it may go): a drop larger than
    `max_share` from the price TikTok shows, unless someone approved this price or a lower one."""
    new = money(target.get("price"))
    current = money((shown or {}).get("price"))
    if new is None:
        return None
    share = price_drop_share(current, new)
    if share <= max_share + 1e-9:
        return None
    floor = money((approved or {}).get("price"))
    if floor is not None and new >= floor:
        return None
    return f"price drop of {share:.0%} ({current} → {new}) is above the {max_share:.0%} guard"


def same_price(actual: Mapping[str, Any] | None, known: Mapping[str, Any] | None) -> bool:
    """Whether TikTok's price (a search shows the price, not the list price) matches what we know."""
    a, k = money((actual or {}).get("price")), money((known or {}).get("price"))
    return a is not None and a == k
