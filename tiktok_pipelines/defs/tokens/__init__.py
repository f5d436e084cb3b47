"""The tokens area: authorization codes exchanged and access tokens renewed, hourly."""

import dagster as dg

from tiktok_pipelines.defs.tokens.assets import mercado_livre_tokens, shopee_tokens, tiktok_tokens
from tiktok_pipelines.defs.tokens.jobs import tiktok_token_job, tiktok_token_schedule

defs = dg.Definitions(
    assets=[tiktok_tokens, mercado_livre_tokens, shopee_tokens],
    jobs=[tiktok_token_job],
    schedules=[tiktok_token_schedule],
)
