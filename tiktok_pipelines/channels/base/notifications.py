"""The channel's notifications (webhooks, pushes): verified against their signature and parsed into
`core.events.InboundEvent`s for the queue, with what the handlers need checked up front; and, once
queued, read into a `core.events.Notice` that the events lane routes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import datetime

from tiktok_pipelines.core.events import (
    EventRejected,
    ForgedNotification,
    InboundEvent,
    Notice,
    TimestampWindow,
)


class NotificationApi(ABC):
    """What the receiver and the events lane need from a channel's notifications."""

    notification_source: str  # the `InboundEvent.source` of its events (a value kept in the event log)
    notification_label: str  # how a person calls one of them ("TikTok webhook"), for log lines

    @abstractmethod
    def missing_configuration(self) -> str | None:
        """What the channel lacks to verify a notification (its app's secret...), or None when ready."""

    def parse_notification(
        self,
        body: bytes,
        headers: Mapping[str, str],
        *,
        received_at: datetime | None = None,
        window: TimestampWindow | None = None,
    ) -> InboundEvent:
        """The verified event of a notification's raw body and headers. Raises `EventRejected` (503) while
        the channel lacks its configuration, `ForgedNotification` when the signature does not match,
        `EventRejected` (naming the problem) when the event could never be handled: not UTF-8 JSON, a
        field of the wrong kind, a timestamp outside `window`."""
        missing = self.missing_configuration()
        if missing:
            raise EventRejected(f"receiver not configured: {missing}", status=503)
        if not self.signature_matches(body, headers):
            raise ForgedNotification()
        return self.parse_verified(body, received_at, window)

    @abstractmethod
    def signature_matches(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Whether the channel signed this notification (asked once `missing_configuration` is None)."""

    @abstractmethod
    def parse_verified(
        self, body: bytes, received_at: datetime | None, window: TimestampWindow | None
    ) -> InboundEvent:
        """The event of a notification whose signature matched; `EventRejected` when it could never be
        handled."""

    @abstractmethod
    def read_notification(self, event: InboundEvent) -> Notice:
        """What one of its queued events tells, in the project's terms."""
