"""The tables of the analytics database: grain, columns, types and meaning, in one place.

The build creates every table from these declarations (so types and column order are exactly these),
the Dagster assets show them as column schemas, and `docs/analytics.md` carries the same text (a test
keeps the two in step: `python -m tiktok_pipelines.analytics.schema` prints the docs' blocks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

import pyarrow as pa

from tiktok_pipelines.core import tables as lake
from tiktok_pipelines.core.tables import LISTINGS, ORDER_LINES, ORDERS

AMOUNT = "DECIMAL(18,2)"  # money computed here (products of quantities, sums)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    grain: str
    description: str
    columns: tuple[Column, ...]
    preview_order: str  # ORDER BY of the preview shown in the Dagster UI
    asset: bool = True  # False: a table of the database that is not a Dagster asset of its own

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def ddl(self) -> str:
        cols = ",\n  ".join(f"{c.name} {c.type}" for c in self.columns)
        return f"CREATE TABLE {self.name} (\n  {cols}\n)"


def duckdb_type(t: pa.DataType) -> str:
    """The DuckDB type of a lake column."""
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "VARCHAR"
    if pa.types.is_decimal(t):
        return f"DECIMAL({t.precision},{t.scale})"
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ" if t.tz else "TIMESTAMP"
    if pa.types.is_date32(t):
        return "DATE"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    simple = {pa.int32(): "INTEGER", pa.int64(): "BIGINT", pa.float64(): "DOUBLE", pa.int16(): "SMALLINT"}
    if t in simple:
        return simple[t]
    raise TypeError(f"no DuckDB type for {t}")


MONEY = duckdb_type(lake.MONEY)  # money as the lake holds it


def _c(name: str, type_: str, description: str) -> Column:
    return Column(name, type_, description)


def lake_column(schema: pa.Schema, name: str, description: str) -> Column:
    """A column a table carries as the lake table of `schema` holds it: of the lake column's type."""
    return Column(name, duckdb_type(schema.field(name).type), description)


# The tables that keep the newest version of a lake table's rows take those columns' types from the lake.
_order = partial(lake_column, ORDERS)
_line = partial(lake_column, ORDER_LINES)
_listing = partial(lake_column, LISTINGS)


CLIENT_ID = _c("client_id", "VARCHAR", "The merchant (the partition key of every pipeline).")
CHANNEL = _c("channel", "VARCHAR", "The sales channel the row is about: `tiktok_shop` or `shopee`.")
DAY = _c(
    "day",
    "DATE",
    "Calendar date of `created_at` in the reporting time zone (`build_info.timezone`, default "
    "America/Sao_Paulo).",
)
SALES_DAY = _c("day", "DATE", "The orders' `day` (reporting time zone).")
CURRENCY = _c("currency", "VARCHAR", "ISO currency code of the money columns (BRL).")
PERIOD = _c(
    "period", "VARCHAR", "Length of the period: `day`, `week` (Monday to Sunday), `month` or `all_time`."
)
PERIOD_START = _c("period_start", "DATE", "First day of the period.")
PERIOD_END = _c("period_end", "DATE", "Day after the last day of the period (exclusive end).")
SOURCE = _c("source", "VARCHAR", "The platform: `tiktok` or `vtex`.")
CHANNEL_PRODUCT_ID = _c(
    "channel_product_id", "VARCHAR", "The channel's product id (a product groups its SKUs)."
)
CHANNEL_SKU_ID = _c("channel_sku_id", "VARCHAR", "The channel's SKU id.")
SELLER_SKU = _c("seller_sku", "VARCHAR", "The merchant's SKU (VTEX reference, the feed's `g:id`).")
PRODUCT_NAME = _c(
    "product_name", "VARCHAR", "Product name as on the most recent order line (else the listing)."
)
ORDERS = _c("orders", "BIGINT", "Orders that count as sales (`orders.is_sale`).")
UNITS = _c("units", "BIGINT", "Units sold on lines that count as sales.")
GROSS = _c("gross", AMOUNT, "Σ quantity × original_price of sold lines: the goods at list price.")
SELLER_DISCOUNT = _c("seller_discount", AMOUNT, "Σ discounts funded by the merchant on sold lines.")
PLATFORM_DISCOUNT = _c(
    "platform_discount",
    AMOUNT,
    "Σ discounts funded by TikTok on sold lines (TikTok pays them to the merchant).",
)
DISCOUNTS = _c("discounts", AMOUNT, "seller_discount + platform_discount.")
NET = _c("net", AMOUNT, "gross − discounts: what buyers paid for the goods, without shipping and tax.")
# A product's sales over a day or a period (top_products ranks the sums of product_daily's days).
PRODUCT_SALES = (
    CHANNEL_PRODUCT_ID,
    PRODUCT_NAME,
    _c("orders", "BIGINT", "Sale orders holding the product."),
    UNITS,
    GROSS,
    DISCOUNTS,
    NET,
)

CREATOR_ID = _c(
    "creator_id", "VARCHAR", "The TikTok creator account (the partition key of the creator assets)."
)
DURATION_BUCKET = _c(
    "duration_bucket",
    "VARCHAR",
    "Length class: `<15s`, `15-30s`, `30-60s`, `1-3min`, `3min+` (or `unknown`).",
)
VIEWS = _c("views", "BIGINT", "Views.")
VIEWERS = _c("viewers", "BIGINT", "Distinct viewers.")
REPORTING_DAY = _c("day", "DATE", "The channel's reporting date (as its analytics give it).")


def _content_head(kind: str, what: str, verb: str) -> tuple[Column, ...]:
    """The key and names of a video's or LIVE's row."""
    return (
        CLIENT_ID,
        CHANNEL,
        REPORTING_DAY,
        _c(f"{kind}_id", "VARCHAR", f"The channel's {what} id."),
        _c("title", "VARCHAR", f"Title of the {what}."),
        _c("creator", "VARCHAR", f"Handle of the account that {verb} it."),
    )


def _credited(what: str) -> tuple[Column, ...]:
    """What a video or LIVE sold, as the channel credits it."""
    return (
        _c("orders", "BIGINT", f"Orders the channel credits to the {what}."),
        _c("units", "BIGINT", "Units those orders hold."),
        _c("gmv", MONEY, "Their gross merchandise value."),
        CURRENCY,
        _c("click_through_rate", "DOUBLE", "Product clicks / views, as the channel reports it."),
    )


INGESTED_AT = _c("ingested_at", "TIMESTAMPTZ", "When this version was written to the lake (UTC).")
ENGAGEMENT_RATE = _c("engagement_rate", "DOUBLE", "(likes + comments + shares) / views; NULL without views.")
VIDEO_ID = _c("video_id", "VARCHAR", "TikTok's video id.")
POSTED_AT = _c("created_at", "TIMESTAMPTZ", "When the video was posted (UTC).")
VIDEO_TITLE = _c("title", "VARCHAR", "Title.")
DURATION_SECONDS = _c("duration_seconds", "INTEGER", "Length in seconds.")
# A video's latest counts.
VIDEO_COUNTS = (
    VIEWS,
    _c("likes", "BIGINT", "Likes."),
    _c("comments", "BIGINT", "Comments."),
    _c("shares", "BIGINT", "Shares."),
    ENGAGEMENT_RATE,
)
# Over a group of a creator's videos (a hashtag, a posting slot, a length).
SUMMED_VIEWS = _c("views", "BIGINT", "Σ views.")
AVG_VIEWS = _c("avg_views", "DOUBLE", "views / videos.")
SUMMED_ENGAGEMENT_RATE = _c("engagement_rate", "DOUBLE", "(Σ likes + Σ comments + Σ shares) / Σ views.")

# The counts of `notifications`; a delivery is one per enabled destination that wants the kind.
NOTIFICATION_COUNTS = {
    "notifications": "Notifications recorded.",
    "deliveries": "Their deliveries.",
    "delivered": "Deliveries sent.",
    "pending": "Deliveries waiting (a retry, quiet hours, the next sender tick).",
    "failed": "Deliveries given up (`tiktok-pipelines notifications retry` sends them again).",
    "skipped": "Deliveries skipped: the destination was disabled.",
    "unrouted": "Notifications no destination wanted (no delivery made).",
    "attempts": "Σ delivery attempts.",
}
KIND = _c("kind", "VARCHAR", "What happened: `order_placed`, `order_failed`, `run_failed`...")
NOTIFICATION_COLUMNS = (
    *(CLIENT_ID, CHANNEL, DAY, KIND),
    *(_c(name, "BIGINT", meaning) for name, meaning in NOTIFICATION_COUNTS.items()),
    _c("delivery_p95_seconds", "DOUBLE", "95th percentile of recorded → sent of the delivered."),
    _c("last_at", "TIMESTAMPTZ", "Last notification recorded that day (UTC)."),
)

TABLES: tuple[Table, ...] = (
    Table(
        "orders",
        "one row per (client_id, channel, order_id): the newest version ingested",
        "Orders of the sales channels, deduplicated to the newest version of each order (the lake keeps "
        "every version as it was ingested), with the order's day and whether it counts as a sale.",
        (
            CLIENT_ID,
            CHANNEL,
            _order("order_id", "The channel's order id."),
            DAY,
            _order(
                "status",
                "TikTok order status: UNPAID, ON_HOLD, AWAITING_SHIPMENT, PARTIALLY_SHIPPING, "
                "AWAITING_COLLECTION, IN_TRANSIT, DELIVERED, COMPLETED, CANCELLED.",
            ),
            _c(
                "is_sale",
                "BOOLEAN",
                "The order counts in sales: paid (status is not UNPAID), not cancelled, not a free sample.",
            ),
            _c("is_cancelled", "BOOLEAN", "status is CANCELLED (CANCEL, as webhooks spell it, counts too)."),
            _order("vtex_order_id", "VTEX order id ({affiliateId}-{order_id}) once placed in VTEX."),
            _order("vtex_status", "VTEX order status."),
            CURRENCY,
            _order("subtotal", "payment.sub_total: the goods after every discount."),
            _order("shipping_fee", "Shipping the buyer paid."),
            _order("seller_discount", "Discounts on the order funded by the merchant."),
            _order("platform_discount", "Discounts on the order funded by TikTok."),
            _order("tax", "Tax charged on top of prices (zero in Brazil, where prices include taxes)."),
            _order("total", "payment.total_amount: what the buyer paid (goods, shipping, tax)."),
            _order("line_count", "Lines on the order, as TikTok reported them."),
            _order("units", "Units on the order, as TikTok reported them."),
            _order("shipping_type", "TIKTOK (TikTok ships) or SELLER."),
            _order("is_cod", "Cash on delivery."),
            _order("is_sample", "A free sample order (for creators); never a sale."),
            _order("recipient_region", "Country / region code of the delivery address."),
            _order("recipient_state", "State (UF) of the delivery address."),
            _order("recipient_city", "City of the delivery address."),
            _order("cancel_reason", "Why the order was cancelled."),
            _order("cancellation_initiator", "Who cancelled: BUYER, SELLER or SYSTEM."),
            _order("tracking_number", "Carrier tracking number."),
            _order("created_at", "When the buyer placed the order (UTC)."),
            _order("paid_at", "When the buyer paid (UTC)."),
            _order("updated_at", "TikTok's last update of the order (UTC)."),
            _order("ingested_at", "When this version was written to the lake (UTC)."),
        ),
        "created_at DESC, order_id",
    ),
    Table(
        "order_lines",
        "one row per (client_id, channel, order_id, line_id): the newest version ingested",
        "Order lines, deduplicated to the newest version of each line, with their money worked out "
        "(gross, discounts, net) and whether they count as sales.",
        (
            CLIENT_ID,
            CHANNEL,
            _line("order_id", "The channel's order id (joins `orders`)."),
            _line("line_id", "The channel's line item id."),
            _c(
                "day", "DATE", "The order's `day` (from the line's own created_at when the order is unknown)."
            ),
            CHANNEL_PRODUCT_ID,
            CHANNEL_SKU_ID,
            SELLER_SKU,
            _line("product_name", "Product name on the order."),
            _line("sku_name", "Variant name on the order (e.g. Preto / M)."),
            _line("quantity", "Units on the line."),
            CURRENCY,
            _line("original_price", "Unit list price."),
            _line("sale_price", "Unit price after the merchant's discount, before TikTok's."),
            _line("seller_discount", "The line's discount funded by the merchant (all units)."),
            _line("platform_discount", "The line's discount funded by TikTok (all units)."),
            _c("gross", AMOUNT, "quantity × original_price."),
            _c("discounts", AMOUNT, "seller_discount + platform_discount."),
            _c("net", AMOUNT, "gross − discounts: what the buyer paid for the line."),
            _line(
                "status",
                "The line's display status (CANCELLED when the line alone was cancelled).",
            ),
            _c(
                "is_sale",
                "BOOLEAN",
                "The line counts in sales: its order is a sale and the line is not cancelled.",
            ),
            _c("is_cancelled", "BOOLEAN", "The line or its whole order was cancelled."),
            _line("package_id", "TikTok package the line ships in."),
            _line("created_at", "When the order was placed (UTC)."),
            _line("ingested_at", "When this version was written to the lake (UTC)."),
        ),
        "created_at DESC, order_id, line_id",
    ),
    Table(
        "sales_daily",
        "one row per (client_id, channel, day, currency) with any sale or cancellation",
        "Sales per client, channel and day: orders, units and money of the lines that count as sales, and "
        "the cancellations of orders placed that day. Cancelled, unpaid and sample orders are not sales.",
        (
            CLIENT_ID,
            CHANNEL,
            SALES_DAY,
            CURRENCY,
            ORDERS,
            _c("cancelled_orders", "BIGINT", "Orders placed that day that are now cancelled."),
            UNITS,
            GROSS,
            SELLER_DISCOUNT,
            PLATFORM_DISCOUNT,
            DISCOUNTS,
            NET,
            _c(
                "cancelled_net",
                AMOUNT,
                "Σ net of cancelled lines (whole cancelled orders included): sales lost.",
            ),
            _c("shipping_fee", AMOUNT, "Σ shipping fees buyers paid on sale orders."),
            _c(
                "total", AMOUNT, "Σ orders.total of sale orders: what buyers paid, shipping and tax included."
            ),
        ),
        "day DESC, client_id",
    ),
    Table(
        "product_sales",
        "one row per (client_id, channel, day, currency, channel_product_id, channel_sku_id, seller_sku) "
        "with any sale or cancellation",
        "Sales per SKU and day; sum over SKUs for a product (but count a product's orders in `top_products` "
        "or `conversion`, since one order may hold several SKUs of a product).",
        (
            CLIENT_ID,
            CHANNEL,
            SALES_DAY,
            CURRENCY,
            CHANNEL_PRODUCT_ID,
            CHANNEL_SKU_ID,
            SELLER_SKU,
            PRODUCT_NAME,
            _c("sku_name", "VARCHAR", "Variant name as on the most recent order line."),
            _c("orders", "BIGINT", "Sale orders holding the SKU."),
            UNITS,
            GROSS,
            DISCOUNTS,
            NET,
            _c("cancelled_units", "BIGINT", "Units on cancelled lines (whole cancelled orders included)."),
        ),
        "day DESC, net DESC",
    ),
    Table(
        "product_daily",
        "one row per (client_id, channel, day, currency, channel_product_id) with any sale",
        "Sales per product and day. An order falls on one day, so a product's orders over any period are the "
        "sum of its days' orders (which `product_sales`, per SKU, cannot give).",
        (
            CLIENT_ID,
            CHANNEL,
            SALES_DAY,
            CURRENCY,
            *PRODUCT_SALES,
        ),
        "day DESC, net DESC",
        asset=False,
    ),
    Table(
        "top_products",
        "one row per (client_id, channel, period, period_start, currency, rank), rank 1 to 20",
        "The best-selling products of each client on each channel per week, month and all time, ranked by "
        "net revenue (ties: units, then product id).",
        (
            CLIENT_ID,
            CHANNEL,
            _c("period", "VARCHAR", "`week` (Monday to Sunday), `month` or `all_time`."),
            PERIOD_START,
            PERIOD_END,
            CURRENCY,
            _c("rank", "INTEGER", "1 = the most net revenue in the period."),
            *PRODUCT_SALES,
            _c(
                "net_share",
                "DOUBLE",
                "The product's share of the client's net revenue in the period (0 to 1).",
            ),
        ),
        "period_start DESC, period, client_id, rank",
    ),
    Table(
        "conversion",
        "one row per (client_id, channel, period, period_start, channel_product_id)",
        "Product page views (the channel's product performance analytics: TikTok's shop-products "
        "performance) against the orders and units sold, per product per day, week and month. Views and "
        "the channel's own counts are NULL where it reported nothing for the product in the period.",
        (
            CLIENT_ID,
            CHANNEL,
            _c("period", "VARCHAR", "`day`, `week` (Monday to Sunday) or `month`."),
            PERIOD_START,
            PERIOD_END,
            CHANNEL_PRODUCT_ID,
            _c("product_name", "VARCHAR", "Product name (order lines, else the listing's title)."),
            _c("page_views", "BIGINT", "Product page views the channel reported."),
            _c("impressions", "BIGINT", "Product impressions the channel reported."),
            _c("orders", "BIGINT", "Sale orders holding the product (from `order_lines`)."),
            UNITS,
            _c("view_to_order_rate", "DOUBLE", "orders / page_views (NULL without views)."),
            _c("impression_to_view_rate", "DOUBLE", "page_views / impressions (NULL without impressions)."),
            _c("channel_orders", "BIGINT", "Orders the channel's analytics attributed to the product."),
            _c("channel_units", "BIGINT", "Units the channel's analytics attributed to the product."),
        ),
        "period_start DESC, period, page_views DESC NULLS LAST",
    ),
    Table(
        "stock_outs",
        "one row per period a SKU sat at zero available units on a channel",
        "Periods each SKU showed zero stock on a channel: from a successful push that brought the SKU's "
        "total over its warehouses to zero until the next push that brought it above zero (failed pushes "
        "changed nothing on the channel and are ignored).",
        (
            CLIENT_ID,
            CHANNEL,
            SELLER_SKU,
            CHANNEL_SKU_ID,
            _c("channel_product_id", "VARCHAR", "The channel's product id (from `listings`)."),
            _c("day", "DATE", "Calendar date of `started_at` in the reporting time zone."),
            _c("started_at", "TIMESTAMPTZ", "When the SKU reached zero on the channel (UTC)."),
            _c("ended_at", "TIMESTAMPTZ", "When stock came back (UTC); NULL while it is still out."),
            _c("ongoing", "BOOLEAN", "Still out of stock at the build (`build_info.built_at`)."),
            _c("duration_hours", "DOUBLE", "Hours at zero, up to the build for ongoing periods."),
        ),
        "started_at DESC",
    ),
    Table(
        "sync_health",
        "one row per (client_id, channel, day, kind, source, event_type, lane, operation)",
        "Health of the integration per client and day: webhooks received per type (state DB event log) "
        "and API calls per operation (lake `sync_log`), with outcomes, error rate and latency.",
        (
            _c("client_id", "VARCHAR", "The merchant (NULL for webhooks no registered client owns)."),
            _c(
                "channel",
                "VARCHAR",
                "The sales channel the API calls served (`tiktok_shop`); NULL for webhooks (`source` says "
                "who sent them).",
            ),
            _c(
                "day",
                "DATE",
                "Calendar date of receipt (webhooks) or of the call (API) in the reporting time zone.",
            ),
            _c("kind", "VARCHAR", "`webhook` (events received) or `api` (calls made)."),
            SOURCE,
            _c(
                "event_type",
                "VARCHAR",
                "Webhook event type as received (`1`, `36`, `vtex:order_hook`...); NULL for API.",
            ),
            _c("event_name", "VARCHAR", "Name of the event type (ORDER_STATUS_CHANGE...); NULL for API."),
            _c(
                "lane",
                "VARCHAR",
                "API lane: catalog, stock_price, orders, fulfilment, tokens; NULL for webhooks.",
            ),
            _c(
                "operation", "VARCHAR", "API operation (inventory_update, place_order...); NULL for webhooks."
            ),
            _c("total", "BIGINT", "Webhooks received / calls made."),
            _c("succeeded", "BIGINT", "Webhooks handled / calls that succeeded."),
            _c("failed", "BIGINT", "Webhooks whose handling failed / calls that failed."),
            _c("skipped", "BIGINT", "Webhooks ignored (nothing to do) / calls skipped."),
            _c("pending", "BIGINT", "Webhooks not handled yet (always 0 for API)."),
            _c("error_rate", "DOUBLE", "failed / (succeeded + failed); NULL when neither."),
            _c(
                "latency_p50_seconds",
                "DOUBLE",
                "Median seconds from receipt to handling (webhooks) or of the call (API).",
            ),
            _c("latency_p95_seconds", "DOUBLE", "95th percentile of the same."),
            _c("latency_max_seconds", "DOUBLE", "Slowest of the same."),
        ),
        "day DESC, kind DESC, total DESC",
    ),
    Table(
        "sync_errors",
        "one row per (client_id, channel, day, source, lane, operation, error_code)",
        "API errors by code per client, channel and day, from the lake's `sync_log` (calls with result "
        "`failed`).",
        (
            CLIENT_ID,
            _c("channel", "VARCHAR", "The sales channel the calls served (`tiktok_shop`)."),
            _c("day", "DATE", "Calendar date of the calls in the reporting time zone."),
            SOURCE,
            _c("lane", "VARCHAR", "catalog, stock_price, orders, fulfilment or tokens."),
            _c("operation", "VARCHAR", "The API operation."),
            _c(
                "error_code",
                "VARCHAR",
                "The API's error code (TikTok `code`, VTEX HTTP status); NULL if none.",
            ),
            _c("errors", "BIGINT", "Failed calls."),
            _c("items", "BIGINT", "Distinct items (order, SKU, package) the failed calls were about."),
            _c("first_at", "TIMESTAMPTZ", "First failure that day (UTC)."),
            _c("last_at", "TIMESTAMPTZ", "Last failure that day (UTC)."),
            _c("last_message", "VARCHAR", "Error message of the last failure."),
        ),
        "day DESC, errors DESC",
    ),
    Table(
        "notifications",
        "one row per (client_id, channel, day, kind)",
        "The notification outbox of the state DB (docs/notifications.md) counted per client, channel, day "
        "and kind (`channel` NULL for what concerns no channel, such as a failed run), with its deliveries "
        "per state. Counts and instants only: no facts, link or destination.",
        NOTIFICATION_COLUMNS,
        "day DESC, notifications DESC",
        asset=False,
    ),
    Table(
        "listings",
        "one row per (client_id, channel, seller_sku): the newest version ingested",
        "The listing of each SKU on each channel (the dimension that names products and SKUs), "
        "deduplicated to the newest version.",
        (
            CLIENT_ID,
            CHANNEL,
            SELLER_SKU,
            _listing("product_key", "The feed's item_group_id (or the seller_sku of a one-SKU product)."),
            CHANNEL_PRODUCT_ID,
            CHANNEL_SKU_ID,
            _listing("title", "Listing title."),
            _listing("status", "The channel's product status (TikTok: ACTIVATE, SELLER_DEACTIVATED...)."),
            _listing("price", "Price on the channel."),
            _listing("list_price", "List (strike-through) price on the channel."),
            CURRENCY,
            _listing("quantity", "Available units last pushed to the channel."),
            _listing("updated_at", "Last change on the channel (UTC)."),
            _listing("ingested_at", "When this version was written to the lake (UTC)."),
        ),
        "client_id, seller_sku",
    ),
    Table(
        "shop_performance_daily",
        "one row per (client_id, channel, day)",
        "The whole shop per day as the channel's analytics report it (TikTok Shop's shop performance): "
        "GMV, orders, units, buyers, page views and visitors. A figure the channel did not report is NULL "
        "(the answers' field names are UNCONFIRMED: TIKTOK_ANALYTICS_FIELDS).",
        (
            CLIENT_ID,
            CHANNEL,
            REPORTING_DAY,
            CURRENCY,
            _c("gmv", MONEY, "Gross merchandise value the channel reported."),
            *(
                _c(name, "BIGINT", f"{meaning} the channel reported.")
                for name, meaning in (
                    ("orders", "Orders"),
                    ("units", "Units sold"),
                    ("buyers", "Distinct buyers"),
                    ("page_views", "Product page views"),
                    ("visitors", "Product page visitors"),
                )
            ),
            _c("average_order_value", AMOUNT, "gmv / orders."),
            _c("visitor_to_order_rate", "DOUBLE", "orders / visitors (NULL without visitors)."),
            INGESTED_AT,
        ),
        "day DESC, client_id",
    ),
    Table(
        "video_performance_daily",
        "one row per (client_id, channel, day, video_id)",
        "Each shoppable video per day as the channel's analytics report it: views, orders, units, GMV and "
        "click-through rate (TikTok Shop's shop videos performance).",
        (
            *_content_head("video", "video", "posted"),
            _c("posted_at", "TIMESTAMPTZ", "When the video was posted (UTC)."),
            VIEWS,
            *_credited("video"),
            _c("view_to_order_rate", "DOUBLE", "orders / views."),
            INGESTED_AT,
        ),
        "day DESC, gmv DESC NULLS LAST",
    ),
    Table(
        "live_performance_daily",
        "one row per (client_id, channel, day, live_id)",
        "Each LIVE per day as the channel's analytics report it: how long it ran, who watched and what it "
        "sold. The LIVE report's path is a guess (TIKTOK_LIVE_PERFORMANCE_PATH): the reference lists no "
        "LIVE endpoint.",
        (
            *_content_head("live", "LIVE", "hosted"),
            *(_c(f"{edge}_at", "TIMESTAMPTZ", f"{edge.title()} (UTC).") for edge in ("started", "ended")),
            _c("duration_minutes", "DOUBLE", "ended_at - started_at, in minutes."),
            VIEWERS,
            VIEWS,
            *_credited("LIVE"),
            _c("viewer_to_order_rate", "DOUBLE", "orders / viewers."),
            _c("gmv_per_viewer", "DOUBLE", "gmv / viewers."),
            INGESTED_AT,
        ),
        "day DESC, gmv DESC NULLS LAST",
    ),
    Table(
        "creator_growth_daily",
        "one row per (creator_id, day): the last profile snapshot of the creator's local day",
        "A TikTok creator's audience per day: followers, following, likes and videos, and their change "
        "since the previous day with a snapshot. A count whose scope the creator did not grant is NULL.",
        (
            CREATOR_ID,
            _c("day", "DATE", "Calendar date of the snapshot in the creator's time zone."),
            _c("snapshot_at", "TIMESTAMPTZ", "When the profile was read (UTC)."),
            _c("followers", "BIGINT", "Followers."),
            _c("following", "BIGINT", "Accounts the creator follows."),
            _c("likes", "BIGINT", "Likes received over all videos."),
            _c("videos", "BIGINT", "Public videos."),
            _c("followers_change", "BIGINT", "followers − the previous snapshot day's."),
            _c("likes_change", "BIGINT", "likes − the previous snapshot day's."),
            _c("videos_change", "BIGINT", "videos − the previous snapshot day's."),
        ),
        "creator_id, day DESC",
        asset=False,
    ),
    Table(
        "creator_video_performance",
        "one row per (creator_id, video_id): the newest metrics snapshot",
        "Each video of a creator with its latest counts, its engagement rate and its growth since the "
        "snapshot before.",
        (
            CREATOR_ID,
            VIDEO_ID,
            POSTED_AT,
            _c("posted_day", "DATE", "Posting date in the creator's time zone."),
            _c(
                "posted_weekday",
                "BIGINT",
                "ISO weekday of posting in the creator's time zone (1 Monday … 7 Sunday).",
            ),
            _c("posted_hour", "BIGINT", "Hour of posting (0–23) in the creator's time zone."),
            VIDEO_TITLE,
            _c("description", "VARCHAR", "Description."),
            DURATION_SECONDS,
            DURATION_BUCKET,
            _c("share_url", "VARCHAR", "Public link."),
            _c(
                "snapshot_at",
                "TIMESTAMPTZ",
                "When the counts were read (UTC); NULL before the first snapshot.",
            ),
            *VIDEO_COUNTS,
            _c("previous_snapshot_at", "TIMESTAMPTZ", "The snapshot before (UTC)."),
            _c("views_growth", "BIGINT", "views − the previous snapshot's."),
            _c("likes_growth", "BIGINT", "likes − the previous snapshot's."),
            _c("comments_growth", "BIGINT", "comments − the previous snapshot's."),
            _c("shares_growth", "BIGINT", "shares − the previous snapshot's."),
        ),
        "creator_id, views DESC",
        asset=False,
    ),
    Table(
        "creator_best_videos",
        "one row per (creator_id, rank): the top videos by engagement rate",
        "A creator's best videos: those with views, ranked by engagement rate, then views.",
        (
            _c("rank", "BIGINT", "1 is the best."),
            CREATOR_ID,
            VIDEO_ID,
            POSTED_AT,
            VIDEO_TITLE,
            DURATION_SECONDS,
            *VIDEO_COUNTS,
            _c("views_growth", "BIGINT", "views gained since the previous snapshot."),
        ),
        "creator_id, rank",
        asset=False,
    ),
    Table(
        "creator_hashtags",
        "one row per (creator_id, hashtag)",
        "Hashtags of a creator's titles and descriptions (lower-cased, each counted once per video): how "
        "often used, the reach of the videos using them and their engagement.",
        (
            CREATOR_ID,
            _c("hashtag", "VARCHAR", "The hashtag without `#`, lower case."),
            _c("videos", "BIGINT", "Videos using it."),
            _c("views", "BIGINT", "Σ views of those videos (reach)."),
            _c("likes", "BIGINT", "Σ likes."),
            _c("comments", "BIGINT", "Σ comments."),
            _c("shares", "BIGINT", "Σ shares."),
            AVG_VIEWS,
            SUMMED_ENGAGEMENT_RATE,
        ),
        "creator_id, views DESC",
        asset=False,
    ),
    Table(
        "creator_posting_times",
        "one row per (creator_id, weekday, hour) with at least one video posted",
        "When a creator's videos do best, by weekday and hour of posting in the creator's time zone; "
        "rank 1 is the best posting time so far.",
        (
            CREATOR_ID,
            _c("weekday", "BIGINT", "ISO weekday (1 Monday … 7 Sunday)."),
            _c("weekday_name", "VARCHAR", "Its English name."),
            _c("hour", "BIGINT", "Hour (0–23)."),
            _c("videos", "BIGINT", "Videos posted in that slot."),
            SUMMED_VIEWS,
            AVG_VIEWS,
            SUMMED_ENGAGEMENT_RATE,
            _c("rank", "BIGINT", "By engagement_rate, then avg_views; 1 is the best slot."),
        ),
        "creator_id, rank",
        asset=False,
    ),
    Table(
        "creator_formats",
        "one row per (creator_id, duration_bucket)",
        "How a creator's videos do by length.",
        (
            CREATOR_ID,
            DURATION_BUCKET,
            _c("videos", "BIGINT", "Videos of that length."),
            _c("avg_duration_seconds", "DOUBLE", "Their average length."),
            SUMMED_VIEWS,
            AVG_VIEWS,
            SUMMED_ENGAGEMENT_RATE,
        ),
        "creator_id, duration_bucket",
        asset=False,
    ),
    Table(
        "creator_recommendations",
        "one row per (creator_id, kind, rank) of the creator's newest recommendations run",
        "What a creator should post next, with the figures behind each recommendation: posting hours and "
        "weekday slots, hashtags and video lengths that performed, products that sell without a recent "
        "video, and content ideas (from the language model, or from the rules when it is not configured "
        "or fails).",
        (
            CREATOR_ID,
            _c("generated_at", "TIMESTAMPTZ", "When the run made them (UTC)."),
            _c("source", "VARCHAR", "`rules`, or `llm` for ideas the language model wrote."),
            _c(
                "kind",
                "VARCHAR",
                "`posting_hour`, `posting_slot` (weekday and hour), `hashtag`, `format` (length), `product`, "
                "`idea`.",
            ),
            _c("rank", "INTEGER", "1 is the best of its kind."),
            _c("subject", "VARCHAR", "The hour, slot, hashtag, length, product name or idea title."),
            _c(
                "text",
                "VARCHAR",
                "The recommendation in a sentence with its figures (an idea: hook and script).",
            ),
            _c("metric", "VARCHAR", "`engagement_rate`, `avg_views` or `net` (products); NULL for ideas."),
            _c("value", "DOUBLE", "The metric's value for the subject."),
            _c(
                "baseline",
                "DOUBLE",
                "The same metric over all the creator's videos (products: the shop's average).",
            ),
            _c("sample_size", "BIGINT", "Videos it rests on (products: orders)."),
            _c("details", "VARCHAR", "JSON: the other figures; for ideas, hook, script, caption, hashtags."),
            _c(
                "llm_status",
                "VARCHAR",
                "`ok`, or why the ideas are the rules' (`no_key`, `timeout`, `http_500`, `malformed`, `schema_mismatch`, ...).",
            ),
            _c("model", "VARCHAR", "Model asked for ideas (NULL without a key)."),
            _c("prompt_tokens", "BIGINT", "Prompt tokens the run spent."),
            _c("completion_tokens", "BIGINT", "Completion tokens the run spent."),
            _c("cost", "DOUBLE", "Their cost at the configured prices per 1,000 tokens."),
        ),
        "creator_id, kind, rank",
        asset=False,
    ),
    Table(
        "build_info",
        "one row",
        "When and from what the database was built.",
        (
            _c("built_at", "TIMESTAMPTZ", "When the build started (UTC); ongoing stock-outs run up to it."),
            _c("timezone", "VARCHAR", "Reporting time zone of every `day` and period column."),
            _c("source_files", "BIGINT", "Lake part files read."),
            _c("source_rows", "BIGINT", "Rows read from them (every version)."),
            _c("event_log_rows", "BIGINT", "Webhook events read from the state DB's event log."),
            _c(
                "inputs_fingerprint",
                "VARCHAR",
                "Digest of the lake files and event log state the build read.",
            ),
            _c("duckdb_version", "VARCHAR", "DuckDB version that wrote the file."),
        ),
        "built_at",
        asset=False,
    ),
)

TABLES_BY_NAME = {t.name: t for t in TABLES}
ASSET_TABLES = tuple(t for t in TABLES if t.asset)


def schema_markdown(table: Table) -> str:
    """The docs' block for one table: grain, description and a column table."""
    lines = [
        f"Grain: {table.grain}.",
        "",
        table.description,
        "",
        "| column | type | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{c.name}` | {c.type} | {c.description.replace('|', '/')} |" for c in table.columns]
    return "\n".join(lines)


def example_queries(markdown: str) -> list[tuple[str, str]]:
    """(title, SQL) of the example queries in docs/analytics.md (between its `queries` markers)."""
    block = markdown[markdown.index("<!-- queries:start -->") : markdown.index("<!-- queries:end -->")]
    return [(title.strip(), sql) for title, sql in re.findall(r"### (.+?)\n.*?```sql\n(.*?)```", block, re.S)]


if __name__ == "__main__":
    for t in TABLES:
        print(
            f"### `{t.name}`\n\n<!-- schema:{t.name}:start -->\n{schema_markdown(t)}\n<!-- schema:{t.name}:end -->\n"
        )
