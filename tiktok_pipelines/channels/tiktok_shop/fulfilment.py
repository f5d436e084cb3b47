"""Fulfilment on TikTok Shop (the `FulfilmentApi` of its session): packages, shipping, tracking, and the
NF-e upload of Brazil with its verdict (webhook 36).

TikTok's wording, read here (reference §3 Fulfillment, §4 Webhooks): a package's `package_status` is
TO_FULFILL until shipped, then PROCESSING, FULFILLING, COMPLETED, or CANCELLED; shipping a package that
is no longer TO_FULFILL answers 21011002; an unknown package answers a not-found, the seed's 4002 or
21011001 (the platform's own code is not documented). The invoice upload refuses with the seed's codes
4001 (invalid XML), 4002 (unknown package) and 4003 (order not in the package), either for the whole call
or per invoice in `data.errors[]`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tiktok_pipelines.channels.base.fulfilment import (
    InvoiceRefusedError,
    PackageAlreadyShippedError,
    UnknownPackageError,
)
from tiktok_pipelines.channels.tiktok_shop.client import AuthError, NotFoundError, TikTokShopError
from tiktok_pipelines.core.fulfilment import (
    INVALID_XML,
    ORDER_PACKAGE_MISMATCH,
    UNKNOWN_PACKAGE,
    UPLOAD_REFUSED,
)
from tiktok_pipelines.core.models import fulfilment as model
from tiktok_pipelines.http import RetryableError

TO_FULFILL = "TO_FULFILL"
# Every other status is a package on its way.
PACKAGE_STATES = {
    TO_FULFILL: model.PackageState.AWAITING_SHIPMENT,
    "COMPLETED": model.PackageState.COMPLETED,
    "CANCELLED": model.PackageState.CANCELLED,
}
NOT_TO_FULFILL = 21011002
UNKNOWN_PACKAGE_CODES = (4002, 21011001)
# Upload error codes (seed: integracao-tik-tok-INVOICE) and the dead-letter reason each means.
UPLOAD_ERROR_REASONS = {4001: INVALID_XML, 4002: UNKNOWN_PACKAGE, 4003: ORDER_PACKAGE_MISMATCH}


def refusal_reason(code: int) -> str:
    """The dead-letter reason of an upload refused with `code`."""
    return UPLOAD_ERROR_REASONS.get(int(code or 0), UPLOAD_REFUSED)


class TikTokUnknownPackageError(TikTokShopError, UnknownPackageError):
    """TikTok does not know the package."""


class TikTokPackageAlreadyShippedError(TikTokShopError, PackageAlreadyShippedError):
    """21011002: the package is no longer TO_FULFILL."""


class TikTokInvoiceRefusedError(TikTokShopError, InvoiceRefusedError):
    """TikTok refused the invoice upload call."""


def _as(kind: type[TikTokShopError], exc: TikTokShopError) -> TikTokShopError:
    """`exc` as the more precise `kind`: the same code, message and request, so logs read the same."""
    return kind(
        exc.message,
        code=exc.code,
        request_id=exc.request_id,
        http_status=exc.http_status,
        method=exc.method,
        path=exc.path,
    )


def package_state(status: str | None) -> model.PackageState:
    """What a `package_status` means (None: the answer stated none)."""
    if status is None:
        return model.PackageState.UNKNOWN
    return PACKAGE_STATES.get(status, model.PackageState.SHIPPED)


def package_from_api(package_id: str, found: Mapping[str, Any]) -> model.Package:
    """A package answer (`GET /fulfillment/202309/packages/{id}`) as a core `Package`."""
    status = found.get("package_status")
    return model.Package(
        package_id=package_id,
        state=package_state(status),
        status=status,
        order_ids=tuple(str(o.get("id")) for o in found.get("orders") or []),
        tracking_number=found.get("tracking_number") or None,
        carrier=found.get("shipping_provider_name") or None,
        carrier_id=found.get("shipping_provider_id") or None,
    )


def tracking_event(found: Mapping[str, Any]) -> model.TrackingEvent:
    return model.TrackingEvent(
        description=str(found.get("description") or ""),
        at=datetime.fromtimestamp(int(found.get("update_time_millis") or 0) / 1000, UTC),
    )


def invoice_verdict(payload: Mapping[str, Any]) -> model.InvoiceVerdict:
    """Webhook 36 (INVOICE_STATUS_CHANGE) as a verdict."""
    data = payload.get("data") or {}
    try:
        sent_at = datetime.fromtimestamp(int(payload["timestamp"]), UTC)
    except (KeyError, TypeError, ValueError, OverflowError):
        sent_at = None
    return model.InvoiceVerdict(
        package_id=str(data.get("package_id") or ""),
        order_ids=tuple(str(o) for o in data.get("order_ids") or []),
        status=str(data.get("invoice_status") or "").upper(),
        reason=data.get("invalid_reason"),
        sent_at=sent_at,
    )


class TikTokFulfilment:
    """Fulfilment on TikTok Shop (the `FulfilmentApi` of its session)."""

    def package(self, package_id: str) -> model.Package:
        try:
            found = self.api.get_package(package_id)
        except TikTokShopError as exc:
            if isinstance(exc, NotFoundError) or exc.code in UNKNOWN_PACKAGE_CODES:
                raise _as(TikTokUnknownPackageError, exc) from exc
            raise
        return package_from_api(package_id, found)

    def package_state(self, status: str | None) -> model.PackageState:
        return package_state(status)

    def ship_package(self, package_id: str, method: model.ShipmentMethod) -> None:
        if method.handover:
            arguments: dict[str, Any] = {"handover_method": method.handover}
        else:
            arguments = {
                "self_shipment": {
                    "tracking_number": method.tracking_number,
                    "shipping_provider_id": str(method.carrier_id),
                }
            }
        try:
            self.api.ship_package(package_id, **arguments)
        except TikTokShopError as exc:
            if exc.code == NOT_TO_FULFILL and not isinstance(exc, AuthError):
                raise _as(TikTokPackageAlreadyShippedError, exc) from exc
            raise

    def tracking(self, order_id: str) -> list[model.TrackingEvent]:
        return [tracking_event(found) for found in self.api.get_tracking(order_id)]

    def upload_invoice(
        self, package_id: str, order_ids: Sequence[str], xml: bytes
    ) -> model.InvoiceRefusal | None:
        invoice = {"order_ids": list(order_ids), "package_id": package_id, "file": xml, "file_type": "XML"}
        try:
            result = self.api.upload_invoices([invoice])
        except TikTokShopError as exc:
            if isinstance(exc, AuthError):
                raise
            if exc.code in UPLOAD_ERROR_REASONS or not isinstance(exc, RetryableError):
                refused = _as(TikTokInvoiceRefusedError, exc)
                refused.refusal = model.InvoiceRefusal(refusal_reason(exc.code), exc.code, exc.message)
                raise refused from exc
            raise
        if result.errors:
            error = result.errors[0]
            return model.InvoiceRefusal(refusal_reason(error.code), error.code, error.message)
        return None

    def invoice_verdict(self, payload: Mapping[str, Any]) -> model.InvoiceVerdict:
        return invoice_verdict(payload)
