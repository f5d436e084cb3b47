"""What the daemon does, for end-to-end tests: wait for the emulators' webhooks, tick the webhook queue
sensor, and run the jobs it asks for (in process, with the tags it gave)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import dagster as dg


def wait_delivered(emulator, timeout: float = 15.0) -> None:
    """Until the TikTok emulator has no webhook left to deliver (delivered or dropped)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if emulator.webhooks.pending() == 0:
            return
        time.sleep(0.05)
    raise AssertionError("webhooks still pending")


def tick_and_run(
    instance: dg.DagsterInstance,
    resources: dict,
    sensor,
    assets_by_job: dict[str, Sequence],
    client_id: str = "demo",
) -> list[str]:
    """One sensor tick, then every run it requested; returns the jobs run, in order."""
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = sensor(context)
    ran = []
    for request in result.run_requests or []:
        assert request.partition_key == client_id
        outcome = dg.materialize(
            assets_by_job[request.job_name],
            partition_key=client_id,
            instance=instance,
            resources=resources,
            tags=request.tags,
        )
        assert outcome.success
        ran.append(request.job_name)
    return ran
