"""The notification sender and the failed-run notices.

`notification_sender_sensor` delivers the outbox every 30 seconds (a bounded round; a destination that
is down is retried later and never fails the tick). `run_failure_notice_sensor` records a notice for
every failed run, linked to it in the UI. `check_failure_notice_sensor` records a notice when an asset
check of ERROR severity starts failing for a client (once, until it passes again).
"""

import json
from datetime import UTC, datetime

import dagster as dg
from dagster._core.events import DagsterEventType

from tiktok_pipelines.core import notices
from tiktok_pipelines.defs.automation import sensor
from tiktok_pipelines.defs.notifications.assets import notifications_job
from tiktok_pipelines.defs.resources.notifications import Notifier
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.partitions import CLIENTS_PARTITION
from tiktok_pipelines.stores.notifications import NotificationOutbox

PARTITION_TAG = "dagster/partition"


def _failed_counts(context, outbox: NotificationOutbox, registry) -> dict[str, int]:
    partitions = set(context.instance.get_dynamic_partitions(CLIENTS_PARTITION))
    return {c: outbox.counts(c)["failed"] for c in registry.ids() if c in partitions}


@sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING, job=notifications_job)
def notification_sender_sensor(context: dg.SensorEvaluationContext, state: StateStore, notifier: Notifier):
    """Every 30 seconds: delivers the notification outbox (email, chat) through Apprise, grouping bursts
    into digests, holding quiet hours and retrying a destination that is down with growing delays; a
    client whose failed deliveries changed gets a `notifications_job` run, so its check follows."""
    try:
        report = notifier.sender(state.db).run()
    except Exception as exc:  # the state DB is away: the next tick tries again
        return dg.SkipReason(f"notifications not sent this tick: {type(exc).__name__}: {exc}"[:500])
    seen = json.loads(context.cursor) if context.cursor else {}
    counts = _failed_counts(context, NotificationOutbox(state.db), state.registry)
    changed = sorted(c for c, n in counts.items() if seen.get(c, 0) != n)
    context.update_cursor(json.dumps(counts, sort_keys=True))
    summary = (
        f"{report.messages} message(s) for {report.delivered} notification delivery(ies); "
        f"{report.retried} to retry, {report.held} held by quiet hours, {report.waiting} waiting for "
        f"their digest, {report.gave_up} given up"
    )
    if report.errors:
        context.log.warning("%s; %s", summary, " | ".join(report.errors[:5]))
    if not changed:
        return dg.SkipReason(summary)
    return [
        dg.RunRequest(run_key=f"notifications:{c}:{counts[c]}:{context.cursor}", partition_key=c)
        for c in changed
    ]


@dg.run_failure_sensor(
    name="run_failure_notice_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Records a `run_failed` notification for every failed run (its client's, from the "
    "partition; every client's for a run of no client), linked to the run in the Dagster UI.",
)
def run_failure_notice_sensor(context: dg.RunFailureSensorContext, state: StateStore):
    run = context.dagster_run
    client_id = run.tags.get(PARTITION_TAG) or run.tags.get("tiktok_pipelines/client_id")
    registry = state.registry
    clients = [client_id] if client_id and registry.find(client_id) else registry.ids()
    reason = context.failure_event.message or "the run failed"
    NotificationOutbox(state.db).record(
        [notices.run_failed(c, run.job_name, run.run_id, reason) for c in clients]
    )


RUNS_PER_TICK = 200
_FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]


def _check_evaluations(instance: dg.DagsterInstance, run_id: str):
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        yield entry.dagster_event.event_specific_data


def _finished_since(instance: dg.DagsterInstance, after: float):
    """Runs finished since `after` (Unix seconds), oldest first, from a second before it, so that one
    finishing in the same instant is not missed (the caller skips those it read already)."""
    return instance.get_run_records(
        dg.RunsFilter(statuses=_FINISHED, updated_after=datetime.fromtimestamp(after - 1, UTC)),
        limit=RUNS_PER_TICK,
        order_by="update_timestamp",
        ascending=True,
    )


@sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def check_failure_notice_sensor(context: dg.SensorEvaluationContext, state: StateStore):
    """Every 30 seconds: records a `check_failed` notification when an asset check of ERROR severity
    starts failing for a client (its partition; every client for a check of no client), linked to the
    run that evaluated it. A check that keeps failing is told once, and again only after it passed."""
    now = datetime.now(UTC)
    cursor = json.loads(context.cursor) if context.cursor else None
    if cursor is None:  # the first tick starts from now: what failed before the sensor ran is history
        history = [r.dagster_run.run_id for r in _finished_since(context.instance, now.timestamp())]
        context.update_cursor(json.dumps({"after": now.timestamp(), "done": history, "failing": []}))
        return dg.SkipReason("started: the checks of runs that finish from now on are followed")
    failing, done = set(cursor["failing"]), set(cursor["done"])
    records = _finished_since(context.instance, cursor["after"])
    registry = state.registry
    found: list = []
    after = cursor["after"]
    for record in records:
        run = record.dagster_run
        after = max(after, record.update_timestamp.timestamp())
        if run.run_id in done:
            continue
        done.add(run.run_id)
        for evaluation in _check_evaluations(context.instance, run.run_id):
            if evaluation.severity != dg.AssetCheckSeverity.ERROR:
                continue
            asset = evaluation.asset_key.to_user_string()
            client_id = evaluation.partition or run.tags.get(PARTITION_TAG)
            clients = [client_id] if client_id and registry.find(client_id) else registry.ids()
            for client in clients:
                key = f"{client}|{asset}|{evaluation.check_name}"
                if evaluation.passed:
                    failing.discard(key)
                elif key not in failing:
                    failing.add(key)
                    reason = evaluation.description or "the check did not pass"
                    found.append(
                        notices.check_failed(client, asset, evaluation.check_name, reason, run.run_id, now)
                    )
    if found:
        NotificationOutbox(state.db).record(found)
    recent = {r.dagster_run.run_id for r in records if r.update_timestamp.timestamp() >= after - 1}
    context.update_cursor(json.dumps({"after": after, "done": sorted(recent), "failing": sorted(failing)}))
    return dg.SkipReason(f"{len(records)} finished run(s) read; {len(found)} newly failing check(s) recorded")
