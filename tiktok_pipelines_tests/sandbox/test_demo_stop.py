"""The real `make run` (`tiktok-pipelines demo run`) stopped by a terminal's Ctrl-C while a run is going:
no run is left running or failed, and the servers stop after dagster dev."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from tiktok_pipelines.sandbox.server import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
FINISHED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.CANCELED, dg.DagsterRunStatus.FAILURE)


def test_ctrl_c_during_a_run_leaves_no_failed_or_running_run(tmp_path):
    home = tmp_path / "dagster_home"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DAGSTER_HOME": str(home),
        "TIKTOK_PIPELINES_DATA_DIR": str(tmp_path / "data"),
    }
    ports = {
        name: str(free_port())
        for name in (
            "feeds",
            "tiktok",
            "vtex",
            "creator",
            "llm",
            "mercado-livre",
            "shopee",
            "receiver",
            "sinks",
            "smtp",
            "dagster",
            "dashboard",
        )
    }
    args = [f"--{name}-port={port}" for name, port in ports.items()]
    out = tmp_path / "demo.log"
    with out.open("w") as log:
        demo = subprocess.Popen(
            [sys.executable, "-m", "tiktok_pipelines.cli", "demo", "run", *args],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a terminal's foreground job, as `make run` is
        )
    try:
        deadline = time.monotonic() + 300
        running = []
        while not running:  # feed_change_sensor starts catalog_job within a minute or so
            assert demo.poll() is None, out.read_text()[-3000:]
            assert time.monotonic() < deadline, out.read_text()[-3000:]
            time.sleep(2)
            if (home / "dagster.yaml").exists():
                with dg.DagsterInstance.from_config(str(home)) as instance:
                    running = instance.get_run_records(
                        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])
                    )
        time.sleep(3)  # the run is calling the emulators
        os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C
        assert demo.wait(timeout=180) == 0, out.read_text()[-3000:]
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = {r.run_id[:8]: (r.job_name, r.status) for r in instance.get_runs()}
        story = {r.run_id[:8]: _run_story(instance, r.run_id) for r in instance.get_runs()}
    assert runs and all(status in FINISHED for _, status in runs.values()), (runs, story)
    failed = [run for run, (_, status) in runs.items() if status == dg.DagsterRunStatus.FAILURE]
    for run in failed:  # shown in full under "Captured stdout" when the assertion fails
        print(f"run {run} ({runs[run][0]}) failed:", *story[run], sep="\n  ")
    assert not failed, (runs, out.read_text()[-3000:])
    text = out.read_text()
    order = [
        text.index(f"stopping {name}") for name in ("dagster dev", "the receiver", "the sandbox emulators")
    ]
    assert order == sorted(order), text[-3000:]


def _run_story(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """A run's lifecycle and failure events, in order: what a failed assertion shows."""
    lines = []
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None:
            continue
        kind = event.event_type_value
        if kind.startswith(
            ("PIPELINE_", "RUN_", "STEP_FAILURE", "ENGINE_EVENT", "STEP_START", "STEP_SUCCESS")
        ):
            lines.append(
                f"{record.timestamp:.1f} {kind} {event.step_key or ''} {(record.message or '')[:600]}"
            )
    return lines
