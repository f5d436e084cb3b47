"""The one Definitions object of the project: each area's definitions, and the resources."""

from __future__ import annotations

import dagster as dg

from tiktok_pipelines.defs import (
    analytics,
    catalog,
    content,
    creators,
    events,
    fulfilment,
    notifications,
    orders,
    stock_price,
    tokens,
)
from tiktok_pipelines.defs.resources import build_resources
from tiktok_pipelines.settings import Settings

settings = Settings.load()

defs = dg.Definitions.merge(
    catalog.defs,
    stock_price.defs,
    orders.defs,
    fulfilment.defs,
    tokens.defs,
    analytics.defs,
    events.defs,
    notifications.defs,
    creators.defs,
    content.defs,
    dg.Definitions(resources=build_resources(settings)),
)
