"""Invoices: the NF-e VTEX holds for an order goes to the channel, once per package + order ids and XML.

For each order VTEX invoiced (its invoice callback or order hook, or a scan), the XML embedded in the OMS
order (or at its invoice URL) is paired with the channel's package, checked (`core.fulfilment.check_nfe`)
and uploaded; a bad XML is never sent, and the same refused XML never again. The channel's verdicts are
recorded: a success lets the package ship, an invalid NF-e waits for a corrected one from VTEX. What
cannot be done goes to the dead letter with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from tiktok_pipelines.channels.base import ChannelAuthError, ChannelError, ChannelSession
from tiktok_pipelines.channels.base.fulfilment import InvoiceRefusedError, UnknownPackageError
from tiktok_pipelines.core.fulfilment import (
    COMBINED_PACKAGE,
    INVALID_XML,
    INVOICE_PACKAGE_AMBIGUOUS,
    NO_INVOICE_XML,
    NO_VERDICT,
    ORDER_PACKAGE_MISMATCH,
    REJECTED_BY_TIKTOK,
    UNKNOWN_PACKAGE,
    UPLOAD_FAILED,
    Expectations,
    InvoiceRejected,
    access_key_of,
    check_nfe,
    order_key,
    order_packages,
    pair_invoices,
    retry_delay_seconds,
    xml_digest,
)
from tiktok_pipelines.core.models.fulfilment import VERDICT_SUCCESS, Invoice, InvoiceRefusal, PackageState
from tiktok_pipelines.core.models.orders import Order
from tiktok_pipelines.core.sku_ids import SkuIdMap, sku_id_map
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.http import RetryableError
from tiktok_pipelines.lanes.fulfilment.common import LANE, FulfilmentRun
from tiktok_pipelines.lanes.orders import (
    ClientSetupError,
    Lake,
    event_payload,
    order_records,
    write_order_versions,
)
from tiktok_pipelines.stores.db import StateDB
from tiktok_pipelines.stores.events import EventLog, LoggedEvent
from tiktok_pipelines.stores.fulfilment import (
    CANCELLED,
    DEAD,
    FAILED,
    INVALID,
    PROCESSING,
    REJECTED,
    SETTLED,
    SUCCESS,
    UPLOADED,
    UPLOADING,
)
from tiktok_pipelines.stores.orders import PLACED_STATES, OrderRecord
from tiktok_pipelines.stores.registry import Client
from tiktok_pipelines.vtex.client import VtexAuthError, VtexClient, VtexError
from tiktok_pipelines.vtex.invoice_files import InvoiceDownloadError, download_invoice_xml
from tiktok_pipelines.vtex.orders import output_invoices

INVOICE_ACTIONS = ("invoice_status", "vtex_invoice", "vtex_invoiced")


class Objects(Protocol):
    """Where the XML sent is kept (the `ObjectStore` resource, or any store with `put_bytes`)."""

    def put_bytes(self, key: str, data: bytes) -> None: ...


@dataclass(frozen=True)
class InvoiceOptions:
    scan: bool = False  # also look for invoiced orders no event announced, and NF-es awaiting a correction
    lookback_days: int = 30  # how far back a scan looks for invoiced VTEX orders
    max_orders: int = 300  # most orders one run reads (the rest wait)
    status_timeout_minutes: int = 120  # an upload with no verdict after this long is sent again


class InvoiceRun(FulfilmentRun):
    """One invoices run for a client: what it read, sent, refused, and the failures to report."""

    def __init__(
        self,
        client: Client,
        db: StateDB,
        objects: Objects,
        api: VtexClient,
        session: ChannelSession,
        sync: SyncLog,
        sku_ids: SkuIdMap,
        logger: Any,
    ):
        super().__init__(client, db, api, session, sync, logger)
        self.sku_ids = sku_ids
        self.objects = objects
        self.secrets = db.secrets
        self.sent: list[dict[str, Any]] = []
        self.changed: dict[str, Order] = {}  # order id → order, for new lake rows
        self.retry_orders: set[str] = set()  # orders to look at again (a transient failure)
        self.stale: set[tuple[str, str]] = set()  # (package, order ids) sent long ago with no verdict

    # -- the channel's verdicts
    def apply_verdicts(self, entries: list[LoggedEvent]) -> set[str]:
        """Records the channel's verdicts; returns the orders whose NF-e was refused (to look for a
        correction)."""
        refused = set()
        for entry in entries:
            verdict = self.session.invoice_verdict(event_payload(entry))
            upload = self.fulfil.record_verdict(
                self.client_id,
                verdict.package_id,
                list(verdict.order_ids),
                verdict.status,
                verdict.reason,
                verdict.sent_at,
            )
            if upload is None:
                self.counts["verdicts_ignored"] += 1
                continue
            self.counts[f"verdicts_{verdict.status.lower()}"] += 1
            if upload.status == INVALID:
                self.fulfil.dead_letter(
                    self.client_id,
                    "invoice",
                    REJECTED_BY_TIKTOK,
                    f"{self.channel} found NF-e {upload.access_key or '?'} invalid: "
                    f"{verdict.reason or 'no reason given'}; the merchant must issue a corrected one in VTEX",
                    order_id=upload.order_ids[0] if upload.order_ids else None,
                    package_id=verdict.package_id,
                    vtex_order_id=upload.vtex_order_id,
                    failed_check=str(verdict.reason or "INVALID")[:40],
                    xml_sha256=upload.xml_sha256,
                )
                self.logger.warning(
                    "%s refused the NF-e of package %s: %s", self.channel, verdict.package_id, verdict.reason
                )
                refused.update(upload.order_ids)
            elif upload.status == SUCCESS:
                self.fulfil.resolve(self.client_id, "invoice", package_id=verdict.package_id)
        return refused

    # -- which orders to read
    def order_of(self, key: str, by_vtex_order_id: bool) -> OrderRecord | None:
        if by_vtex_order_id:
            return self.orders.by_vtex_order_id(self.client_id, key)
        return self.orders.get(self.client_id, key)

    def scan_candidates(self, lookback_days: int) -> list[str]:
        """Invoiced orders without an upload settled: by the order map (hook) and by VTEX's order list."""
        # Settled, or given up (a human acts; a new XML comes with VTEX's callback): not read again.
        done = {
            o for u in self.fulfil.uploads(self.client_id, (*SETTLED, DEAD, CANCELLED)) for o in u.order_ids
        }
        found = [o for o in self.fulfil.invoiced_order_ids(self.client_id) if o not in done]
        since = datetime.now(UTC) - timedelta(days=lookback_days)
        for page in range(1, 31):
            with self.sync.timed("list_orders", "vtex", f"invoiced page {page}"):
                listed = self.api.list_orders(status="invoiced", created_from=since, page=page, per_page=100)
            for row in listed.get("list") or []:
                record = self.orders.by_vtex_order_id(self.client_id, str(row.get("orderId")))
                if record is not None and record.order_id not in done:
                    found.append(record.order_id)
            if page >= int((listed.get("paging") or {}).get("pages") or 1):
                break
        # NF-es refused (by the checks or the channel): is a corrected one in VTEX now?
        for upload in self.fulfil.uploads(self.client_id, (INVALID, REJECTED)):
            if upload.xml_sha256 in upload.rejected:
                found.extend(upload.order_ids)
        return found

    # -- one order
    def process(self, order_id: str) -> None:
        record = self.orders.get(self.client_id, order_id)
        order = self.stored_order(record)
        if record is None or order is None or record.state not in PLACED_STATES or not record.vtex_order_id:
            self.counts["orders_not_placed"] += 1
            return
        with self.sync.timed("get_order", "vtex", record.vtex_order_id):
            vtex_order = self.api.order(record.vtex_order_id)
        if vtex_order.get("status") and vtex_order.get("status") != record.vtex_status:
            self.orders.update(self.client_id, order_id, vtex_status=vtex_order["status"])
            self.changed[order_id] = order
        invoices = output_invoices(vtex_order)
        if not invoices:
            self.counts["orders_not_invoiced"] += 1
            return
        pairing = pair_invoices(order_packages(order, self.sku_ids), invoices)
        if pairing.problem:
            self.letter(INVOICE_PACKAGE_AMBIGUOUS, pairing.problem, record)
            return
        if not pairing.pairs:
            self.counts["orders_without_package"] += 1  # the channel has not made the package yet
        for package_id, invoice in pairing.pairs:
            self.send(record, order, package_id, invoice)

    def letter(
        self, reason: str, detail: str, record: OrderRecord, package_id: str | None = None, **kw
    ) -> None:
        self.fulfil.dead_letter(
            self.client_id,
            "invoice",
            reason,
            detail,
            order_id=record.order_id,
            package_id=package_id,
            vtex_order_id=record.vtex_order_id,
            **kw,
        )
        self.counts[f"refused_{reason}"] += 1
        self.failures.append(
            {"order_id": record.order_id, "package_id": package_id, "reason": reason, "detail": detail}
        )

    def xml_of(self, record: OrderRecord, package_id: str, invoice: Invoice) -> bytes | None:
        if invoice.xml:
            return invoice.xml.encode("utf-8")
        if invoice.url:
            try:
                with self.sync.timed("download_invoice", "vtex", invoice.number):
                    return download_invoice_xml(invoice.url)
            except InvoiceDownloadError as exc:
                self.letter(NO_INVOICE_XML, f"invoice {invoice.number}: {exc}", record, package_id)
                return None
        self.letter(
            NO_INVOICE_XML,
            f"VTEX's invoice {invoice.number} has neither an embedded XML nor an invoice URL",
            record,
            package_id,
        )
        return None

    def send(self, record: OrderRecord, order: Order, package_id: str, invoice: Invoice) -> None:
        xml = self.xml_of(record, package_id, invoice)
        if xml is None:
            return
        sha, key_claimed = xml_digest(xml), access_key_of(xml)
        known = self.fulfil.uploads_of_package(self.client_id, package_id)
        if any(sha in u.rejected for u in known):
            self.counts["awaiting_correction"] += 1  # the same wrong XML is never sent again
            return
        sent = [
            u
            for u in known
            if u.status in (*SETTLED, UPLOADING)
            and (u.xml_sha256 == sha or (key_claimed and u.access_key == key_claimed))
            and (u.package_id, u.order_key) not in self.stale
        ]
        if sent:
            self.counts["already_sent"] += 1
            return
        same = next((u for u in known if u.xml_sha256 == sha), None)
        if same is not None and (package_id, same.order_key) in self.stale:
            if same.attempts >= self.max_attempts:
                self.fulfil.save_upload(self.client_id, package_id, same.order_key, status=DEAD)
                self.letter(
                    NO_VERDICT,
                    f"sent {same.attempts} times and {self.channel} never gave its verdict; check the package "
                    f"on {self.channel}",
                    record,
                    package_id,
                    xml_sha256=sha,
                )
                return
            self.counts["resent_without_verdict"] += 1
        if same is not None and same.status == DEAD:
            self.counts["dead"] += 1  # gave up on this XML; a new one starts over
            return
        if same is not None and same.next_attempt_at and same.next_attempt_at > datetime.now(UTC):
            self.counts["waiting_retry"] += 1
            return
        try:
            with self.sync.timed("get_package", self.channel_api, package_id):
                package = self.session.package(package_id)
        except UnknownPackageError as exc:
            self.id_problem(record, package_id, order_key([record.order_id]), sha, UNKNOWN_PACKAGE, str(exc))
            return
        package_orders = list(package.order_ids)
        key = order_key(package_orders or [record.order_id])
        if record.order_id not in package_orders:
            self.id_problem(
                record,
                package_id,
                order_key([record.order_id]),
                sha,
                ORDER_PACKAGE_MISMATCH,
                f"package {package_id} holds orders {', '.join(package_orders) or 'none'}, not {record.order_id}",
            )
            return
        if len(package_orders) > 1:
            self.letter(
                COMBINED_PACKAGE,
                f"package {package_id} combines orders {key}; each has its own NF-e in VTEX, {self.channel} "
                "takes one file per package: upload it by hand",
                record,
                package_id,
            )
            return
        if package.state is PackageState.CANCELLED:
            # Nothing to send for it; recorded so that scans stop reading the order.
            self.fulfil.save_upload(
                self.client_id,
                package_id,
                key,
                status=CANCELLED,
                xml_sha256=sha,
                vtex_order_id=record.vtex_order_id,
            )
            self.counts["package_cancelled"] += 1
            self.logger.warning(
                "order %s is invoiced in VTEX but its package on %s is cancelled: it needs a return invoice",
                record.order_id,
                self.channel,
            )
            return
        values = dict(vtex_order_id=record.vtex_order_id, invoice_number=invoice.number)
        expected = Expectations(
            invoice_key=invoice.key,
            value_cents=invoice.value_cents,
            buyer_document=order.buyer.document,
            issuer_cnpj=self.client.option("nfe_issuer_cnpj"),
        )
        try:
            facts = check_nfe(xml, expected)
        except InvoiceRejected as exc:
            self.fulfil.reject_xml(self.client_id, package_id, key, sha, str(exc), REJECTED, **values)
            self.letter(exc.reason, exc.detail, record, package_id, failed_check=exc.check, xml_sha256=sha)
            self.logger.warning("NF-e of order %s not sent (%s): %s", record.order_id, exc.check, exc.detail)
            return
        # What was sent, for audit; an NF-e names the buyer (CPF, address), so it is kept encrypted, as
        # the order details are.
        stored = f"invoices/{self.client_id}/{package_id}/{facts.access_key}-{sha[:12]}.xml.fernet"
        self.objects.put_bytes(stored, self.secrets.encrypt(xml.decode("utf-8")).encode("ascii"))
        values.update(
            access_key=facts.access_key,
            xml_object=stored,
            xml_bytes=facts.size_bytes,
            value_cents=facts.total_cents,
            vtex_tracking_number=invoice.tracking_number,
            vtex_courier=invoice.courier,
        )
        self.upload(record, package_id, package_orders, key, xml, sha, values)

    def id_problem(
        self, record: OrderRecord, package_id: str, key: str, sha: str, reason: str, detail: str
    ) -> None:
        """A package the channel does not know or whose orders differ: tried again later (the package may
        be re-created or its orders settle), then given up."""
        current = self.fulfil.upload(self.client_id, package_id, key)
        attempts = (current.attempts if current else 0) + 1
        status = DEAD if attempts >= self.max_attempts else REJECTED
        self.fulfil.save_upload(
            self.client_id,
            package_id,
            key,
            status=status,
            attempts=attempts,
            xml_sha256=sha,
            vtex_order_id=record.vtex_order_id,
            last_error=detail[:2000],
            next_attempt_at=datetime.now(UTC) + timedelta(seconds=retry_delay_seconds(attempts)),
        )
        self.letter(reason, detail, record, package_id, xml_sha256=sha)

    def upload(
        self,
        record: OrderRecord,
        package_id: str,
        order_ids: list[str],
        key: str,
        xml: bytes,
        sha: str,
        values: dict[str, Any],
    ) -> None:
        upload = self.fulfil.begin_upload(self.client_id, package_id, key, sha, **values)
        try:
            with self.sync.timed("upload_invoice", self.channel_api, package_id):
                refusal = self.session.upload_invoice(package_id, order_ids, xml)
        except InvoiceRefusedError as exc:
            self.refused(record, package_id, key, sha, exc.refusal, upload.attempts)
            return
        except ChannelAuthError as exc:
            self.fulfil.retry_later(self.client_id, package_id, key, str(exc), 0)
            raise
        except ChannelError as exc:
            # Still failing after the client's own retries: later runs try again, with backoff.
            give_up = upload.attempts >= self.max_attempts
            self.fulfil.retry_later(
                self.client_id,
                package_id,
                key,
                str(exc),
                retry_delay_seconds(upload.attempts),
                status=DEAD if give_up else FAILED,
            )
            if give_up:
                self.letter(
                    UPLOAD_FAILED, f"{upload.attempts} attempts: {exc}", record, package_id, xml_sha256=sha
                )
            else:
                self.counts["upload_retry_later"] += 1
                self.failures.append(
                    {
                        "order_id": record.order_id,
                        "package_id": package_id,
                        "reason": "retry",
                        "detail": str(exc),
                    }
                )
            return
        if refusal is not None:
            self.refused(record, package_id, key, sha, refusal, upload.attempts)
            return
        self.fulfil.finish_upload(self.client_id, package_id, key)
        if not self.session.capabilities.invoice_verdicts:
            # The channel's answer to the upload is its verdict: taken, so the package may ship.
            self.fulfil.record_verdict(
                self.client_id, package_id, order_ids, VERDICT_SUCCESS, None, datetime.now(UTC)
            )
        self.fulfil.resolve(self.client_id, "invoice", package_id=package_id, order_id=record.order_id)
        self.counts["uploaded"] += 1
        self.sent.append(
            {
                "order_id": record.order_id,
                "package_id": package_id,
                "invoice": values.get("invoice_number"),
                "access_key": values.get("access_key"),
                "attempt": upload.attempts,
            }
        )

    def refused(
        self,
        record: OrderRecord,
        package_id: str,
        key: str,
        sha: str,
        refusal: InvoiceRefusal,
        attempts: int,
    ) -> None:
        detail = f"{self.channel} refused the upload: {refusal.code} {refusal.message}"
        if refusal.reason == INVALID_XML:
            self.fulfil.reject_xml(self.client_id, package_id, key, sha, detail)
        else:
            give_up = attempts >= self.max_attempts
            self.fulfil.retry_later(
                self.client_id,
                package_id,
                key,
                detail,
                retry_delay_seconds(attempts),
                status=DEAD if give_up else REJECTED,
            )
        self.letter(
            refusal.reason, detail, record, package_id, failed_check=str(refusal.code), xml_sha256=sha
        )


@dataclass
class InvoicesReport:
    run: InvoiceRun
    events: int
    orders_read: int
    api_calls: dict[str, int]


def send_invoices(
    client: Client,
    db: StateDB,
    session: ChannelSession,
    api: VtexClient,
    objects: Objects,
    lake: Lake,
    options: InvoiceOptions,
    logger: Any,
) -> InvoicesReport:
    """The invoices of the client's orders the run's events named, the uploads due again, and (scanning)
    every invoiced order without a settled upload: verdicts recorded, NF-es checked and uploaded; then the
    events handled (but those of an order that failed for a passing reason), new lake versions of the
    orders whose VTEX status changed, and the API call log."""
    client_id = client.client_id
    log = EventLog(db)
    sync = SyncLog(client_id, LANE, session.capabilities.name)
    events = [e for e in log.pending(client_id, LANE) if e.action in INVOICE_ACTIONS]
    verdicts = [e for e in events if e.action == "invoice_status"]
    prompts = [e for e in events if e.action != "invoice_status"]
    try:
        sku_ids = sku_id_map(lake, client_id, client.options)
    except ValueError as exc:  # a vtex_sku_id_source the code cannot use
        raise ClientSetupError(f"client {client_id}: {exc}") from None
    run = InvoiceRun(client, db, objects, api, session, sync, sku_ids, logger)
    wanted: dict[str, None] = dict.fromkeys(run.apply_verdicts(verdicts))
    prompted: dict[int, set[str]] = {}  # event → the orders it named
    for entry in prompts:
        records = (run.order_of(k, by_vtex_order_id=entry.action == "vtex_invoiced") for k in entry.key_list)
        prompted[entry.id] = {r.order_id for r in records if r is not None}
        wanted.update(dict.fromkeys(prompted[entry.id]))
    stale_before = datetime.now(UTC) - timedelta(minutes=options.status_timeout_minutes)
    due = run.fulfil.due(client_id, stale_before)
    run.stale = {(u.package_id, u.order_key) for u in due if u.status in (UPLOADING, UPLOADED, PROCESSING)}
    for upload in due:
        if upload.status == FAILED or upload.xml_sha256 not in upload.rejected:
            wanted.update(dict.fromkeys(upload.order_ids))
    if options.scan:
        wanted.update(dict.fromkeys(run.scan_candidates(options.lookback_days)))
    order_ids = list(wanted)[: options.max_orders]
    run.retry_orders.update(list(wanted)[options.max_orders :])  # the next run reads the rest
    for order_id in order_ids:
        try:
            run.process(order_id)
        except (ChannelAuthError, VtexAuthError):
            raise
        except (VtexError, ChannelError) as exc:
            if isinstance(exc, RetryableError):
                run.retry_orders.add(order_id)
            run.failures.append({"order_id": order_id, "reason": "error", "detail": str(exc)})
    api_calls = run.api_calls()
    # An event whose order failed for a passing reason stays pending: the next run tries again.
    handled = [e.id for e in events if not prompted.get(e.id, set()) & run.retry_orders]
    log.mark(handled, "handled")
    write_order_versions(
        lake, client_id, run.orders.channel, run.changed, order_records(run.orders, client_id, run.changed)
    )
    lake.append_part("sync_log", client_id, sync.table())
    return InvoicesReport(run=run, events=len(events), orders_read=len(order_ids), api_calls=api_calls)
