"""When the recommendations run besides each creator sync: once the shop's sales are rebuilt
(`analytics.duckdb`), again for the creators linked to a client, at most once a day each, so the
products to feature follow the sales."""

from datetime import UTC, datetime

import dagster as dg

from tiktok_pipelines.analytics.publish import DatabaseNotFound
from tiktok_pipelines.defs.analytics.assets import analytics_key
from tiktok_pipelines.defs.automation import asset_sensor
from tiktok_pipelines.defs.resources.analytics import AnalyticsDatabase
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.partitions import CREATORS_PARTITION
from tiktok_pipelines.stores.creators import CreatorRegistry

RECOMMENDATIONS = dg.AssetKey(["creator", "recommendations"])

creator_recommendations_job = dg.define_asset_job(
    "creator_recommendations_job",
    selection=dg.AssetSelection.assets(RECOMMENDATIONS),
    description="Makes one creator's recommendations again from the videos synced and the shop's sales.",
    executor_def=dg.in_process_executor,
)


def clients_with_sales(analytics: AnalyticsDatabase) -> set[str]:
    """The clients with any sale in the published analytics database."""
    try:
        con = analytics.connect()
    except DatabaseNotFound:
        return set()
    with con:
        return {row[0] for row in con.execute("SELECT DISTINCT client_id FROM product_daily").fetchall()}


@asset_sensor(
    name="creator_recommendations_sensor",
    asset_key=analytics_key("orders"),
    job=creator_recommendations_job,
    minimum_interval_seconds=60,
)
def creator_recommendations_sensor(
    context: dg.SensorEvaluationContext,
    asset_event: dg.EventLogEntry,
    state: StateStore,
    analytics: AnalyticsDatabase,
):
    """After a build of analytics.duckdb, a `creator_recommendations_job` run for every connected creator
    linked to a client (their products to feature come from the client's sales), keyed by creator, day
    and whether the client has sales yet: at most one a day each, and one more the day the client's
    first sales arrive, however often analytics is built."""
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    selling = clients_with_sales(analytics)
    partitions = set(context.instance.get_dynamic_partitions(CREATORS_PARTITION))
    creators = [
        (c.creator_id, c.client_id)
        for c in CreatorRegistry(state.db).connected()
        if c.client_id is not None and c.creator_id in partitions
    ]
    if not creators:
        return dg.SkipReason("no connected creator linked to a client")
    return [
        dg.RunRequest(
            run_key=f"creator_recommendations:{creator_id}:{day}:{'sales' if client_id in selling else 'no_sales'}",
            partition_key=creator_id,
        )
        for creator_id, client_id in creators
    ]
