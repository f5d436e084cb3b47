"""The channel's notifications (webhooks, pushes): verified against their signature and parsed into `core.events.InboundEvent`s for the queue, with what the handlers need checked up front."""

from __future__ import annotations

from abc import ABC


class NotificationApi(ABC):  # noqa: B024
    """The channel's notifications (webhooks, pushes): verified against their signature and parsed into `core.events.InboundEvent`s for the queue, with what the handlers need checked up front."""
