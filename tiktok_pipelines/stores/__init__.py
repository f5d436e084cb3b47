"""The state DB: the tables of every domain, declared on one SQLAlchemy `metadata`."""

from tiktok_pipelines.stores import (  # noqa: F401  (table registration)
    catalog,
    channel_tokens,
    creator_auth,
    creators,
    events,
    feeds,
    fulfilment,
    listings,
    notification_destinations,
    notifications,
    oauth_states,
    orders,
    posts,
    product_posts,
    registry,
    stock_price,
    tiktok_auth,
)
from tiktok_pipelines.stores.db import StateDB, metadata, utcnow

__all__ = ["StateDB", "metadata", "utcnow"]
