"""The fields of a product feed item, declared once.

Everything else is derived from `FEED_FIELDS`: the tags the parser reads (`core.feed`), the item's record
and so its content hash (the hashed fields, in this order), what the stock and price lane owns (left out
of the catalog digest), the columns of the `feed_products` lake table and their order (`core.tables`), and
the rows the compiled reader takes (`core.feed_table`, whose C tables are checked against these at
import). `FeedItem` carries one attribute per column, in this order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "money", "weight", "list"]


@dataclass(frozen=True)
class FeedField:
    """One field of a feed item.

    - `name`: the Google Merchant attribute (`g:<name>`); None for a column the feed does not carry
      itself (the currency, read off the price);
    - `column`: its column in `feed_products` and attribute of `FeedItem`;
    - `tags`: other `g:` names it may come under;
    - `hashed`: part of the item's record, whose hash is the item's content hash (additional images are
      in the record too, after the fields);
    - `stock_price`: owned by the stock and price lane once the product is listed (its changes alone give
      the catalog nothing to publish);
    - `rule_source`: an attribute rule may take a channel attribute's value from it (`feed:<column>`);
    - `few_values`: few distinct values across a catalog, worth a Parquet dictionary in `feed_products`.
    """

    name: str | None
    column: str
    kind: Kind = "text"
    tags: tuple[str, ...] = ()
    hashed: bool = True
    stock_price: bool = False
    rule_source: bool = False
    few_values: bool = False


FEED_FIELDS: tuple[FeedField, ...] = (
    FeedField("id", "seller_sku"),
    FeedField("item_group_id", "item_group_id"),
    FeedField("title", "title", rule_source=True),
    FeedField("description", "description", tags=("summary", "content")),
    FeedField("link", "link"),
    FeedField("image_link", "image_link"),
    FeedField("additional_image_link", "additional_image_links", "list", hashed=False),
    FeedField("price", "price", "money", stock_price=True),
    FeedField("sale_price", "sale_price", "money", stock_price=True),
    FeedField(None, "currency", hashed=False, few_values=True),
    FeedField("sale_price_effective_date", "sale_price_effective_date", stock_price=True),
    FeedField("availability", "availability", stock_price=True, few_values=True),
    FeedField("condition", "condition", rule_source=True, few_values=True),
    FeedField("brand", "brand", rule_source=True, few_values=True),
    FeedField("gtin", "gtin", tags=("ean",), rule_source=True),
    FeedField("mpn", "mpn", rule_source=True),
    FeedField("color", "color", rule_source=True, few_values=True),
    FeedField("size", "size", rule_source=True, few_values=True),
    FeedField("gender", "gender", rule_source=True, few_values=True),
    FeedField("age_group", "age_group", rule_source=True, few_values=True),
    FeedField("material", "material", rule_source=True, few_values=True),
    FeedField("pattern", "pattern", rule_source=True, few_values=True),
    FeedField("google_product_category", "google_product_category", rule_source=True, few_values=True),
    FeedField("product_type", "product_type", rule_source=True, few_values=True),
    FeedField("shipping_weight", "shipping_weight_kg", "weight"),
)

# The order of an item's record (and so of its content hash).
HASHED_FIELDS = tuple(f.name for f in FEED_FIELDS if f.hashed and f.name)
# What the stock and price lane owns, as it sits in the record.
STOCK_PRICE_FIELDS = tuple(f.name for f in FEED_FIELDS if f.stock_price and f.name)
# The columns of `feed_products` an item fills, in table order.
ITEM_COLUMNS = tuple(f.column for f in FEED_FIELDS)
