"""The TikTok Shop token lifecycle, hourly."""

import dagster as dg

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.automation import job_schedule

tiktok_token_job = dg.define_asset_job(
    "tiktok_token_job",
    selection=dg.AssetSelection.groups(Lane.TOKENS.value),
    description="Exchanges new TikTok Shop auth codes and renews access tokens before they expire.",
)

tiktok_token_schedule = job_schedule(
    name="tiktok_token_schedule",
    job=tiktok_token_job,
    cron_schedule="17 * * * *",
    description=(
        "Every hour: exchanges auth codes left by the OAuth callback and renews access tokens (7-day "
        "lifetime) once they are within TIKTOK_TOKEN_RENEW_BEFORE_HOURS of expiry."
    ),
)
