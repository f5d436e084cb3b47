"""The content area: the creators' post queue published to TikTok, and its sensor."""

import dagster as dg

from tiktok_pipelines.defs.content.assets import creator_posts
from tiktok_pipelines.defs.content.automation import creator_posts_job, post_queue_sensor

defs = dg.Definitions(assets=[creator_posts], jobs=[creator_posts_job], sensors=[post_queue_sensor])
