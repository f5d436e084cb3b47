"""Every client option, declared once: name, type, default, allowed values, meaning, and the lanes that
read it.

`clients add` and `clients set` refuse an unknown name or a value out of range (exit 2, naming the
option); code reads an option through `Client.option`, which validates the stored value and gives the
declared default when it is unset; a lane with several options reads them together as a model (e.g.
`StockPriceOptions`). Each lane's document lists its options in a table generated from here
(`python -m tiktok_pipelines.core.client_options`), and a test keeps the two equal.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from tiktok_pipelines.core.images import MAIN_IMAGES_DEFAULT, MAIN_IMAGES_MOST
from tiktok_pipelines.core.names import ChannelName

# The currencies of the markets TikTok Shop sells in (a shop sells in its market's currency).
TIKTOK_SHOP_CURRENCIES = ("BRL", "EUR", "GBP", "IDR", "JPY", "MXN", "MYR", "PHP", "SGD", "THB", "USD", "VND")
PACKAGE_FIELDS = ("weight_kg", "length_cm", "width_cm", "height_cm")
HANDOVER_METHODS = ("DROP_OFF", "PICKUP")

# Where each lane's options are documented (a table between `<!-- options:<lane>:start/end -->`).
LANE_DOCS = {
    "feed": "README.md",
    "catalog": "docs/catalog.md",
    "stock_price": "docs/stock_price.md",
    "orders": "docs/orders.md",
    "fulfilment": "docs/fulfilment.md",
    "content": "docs/content.md",
}
# The stock and price rules a channel may set apart from the client's (`channel_rules`).
CHANNEL_RULES = (
    "stock_buffer",
    "stock_out_of_stock_threshold",
    "stock_max_quantity",
    "price_markup_percent",
    "price_ending",
    "price_rounding",
    "max_price_drop_share",
)
POST_PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")


class ClientOptionsError(ValueError):
    """A client option is unknown or its value is not allowed; the message names it and says why."""


def _text(value: Any) -> Any:
    # Ids typed on the command line arrive as JSON numbers; text is kept as typed, without blanks around.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else value


def _decimal(value: Any) -> Any:
    # JSON numbers arrive as floats (0.9); through str they keep the digits the person typed.
    return Decimal(str(value)) if isinstance(value, float) else value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_text), Field(min_length=1)]


def _option(default: Any, lanes: tuple[str, ...], help: str, **constraints: Any) -> Any:
    return Field(default, description=help, json_schema_extra={"lanes": list(lanes)}, **constraints)


class ClientOptions(BaseModel):
    """The declared client options; an instance holds validated values, the declared defaults elsewhere."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # -- the feed (documented in the README)
    feed_max_rejected_share: float = _option(
        0.2, ("feed",), "Largest share of unusable feed items before the whole feed is refused.", ge=0, le=1
    )
    currency: Annotated[Literal[TIKTOK_SHOP_CURRENCIES], BeforeValidator(_upper)] = _option(
        "BRL",
        ("feed", "catalog", "stock_price"),
        "Currency of the TikTok shop (its market's): feed prices that state none are read in it, feed "
        "prices in another are refused, and prices are pushed in it.",
    )

    # -- catalog
    vtex_weight_unit: Literal["g", "kg", "lb", "oz"] = _option(
        "g",
        ("catalog",),
        "Unit of VTEX weights (VTEX leaves it to the store). `vtex_catalog` warns when VTEX and "
        "`g:shipping_weight` differ tenfold.",
    )
    vtex_sku_id_source: Literal["id", "link"] = _option(
        "id",
        ("catalog", "stock_price", "orders", "fulfilment"),
        "Where the VTEX SKU id is: `id` (`g:id`, falling back to the link's `idsku`) or `link` (a feed "
        "whose `g:id` is a RefId). Every lane maps seller SKUs to VTEX SKU ids by it "
        "(`core/sku_ids.py`): enrichment, stock and price, orders, invoice pairing.",
    )
    vtex_refresh_days: float = _option(
        7, ("catalog",), "A SKU's VTEX data is read again after this many days.", ge=0
    )
    vtex_refresh_max_per_run: int = _option(
        2000, ("catalog",), "At most this many stale SKUs re-read per run.", ge=0
    )
    category_suggestions_per_run: int = _option(
        50, ("catalog",), "TikTok category recommendations asked per run.", ge=0
    )
    max_delete_share: float = _option(
        0.2,
        ("catalog",),
        "Shrink guard: largest share of listed products a feed may remove without confirmation.",
        ge=0,
        le=1,
    )
    max_bad_price_share: float = _option(
        0.01,
        ("catalog",),
        "Above this share of prices ≤ 0 the feed is taken as broken (blocking).",
        ge=0,
        le=1,
    )
    pause_after_failures: int = _option(
        3, ("catalog",), "Identical refusals in a row before a product is paused.", ge=1
    )
    max_main_images: int = _option(
        MAIN_IMAGES_DEFAULT,
        ("catalog",),
        "Main images per product, at most; each channel also keeps to its own limit (TikTok Shop: 9).",
        ge=1,
        le=MAIN_IMAGES_MOST,
    )
    sku_images: bool = _option(True, ("catalog",), "Each variant's image on its first sales attribute.")
    default_package: dict[str, Decimal] = _option(
        {},
        ("catalog",),
        'Package of a product VTEX and the feed give none for: `{"weight_kg", "length_cm", "width_cm", '
        '"height_cm"}`, each > 0.',
    )
    certifications: dict[str, list[str]] = _option(
        {},
        ("catalog",),
        "Certification id → image URL (or list of URLs), for categories that require them.",
    )
    listing_types: dict[str, str] = _option(
        {},
        ("catalog",),
        'Listing type per channel that offers several, e.g. `{"mercado_livre": "gold_pro"}` (Mercado Livre: '
        "free, gold_special (the default) or gold_pro).",
    )
    shipping_channels: list[str] = _option(
        [],
        ("catalog",),
        "The channel's shipping (logistics) channels a new listing offers, by the channel's id (Shopee: "
        "`logistics_channel_id`); empty: every channel the shop has enabled whose weight limit fits.",
    )
    initial_stock: Literal["vtex", "zero"] = _option(
        "vtex",
        ("catalog",),
        "Stock of a created SKU: VTEX's, by the stock rules on the channel (as the stock sync's), or "
        "`zero` (the stock sync fills it).",
    )
    unlimited_stock_as: int = _option(
        999,
        ("catalog", "stock_price"),
        "Units shown for a VTEX warehouse with unlimited stock (by a new listing, then by the stock sync), "
        "at most the channel's own limit.",
        ge=0,
    )
    sandbox_client_id: str | None = _option(
        None,
        ("catalog",),
        "The registered client of this merchant's sandbox shop (mode `sandbox`).",
        pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$",
    )

    # -- stock and prices
    stock_buffer: int = _option(
        0, ("stock_price",), "Units held back from TikTok, per TikTok warehouse.", ge=0
    )
    stock_out_of_stock_threshold: int = _option(
        0, ("stock_price",), "At or below this many units (after the buffer) TikTok shows 0.", ge=0
    )
    stock_max_quantity: int | None = _option(
        None,
        ("stock_price",),
        "Most units shown per warehouse (per SKU on a channel without warehouses); unset: the channel's "
        "own limit. A channel never shows more than its limit, whatever the client's value; in "
        "`channel_rules` a value above the channel's limit is refused.",
        ge=0,
    )
    warehouse_map: dict[str, str] | None = _option(
        None,
        ("stock_price",),
        "VTEX warehouse id → TikTok warehouse id; several VTEX warehouses may feed one TikTok "
        "warehouse (summed); a TikTok warehouse nothing maps to shows 0. Unset: every VTEX warehouse of the "
        "client feeds its first TikTok warehouse.",
    )
    price_markup_percent: Decimal = _option(
        Decimal(0), ("stock_price",), "Added to the VTEX price and list price, in percent.", gt=-100, le=1000
    )
    price_ending: Decimal | None = _option(
        None, ("stock_price",), "Cents every price ends in, e.g. `0.90`; unset keeps the cents."
    )
    price_rounding: Literal["up", "down", "nearest"] = _option(
        "up",
        ("stock_price",),
        "Direction of the rounding to `price_ending` (cents are rounded first, so 890.901 is 890.90).",
    )
    max_price_drop_share: float = _option(
        0.3,
        ("stock_price",),
        "A drop larger than this share of the price TikTok shows waits for a confirmation (1: never).",
        gt=0,
        le=1,
    )
    channel_rules: dict[str, dict[str, Any]] = _option(
        {},
        ("stock_price",),
        "Rules of a channel that differ from the client's, by channel (`tiktok_shop`, `mercado_livre`, "
        f"`shopee`): any of {', '.join(f'`{n}`' for n in CHANNEL_RULES)}, e.g. "
        '`{"shopee": {"price_markup_percent": 12, "stock_buffer": 2}}`. A rule not named keeps the '
        "client's value.",
    )
    stock_price_refresh_per_run: int = _option(
        1000, ("stock_price",), "SKUs an incremental run reads from VTEX besides the notified ones.", ge=0
    )
    stock_price_max_attempts: int = _option(
        5, ("stock_price",), "Refusals in a row before a SKU goes to the dead letter.", ge=1
    )
    max_stockout_share: float = _option(
        0.5,
        ("stock_price",),
        "Share of in-stock SKUs a run may take to zero before it is stopped.",
        gt=0,
        le=1,
    )

    # -- orders
    order_price_source: Literal["vtex", "tiktok"] = _option(
        "vtex",
        ("orders",),
        "Prices of a placed order: VTEX's own for the trade policy, or `tiktok` (what TikTok sold at; the "
        "affiliate must accept price divergence).",
    )
    vtex_affiliates: dict[str, str] = _option(
        {},
        ("orders",),
        "VTEX affiliate id per channel beside TikTok Shop (whose is the client's `vtex_affiliate_id`), e.g. "
        '`{"mercado_livre": "MLB"}`: a channel\'s orders are placed under its own affiliate, and wait without one.',
    )
    vtex_sla: Text | None = _option(
        None, ("orders",), "Preferred VTEX SLA name; unset: the cheapest offered."
    )
    vtex_payment_system: Text | None = _option(
        None, ("orders",), "Id of a custom payment system configured in the store for the marketplace."
    )
    vtex_payment_system_name: Text = _option(
        "TikTok Shop", ("orders",), "Name of the marketplace's payment in VTEX orders."
    )
    vtex_payment_group: Text | None = _option(
        None, ("orders",), "Payment group of the custom payment system."
    )
    order_max_attempts: int = _option(
        10, ("orders",), "Attempts to place an order in VTEX before it is reported failed.", ge=1
    )
    order_claim_lease_seconds: int = _option(
        600,
        ("orders",),
        "How long a run's claim on an order holds: the orders of a run that died are taken over by "
        "the next run after this many seconds.",
        ge=10,
        le=86400,
    )
    tiktok_cancel_reason: Text = _option(
        "seller_cancel_reason_out_of_stock",
        ("orders",),
        "Reason TikTok is given when the seller cancelled the order in VTEX.",
    )

    # -- fulfilment
    tiktok_handover_method: Annotated[Literal[HANDOVER_METHODS], BeforeValidator(_upper)] = _option(
        "DROP_OFF",
        ("fulfilment",),
        "How packages shipped by TikTok's logistics leave: `DROP_OFF` or `PICKUP`.",
    )
    tiktok_shipping_provider_id: Text | None = _option(
        None,
        ("fulfilment",),
        "TikTok's id of the merchant's carrier, for orders the seller ships (`self_shipment`).",
        pattern=r"^\d+$",
    )
    nfe_issuer_cnpj: Text | None = _option(
        None, ("fulfilment",), "The merchant's CNPJ: an NF-e issued by another is refused before upload."
    )
    fulfilment_max_attempts: int = _option(
        5, ("fulfilment",), "Attempts of an upload or a shipment before it is given up (dead letter).", ge=1
    )

    # -- content
    product_posts_creator: str | None = _option(
        None,
        ("content",),
        "Opt-in: the creator (`creators add`) that gets a post prepared for each product the catalog "
        "publishes from then on. Unset: no product posts.",
        pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$",
    )
    product_posts_mode: Literal["inbox", "direct"] = _option(
        "inbox",
        ("content",),
        "`inbox`: a draft sent to the creator's TikTok inbox, finished by the creator; `direct`: posted on "
        "the profile.",
    )
    product_posts_privacy: Annotated[Literal[POST_PRIVACY_LEVELS], BeforeValidator(_upper)] = _option(
        "SELF_ONLY", ("content",), "Privacy of a direct product post (one the creator is offered)."
    )
    product_posts_video_url: Text | None = _option(
        None,
        ("content",),
        "Where a product's video is, as a URL template with `{product_key}` or `{seller_sku}`, on a "
        "prefix verified for the app (the product feed has no video attribute). Unset: drafts wait for "
        "a video (`posts attach`).",
        pattern=r"^https?://\S+$",
    )

    @field_validator("price_markup_percent", "price_ending", "default_package", mode="before")
    @classmethod
    def _decimals(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: _decimal(v) for k, v in value.items()}
        return _decimal(value)

    @field_validator("price_ending")
    @classmethod
    def _ending(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and not (0 <= value < 1 and value == value.quantize(Decimal("0.01"))):
            raise ValueError("must be the cents a price ends in, from 0.00 to 0.99 (e.g. 0.90)")
        return value

    @field_validator("warehouse_map", mode="before")
    @classmethod
    def _map(cls, value: Any) -> Any:
        if value is None or isinstance(value, dict):
            return {str(k): str(v) for k, v in (value or {}).items()} or None
        raise ValueError(
            'must be a JSON object of VTEX warehouse id → TikTok warehouse id, e.g. {"1_1": "7068…"}'
        )

    @field_validator("channel_rules", mode="before")
    @classmethod
    def _channel_rules(cls, value: Any) -> Any:
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            raise ValueError(
                'must be a JSON object of channel → its rules, e.g. {"shopee": {"price_markup_percent": 12}}'
            )
        channels = [c.value for c in ChannelName]
        for channel, rules in value.items():
            if channel not in channels:
                raise ValueError(f"{channel!r} is not a channel (one of {', '.join(channels)})")
            unknown = sorted(set(rules) - set(CHANNEL_RULES))
            if unknown:
                raise ValueError(f"{channel}: {', '.join(unknown)} cannot be set per channel")
            try:
                cls.validated(rules)
            except ClientOptionsError as exc:
                raise ValueError(f"{channel}: {exc}") from None
        return value

    @field_validator("default_package")
    @classmethod
    def _package(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        unknown = sorted(set(value) - set(PACKAGE_FIELDS))
        if unknown:
            raise ValueError(f"knows only {', '.join(PACKAGE_FIELDS)}, not {', '.join(unknown)}")
        if any(v <= 0 for v in value.values()):
            raise ValueError("sizes and weight must be greater than 0")
        return value

    @field_validator("certifications", mode="before")
    @classmethod
    def _certifications(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError(
                'must be a JSON object of certification id → image URL(s), e.g. {"7000001": "https://…"}'
            )
        urls = {str(k): [v] if isinstance(v, str) else v for k, v in value.items()}
        for cert, images in urls.items():
            if not isinstance(images, list) or not images:
                raise ValueError(f"certification {cert}: give an image URL or a list of them")
            for url in images:
                if not isinstance(url, str) or not re.match(r"^https?://\S+$", url):
                    raise ValueError(f"certification {cert}: {url!r} is not an http(s) URL")
        return urls

    @field_validator("nfe_issuer_cnpj")
    @classmethod
    def _cnpj(cls, value: str | None) -> str | None:
        if value is not None and (
            not re.fullmatch(r"[\d./-]+", value) or len(re.sub(r"\D", "", value)) != 14
        ):
            raise ValueError("must be a CNPJ: 14 digits, with or without its dots, slash and dash")
        return value

    @model_validator(mode="after")
    def _threshold_below_max(self) -> ClientOptions:
        if self.stock_out_of_stock_threshold >= (self.stock_max_quantity or 0) > 0:
            raise ValueError("stock_out_of_stock_threshold must be below stock_max_quantity")
        for channel, rules in self.channel_rules.items():
            merged = {name: rules.get(name, getattr(self, name)) for name in CHANNEL_RULES}
            if merged["stock_out_of_stock_threshold"] >= (merged["stock_max_quantity"] or 0) > 0:
                raise ValueError(
                    f"on {channel}, stock_out_of_stock_threshold must be below stock_max_quantity"
                )
        return self

    # -- reading
    @classmethod
    def lane_fields(cls, lane: str) -> list[str]:
        """The options a lane reads, in declaration order."""
        return [name for name, field in cls.model_fields.items() if lane in _lanes(field)]

    @classmethod
    def for_lane(cls, lane: str, options: Mapping[str, Any]) -> typing.Self:
        """The lane's options found in a client's options, validated (the others stay at their defaults:
        another lane's bad value is that lane's problem)."""
        names = set(cls.lane_fields(lane))
        return cls.validated({k: v for k, v in options.items() if k in names})

    @classmethod
    def validated(cls, options: Mapping[str, Any]) -> typing.Self:
        """`options` validated as a whole, or ClientOptionsError naming every bad or unknown option."""
        try:
            return cls(**options)
        except ValidationError as exc:
            raise ClientOptionsError(describe_errors(exc, options)) from None

    def describe(self, lane: str) -> dict[str, Any]:
        """The lane's options with their effective values, for the CLI and run metadata."""
        return {name: getattr(self, name) for name in self.lane_fields(lane)}


def _lanes(field: Any) -> list[str]:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return list(extra.get("lanes") or [])


def describe_errors(exc: ValidationError, given: Mapping[str, Any]) -> str:
    problems = []
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else ""
        if err["type"] == "extra_forbidden":
            close = difflib.get_close_matches(name, ClientOptions.model_fields, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(f"unknown option {name!r}{hint}")
            continue
        message = err["msg"].removeprefix("Value error, ")
        value = f" (got {given[name]!r})" if name in given else ""
        problems.append(f"{name or 'options'}: {message}{value}")
    return "; ".join(problems)


def check_options(options: Mapping[str, Any]) -> None:
    """Raises ClientOptionsError unless every option is declared and its value allowed."""
    ClientOptions.validated(options)


def check_channel_limits(options: Mapping[str, Any], stock_most: Mapping[str, int]) -> None:
    """Raises ClientOptionsError when `channel_rules` sets a channel a `stock_max_quantity` above the most
    units the channel takes (`stock_most`: channel → its limit, as its capabilities declare it)."""
    problems = []
    by_channel = options.get("channel_rules")
    for channel, rules in sorted(by_channel.items() if isinstance(by_channel, Mapping) else ()):
        asked = rules.get("stock_max_quantity") if isinstance(rules, Mapping) else None
        most = stock_most.get(channel)
        # A value that is no whole number is the declaration's to refuse (`check_options`).
        if isinstance(asked, int) and not isinstance(asked, bool) and most is not None and asked > most:
            problems.append(
                f"channel_rules: {channel} shows at most {most:,} units, so its stock_max_quantity "
                f"cannot be {int(asked):,}"
            )
    if problems:
        raise ClientOptionsError("; ".join(problems))


def option_value(options: Mapping[str, Any], name: str) -> Any:
    """One option of a client's options: the stored value validated, or the declared default."""
    field = ClientOptions.model_fields.get(name)
    if field is None:
        raise ClientOptionsError(f"unknown option {name!r}")
    if name not in options:
        return field.get_default(call_default_factory=True)
    return getattr(ClientOptions.validated({name: options[name]}), name)


# ---------------------------------------------------------------- the documents' tables


def _json(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{}" if not value else str(value)
    return str(value)


def allowed_values(name: str) -> str:
    """What values an option takes, in words (from its type and constraints)."""
    field = ClientOptions.model_fields[name]
    annotation = field.annotation
    inner = annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):  # X | None: what X takes
        inner = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(inner) is Annotated:
        inner = typing.get_args(inner)[0]
    if typing.get_origin(inner) is Literal:
        return ", ".join(f"`{v}`" for v in typing.get_args(inner))
    kinds = {int: "whole number", float: "number", Decimal: "number", bool: "`true` or `false`", str: "text"}
    words = kinds.get(inner) or ("JSON object" if typing.get_origin(inner) is dict else "text")
    bounds = {}
    for item in field.metadata:
        for attr in ("ge", "gt", "le", "lt"):
            if isinstance(item, getattr(annotated_types, attr.capitalize())):
                bounds[attr] = getattr(item, attr)
    if "ge" in bounds and "le" in bounds:
        return f"{words} from {bounds['ge']} to {bounds['le']}"
    signs = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
    return ", ".join([words, *(f"{signs[k]} {v}" for k, v in bounds.items())])


def options_markdown(lane: str) -> str:
    """The table of a lane's options, as its document shows it."""
    lines = ["| option | default | values | meaning |", "|---|---|---|---|"]
    for name in ClientOptions.lane_fields(lane):
        field = ClientOptions.model_fields[name]
        default = field.get_default(call_default_factory=True)
        shown = "—" if default is None else f"`{_json(default)}`"
        help = (field.description or "").replace("|", "/")
        lines.append(f"| `{name}` | {shown} | {allowed_values(name)} | {help} |")
    return "\n".join(lines)


if __name__ == "__main__":
    for lane, doc in LANE_DOCS.items():
        print(
            f"<!-- options:{lane}:start --> ({doc})\n{options_markdown(lane)}\n<!-- options:{lane}:end -->\n"
        )
