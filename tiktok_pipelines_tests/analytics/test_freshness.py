"""`analytics_freshness_sensor`: where asked (the demo), a first build at once and fresh numbers every few
minutes while inputs change; never two builds at a time; off by default."""

from __future__ import annotations

from datetime import datetime, timedelta

import dagster as dg

from tiktok_pipelines.defs.analytics import jobs
from tiktok_pipelines.defs.analytics.freshness import analytics_freshness_sensor
from tiktok_pipelines.defs.analytics.jobs import FINGERPRINT_TAG, analytics_job
from tiktok_pipelines.defs.resources.analytics import AnalyticsDatabase
from tiktok_pipelines.settings import Settings
from tiktok_pipelines_tests.analytics.conftest import materialize_analytics, write_part
from tiktok_pipelines_tests.analytics.test_schedule import order


def evaluate(instance, resources, fresh_minutes: int):
    analytics = AnalyticsDatabase(**{**resources["analytics"].model_dump(), "fresh_minutes": fresh_minutes})
    with dg.build_sensor_context(
        instance=instance,
        resources={"analytics": analytics, "lake": resources["lake"], "state": resources["state"]},
    ) as context:
        return analytics_freshness_sensor(context)


class Later(datetime):
    """The clock three minutes on."""

    @classmethod
    def now(cls, tz=None):
        return datetime.now(tz) + timedelta(minutes=3)


def test_the_sensor_is_off_unless_configured(instance, resources):
    assert AnalyticsDatabase.from_settings(Settings.load({})).fresh_minutes == 0
    assert isinstance(evaluate(instance, resources, 0), dg.SkipReason)
    configured = Settings.load({"TIKTOK_PIPELINES_ANALYTICS_FRESH_MINUTES": "2"})
    assert AnalyticsDatabase.from_settings(configured).fresh_minutes == 2


def test_a_first_build_at_once_then_one_per_interval_while_inputs_change(instance, resources, monkeypatch):
    first = evaluate(instance, resources, 2)
    assert isinstance(first, dg.RunRequest)  # never built: build now, even with nothing in the lake
    materialize_analytics(instance, resources)

    write_part(resources["lake"], "orders", "loja-a", [order("1")])
    assert "old" in evaluate(instance, resources, 2).skip_message  # changed, but the build is fresh

    monkeypatch.setattr(jobs, "datetime", Later)
    changed = evaluate(instance, resources, 2)
    assert isinstance(changed, dg.RunRequest)
    assert changed.tags[FINGERPRINT_TAG] != first.tags[FINGERPRINT_TAG]
    assert changed.run_key == f"fresh:{changed.tags[FINGERPRINT_TAG]}"

    materialize_analytics(instance, resources)
    assert "nothing changed" in evaluate(instance, resources, 2).skip_message


def test_never_while_a_build_is_queued_or_running(instance, resources):
    run = instance.add_run(dg.DagsterRun(job_name=analytics_job.name, status=dg.DagsterRunStatus.STARTED))
    assert "queued or running" in evaluate(instance, resources, 2).skip_message
    instance.report_run_canceled(run)
    assert isinstance(evaluate(instance, resources, 2), dg.RunRequest)
