"""The stock and price jobs (realtime, incremental, full) and their schedules."""

import datetime as dt

import dagster as dg

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.automation import active_clients, client_runs, client_schedule, schedule
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.stock_price.assets import CHANNEL_STOCK_PRICE, vtex_prices, vtex_stock
from tiktok_pipelines.partitions import WAITING, client_write_tags, clients_partitions, lane_runs

LANE = Lane.STOCK_PRICE
# The assets that take the run's `mode`; the full run also reads what each channel shows.
PUSH_ASSETS = (vtex_stock, vtex_prices, *(a for _, *pushes in CHANNEL_STOCK_PRICE.values() for a in pushes))
LANE_ASSETS = dg.AssetSelection.groups(LANE.value)
STATE_ASSETS = tuple(state for state, *_ in CHANNEL_STOCK_PRICE.values())
PUSH_SELECTION = LANE_ASSETS - dg.AssetSelection.assets(*STATE_ASSETS)


def mode_config(mode: str, assets=PUSH_ASSETS) -> dict:
    """Run config giving every stock and price asset of a run the same mode."""
    return {"ops": {a.key.to_python_identifier(): {"config": {"mode": mode}} for a in assets}}


def _job(name: str, mode: str, selection: dg.AssetSelection, description: str, executor_def=None):
    return dg.define_asset_job(
        name,
        selection=selection,
        partitions_def=clients_partitions,
        # However a run starts (sensor, schedule, the UI), it has its mode and the client's write tag: one
        # stock and price run per client at a time, so two runs never push the same SKU against each other.
        config=dg.PartitionedConfig(
            partitions_def=clients_partitions,
            run_config_for_partition_key_fn=lambda _key: mode_config(mode),
            tags_for_partition_key_fn=lambda key: client_write_tags(key, LANE),
        ),
        executor_def=executor_def,
        description=description,
    )


# Realtime and incremental runs are small: one process, no per-step start-up, so a notified SKU
# reaches every channel within seconds. The full run is long and its two chains run in parallel.
stock_price_realtime_job = _job(
    "stock_price_realtime_job",
    "realtime",
    PUSH_SELECTION,
    "The SKUs VTEX just notified (broadcaster / affiliate notifications): read from VTEX once and pushed "
    "at once to every channel listing them. Requested by webhook_queue_sensor.",
    dg.in_process_executor,
)
stock_price_job = _job(
    "stock_price_job",
    "incremental",
    PUSH_SELECTION,
    "Incremental reconcile: notified SKUs and a rotating slice of the others (never-read first) read from "
    "VTEX; every SKU whose target differs from what its channel confirmed is pushed, failures retried.",
    dg.in_process_executor,
)
stock_price_full_job = _job(
    "stock_price_full_job",
    "full",
    LANE_ASSETS,
    "Full reconcile: every listed SKU read from VTEX, what each channel actually shows read back, drift "
    "repaired, the dead letter tried once more.",
)


def reconcile_in_flight(instance: dg.DagsterInstance, client_id: str) -> str | None:
    """Why another incremental run of the client would add nothing (one is queued or running already, or
    a full reconcile is queued), or None. Realtime runs do not count: they push only the SKUs VTEX
    named, and the reconcile queues behind them (one write run per client at a time)."""
    for record in lane_runs(instance, client_id, LANE):
        run = record.dagster_run
        waiting = run.status in WAITING
        if run.job_name == stock_price_job.name or (run.job_name == stock_price_full_job.name and waiting):
            if waiting:
                return f"{run.job_name} run {run.run_id[:8]} is queued"
            since = (
                f" since {dt.datetime.fromtimestamp(record.start_time, dt.UTC):%H:%M} UTC"
                if record.start_time
                else ""
            )
            return f"{run.job_name} run {run.run_id[:8]} is still running{since}"
    return None


@schedule(
    name="stock_price_schedule",
    job=stock_price_job,
    cron_schedule="*/5 * * * *",
)
def stock_price_schedule(context: dg.ScheduleEvaluationContext, state: StateStore):
    """Every 5 minutes, an incremental stock and price run per active, authorized client: what VTEX
    notifications named that no run finished, pushes to retry, and a rotating slice of SKUs read again,
    new listings first (a change whose notification was lost is caught within hours, and by the nightly
    full run at the latest). Realtime runs never hold it back: it queues behind the one running (one
    write run per client at a time), and while it waits it also takes the new notifications, so the
    queue sensor requests no realtime run meanwhile. A client whose previous incremental run is still
    queued or running (or whose full reconcile is queued) is skipped, with the run named."""
    ready, skipped = [], []
    for client in active_clients(context.instance, state.registry):
        reason = reconcile_in_flight(context.instance, client.client_id)
        if reason:
            skipped.append(f"{client.client_id}: {reason}")
        else:
            ready.append(client)
    requests = client_runs(context, ready, "stock-price", lane=LANE)
    if skipped:
        context.log.info("no new run for %s", "; ".join(skipped))
    if requests:
        return requests
    if skipped:
        return dg.SkipReason(f"a reconcile is already on its way for every client: {'; '.join(skipped)}")
    return dg.SkipReason("no active client with a shop on a channel and a partition")


stock_price_nightly_schedule = client_schedule(
    "stock_price_nightly_schedule",
    stock_price_full_job,
    "0 2 * * *",
    """Every night at 02:00 (São Paulo), a full stock and price reconcile per active, authorized client:
    every listed SKU read from VTEX, each channel's actual stock and prices read back, and
    whatever drifted pushed again; the dead letter gets one more try.""",
    "stock-price-full",
    skip_reason="no active authorized client",
    stamp="%Y-%m-%d",
    lane=LANE,
    execution_timezone="America/Sao_Paulo",
)
