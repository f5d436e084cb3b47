"""Fulfilment: packages, the NF-e uploaded for a package, shipping a package and its tracking."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from tiktok_pipelines.channels.base.errors import ChannelNotFoundError, ChannelRefusedError
from tiktok_pipelines.core.models.fulfilment import (
    InvoiceRefusal,
    InvoiceVerdict,
    Package,
    PackageState,
    ShipmentMethod,
    TrackingEvent,
)


class UnknownPackageError(ChannelNotFoundError):
    """The channel does not know the package (any more): it was re-made, split or never existed."""


class PackageAlreadyShippedError(ChannelRefusedError):
    """The channel refused to ship a package that is no longer waiting to ship (an earlier attempt took)."""


class InvoiceRefusedError(ChannelRefusedError):
    """The channel refused an invoice upload outright: `refusal` says why, in the lane's terms."""

    refusal: InvoiceRefusal


class FulfilmentApi(ABC):
    """Fulfilment of a client's shop on a channel."""

    @abstractmethod
    def package(self, package_id: str) -> Package:
        """The package as the channel has it now (`UnknownPackageError` when it has none by that id)."""

    @abstractmethod
    def package_state(self, status: str | None) -> PackageState:
        """What a package status of this channel (as `Package.status` gave it) means."""

    @abstractmethod
    def ship_package(self, package_id: str, method: ShipmentMethod) -> None:
        """Ships the package (`PackageAlreadyShippedError` when it is no longer waiting to ship)."""

    @abstractmethod
    def tracking(self, order_id: str) -> list[TrackingEvent]:
        """The carrier's tracking events of the order's package, in the order the channel gives them."""

    @abstractmethod
    def upload_invoice(self, package_id: str, order_ids: Sequence[str], xml: bytes) -> InvoiceRefusal | None:
        """Uploads the NF-e XML of a package; the channel's verdict comes later, as a notification. Returns
        the channel's refusal of this one upload when it answers with one; raises `InvoiceRefusedError`
        when the call itself is refused (other `ChannelError`s when it could not be made)."""

    @abstractmethod
    def invoice_verdict(self, payload: Mapping[str, Any]) -> InvoiceVerdict:
        """The verdict an invoice notification of this channel carries."""

    def shipping_label(self, package_id: str, kind: str = "pdf") -> tuple[bytes, str]:
        """The printable label of a package waiting to ship (`kind`: pdf, or the channel's printer
        format) and its media type, for a channel whose `Capabilities.shipping_labels` says it gives
        them; `PackageAlreadyShippedError` once the package is past printing."""
        raise ChannelRefusedError("this channel gives no shipping labels")
