"""TikTok's packages, tracking, invoice upload answers and webhook 36 read in the lane's terms: what a
status means, which refusal is which dead-letter reason, and which failures are retried."""

from datetime import UTC, datetime

import pytest

from tiktok_pipelines.channels.base import ChannelAuthError, ChannelRetryableError
from tiktok_pipelines.channels.base.fulfilment import (
    InvoiceRefusedError,
    PackageAlreadyShippedError,
    UnknownPackageError,
)
from tiktok_pipelines.channels.tiktok_shop.client import (
    AuthError,
    BatchResult,
    ItemError,
    NotFoundError,
    RequestError,
    ServerError,
    TikTokShopError,
    ValidationError,
)
from tiktok_pipelines.channels.tiktok_shop.fulfilment import (
    TikTokFulfilment,
    invoice_verdict,
    package_state,
    refusal_reason,
)
from tiktok_pipelines.core.fulfilment import (
    INVALID_XML,
    ORDER_PACKAGE_MISMATCH,
    UNKNOWN_PACKAGE,
    UPLOAD_REFUSED,
)
from tiktok_pipelines.core.models.fulfilment import InvoiceRefusal, PackageState, ShipmentMethod


class FakeApi:
    """The Partner API client's fulfilment calls: answers or errors set by the test, calls recorded."""

    def __init__(self, answer=None, error=None):
        self.answer, self.error = answer, error
        self.calls: list[tuple] = []

    def _reply(self, *call):
        self.calls.append(call)
        if self.error is not None:
            raise self.error
        return self.answer

    def get_package(self, package_id):
        return self._reply("get_package", package_id)

    def ship_package(self, package_id, **arguments):
        return self._reply("ship_package", package_id, arguments)

    def get_tracking(self, order_id):
        return self._reply("get_tracking", order_id)

    def upload_invoices(self, invoices):
        return self._reply("upload_invoices", invoices)


class Session(TikTokFulfilment):
    def __init__(self, api):
        self.api = api


def error(kind=TikTokShopError, code=0, message="refused"):
    return kind(message, code=code, request_id="r1", method="POST", path="/fulfillment/x")


def test_refusal_codes_are_dead_letter_reasons():
    assert refusal_reason(4001) == INVALID_XML
    assert refusal_reason(4002) == UNKNOWN_PACKAGE
    assert refusal_reason(4003) == ORDER_PACKAGE_MISMATCH
    assert refusal_reason(21013002) == UPLOAD_REFUSED


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("TO_FULFILL", PackageState.AWAITING_SHIPMENT),
        ("PROCESSING", PackageState.SHIPPED),
        ("FULFILLING", PackageState.SHIPPED),
        ("COMPLETED", PackageState.COMPLETED),
        ("CANCELLED", PackageState.CANCELLED),
        (None, PackageState.UNKNOWN),
    ],
)
def test_package_statuses(status, state):
    assert package_state(status) == state


def test_a_package_reads_its_orders_and_tracking():
    session = Session(
        FakeApi(
            {
                "package_id": "P1",
                "package_status": "PROCESSING",
                "orders": [{"id": 576, "skus": []}],
                "tracking_number": "BR1",
                "shipping_provider_name": "Correios",
                "shipping_provider_id": "66",
            }
        )
    )
    package = session.package("P1")
    assert (package.package_id, package.state, package.status) == ("P1", PackageState.SHIPPED, "PROCESSING")
    assert package.order_ids == ("576",)
    assert (package.tracking_number, package.carrier, package.carrier_id) == ("BR1", "Correios", "66")
    empty = Session(FakeApi({"package_status": "TO_FULFILL", "tracking_number": ""})).package("P2")
    assert empty.order_ids == () and empty.tracking_number is None


@pytest.mark.parametrize(
    "failure", [error(NotFoundError, 0), error(RequestError, 21011001), error(code=4002)]
)
def test_an_unknown_package_is_one_whatever_code_says_so(failure):
    with pytest.raises(UnknownPackageError) as caught:
        Session(FakeApi(error=failure)).package("P1")
    assert caught.value.code == failure.code and str(caught.value) == str(failure)


def test_other_package_errors_stay_what_they_are():
    with pytest.raises(ServerError):
        Session(FakeApi(error=error(ServerError, 36009003))).package("P1")


def test_shipping_by_handover_or_by_the_sellers_carrier():
    api = FakeApi({})
    session = Session(api)
    session.ship_package("P1", ShipmentMethod(handover="PICKUP"))
    session.ship_package("P2", ShipmentMethod(tracking_number="SB1", carrier_id="66"))
    assert api.calls == [
        ("ship_package", "P1", {"handover_method": "PICKUP"}),
        ("ship_package", "P2", {"self_shipment": {"tracking_number": "SB1", "shipping_provider_id": "66"}}),
    ]
    assert ShipmentMethod(handover="DROP_OFF").label == "DROP_OFF"
    assert ShipmentMethod(tracking_number="SB1", carrier_id="66").label == "SELF_SHIPMENT"


def test_shipping_a_package_no_longer_to_fulfil_says_it_shipped_already():
    with pytest.raises(PackageAlreadyShippedError) as caught:
        Session(FakeApi(error=error(ValidationError, 21011002))).ship_package("P1", ShipmentMethod("PICKUP"))
    assert caught.value.code == 21011002
    with pytest.raises(ValidationError) as other:
        Session(FakeApi(error=error(ValidationError, 21011003))).ship_package("P1", ShipmentMethod("PICKUP"))
    assert not isinstance(other.value, PackageAlreadyShippedError)


def test_tracking_events_in_time():
    session = Session(FakeApi([{"description": "Em trânsito", "update_time_millis": 1767225600500}, {}]))
    first, second = session.tracking("576")
    assert first.description == "Em trânsito" and first.at == datetime(
        2026, 1, 1, 0, 0, 0, 500000, tzinfo=UTC
    )
    assert second.description == "" and second.at == datetime(1970, 1, 1, tzinfo=UTC)


def test_an_upload_sends_the_xml_for_the_package_and_its_orders():
    api = FakeApi(BatchResult({}))
    assert Session(api).upload_invoice("P1", ("576",), b"<nfeProc/>") is None
    assert api.calls == [
        (
            "upload_invoices",
            [{"order_ids": ["576"], "package_id": "P1", "file": b"<nfeProc/>", "file_type": "XML"}],
        )
    ]


def test_an_upload_refused_per_invoice_is_answered_as_a_refusal():
    answer = BatchResult({}, (ItemError(4003, "Order ID does not belong to the package"),))
    refusal = Session(FakeApi(answer)).upload_invoice("P1", ["576"], b"<x/>")
    assert refusal == InvoiceRefusal(ORDER_PACKAGE_MISMATCH, 4003, "Order ID does not belong to the package")


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (error(ServerError, 4001, "invalid xml"), INVALID_XML),  # an upload code, even on a 5xx
        (error(ValidationError, 4002), UNKNOWN_PACKAGE),
        (error(RequestError, 36009009), UPLOAD_REFUSED),  # not retryable: refused
    ],
)
def test_an_upload_call_refused_outright_is_a_refusal_with_its_reason(failure, reason):
    with pytest.raises(InvoiceRefusedError) as caught:
        Session(FakeApi(error=failure)).upload_invoice("P1", ["576"], b"<x/>")
    assert caught.value.refusal == InvoiceRefusal(reason, failure.code, failure.message)
    assert str(caught.value) == str(failure)  # the call log reads the same


@pytest.mark.parametrize(
    ("failure", "kind"),
    [(error(ServerError, 36009003), ChannelRetryableError), (error(AuthError, 105002), ChannelAuthError)],
)
def test_retryable_and_authorization_failures_of_an_upload_are_not_refusals(failure, kind):
    with pytest.raises(kind) as caught:
        Session(FakeApi(error=failure)).upload_invoice("P1", ["576"], b"<x/>")
    assert not isinstance(caught.value, InvoiceRefusedError)


def test_webhook_36_reads_as_a_verdict():
    verdict = invoice_verdict(
        {
            "type": 36,
            "timestamp": 1767225600,
            "data": {
                "package_id": 11,
                "order_ids": [576, "577"],
                "invoice_status": "invalid",
                "invalid_reason": "NOT_FOUND",
            },
        }
    )
    assert (verdict.package_id, verdict.order_ids, verdict.status, verdict.reason) == (
        "11",
        ("576", "577"),
        "INVALID",
        "NOT_FOUND",
    )
    assert verdict.sent_at == datetime(2026, 1, 1, tzinfo=UTC)
    bare = invoice_verdict({"data": {}})
    assert (bare.package_id, bare.order_ids, bare.status, bare.sent_at) == ("", (), "", None)
