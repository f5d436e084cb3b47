"""`make run`'s supervisor, as a real process in its own process group that gets a terminal's Ctrl-C
(SIGINT to the whole group): Dagster's runs stop first, then dagster dev, the receiver, the emulators."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType
from dagster._grpc.impl import core_execute_run

from tiktok_pipelines.sandbox.supervisor import STOPPED_BY, cancel_abandoned_runs, stop_dagster_runs

CHILD = """
import signal, sys, time
name, log = sys.argv[1], sys.argv[2]

def note(message):
    with open(log, "a") as fh:
        fh.write(f"{name}: {message}\\n")

def stop(signum, _frame):
    note(f"got {signal.Signals(signum).name}")
    time.sleep(0.3)  # a graceful stop takes a moment
    note("stopped")
    sys.exit(0)

signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
note("ready")
while True:
    time.sleep(0.05)
"""

SUPERVISOR = """
import signal, sys
from tiktok_pipelines.sandbox.supervisor import Supervisor

def on_term(*_):  # as the demo: a SIGTERM stops it like a Ctrl-C
    raise KeyboardInterrupt

signal.signal(signal.SIGTERM, on_term)

child, log = sys.argv[1], sys.argv[2]
supervisor = Supervisor(echo=lambda line: None)

def note(message):
    with open(log, "a") as fh:
        fh.write(f"supervisor: {message}\\n")

def runs_first():
    alive = [c.name for c in supervisor.children if c.running]
    note("runs stopped while up: " + ", ".join(alive))

try:
    for name in ("sandbox", "receiver"):
        supervisor.start(name, [sys.executable, child, name, log], {})
    supervisor.start("dagster", [sys.executable, child, "dagster", log], {}, before_stop=runs_first)
    note("ready")
    supervisor.wait()
except KeyboardInterrupt:
    note("got SIGINT")
finally:
    supervisor.stop()
"""


def _lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def _start_supervisor(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    """The supervisor script with its three children, each ready; in its own process group, as a
    terminal's foreground job (and so a signal to the group spares the test runner)."""
    child, supervisor, log = tmp_path / "child.py", tmp_path / "supervisor.py", tmp_path / "log"
    child.write_text(textwrap.dedent(CHILD))
    supervisor.write_text(textwrap.dedent(SUPERVISOR))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, str(supervisor), str(child), str(log)], env=env, start_new_session=True
    )
    deadline = time.monotonic() + 30
    while sum(line.endswith(": ready") for line in _lines(log)) < 4:
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError(_lines(log))
        time.sleep(0.05)
    return proc, log


def test_ctrl_c_stops_the_runs_then_dagster_then_the_receiver_then_the_emulators(tmp_path):
    proc, log = _start_supervisor(tmp_path)
    try:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the whole foreground process group
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    stopping = [line for line in _lines(log) if not line.endswith(": ready")]
    assert stopping == [
        "supervisor: got SIGINT",
        "supervisor: runs stopped while up: sandbox, receiver, dagster",
        "dagster: got SIGINT",
        "dagster: stopped",
        "receiver: got SIGINT",
        "receiver: stopped",
        "sandbox: got SIGINT",
        "sandbox: stopped",
    ]


def test_a_sigterm_repeated_during_the_stop_still_stops_every_child_in_order(tmp_path):
    """`make run` stopped with SIGTERM: make and the demo both get it, and make passes it on again."""
    proc, log = _start_supervisor(tmp_path)
    deadline = time.monotonic() + 30
    try:
        proc.send_signal(signal.SIGTERM)
        while "dagster: got SIGINT" not in _lines(log):  # the stop has begun
            assert time.monotonic() < deadline, _lines(log)
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    stopped = [line for line in _lines(log) if line.endswith(": stopped")]
    assert stopped == ["dagster: stopped", "receiver: stopped", "sandbox: stopped"], _lines(log)


def _run(instance, run_id: str, status: dg.DagsterRunStatus) -> None:
    from dagster._core.remote_origin import (
        RegisteredCodeLocationOrigin,
        RemoteJobOrigin,
        RemoteRepositoryOrigin,
    )

    origin = RemoteJobOrigin(
        RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("tiktok_pipelines"), "__repository__"),
        "catalog_job",
    )
    instance.add_run(
        dg.DagsterRun(job_name="catalog_job", run_id=run_id, status=status, remote_job_origin=origin)
    )


def test_no_run_is_left_running_or_failed_by_the_stop(instance):
    _run(instance, "queued-run", dg.DagsterRunStatus.QUEUED)
    _run(instance, "running-run", dg.DagsterRunStatus.STARTED)  # its code server cannot be reached here
    _run(instance, "done-run", dg.DagsterRunStatus.SUCCESS)
    left = stop_dagster_runs(instance, timeout=1.0, poll=0.1)
    assert instance.get_run_by_id("queued-run").status == dg.DagsterRunStatus.CANCELED
    assert left == ["running-run"]
    # dagster dev and its process group are gone: the run it left is recorded as cancelled, not failed.
    assert cancel_abandoned_runs(instance) == ["running-run"]
    statuses = {r.run_id: r.status for r in instance.get_runs()}
    assert statuses == {
        "queued-run": dg.DagsterRunStatus.CANCELED,
        "running-run": dg.DagsterRunStatus.CANCELED,
        "done-run": dg.DagsterRunStatus.SUCCESS,
    }
    messages = [e.message for e in instance.all_logs("running-run")]
    assert any(STOPPED_BY in (m or "") for m in messages)


@dg.op
def _step() -> None:
    pass


@dg.job
def stopped_job() -> None:
    _step()


@pytest.fixture
def monitored_instance(tmp_path):
    # Run monitoring on, as in the project's dagster.yaml.
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home), overrides={"run_monitoring": {"enabled": True}}) as inst:
        yield inst


def _events(instance, run_id: str) -> list[str]:
    return [r.dagster_event.event_type_value for r in instance.all_logs(run_id) if r.dagster_event]


def test_a_run_stopped_while_its_process_starts_is_not_failed_by_its_process(monitored_instance):
    instance = monitored_instance
    # Launched: its process has read the run and is loading the code (seconds on a busy machine).
    run = instance.create_run_for_job(stopped_job, status=dg.DagsterRunStatus.STARTING)
    stop_dagster_runs(instance, timeout=0.5, poll=0.05)
    # The process, the code loaded, carries on with the run it read at its start.
    list(core_execute_run(dg.reconstructable(stopped_job), run, instance, inject_env_vars=False))
    events = _events(instance, run.run_id)
    # It began the run rather than leave it to the code server to record as failed.
    assert "PIPELINE_START" in events, events
    assert instance.get_run_by_id(run.run_id).status != dg.DagsterRunStatus.FAILURE


def test_a_starting_run_is_terminated_once_it_has_begun(monitored_instance):
    instance = monitored_instance
    run = instance.create_run_for_job(stopped_job, status=dg.DagsterRunStatus.STARTING)
    left: list[str] = []
    stopper = threading.Thread(target=lambda: left.extend(stop_dagster_runs(instance, 3.0, poll=0.05)))
    stopper.start()
    time.sleep(0.5)  # the stop is under way while the run's process loads the code
    assert stopper.is_alive()
    instance.report_dagster_event(
        DagsterEvent(DagsterEventType.RUN_START.value, job_name=run.job_name), run.run_id
    )
    stopper.join()
    # Asked to terminate once begun (its code server is out of reach here: it stays CANCELING until
    # dagster dev stops, and is then recorded as cancelled).
    lifecycle = [e for e in _events(instance, run.run_id) if e.startswith("PIPELINE_")]
    assert lifecycle == ["PIPELINE_START", "PIPELINE_CANCELING"]
    assert left == [run.run_id]
    assert cancel_abandoned_runs(instance) == [run.run_id]
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.CANCELED
