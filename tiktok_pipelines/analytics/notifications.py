"""The `notifications` table of analytics.duckdb: the notification outbox of the state DB
(`stores/notifications.py`) counted per client, channel, day and kind, with its deliveries per state.

Only counts and instants are read: never a notification's facts, link or dedup key, nor a delivery's
error or destination, so the table holds no personal data and no destination URL.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import sqlalchemy as sa

from tiktok_pipelines.stores.db import StateDB
from tiktok_pipelines.stores.notifications import deliveries_table, notifications_table

# One row per delivery, or per notification no destination wanted (state NULL).
NOTIFICATION_LOG_SCHEMA = pa.schema(
    [
        ("notification_id", pa.int64()),
        ("client_id", pa.string()),
        ("channel", pa.string()),
        ("kind", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("state", pa.string()),
        ("attempts", pa.int64()),
        ("delivered_at", pa.timestamp("us", tz="UTC")),
    ]
)


def notification_log_select() -> sa.Select:
    """The outbox's rows the build reads, in the order of NOTIFICATION_LOG_SCHEMA."""
    n, d = notifications_table.c, deliveries_table.c
    return sa.select(
        n.id, n.client_id, n.channel, n.kind, n.created_at, d.state, d.attempts, d.delivered_at
    ).select_from(notifications_table.outerjoin(deliveries_table, d.notification_id == n.id))


def notifications_watermark(db: StateDB) -> str:
    """Changes whenever a notification is recorded or one of its deliveries moves on."""
    n, d = notifications_table.c, deliveries_table.c
    with db.read() as conn:
        recorded = conn.execute(sa.select(sa.func.count(), sa.func.max(n.id))).one()
        deliveries = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.max(d.id),
                sa.func.sum(d.attempts),
                sa.func.max(d.delivered_at),
                *(
                    sa.func.sum(sa.case((d.state == s, 1), else_=0))
                    for s in ("delivered", "failed", "skipped")
                ),
            )
        ).one()
    return repr((tuple(recorded), tuple(deliveries)))


def notifications_relation(local_day: Callable[[str], str]) -> tuple[str, str]:
    """(name, SELECT) of the table over `src_notifications` (the rows NOTIFICATION_LOG_SCHEMA holds)."""
    return (
        "notifications",
        f"""
        SELECT client_id, channel, {local_day("created_at")} AS day, kind,
               count(DISTINCT notification_id) AS notifications,
               count(state) AS deliveries,
               count(*) FILTER (WHERE state = 'delivered') AS delivered,
               count(*) FILTER (WHERE state = 'pending') AS pending,
               count(*) FILTER (WHERE state = 'failed') AS failed,
               count(*) FILTER (WHERE state = 'skipped') AS skipped,
               count(*) FILTER (WHERE state IS NULL) AS unrouted,
               coalesce(sum(attempts), 0) AS attempts,
               quantile_cont(epoch(delivered_at - created_at), 0.95)
                   FILTER (WHERE state = 'delivered') AS delivery_p95_seconds,
               max(created_at) AS last_at
        FROM src_notifications
        GROUP BY client_id, channel, day, kind""",
    )
