"""The event queue on Amazon SQS (or any SQS-compatible server, e.g. moto for tests)."""

from __future__ import annotations

import boto3

from tiktok_pipelines.domain.events import InboundEvent
from tiktok_pipelines.state.events import QueuedEvent


class SqsEventQueue:
    """Same interface as `DbEventQueue`. On a FIFO queue, SQS also drops duplicates within 5 minutes;
    the event log drops the rest."""

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

    def _entry(self, index: int, event: InboundEvent) -> dict:
        entry = {"Id": str(index), "MessageBody": event.to_message()}
        if self.fifo:
            entry["MessageGroupId"] = f"{event.source}:{event.routing_key}"
            entry["MessageDeduplicationId"] = f"{event.source}:{event.event_id}"[:128]
        return entry

    def put(self, event: InboundEvent) -> bool:
        return self.put_many([event]) == 1

    def put_many(self, events: list[InboundEvent]) -> int:
        for start in range(0, len(events), 10):
            chunk = events[start : start + 10]
            result = self.sqs.send_message_batch(
                QueueUrl=self.queue_url, Entries=[self._entry(i, e) for i, e in enumerate(chunk)]
            )
            if result.get("Failed"):
                raise RuntimeError(f"SQS refused {len(result['Failed'])} messages: {result['Failed'][0]}")
        return len(events)

    def take(self, max_events: int) -> list[QueuedEvent]:
        taken: list[QueuedEvent] = []
        while len(taken) < max_events:
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, max_events - len(taken)),
                VisibilityTimeout=self.visibility_timeout,
                WaitTimeSeconds=0,
            )
            messages = response.get("Messages", [])
            if not messages:
                break
            taken.extend(
                QueuedEvent(InboundEvent.from_message(m["Body"]), m["ReceiptHandle"]) for m in messages
            )
        return taken

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
