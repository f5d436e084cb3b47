"""Orders: the orders changed in a time window, their details as `core.models.Order`, returns, and a seller's
cancellation.

`OrderReader` is what a channel says about order details and notifications it already sent, without a
call: the order map keeps each detail as the channel sent it (`Order.raw`) and reads it back through the
reader, so a run that only places orders in VTEX never opens a session on the shop.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from tiktok_pipelines.core.models.orders import Order, OrderChange, Return


class OrderReader(ABC):
    """Reads what the channel sent about orders: details and notifications, without a call.

    A cancellation notification's `data` names the order and its cancellation status in the fields of
    `cancellation_fields`; `cancelled_statuses` are those that mean the order is cancelled for good."""

    cancellation_fields: tuple[str, str] = ("order_id", "cancel_status")
    cancelled_statuses: frozenset[str] = frozenset()

    @abstractmethod
    def order_from_detail(self, detail: Mapping[str, Any]) -> Order:
        """The order a detail of this channel describes (the detail kept as `raw`)."""

    def cancellation_notice(self, payload: Mapping[str, Any]) -> tuple[str, str | None] | None:
        """(order id, cancellation status) a cancellation notification states; None when it names no order."""
        data = payload.get("data") or {}
        order_field, status_field = self.cancellation_fields
        if not data.get(order_field):
            return None
        return str(data[order_field]), data.get(status_field)

    def cancellation_done(self, status: str | None) -> bool:
        """Whether a cancellation status (as `cancellation_notice` gave it) means the order is cancelled for
        good, whatever its order status says yet."""
        return status in self.cancelled_statuses


class OrderApi(OrderReader, ABC):
    """The orders of a client's shop."""

    @abstractmethod
    def orders_changed(self, since: datetime, until: datetime) -> Iterator[OrderChange]:
        """Every order whose last change falls in [since, until), with its change time."""

    @abstractmethod
    def order_details(self, order_ids: Sequence[str]) -> list[Order]:
        """The details of these orders (at most `capabilities.orders_per_detail_call`); an order the channel
        does not return is left out."""

    @abstractmethod
    def returns_changed(self, since: datetime, until: datetime) -> Iterator[Return]:
        """Every return or refund request that changed in [since, until)."""

    @abstractmethod
    def returns_of(self, order_id: str) -> Iterator[Return]:
        """The return and refund requests of one order."""

    @abstractmethod
    def cancel_order(self, order_id: str, reason: str) -> None:
        """The seller cancels the order (`reason`: one of the channel's reason codes, a client option)."""
