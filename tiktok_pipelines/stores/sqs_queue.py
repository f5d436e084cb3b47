"""The event queue on Amazon SQS (or any SQS-compatible server, e.g. moto for tests)."""

from __future__ import annotations

import hashlib
import time

import boto3

from tiktok_pipelines.core.events import InboundEvent
from tiktok_pipelines.stores.queue import QueuedEvent


class SqsEventQueue:
    """The `EventQueue` interface of `stores.queue`, on SQS. On a FIFO queue, SQS also drops duplicates within 5 minutes;
    the event log drops the rest. Each event is its own FIFO message group: the sensor handles events
    one by one and relies on no order, so an event waiting for another attempt holds back no other."""

    def __init__(
        self,
        queue_url: str,
        endpoint_url: str | None = None,
        region: str | None = None,
        visibility_timeout: int = 300,
        client=None,
    ):
        self.queue_url = queue_url
        self.visibility_timeout = visibility_timeout
        self.fifo = queue_url.endswith(".fifo")
        self.sqs = client or boto3.client(
            "sqs", endpoint_url=endpoint_url or None, region_name=region or None
        )

    def _entry(self, index: int, event: InboundEvent, again: str = "") -> dict:
        entry = {"Id": str(index), "MessageBody": event.to_message()}
        if self.fifo:
            key = hashlib.blake2b(f"{event.source}:{event.event_id}".encode(), digest_size=16).hexdigest()
            entry["MessageGroupId"] = key
            # `again` makes a requeued event new to SQS's 5-minute deduplication.
            entry["MessageDeduplicationId"] = f"{key}{again}"
        return entry

    def put(self, event: InboundEvent) -> bool:
        return self.put_many([event]) == 1

    def put_many(self, events: list[InboundEvent], again: str = "") -> int:
        for start in range(0, len(events), 10):
            chunk = events[start : start + 10]
            result = self.sqs.send_message_batch(
                QueueUrl=self.queue_url, Entries=[self._entry(i, e, again) for i, e in enumerate(chunk)]
            )
            if result.get("Failed"):
                raise RuntimeError(f"SQS refused {len(result['Failed'])} messages: {result['Failed'][0]}")
        return len(events)

    def requeue(self, events: list[InboundEvent]) -> int:
        """Puts events back for another round (from the dead letter), even within the deduplication
        window of their first delivery."""
        return self.put_many(events, again=f":again:{time.time_ns()}")

    def take(self, max_events: int) -> list[QueuedEvent]:
        taken: list[QueuedEvent] = []
        while len(taken) < max_events:
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, max_events - len(taken)),
                VisibilityTimeout=self.visibility_timeout,
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
            messages = response.get("Messages", [])
            if not messages:
                break
            taken.extend(
                QueuedEvent(
                    InboundEvent.from_message(m["Body"]),
                    m["ReceiptHandle"],
                    int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
                )
                for m in messages
            )
        return taken

    def retry_later(self, handle: str, delay_seconds: float) -> None:
        """Leaves a taken message on the queue, invisible for `delay_seconds` (SQS allows up to 12 h)."""
        self.sqs.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=handle, VisibilityTimeout=min(43200, int(delay_seconds))
        )

    def delete(self, handles: list[str]) -> None:
        for start in range(0, len(handles), 10):
            chunk = handles[start : start + 10]
            result = self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(chunk)],
            )
            if result.get("Failed"):
                raise RuntimeError(
                    f"SQS refused to delete {len(result['Failed'])} messages: {result['Failed'][0]}"
                )

    def depth(self) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        return int(attrs["Attributes"]["ApproximateNumberOfMessages"])
