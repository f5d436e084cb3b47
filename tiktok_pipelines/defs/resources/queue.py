"""The event queue as a Dagster resource: the state DB by default, SQS when configured (`stores.queue`)."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.stores.queue import EventQueue as Queue
from tiktok_pipelines.stores.queue import event_queue_from_settings, open_event_queue

__all__ = ["EventQueue", "event_queue_from_settings"]


class EventQueue(dg.ConfigurableResource):
    """Verified webhook and notification events waiting for `webhook_queue_sensor`: a state DB table
    (`db`, the default) or an SQS queue (`sqs`)."""

    state: StateStore
    kind: str = Field(default="db", description="db or sqs.")
    sqs_queue_url: str | None = Field(default=None, description="URL of the SQS queue when kind is sqs.")
    sqs_endpoint_url: str | None = Field(default=None, description="SQS-compatible endpoint (tests: moto).")
    region: str | None = Field(default=None, description="AWS region of the queue.")

    def open(self) -> Queue:
        return open_event_queue(
            self.kind, self.state.db, self.sqs_queue_url, self.sqs_endpoint_url, self.region
        )
