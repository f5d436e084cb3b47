"""The names every layer shares: the lanes of work and the sales channels."""

from __future__ import annotations

from enum import StrEnum


class Lane(StrEnum):
    """A lane of work for a client. It names the lane's asset group, its run tag (one write run per client
    and lane at a time), its events' target and its rows in the `sync_log` lake table."""

    CATALOG = "catalog"
    STOCK_PRICE = "stock_price"
    ORDERS = "orders"
    FULFILMENT = "fulfilment"
    TOKENS = "tokens"
    ANALYTICS = "analytics"
    CREATORS = "creators"
    CONTENT = "content"


class ChannelName(StrEnum):
    """A marketplace the client sells on. It prefixes the channel's asset keys (`tiktok_shop/listings`),
    and is the value of the `channel` column beside the ids the channel gives (`channel_product_id`,
    `channel_sku_id`...) in the state DB, the lake and the analytics tables."""

    TIKTOK_SHOP = "tiktok_shop"
    MERCADO_LIVRE = "mercado_livre"
    SHOPEE = "shopee"
