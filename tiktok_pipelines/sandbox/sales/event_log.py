"""Webhook events in the state DB's event log (received, handled or not, with latencies), inserted in
batches of plain tuples."""

from __future__ import annotations

import json

import numpy as np

from tiktok_pipelines.sandbox.sales.config import DAY_US, WEBHOOKS, SalesConfig, local_midnight_us
from tiktok_pipelines.stores.db import StateDB


def _db_times(micros: np.ndarray, sqlite: bool) -> np.ndarray:
    """UTC instants as the state DB stores them: SQLAlchemy's naive text on SQLite, ISO with offset else."""
    text = np.datetime_as_string(micros.astype("datetime64[us]"), unit="us")
    return np.char.replace(text, "T", " ") if sqlite else np.char.add(text, "+00:00")


def generate_event_log(db: StateDB, cfg: SalesConfig | None = None, batch: int = 50_000) -> int:
    """Records webhook events (received, handled or not, with latencies) in the state DB's event log.

    Rows are built as columns and inserted in batches of plain tuples, bypassing per-row ORM work."""
    cfg = cfg or SalesConfig()
    dialect = db.engine.dialect
    sqlite = dialect.name == "sqlite"
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    columns = (
        "source, event_id, event_type, routing_key, client_id, body, received_at, recorded_at, target, "
        "action, keys, status, handled_at, error"
    )
    insert = f"INSERT INTO event_log ({columns}) VALUES ({', '.join([mark] * 14)})"
    start = local_midnight_us(cfg)
    total = 0
    for number, client_id in enumerate(cfg.client_ids()):
        rng = np.random.default_rng([cfg.seed, number, 7])
        n = int(rng.poisson(cfg.webhooks_per_day, size=cfg.days).sum())
        received = np.sort(start + rng.integers(0, cfg.days * DAY_US, size=n))
        shares = np.array([w[2] for w in WEBHOOKS])
        kind = rng.choice(len(WEBHOOKS), size=n, p=shares / shares.sum())
        status = rng.choice(4, size=n, p=[0.92, 0.03, 0.03, 0.02])  # handled, ignored, failed, pending
        latency = np.round(rng.lognormal(np.log(2.5e6), 1.0, size=n)).astype(np.int64)
        source = np.array([w[0] for w in WEBHOOKS], dtype=object)[kind]
        handled = _db_times(received + latency, sqlite).astype(object)
        handled[status == 3] = None
        owner = np.full(n, client_id, dtype=object)
        owner[rng.random(n) < 0.01] = None  # a shop no registered client owns
        error = np.full(n, None, dtype=object)
        error[status == 2] = "VTEX answered 500 while placing the order"
        rows = list(
            zip(
                source.tolist(),
                np.char.add(f"{client_id}:", np.arange(n).astype(str)).tolist(),
                np.array([w[1] for w in WEBHOOKS], dtype=object)[kind].tolist(),
                np.where(source == "tiktok", f"shop-{number}", f"account-{number}").tolist(),
                owner.tolist(),
                np.array([json.dumps({"type": w[1]}) for w in WEBHOOKS], dtype=object)[kind].tolist(),
                _db_times(received, sqlite).tolist(),
                _db_times(received + 200_000, sqlite).tolist(),
                ["orders"] * n,
                ["run"] * n,
                [""] * n,
                np.array(["handled", "ignored", "failed", "pending"], dtype=object)[status].tolist(),
                handled.tolist(),
                error.tolist(),
                strict=True,
            )
        )
        for a in range(0, n, batch):
            with db.begin() as conn:
                conn.exec_driver_sql(insert, rows[a : a + batch])
        total += n
    return total
