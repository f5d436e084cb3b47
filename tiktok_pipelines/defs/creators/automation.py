"""The creators' jobs, schedules and sensors: the `creators` partitions kept in step with the creator
registry, a daily sync of every connected creator, manual syncs (CLI, the receiver's API) turned into
runs, and the hourly token renewal."""

import dagster as dg

from tiktok_pipelines.defs.automation import schedule, sensor
from tiktok_pipelines.defs.creators.assets import creator_key
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.partitions import CREATORS_PARTITION
from tiktok_pipelines.stores.creator_auth import CreatorAuthStore
from tiktok_pipelines.stores.creators import CreatorRegistry

SYNC_TAG = "tiktok_pipelines/creator_sync"

# Both run their steps in the run's own process, as the lanes' jobs do.
creator_sync_job = dg.define_asset_job(
    "creator_sync_job",
    selection=dg.AssetSelection.assets(
        creator_key("profile"),
        creator_key("videos"),
        creator_key("video_metrics"),
        creator_key("recommendations"),
    ),
    description="Syncs one creator: profile, videos, a snapshot of every video's metrics, and the "
    "recommendations made from them.",
    executor_def=dg.in_process_executor,
)

creator_token_job = dg.define_asset_job(
    "creator_token_job",
    selection=dg.AssetSelection.assets(creator_key("tokens")),
    description="Renews the creators' access tokens that are due.",
    executor_def=dg.in_process_executor,
)


def _sync_request(creator_id: str, run_key: str) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=run_key,
        job_name=creator_sync_job.name,
        partition_key=creator_id,
        tags={SYNC_TAG: creator_id, "tiktok_pipelines/creator_id": creator_id},
    )


def _connected(context, state: StateStore) -> list[str]:
    return [
        c.creator_id
        for c in CreatorRegistry(state.db).connected()
        if context.instance.has_dynamic_partition(CREATORS_PARTITION, c.creator_id)
    ]


@schedule(cron_schedule="40 5 * * *", job=creator_sync_job, default_status=dg.DefaultScheduleStatus.RUNNING)
def creator_sync_schedule(context: dg.ScheduleEvaluationContext, state: StateStore):
    """Every day at 05:40 UTC: a sync run (profile, videos, metrics snapshot) for every connected creator,
    so each video has one metrics snapshot a day at least. Disconnected creators and those that must
    connect again are left out."""
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    creators = _connected(context, state)
    if not creators:
        return dg.SkipReason("no connected creator")
    return [_sync_request(creator_id, f"creator_sync:{creator_id}:{day}") for creator_id in creators]


creator_token_schedule = dg.ScheduleDefinition(
    name="creator_token_schedule",
    job=creator_token_job,
    cron_schedule="47 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "Every hour: renews the creators' access tokens once less than TIKTOK_CREATOR_RENEW_AT_SHARE of "
        "their lifetime (as TikTok gave it) is left."
    ),
)


@sensor(
    name="creator_registry_sensor", minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING
)
def creator_registry_sensor(context: dg.SensorEvaluationContext, state: StateStore) -> dg.SensorResult:
    """Adds a `creators` partition for every registered creator and deletes the partitions of deleted
    creators. Runs every 30 seconds; a tick with nothing to change is skipped."""
    registered = set(CreatorRegistry(state.db).ids())
    existing = set(context.instance.get_dynamic_partitions(CREATORS_PARTITION))
    to_add, to_delete = sorted(registered - existing), sorted(existing - registered)
    requests: list = []
    if to_add:
        requests.append(dg.AddDynamicPartitionsRequest(CREATORS_PARTITION, to_add))
    if to_delete:
        requests.append(dg.DeleteDynamicPartitionsRequest(CREATORS_PARTITION, to_delete))
    if not requests:
        return dg.SensorResult(skip_reason=f"{len(existing)} creator partitions match the registry")
    return dg.SensorResult(dynamic_partitions_requests=requests)


@sensor(
    name="creator_sync_sensor",
    minimum_interval_seconds=10,
    default_status=dg.DefaultSensorStatus.RUNNING,
    jobs=[creator_sync_job],
)
def creator_sync_sensor(context: dg.SensorEvaluationContext, state: StateStore) -> dg.SensorResult:
    """Turns the sync requests queued by `tiktok-pipelines creators sync`, the receiver's API and a new
    connection into `creator_sync_job` runs, one per creator (a creator whose partition the registry
    sensor has not added yet waits a tick). Requests for creators no longer connected are dropped."""
    db = state.db
    registry, auth = CreatorRegistry(db), CreatorAuthStore(db)
    partitions = set(context.instance.get_dynamic_partitions(CREATORS_PARTITION))
    runs, partition_requests, dropped = [], [], []
    for request_id, creator_id in auth.take_sync_requests():
        creator = registry.find(creator_id)
        if creator is None or creator.status != "connected":
            dropped.append(creator_id)
            continue
        if creator_id not in partitions:
            partition_requests.append(creator_id)
            partitions.add(creator_id)
        runs.append(_sync_request(creator_id, f"creator_sync:{creator_id}:request:{request_id}"))
    if dropped:
        context.log.info(
            "sync requests dropped for creators not connected: %s", ", ".join(sorted(set(dropped)))
        )
    if not runs:
        return dg.SensorResult(skip_reason="no sync requested")
    extra = (
        [dg.AddDynamicPartitionsRequest(CREATORS_PARTITION, sorted(set(partition_requests)))]
        if partition_requests
        else []
    )
    return dg.SensorResult(run_requests=runs, dynamic_partitions_requests=extra)
