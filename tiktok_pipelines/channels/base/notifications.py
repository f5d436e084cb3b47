"""The channel's notifications (webhooks, pushes): verified against their signature and parsed into
`core.events.InboundEvent`s for the queue, with what the handlers need checked up front; and, once
queued, read into a `core.events.Notice` that the events lane routes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from tiktok_pipelines.core.events import (
    EventRejected,
    ForgedNotification,
    InboundEvent,
    Notice,
    TimestampWindow,
)


@dataclass(frozen=True)
class MissedNotification:
    """One notification the channel failed to deliver, as it lists it: its event, or, when it cannot be
    read, the raw text with why (`problem`), so that it is kept for a person rather than dropped."""

    event: InboundEvent | None
    raw: str = ""
    problem: str | None = None
    routing_key: str = ""


@dataclass(frozen=True)
class MissedPage:
    """A page of the notifications a channel failed to deliver (the earliest it still lists), what
    `confirm_missed` takes to stop listing them (`last_id`), and whether more wait behind them."""

    notifications: tuple[MissedNotification, ...]
    last_id: int | str | None
    more: bool


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

    def missed_notifications(self) -> MissedPage | None:
        """The earliest notifications the channel failed to deliver and keeps listed until confirmed
        (Shopee's lost pushes), the same events their delivery would have queued; None when the channel
        keeps no such list. Listing again before `confirm_missed` gives the same page."""
        return None

    def confirm_missed(self, page: MissedPage) -> None:
        """Tells the channel the notifications of `page` are taken (every one up to its `last_id`), so it
        lists the next; confirming a page again changes nothing."""
        raise NotImplementedError(f"{type(self).__name__} keeps no list of missed notifications")
