"""The content area: creators' recommendations (the rules over their videos and the shop's sales, ideas
from a language model when one is configured), and their post queue published to TikTok, with posts
prepared for newly listed products."""

import dagster as dg

from tiktok_pipelines.defs.content.assets import creator_recommendations
from tiktok_pipelines.defs.content.automation import (
    creator_recommendations_job,
    creator_recommendations_sensor,
)
from tiktok_pipelines.defs.content.post_automation import (
    creator_posts_job,
    post_queue_sensor,
    product_posts_job,
    product_posts_sensor,
)
from tiktok_pipelines.defs.content.posts import creator_posts, product_posts

defs = dg.Definitions(
    assets=[creator_recommendations, creator_posts, product_posts],
    jobs=[creator_recommendations_job, creator_posts_job, product_posts_job],
    sensors=[creator_recommendations_sensor, post_queue_sensor, product_posts_sensor],
)
