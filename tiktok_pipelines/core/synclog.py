"""Collects what a run did against the APIs, item by item, as `SYNC_LOG` rows for the lake."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.core.tables import SYNC_LOG


def error_code(exc: BaseException) -> str:
    """The API's own code when the error carries one (TikTok `code`, VTEX `OMS003`...), else its class."""
    for attr in ("code", "vtex_code", "status_code", "http_status"):
        value = getattr(exc, attr, None)
        if value not in (None, "", 0):
            return str(value)
    return type(exc).__name__


class SyncLog:
    """The calls of one run of a lane for a client on a channel (its VTEX calls included)."""

    def __init__(self, client_id: str, lane: str, channel: str = ChannelName.TIKTOK_SHOP):
        self.client_id = client_id
        self.lane = lane
        self.channel = str(channel)
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        operation: str,
        api: str,
        item_key: str,
        result: str,
        error: BaseException | str | None = None,
        duration_ms: int | None = None,
    ) -> None:
        code = message = None
        if isinstance(error, BaseException):
            code, message = error_code(error), str(error)[:500]
        elif error:
            message = error[:500]
        self.rows.append(
            {
                "client_id": self.client_id,
                "channel": self.channel,
                "at": datetime.now(UTC),
                "lane": self.lane,
                "operation": operation,
                "api": api,
                "item_key": item_key,
                "result": result,
                "error_code": code,
                "error_message": message,
                "duration_ms": duration_ms,
            }
        )

    @contextmanager
    def timed(self, operation: str, api: str, item_key: str):
        """Logs the block as ok, or as failed with the exception (which propagates)."""
        started = time.monotonic()
        try:
            yield
        except Exception as exc:
            self.add(operation, api, item_key, "failed", exc, int((time.monotonic() - started) * 1000))
            raise
        self.add(operation, api, item_key, "ok", None, int((time.monotonic() - started) * 1000))

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in self.rows:
            out[row["result"]] = out.get(row["result"], 0) + 1
        return out

    def table(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows, schema=SYNC_LOG)
