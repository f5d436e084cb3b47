"""The posts' jobs and sensors: a publishing run for each creator with a post due (or one a
previous run left to follow), and a product posts run for each opted-in client whose listings changed."""

import hashlib

import dagster as dg

from tiktok_pipelines.defs.automation import sensor
from tiktok_pipelines.defs.keys import tiktok_shop_key
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.partitions import CLIENTS_PARTITION, CREATORS_PARTITION
from tiktok_pipelines.stores.creators import CreatorRegistry
from tiktok_pipelines.stores.posts import PostQueue
from tiktok_pipelines.stores.registry import ClientRegistry


def _job(name: str, key: dg.AssetKey, description: str):
    """A job of one asset, run in the run's own process as the lanes' jobs are."""
    selection = dg.AssetSelection.assets(key)
    return dg.define_asset_job(
        name, selection=selection, description=description, executor_def=dg.in_process_executor
    )


def _every_30s(name: str, job):
    return sensor(name=name, minimum_interval_seconds=30, jobs=[job])


creator_posts_job = _job(
    "creator_posts_job", dg.AssetKey(["creator", "posts"]), "Publishes one creator's due posts to TikTok."
)
product_posts_job = _job(
    "product_posts_job",
    dg.AssetKey(["product_posts"]),
    "Prepares posts for the products a client's catalog newly listed.",
)


@_every_30s("post_queue_sensor", creator_posts_job)
def post_queue_sensor(context: dg.SensorEvaluationContext, state: StateStore) -> dg.SensorResult:
    """Every 30 seconds: a `creator_posts_job` run for each connected creator with a post due, or being
    published without a live claim (a run died, or left TikTok's processing to be followed); the posts
    of a creator not connected wait for it. The run key names the
    posts and their attempts, so a tick asks once for them, and a post a dead run held is asked again."""
    partitions = set(context.instance.get_dynamic_partitions(CREATORS_PARTITION))
    runs = []
    registry = CreatorRegistry(state.db)
    waiting = []
    for creator_id, posts in PostQueue(state.db).due().items():
        if creator_id not in partitions:
            continue
        creator = registry.find(creator_id)
        if creator is None or creator.status != "connected":
            waiting.append(creator_id)  # its posts wait for the creator to connect (again)
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
    if waiting:
        context.log.info("posts due wait for creators not connected: %s", ", ".join(sorted(waiting)))
    if not runs:
        return dg.SensorResult(skip_reason="no post due of a connected creator")
    return dg.SensorResult(run_requests=runs)


@_every_30s("product_posts_sensor", product_posts_job)
def product_posts_sensor(context: dg.SensorEvaluationContext, state: StateStore) -> dg.SensorResult:
    """Every 30 seconds: a `product_posts_job` run for each client that opted in to product posts
    (`product_posts_creator`) once `tiktok_shop/listings` has a materialization of that client the run
    has not seen (one run per materialization, by run key); the first one takes the baseline."""
    partitions = set(context.instance.get_dynamic_partitions(CLIENTS_PARTITION))
    runs = []
    for client in ClientRegistry(state.db).list():
        if client.client_id not in partitions or not client.option("product_posts_creator"):
            continue
        records = context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=tiktok_shop_key("listings"), asset_partitions=[client.client_id]),
            limit=1,
        ).records
        if not records:
            continue
        runs.append(
            dg.RunRequest(
                run_key=f"product_posts:{client.client_id}:{records[0].storage_id}",
                job_name=product_posts_job.name,
                partition_key=client.client_id,
            )
        )
    if not runs:
        return dg.SensorResult(skip_reason="no opted-in client with new listings")
    return dg.SensorResult(run_requests=runs)
