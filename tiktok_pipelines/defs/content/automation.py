"""The post queue's job and sensor: a publishing run for each creator with a post due (or one a
previous run left to follow)."""

import hashlib

import dagster as dg

from tiktok_pipelines.defs.automation import sensor
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.partitions import CREATORS_PARTITION
from tiktok_pipelines.stores.posts import PostQueue

creator_posts_job = dg.define_asset_job(
    "creator_posts_job",
    selection=dg.AssetSelection.assets(dg.AssetKey(["creator", "posts"])),
    description="Publishes one creator's due posts to TikTok.",
    executor_def=dg.in_process_executor,
)


@sensor(
    name="post_queue_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    jobs=[creator_posts_job],
)
def post_queue_sensor(context: dg.SensorEvaluationContext, state: StateStore) -> dg.SensorResult:
    """Every 30 seconds: a `creator_posts_job` run for each creator with a post due, or being published
    without a live claim (a run died, or left TikTok's processing to be followed). The run key names the
    posts and their attempts, so a tick asks once for them, and a post a dead run held is asked again."""
    partitions = set(context.instance.get_dynamic_partitions(CREATORS_PARTITION))
    runs = []
    for creator_id, posts in PostQueue(state.db).due().items():
        if creator_id not in partitions:
            continue
        digest = hashlib.sha256(repr(posts).encode()).hexdigest()[:16]
        runs.append(
            dg.RunRequest(
                run_key=f"posts:{creator_id}:{digest}",
                job_name=creator_posts_job.name,
                partition_key=creator_id,
                tags={"tiktok_pipelines/creator_id": creator_id},
            )
        )
    if not runs:
        return dg.SensorResult(skip_reason="no post due")
    return dg.SensorResult(run_requests=runs)
