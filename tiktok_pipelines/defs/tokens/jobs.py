"""The channels' token lifecycle (TikTok Shop, Mercado Livre, Shopee), hourly."""

import dagster as dg

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.automation import job_schedule

tiktok_token_job = dg.define_asset_job(
    "tiktok_token_job",
    selection=dg.AssetSelection.groups(Lane.TOKENS.value),
    description=(
        "Exchanges new TikTok Shop auth codes and renews every channel's access tokens before they expire."
    ),
)

tiktok_token_schedule = job_schedule(
    name="tiktok_token_schedule",
    job=tiktok_token_job,
    cron_schedule="17 * * * *",
    description=(
        "Every hour: exchanges TikTok auth codes left by the OAuth callback and renews access tokens "
        "once they are within their channel's window of expiry (TikTok's 7-day tokens: "
        "TIKTOK_TOKEN_RENEW_BEFORE_HOURS; Mercado Livre's 6 hours, Shopee's 4)."
    ),
)
