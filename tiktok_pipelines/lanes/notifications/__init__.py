"""The notifications lane: the outbox delivered through Apprise (`sender.py`, `transport.py`) and the
day's sales total recorded (`daily_sales.py`)."""

from tiktok_pipelines.lanes.notifications.sender import NotificationSender, SenderOptions, SenderReport
from tiktok_pipelines.lanes.notifications.transport import AppriseTransport, DeliveryError, check_url

__all__ = [
    "AppriseTransport",
    "DeliveryError",
    "NotificationSender",
    "SenderOptions",
    "SenderReport",
    "check_url",
]
