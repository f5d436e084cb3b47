"""The catalog job (feed → TikTok listings for one client) and its daily safety run."""

import dagster as dg

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.automation import client_schedule, lane_job
from tiktok_pipelines.partitions import client_write_tags, clients_partitions

catalog_job = lane_job(
    Lane.CATALOG,
    "catalog_job",
    partitions_def=clients_partitions,
    # Every run of a client's catalog carries the client's write tag, however it is launched (sensor,
    # schedule, or a partition picked in the UI), so two never write to the same shop at once.
    config=dg.PartitionedConfig(
        partitions_def=clients_partitions,
        run_config_for_partition_key_fn=lambda _key: {},
        tags_for_partition_key_fn=lambda key: client_write_tags(key, Lane.CATALOG),
    ),
    description="One client's catalog on TikTok: fetch and parse the feed, diff it against what is "
    "published, enrich from VTEX, resolve brands and categories, and create / edit / delete listings.",
)


catalog_daily_schedule = client_schedule(
    "catalog_daily_schedule",
    catalog_job,
    "30 4 * * *",
    """Every night, catalog_job for every active client, even when its feed did not change: failed
    products are retried, VTEX enrichment rotates (`vtex_refresh_days`), category rules are refreshed, and
    a feed reverted to an earlier version (whose change run key was already used) is published.""",
    "catalog-daily",
    with_shop=False,
    skip_reason="no active client with a partition",
    stamp="%Y-%m-%d",
    lane=Lane.CATALOG,
    execution_timezone="America/Sao_Paulo",
)
