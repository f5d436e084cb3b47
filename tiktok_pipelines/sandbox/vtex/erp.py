"""The merchant's ERP beside the VTEX store: it issues an NF-e for an order (see `sandbox.nfe`; broken
on purpose when asked) and notifies it to the OMS, replaces a refused NF-e with a new one, and, for the
demo, invoices every order by itself a while after it may be handled."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from tiktok_pipelines.sandbox.nfe import BROKEN_KINDS, Emitter, build_nfe
from tiktok_pipelines.sandbox.vtex.errors import ApiError
from tiktok_pipelines.sandbox.vtex.values import now_utc

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.vtex.account import SandboxAccount

log = logging.getLogger(__name__)


class ErpMixin:
    """The merchant's ERP of `VtexEmulator`."""

    def erp_invoice(
        self,
        account: SandboxAccount,
        order_id: str,
        *,
        broken: str | None = None,
        tracking: bool = True,
        courier: str = "Transportadora Sandbox",
    ) -> dict[str, Any]:
        """The ERP issues an NF-e for the order and notifies the invoice to the OMS (XML embedded and at
        `invoiceUrl`); `broken` makes the XML bad on purpose (see `sandbox.nfe`)."""
        if broken is not None and broken not in BROKEN_KINDS:
            raise ApiError(400, f"broken must be one of {', '.join(BROKEN_KINDS)}")
        found = account.order(order_id)
        if found["status"] == "ready-for-handling":
            account.start_handling(order_id)
        if found["status"] != "handling":
            raise ApiError(409, f"order {order_id} is {found['status']}; it is invoiced from handling")
        body = self._issue_nfe(account, found, broken)
        body.update(
            type="Output",
            items=[
                {"id": i["id"], "quantity": i["quantity"], "price": i["sellingPrice"]} for i in found["items"]
            ],
        )
        if tracking:
            number = int(body["invoiceNumber"])
            body.update(
                courier=courier,
                trackingNumber=f"SB{number:09d}BR",
                trackingUrl=f"https://rastreio.example.com/SB{number:09d}BR",
                dispatchedDate=now_utc().isoformat(),
            )
        receipt = account.invoice(order_id, body)
        return {
            **receipt,
            "invoiceNumber": body["invoiceNumber"],
            "invoiceKey": body["invoiceKey"],
            "invoiceUrl": body["invoiceUrl"],
            "status": found["status"],
            "broken": broken,
        }

    def erp_correct_invoice(
        self, account: SandboxAccount, order_id: str, *, broken: str | None = None
    ) -> dict[str, Any]:
        """The ERP replaces a refused NF-e: it cancels it with SEFAZ, issues a new one (new number and
        access key) and replaces the order's latest sale invoice in the OMS, which posts the invoice to
        the marketplace again. (How a merchant swaps an invoice in VTEX depends on its ERP and admin;
        the order keeps one sale invoice here.)"""
        if broken is not None and broken not in BROKEN_KINDS:
            raise ApiError(400, f"broken must be one of {', '.join(BROKEN_KINDS)}")
        found = account.order(order_id)
        body = self._issue_nfe(account, found, broken)
        replaced = account.replace_invoice(order_id, body)
        return {**body, "replaced": replaced, "broken": broken, "embeddedInvoice": None}

    def _issue_nfe(
        self, account: SandboxAccount, order: dict[str, Any], broken: str | None
    ) -> dict[str, Any]:
        number = account.next_invoice_number
        account.next_invoice_number += 1
        document = build_nfe(
            account.public_order(order), Emitter.for_account(account.name), number=number, broken=broken
        )
        account.nfe_documents[document.access_key] = document.xml
        return {
            "invoiceNumber": str(number),
            "invoiceValue": str(order["value"]),
            "issuanceDate": document.issued_at.isoformat(),
            "invoiceKey": document.access_key,
            "invoiceUrl": f"{self.public_url}/_sandbox/vtex/accounts/{account.name}/invoices/{document.access_key}.xml",
            "embeddedInvoice": document.xml.decode("utf-8"),
        }

    def _auto_invoice(self, account: SandboxAccount, order_id: str) -> None:
        """The demo's ERP: invoices an order once it may be handled; now and then a bad NF-e, corrected
        later (see the account's `auto_invoice_*` settings)."""
        settings = account.auto_invoice
        order = account.orders.get(order_id)
        if order is None or order["status"] not in ("ready-for-handling", "handling"):
            return
        broken = None
        if settings.get("broken_share", 0) and account.erp_rng.random() < float(settings["broken_share"]):
            broken = account.erp_rng.choice(BROKEN_KINDS)
        try:
            self.erp_invoice(account, order_id, broken=broken, tracking=bool(settings.get("tracking", False)))
        except ApiError as exc:
            log.warning("sandbox ERP could not invoice %s: %s", order_id, exc)
            return
        correct_after = settings.get("correct_seconds")
        if broken and correct_after is not None:
            self.call_later(float(correct_after), lambda: self._auto_correct(account, order_id))

    def _auto_correct(self, account: SandboxAccount, order_id: str) -> None:
        try:
            self.erp_correct_invoice(account, order_id)
        except ApiError as exc:
            log.warning("sandbox ERP could not correct the invoice of %s: %s", order_id, exc)
