"""Orders: the orders changed in a time window, their details as `core.models.Order`, returns, and a seller's cancellation."""

from __future__ import annotations

from abc import ABC


class OrderApi(ABC):  # noqa: B024
    """Orders: the orders changed in a time window, their details as `core.models.Order`, returns, and a seller's cancellation."""
