"""`analytics_schedule` rebuilds when an input changed, and skips a quiet hour."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import sqlalchemy as sa

from tiktok_pipelines.defs.analytics import jobs as schedules
from tiktok_pipelines.defs.analytics.assets import analytics_key
from tiktok_pipelines.defs.analytics.jobs import FINGERPRINT_TAG, analytics_schedule, lake_compaction_schedule
from tiktok_pipelines.stores.events import event_log
from tiktok_pipelines_tests.analytics.conftest import materialize_analytics, utc, write_part


def evaluate(instance, resources):
    with dg.build_schedule_context(
        instance=instance, resources={"lake": resources["lake"], "state": resources["state"]}
    ) as context:
        return analytics_schedule(context)


def order(order_id: str) -> dict:
    at = utc(2026, 3, 10)
    return {
        "client_id": "loja-a",
        "order_id": order_id,
        "status": "COMPLETED",
        "created_at": at,
        "ingested_at": at,
    }


def built(instance, fingerprint: str) -> None:
    """Records a build of these inputs, as `analytics_db` does (without spending a build on it)."""
    instance.report_runless_asset_event(
        dg.AssetMaterialization(analytics_key("orders"), metadata={"inputs_fingerprint": fingerprint})
    )


def test_the_schedule_builds_only_when_an_input_changed(instance, resources, state_db, monkeypatch):
    first = evaluate(instance, resources)
    assert isinstance(first, dg.RunRequest)  # never built

    write_part(resources["lake"], "orders", "loja-a", [order("1")])
    changed = evaluate(instance, resources)
    assert isinstance(changed, dg.RunRequest)
    assert changed.tags[FINGERPRINT_TAG] != first.tags[FINGERPRINT_TAG]

    materialize_analytics(instance, resources)  # the asset records what it read
    assert isinstance(evaluate(instance, resources), dg.SkipReason)

    at = utc(2026, 3, 10, 12)
    with state_db.begin() as conn:  # a webhook arrives
        conn.execute(
            sa.insert(event_log),
            [
                {
                    "source": "tiktok",
                    "event_id": "e1",
                    "event_type": "1",
                    "routing_key": "shop",
                    "client_id": "loja-a",
                    "body": "{}",
                    "received_at": at,
                    "recorded_at": at,
                    "action": "run",
                    "keys": "",
                    "status": "pending",
                }
            ],
        )
    arrived = evaluate(instance, resources)
    assert isinstance(arrived, dg.RunRequest)
    built(instance, arrived.tags[FINGERPRINT_TAG])
    assert isinstance(evaluate(instance, resources), dg.SkipReason)

    with state_db.begin() as conn:  # ... and is handled
        conn.execute(sa.update(event_log).values(status="handled", handled_at=at + timedelta(seconds=3)))
    handled = evaluate(instance, resources)
    assert isinstance(handled, dg.RunRequest)
    built(instance, handled.tags[FINGERPRINT_TAG])

    monkeypatch.setattr(schedules, "MAX_BUILD_AGE", timedelta(0))  # a day later, nothing changed
    assert isinstance(evaluate(instance, resources), dg.RunRequest)


def test_the_compaction_schedule_asks_for_a_run():
    assert isinstance(lake_compaction_schedule(dg.build_schedule_context()), dg.RunRequest)
