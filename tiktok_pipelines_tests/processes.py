"""Several processes started at the same moment, as a deployment starts them, for tests."""

from __future__ import annotations

import multiprocessing


def at_once(target, args: tuple, count: int, timeout: float = 180) -> list:
    """Runs `target(*args, start, results)` in `count` new (spawned) processes that begin together
    (`start` is a barrier they wait on) and each put one outcome on `results`; returns the outcomes."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(count), context.Queue()
    processes = [context.Process(target=target, args=(*args, start, results)) for _ in range(count)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=timeout) for _ in processes]
    for process in processes:
        process.join(30)
    return outcomes
