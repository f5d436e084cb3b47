"""The feed's fields are declared once; the parser, the item, the lake table and the hashes follow them."""

from tiktok_pipelines.core.feed import RECORD_FIELDS, FeedItem, iter_feed
from tiktok_pipelines.core.feed_fields import FEED_FIELDS, ITEM_COLUMNS, STOCK_PRICE_FIELDS
from tiktok_pipelines.core.tables import FEED_PRODUCTS, feed_product_row


def test_the_item_and_the_table_have_one_column_per_declared_field_in_its_order():
    assert FeedItem.__slots__[: len(ITEM_COLUMNS)] == ITEM_COLUMNS
    assert tuple(FEED_PRODUCTS.names[1 : 1 + len(ITEM_COLUMNS)]) == ITEM_COLUMNS


def test_the_record_keeps_its_order_so_content_hashes_never_change():
    assert RECORD_FIELDS[:6] == ("id", "item_group_id", "title", "description", "link", "image_link")
    assert STOCK_PRICE_FIELDS == ("price", "sale_price", "sale_price_effective_date", "availability")
    assert RECORD_FIELDS[-1] == "shipping_weight"


def _feed(fields: str) -> bytes:
    return (
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><title>t</title>'
        f"<item>{fields}</item></channel></rss>"
    ).encode()


def test_every_declared_field_is_read_under_each_of_its_tags_into_its_column():
    values = {"price": "10.00 BRL", "sale_price": "9.00 BRL", "availability": "in stock"}
    values |= {"shipping_weight": "1.5 kg", "additional_image_link": "https://x/y.jpg", "id": "SKU1"}
    values.setdefault("title", "A title")
    for field in FEED_FIELDS:
        if field.name is None:
            continue
        for tag in (field.name, *field.tags):
            body = {**values, tag: values.get(field.name, f"value of {field.name}")}
            fields = "".join(f"<g:{k}>{v}</g:{k}>" for k, v in body.items())
            (item,) = iter_feed(_feed(fields))
            row = feed_product_row("c", item, "s")
            assert row[field.column] not in (None, []), (field.name, tag)
