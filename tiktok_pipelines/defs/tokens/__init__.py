"""The tokens area: authorization codes exchanged and access tokens renewed, hourly."""

import dagster as dg

from tiktok_pipelines.defs.tokens.assets import TOKENS_ASSETS
from tiktok_pipelines.defs.tokens.jobs import tiktok_token_job, tiktok_token_schedule

defs = dg.Definitions(
    assets=TOKENS_ASSETS,
    jobs=[tiktok_token_job],
    schedules=[tiktok_token_schedule],
)
