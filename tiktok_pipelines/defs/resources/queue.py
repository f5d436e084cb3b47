"""The event queue as a Dagster resource: the state DB by default, SQS when configured."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.settings import ConfigError, Settings
from tiktok_pipelines.stores.db import StateDB, open_state_db
from tiktok_pipelines.stores.events import DbEventQueue
from tiktok_pipelines.stores.sqs_queue import SqsEventQueue


def open_event_queue(
    kind: str,
    db: StateDB,
    sqs_queue_url: str | None = None,
    sqs_endpoint_url: str | None = None,
    region: str | None = None,
):
    if kind == "db":
        return DbEventQueue(db)
    if kind == "sqs":
        if not sqs_queue_url:
            raise ConfigError("TIKTOK_PIPELINES_QUEUE is sqs but TIKTOK_PIPELINES_SQS_QUEUE_URL is not set")
        return SqsEventQueue(sqs_queue_url, endpoint_url=sqs_endpoint_url, region=region)
    raise ConfigError(f"TIKTOK_PIPELINES_QUEUE must be db or sqs, got {kind!r}")


def event_queue_from_settings(settings: Settings):
    """The queue the receiver writes to (the sensor reads the same one through `EventQueue`)."""
    return open_event_queue(
        settings.require("TIKTOK_PIPELINES_QUEUE"),
        open_state_db(settings),
        settings.get("TIKTOK_PIPELINES_SQS_QUEUE_URL"),
        settings.get("TIKTOK_PIPELINES_SQS_ENDPOINT_URL"),
        settings.get("TIKTOK_PIPELINES_S3_REGION"),
    )


class EventQueue(dg.ConfigurableResource):
    """Verified webhook and notification events waiting for `webhook_queue_sensor`: a state DB table
    (`db`, the default) or an SQS queue (`sqs`)."""

    state: StateStore
    kind: str = Field(default="db", description="db or sqs.")
    sqs_queue_url: str | None = Field(default=None, description="URL of the SQS queue when kind is sqs.")
    sqs_endpoint_url: str | None = Field(default=None, description="SQS-compatible endpoint (tests: moto).")
    region: str | None = Field(default=None, description="AWS region of the queue.")

    def open(self):
        return open_event_queue(
            self.kind, self.state.db, self.sqs_queue_url, self.sqs_endpoint_url, self.region
        )
