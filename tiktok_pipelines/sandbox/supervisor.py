"""The processes of `make run`: children started in sessions of their own and stopped one by one, in order.

A terminal's Ctrl-C reaches its whole foreground process group at once. Children in the supervisor's
group would all die with it, in no order: the emulators and the receiver at once, `dagster dev` some
20 seconds later, its runs failing against servers that are gone and greeting the next start. In
sessions of their own the children hear nothing; the supervisor alone gets the Ctrl-C and stops them,
the last started first: Dagster's runs, then `dagster dev`, then the receiver, then the emulators.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import dagster as dg

GRACE_SECONDS = 20.0  # a child's graceful stop, before it is killed
HURRIED_SECONDS = 3.0  # the same after a second Ctrl-C
STOPPED_BY = "the demo was stopped (Ctrl-C)"


@dataclass
class Child:
    name: str
    proc: subprocess.Popen
    before_stop: Callable[[], None] | None = None  # e.g. stop Dagster's runs while their servers are up
    after_stop: Callable[[], None] | None = None

    @property
    def running(self) -> bool:
        return self.proc.poll() is None


@dataclass
class Supervisor:
    """Starts children in their own sessions and stops them in reverse order."""

    echo: Callable[[str], None] = lambda line: print(line, flush=True)
    children: list[Child] = field(default_factory=list)
    hurry: bool = False  # a second Ctrl-C while stopping: shorter waits, same order

    def start(
        self,
        name: str,
        args: Sequence[str],
        env: Mapping[str, str],
        before_stop: Callable[[], None] | None = None,
        after_stop: Callable[[], None] | None = None,
    ) -> subprocess.Popen:
        proc = subprocess.Popen(list(args), env=dict(env), start_new_session=True)
        self.children.append(Child(name, proc, before_stop, after_stop))
        return proc

    def wait(self, poll: float = 0.5) -> int:
        """Until a child exits: its exit code (0 when it ended well)."""
        while all(c.running for c in self.children):
            time.sleep(poll)
        failed = [c.proc.returncode for c in self.children if c.proc.returncode not in (None, 0)]
        return failed[0] if failed else 0

    def stop(self) -> None:
        """Stops every child, the last started first, each after what it serves is stopped. A Ctrl-C (or
        SIGTERM, SIGHUP) meanwhile makes the waits short but keeps the order (nothing is left running)."""

        def hurry(*_):
            if not self.hurry:
                self.echo("stopping faster: the next Ctrl-C changes nothing, the servers stop in order")
            self.hurry = True

        # A second Ctrl-C, or a SIGTERM / SIGHUP repeated by whoever stops us (make passes its own on to
        # the job it runs), hurries the stop instead of breaking it off with servers still running.
        signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        previous = {sig: signal.signal(sig, hurry) for sig in signals}
        try:
            for child in reversed(self.children):
                self._stop(child)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _step(self, step: Callable[[], None] | None, child: Child) -> None:
        # A step that fails (the Dagster instance cannot be read...) must not leave a server running.
        if step is None:
            return
        try:
            step()
        except Exception as exc:
            self.echo(f"while stopping {child.name}: {type(exc).__name__}: {exc}")

    def _stop(self, child: Child) -> None:
        if child.running:
            self._step(child.before_stop, child)
        if child.running:
            self.echo(f"stopping {child.name}")
            child.proc.send_signal(signal.SIGINT)
        asked = time.monotonic()
        while child.running and time.monotonic() - asked < (HURRIED_SECONDS if self.hurry else GRACE_SECONDS):
            time.sleep(0.1)
        if child.running:
            child.proc.kill()
        child.proc.wait()
        end_process_group(child.proc.pid)  # what it started in its session goes with it
        self._step(child.after_stop, child)


def end_process_group(pgid: int, grace: float = 3.0) -> None:
    """What a child left in its process group (dagster dev's code servers, which wait for a heartbeat
    rather than obey SIGTERM) goes with it."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.1)


# ---------------------------------------------------------------- Dagster's runs

IN_FLIGHT = (
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
)


def runs_in_flight(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    return [r.dagster_run for r in instance.get_run_records(filters=dg.RunsFilter(statuses=list(IN_FLIGHT)))]


# Launched, but its process has not begun the run yet (it is loading the code: seconds on a busy
# machine). Asked to terminate now, the run would turn CANCELING, which its process, once the code is
# loaded, takes for a duplicate of itself: it exits without a word, and the code server records the run
# as failed. Cancelled outright, it could still begin, its process having read it a moment before. It is
# terminated once it has begun, as any running run.
BEGINNING = dg.DagsterRunStatus.STARTING


def stop_dagster_runs(
    instance: dg.DagsterInstance,
    timeout: float,
    hurry: Callable[[], bool] = lambda: False,
    echo: Callable[[str], None] = lambda line: None,
    poll: float = 0.5,
) -> list[str]:
    """Cancels the queued runs and terminates the running ones (as the UI's Terminate does), a beginning
    one once it has begun, again for any the daemon starts meanwhile and for any that moved on after it
    was asked (a queued run the daemon launched as it was cancelled), until none is left or `timeout`;
    returns the ids still in flight. Run while `dagster dev` and the servers its runs call are still up."""
    asked: set[tuple[str, dg.DagsterRunStatus]] = set()
    deadline = time.monotonic() + timeout
    while True:
        runs = runs_in_flight(instance)
        if not runs or time.monotonic() > deadline or hurry():
            return [r.run_id for r in runs]
        fresh = [
            r
            for r in runs
            if r.status not in (BEGINNING, dg.DagsterRunStatus.CANCELING)
            and (r.run_id, r.status) not in asked
        ]
        if fresh:
            echo(f"stopping {len(fresh)} Dagster run(s): {', '.join(r.run_id[:8] for r in fresh)}")
        for run in fresh:
            asked.add((run.run_id, run.status))
            if run.status == dg.DagsterRunStatus.NOT_STARTED:
                instance.report_run_canceled(run, message=STOPPED_BY)
                continue
            try:
                instance.run_coordinator.cancel_run(run.run_id)
            except Exception as exc:  # out of reach: recorded as cancelled once dagster dev is gone
                echo(f"run {run.run_id[:8]} could not be asked to stop: {exc}")
        time.sleep(poll)


def cancel_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Once `dagster dev` and its process group are gone, no run still marked in flight is running:
    each is recorded as cancelled, rather than found failed by run monitoring at the next start."""
    runs = runs_in_flight(instance)
    for run in runs:
        instance.report_run_canceled(run, message=f"{STOPPED_BY}; its process was stopped with dagster dev")
    return [r.run_id for r in runs]
