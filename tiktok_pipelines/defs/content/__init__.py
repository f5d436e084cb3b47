"""The content area: creators' recommendations (the rules over their videos and the shop's sales, ideas
from a language model when one is configured)."""

import dagster as dg

from tiktok_pipelines.defs.content.assets import creator_recommendations
from tiktok_pipelines.defs.content.automation import (
    creator_recommendations_job,
    creator_recommendations_sensor,
)

defs = dg.Definitions(
    assets=[creator_recommendations],
    jobs=[creator_recommendations_job],
    sensors=[creator_recommendations_sensor],
)
