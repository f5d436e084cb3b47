"""Stock and price rules: what a sales channel should show for a SKU, given what VTEX says.

Pure functions and the client options that drive them (no I/O). Targets are kept as canonical JSON
(`core.models.offers.encode_target`), so "does the channel already show this?" is a string comparison
in the state DB.

Stock, per channel warehouse: the available units of the VTEX warehouses mapped to it (a warehouse with
unlimited stock counts `unlimited_stock_as`), minus `stock_buffer`, 0 when at or below
`stock_out_of_stock_threshold`, never below 0, at most `stock_max_quantity` and at most the channel's own
limit (its `Capabilities.stock_most`: TikTok takes 0–99,999; `for_channel` works out the two). A channel
warehouse no VTEX warehouse maps to shows 0: TikTok wants every warehouse of a SKU listed.

The stock and price lane and the catalog lane (a listing's first stock and price) both go through
`stock_target` and `price_target` with the channel's rules, so a channel shows one rule from its first
minute.

Price: the VTEX computed price on the client's trade policy, plus `price_markup_percent`, rounded to
`price_ending` (e.g. 0.90) in the `price_rounding` direction; the list price gets the same treatment and
is never below the price. A drop of more than `max_price_drop_share` from what the channel shows is held
until a person confirms it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from tiktok_pipelines.core.client_options import ClientOptions, ClientOptionsError, check_channel_limits
from tiktok_pipelines.core.models.offers import ONE_STOCK, PriceTarget

LANE = "stock_price"
CENT = Decimal("0.01")
KINDS = ("stock", "price")


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

    def for_channel(self, channel: str, stock_most: int | None = None) -> StockPriceOptions:
        """The rules on `channel`: the client's, with the ones its `channel_rules` sets for the channel;
        given the most units the channel takes (`stock_most`), `stock_max_quantity` is that limit when
        unset and never above it (a channel rule above it is refused)."""
        rules = self.channel_rules.get(str(channel)) or {}
        try:
            on_channel = type(self).validated({**self.describe(), **rules}) if rules else self
            if stock_most is not None:
                check_channel_limits({"channel_rules": {str(channel): rules}}, {str(channel): stock_most})
        except ClientOptionsError as exc:
            raise StockPriceOptionsError(f"invalid stock/price rules on {channel}: {exc}") from None
        if stock_most is None:
            return on_channel
        asked = on_channel.stock_max_quantity
        most = stock_most if asked is None else min(asked, stock_most)
        return on_channel.model_copy(update={"stock_max_quantity": most})


# ---------------------------------------------------------------- stock


def one_stock_plan(options: StockPriceOptions, vtex_warehouses: Sequence[str]) -> dict[str, str]:
    """For a channel that keeps one quantity per SKU: every VTEX warehouse the client reads (those of its
    warehouse_map, else all of them) feeds that quantity."""
    sources = list(options.warehouse_map) if options.warehouse_map is not None else list(vtex_warehouses)
    return dict.fromkeys(sources, ONE_STOCK)


def warehouse_plan(
    options: StockPriceOptions, vtex_warehouses: Sequence[str], channel_warehouses: Sequence[str]
) -> dict[str, str]:
    """Which channel warehouse each VTEX warehouse feeds (VTEX warehouse id → channel warehouse id)."""
    if not channel_warehouses:
        raise StockPriceOptionsError(
            "the client has no TikTok warehouse ids: authorize its shop (they are filled then) or set them "
            "with `tiktok-pipelines clients set <client> --tiktok-warehouse ...`"
        )
    if options.warehouse_map is None:
        return {wh: channel_warehouses[0] for wh in vtex_warehouses}
    unknown = sorted(set(options.warehouse_map.values()) - set(channel_warehouses))
    if unknown:
        raise StockPriceOptionsError(
            f"warehouse_map sends stock to TikTok warehouses the client does not have: {', '.join(unknown)} "
            f"(its TikTok warehouses: {', '.join(channel_warehouses)})"
        )
    return dict(options.warehouse_map)


def channel_plan(
    options: StockPriceOptions,
    vtex_warehouses: Sequence[str],
    channel_warehouses: Sequence[str],
    by_warehouse: bool,
) -> dict[str, str]:
    """Which of the channel's stock keys each VTEX warehouse feeds: its warehouses (`warehouse_plan`) on
    a channel that keeps stock by warehouse, else its one quantity (`one_stock_plan`)."""
    if by_warehouse:
        return warehouse_plan(options, vtex_warehouses, channel_warehouses)
    return one_stock_plan(options, vtex_warehouses)


def apply_stock_rules(available: int, unlimited: bool, options: StockPriceOptions) -> int:
    """Units to show in one channel warehouse, from the units VTEX has for it."""
    quantity = options.unlimited_stock_as if unlimited else available
    quantity -= options.stock_buffer
    if quantity <= options.stock_out_of_stock_threshold:
        quantity = 0
    quantity = max(quantity, 0)
    return quantity if options.stock_max_quantity is None else min(quantity, options.stock_max_quantity)


@dataclass(frozen=True)
class WarehouseReading:
    """One VTEX warehouse's stock of a SKU, as read."""

    available: int
    unlimited: bool = False


def stock_target(
    reading: Mapping[str, WarehouseReading],
    plan: Mapping[str, str],
    channel_warehouses: Iterable[str],
    options: StockPriceOptions,
) -> dict[str, int]:
    """Quantity per channel warehouse (every one of `channel_warehouses`, unmapped ones at 0)."""
    totals: dict[str, int] = {wh: 0 for wh in channel_warehouses}
    unlimited: set[str] = set()
    for vtex_wh, stock in reading.items():
        channel_wh = plan.get(vtex_wh)
        if channel_wh is None:
            continue
        totals.setdefault(channel_wh, 0)
        if stock.unlimited:
            unlimited.add(channel_wh)
        else:
            totals[channel_wh] += max(0, stock.available)
    return {wh: apply_stock_rules(q, wh in unlimited, options) for wh, q in totals.items()}


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


def shared_price(targets: Iterable[PriceTarget | None]) -> PriceTarget | None:
    """The one price of a product whose SKUs share it (a channel with `one_price`): the highest of its
    SKUs' targets, as its listing is priced; None when none of them has one."""
    known = [t for t in targets if t is not None]
    return max(known, key=lambda t: (t.price, t.list_price)) if known else None


def price_drop_share(shown: Decimal | None, new: Decimal) -> float:
    """How much lower `new` is than the price the channel shows (0 when not lower or nothing shown)."""
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
    `max_share` from the price the channel shows, unless someone approved this price or a lower one."""
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
