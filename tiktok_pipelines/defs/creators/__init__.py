"""The creators area: TikTok creator accounts' profile, videos and video metrics per creator partition,
their token renewal, the sync schedule, and the sensors that keep the partitions and the manual syncs."""

import dagster as dg

from tiktok_pipelines.defs.creators.assets import (
    creator_profile,
    creator_tokens,
    creator_video_metrics,
    creator_videos,
)
from tiktok_pipelines.defs.creators.automation import (
    creator_registry_sensor,
    creator_sync_job,
    creator_sync_schedule,
    creator_sync_sensor,
    creator_token_job,
    creator_token_schedule,
)

defs = dg.Definitions(
    assets=[creator_profile, creator_videos, creator_video_metrics, creator_tokens],
    jobs=[creator_sync_job, creator_token_job],
    schedules=[creator_sync_schedule, creator_token_schedule],
    sensors=[creator_registry_sensor, creator_sync_sensor],
)
