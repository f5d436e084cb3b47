"""Fulfilment of TikTok orders: the NF-e VTEX holds goes to TikTok Shop, an accepted invoice lets the
package ship, and the tracking goes back to the order map, the lake and VTEX.

Runs come from `webhook_queue_sensor` (VTEX's invoice callback or its order hook saying `invoiced`;
TikTok's webhook 36 with the invoice's verdict; webhook 4 when a package moves) and from
`fulfilment_schedule` (a scan for invoiced orders no event announced, and tracking of shipped packages).
Every step is decided from the state DB, so overlapping runs, repeated webhooks and crashed runs do each
thing once: an upload is keyed by package + order ids and by the XML's digest, a shipment by package.
"""

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
from pydantic import Field

from tiktok_pipelines.channels.tiktok_shop.client import AuthError, NotFoundError, TikTokShopError
from tiktok_pipelines.core.fulfilment import (
    COMBINED_PACKAGE,
    INVALID_XML,
    INVOICE_PACKAGE_AMBIGUOUS,
    NO_INVOICE_XML,
    NO_VERDICT,
    ORDER_PACKAGE_MISMATCH,
    REJECTED_BY_TIKTOK,
    SHIP_FAILED,
    SHIPPING_CONFIG,
    UNKNOWN_PACKAGE,
    UPLOAD_ERROR_REASONS,
    UPLOAD_FAILED,
    Expectations,
    InvoiceRejected,
    VtexInvoice,
    access_key_of,
    buyer_document,
    check_nfe,
    latest_tracking_event,
    order_key,
    order_packages,
    output_invoices,
    pair_invoices,
    refusal_reason,
    retry_delay_seconds,
    xml_digest,
)
from tiktok_pipelines.core.orders import OrderOptions
from tiktok_pipelines.core.sku_ids import SkuIdMap, sku_id_map
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.defs.checks import client_check, client_check_result
from tiktok_pipelines.defs.orders.assets import vtex_orders, write_order_versions
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ObjectStore, ParquetLake
from tiktok_pipelines.defs.resources.tiktok_shop import TikTokShop
from tiktok_pipelines.defs.resources.vtex import Vtex
from tiktok_pipelines.http import RetryableError
from tiktok_pipelines.partitions import clients_partitions
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
    FulfilmentStore,
    Shipment,
)
from tiktok_pipelines.stores.orders import PLACED_STATES, OrderRecord, OrderStore
from tiktok_pipelines.stores.registry import Client
from tiktok_pipelines.vtex.client import VtexAuthError, VtexError
from tiktok_pipelines.vtex.invoice_files import InvoiceDownloadError, download_invoice_xml

LANE = "fulfilment"
INVOICE_ACTIONS = ("invoice_status", "vtex_invoice", "vtex_invoiced")
SHIPMENT_ACTIONS = ("package_update",)
HANDOVER_METHODS = ("PICKUP", "DROP_OFF")
# The seed: an NF-e must reach TikTok within 24 hours of the order's confirmation.
INVOICE_DEADLINE = timedelta(hours=24)


def _max_attempts(client: Client) -> int:
    return int(client.option("fulfilment_max_attempts", 5))


def _sku_ids(client: Client, lake: ParquetLake) -> SkuIdMap:
    try:
        return sku_id_map(lake, client.client_id, client.options)
    except ValueError as exc:  # a vtex_sku_id_source the code cannot use
        raise dg.Failure(description=f"client {client.client_id}: {exc}") from None


def _payload(entry: LoggedEvent) -> dict[str, Any]:
    return json.loads(entry.body)


def _sent_at(payload: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(payload["timestamp"]), UTC)
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


class InvoicesConfig(dg.Config):
    scan: bool = Field(
        default=False,
        description="Also look for invoiced orders no event announced (VTEX's invoiced orders and the order "
        "map), and re-read orders whose NF-e waits for a correction. The schedule's runs scan.",
    )
    lookback_days: int = Field(default=30, description="How far back a scan looks for invoiced VTEX orders.")
    max_orders: int = Field(default=300, description="Most orders one run reads (the rest wait).")
    status_timeout_minutes: int = Field(
        default=120, description="An upload with no verdict (webhook 36) after this long is sent again."
    )


class _LaneRun:
    """What a step of a fulfilment run works with: the client, its stores and API clients, the API call
    log, and the counts and failures it reports."""

    def __init__(self, context, client: Client, state: StateStore, api, shop, sync: SyncLog):
        self.context = context
        self.client = client
        self.client_id = client.client_id
        self.orders = OrderStore(state.db)
        self.fulfil = FulfilmentStore(state.db)
        self.api = api
        self.shop = shop
        self.sync = sync
        self.counts: Counter = Counter()
        self.failures: list[dict[str, Any]] = []


class _InvoiceRun(_LaneRun):
    """One `invoices` run for a client: what it read, sent, refused, and the failures to report."""

    def __init__(
        self, context, client: Client, state: StateStore, objects: ObjectStore, api, shop, sync, sku_ids
    ):
        super().__init__(context, client, state, api, shop, sync)
        self.sku_ids: SkuIdMap = sku_ids
        self.objects = objects
        self.secrets = state.db.secrets
        self.sent: list[dict[str, Any]] = []
        self.changed: dict[str, dict[str, Any]] = {}  # order id → detail, for new lake rows
        self.retry_orders: set[str] = set()  # orders to look at again (a transient failure)
        self.stale: set[tuple[str, str]] = set()  # (package, order ids) sent long ago with no verdict
        self.documents = OrderOptions.from_client_options(client.options).document_fields

    # -- webhook 36
    def apply_verdicts(self, entries: list[LoggedEvent]) -> set[str]:
        """Records TikTok's verdicts; returns the orders whose NF-e was refused (to look for a correction)."""
        refused = set()
        for entry in entries:
            payload = _payload(entry)
            data = payload.get("data") or {}
            package_id = str(data.get("package_id") or "")
            status = str(data.get("invoice_status") or "").upper()
            reason = data.get("invalid_reason")
            upload = self.fulfil.record_verdict(
                self.client_id,
                package_id,
                [str(o) for o in data.get("order_ids") or []],
                status,
                reason,
                _sent_at(payload),
            )
            if upload is None:
                self.counts["verdicts_ignored"] += 1
                continue
            self.counts[f"verdicts_{status.lower()}"] += 1
            if upload.status == INVALID:
                self.fulfil.dead_letter(
                    self.client_id,
                    "invoice",
                    REJECTED_BY_TIKTOK,
                    f"TikTok found NF-e {upload.access_key or '?'} invalid: {reason or 'no reason given'}; "
                    "the merchant must issue a corrected one in VTEX",
                    order_id=upload.order_ids[0] if upload.order_ids else None,
                    package_id=package_id,
                    vtex_order_id=upload.vtex_order_id,
                    failed_check=str(reason or "INVALID")[:40],
                    xml_sha256=upload.xml_sha256,
                )
                self.context.log.warning("TikTok refused the NF-e of package %s: %s", package_id, reason)
                refused.update(upload.order_ids)
            elif upload.status == SUCCESS:
                self.fulfil.resolve(self.client_id, "invoice", package_id=package_id)
        return refused

    # -- which orders to read
    def order_of(self, key: str, vtex_id: bool) -> OrderRecord | None:
        if vtex_id:
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
        # NF-es refused (by us or TikTok): is a corrected one in VTEX now?
        for upload in self.fulfil.uploads(self.client_id, (INVALID, REJECTED)):
            if upload.xml_sha256 in upload.rejected:
                found.extend(upload.order_ids)
        return found

    # -- one order
    def process(self, order_id: str) -> None:
        record = self.orders.get(self.client_id, order_id)
        detail = self.orders.detail(record) if record else None
        if record is None or detail is None or record.state not in PLACED_STATES or not record.vtex_order_id:
            self.counts["orders_not_placed"] += 1
            return
        with self.sync.timed("get_order", "vtex", record.vtex_order_id):
            order = self.api.order(record.vtex_order_id)
        if order.get("status") and order.get("status") != record.vtex_status:
            self.orders.update(self.client_id, order_id, vtex_status=order["status"])
            self.changed[order_id] = detail
        invoices = output_invoices(order)
        if not invoices:
            self.counts["orders_not_invoiced"] += 1
            return
        pairing = pair_invoices(order_packages(detail, self.sku_ids), invoices)
        if pairing.problem:
            self.letter(INVOICE_PACKAGE_AMBIGUOUS, pairing.problem, record)
            return
        if not pairing.pairs:
            self.counts["orders_without_package"] += 1  # TikTok has not made the package yet
        for package_id, invoice in pairing.pairs:
            self.send(record, detail, package_id, invoice)

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

    def xml_of(self, record: OrderRecord, package_id: str, invoice: VtexInvoice) -> bytes | None:
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

    def send(
        self, record: OrderRecord, detail: dict[str, Any], package_id: str, invoice: VtexInvoice
    ) -> None:
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
            if same.attempts >= _max_attempts(self.client):
                self.fulfil.save_upload(self.client_id, package_id, same.order_key, status=DEAD)
                self.letter(
                    NO_VERDICT,
                    f"sent {same.attempts} times and TikTok never answered (webhook 36); check the package "
                    "in Seller Center",
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
            with self.sync.timed("get_package", "tiktok", package_id):
                package = self.shop.get_package(package_id)
        except TikTokShopError as exc:
            if isinstance(exc, AuthError) or not _is_unknown_package(exc):
                raise
            self.id_problem(record, package_id, order_key([record.order_id]), sha, UNKNOWN_PACKAGE, str(exc))
            return
        package_orders = [str(o.get("id")) for o in package.get("orders") or []]
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
                f"package {package_id} combines orders {key}; each has its own NF-e in VTEX, TikTok takes one "
                "file per package: upload it by hand",
                record,
                package_id,
            )
            return
        if package.get("package_status") == "CANCELLED":
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
            self.context.log.warning(
                "order %s is invoiced in VTEX but its TikTok package is cancelled: it needs a return invoice",
                record.order_id,
            )
            return
        values = dict(vtex_order_id=record.vtex_order_id, invoice_number=invoice.number)
        expected = Expectations(
            invoice_key=invoice.key,
            value_cents=invoice.value_cents,
            buyer_document=buyer_document(detail, self.documents),
            issuer_cnpj=self.client.option("nfe_issuer_cnpj"),
        )
        try:
            facts = check_nfe(xml, expected)
        except InvoiceRejected as exc:
            self.fulfil.reject_xml(self.client_id, package_id, key, sha, str(exc), REJECTED, **values)
            self.letter(exc.reason, exc.detail, record, package_id, failed_check=exc.check, xml_sha256=sha)
            self.context.log.warning(
                "NF-e of order %s not sent (%s): %s", record.order_id, exc.check, exc.detail
            )
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
        """A package TikTok does not know or whose orders differ: tried again later (the package may be
        re-created or its orders settle), then given up."""
        current = self.fulfil.upload(self.client_id, package_id, key)
        attempts = (current.attempts if current else 0) + 1
        status = DEAD if attempts >= _max_attempts(self.client) else REJECTED
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
            with self.sync.timed("upload_invoice", "tiktok", package_id):
                result = self.shop.upload_invoices(
                    [{"order_ids": order_ids, "package_id": package_id, "file": xml, "file_type": "XML"}]
                )
        except TikTokShopError as exc:
            if isinstance(exc, AuthError):
                self.fulfil.retry_later(self.client_id, package_id, key, str(exc), 0)
                raise
            if exc.code in UPLOAD_ERROR_REASONS or not isinstance(exc, RetryableError):
                self.refused(record, package_id, key, sha, exc.code, exc.message, upload.attempts)
                return
            # Still failing after the client's own retries: later runs try again, with backoff.
            give_up = upload.attempts >= _max_attempts(self.client)
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
        if result.errors:
            error = result.errors[0]
            self.refused(record, package_id, key, sha, error.code, error.message, upload.attempts)
            return
        self.fulfil.finish_upload(self.client_id, package_id, key)
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
        self, record: OrderRecord, package_id: str, key: str, sha: str, code: int, message: str, attempts: int
    ) -> None:
        reason = refusal_reason(code)
        detail = f"TikTok refused the upload: {code} {message}"
        if reason == INVALID_XML:
            self.fulfil.reject_xml(self.client_id, package_id, key, sha, detail)
        else:
            give_up = attempts >= _max_attempts(self.client)
            self.fulfil.retry_later(
                self.client_id,
                package_id,
                key,
                detail,
                retry_delay_seconds(attempts),
                status=DEAD if give_up else REJECTED,
            )
        self.letter(reason, detail, record, package_id, failed_check=str(code), xml_sha256=sha)


def _is_unknown_package(exc: TikTokShopError) -> bool:
    # The platform's code for an unknown package is not documented: 404s, the seed's 4002, the emulator's.
    return isinstance(exc, NotFoundError) or exc.code in (4002, 21011001)


@dg.asset(
    partitions_def=clients_partitions,
    group_name="fulfilment",
    deps=[vtex_orders],
    kinds={"vtex", "tiktok"},
    code_version="1",
    check_specs=[
        client_check(
            "invoices_within_deadline",
            "invoices",
            "No NF-e has waited more than 24 hours for TikTok to accept it since the lane first "
            "took it up (the seed: an NF-e must reach TikTok within 24 hours).",
        ),
        client_check(
            "invoice_dead_letter_empty",
            "invoices",
            "No NF-e of the client sits in the dead letter (refused by the checks or by TikTok, an order "
            "and package that do not match, uploads given up): `tiktok-pipelines fulfilment status`.",
        ),
    ],
)
def invoices(
    context: dg.AssetExecutionContext,
    config: InvoicesConfig,
    state: StateStore,
    vtex: Vtex,
    tiktok: TikTokShop,
    objects: ObjectStore,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    """NF-e invoices of the client's TikTok orders, from VTEX to TikTok Shop: for each order VTEX invoiced
    (its invoice callback or order hook, or a scan), the XML embedded in the OMS order (or at its invoice
    URL) is checked (size, UTF-8, well-formed, NFe and protNFe, access key and check digit, totals, buyer
    and amount of the order) and uploaded once per package + order ids and XML; a bad XML is never sent.
    TikTok's verdicts (webhook 36) are recorded: SUCCESS lets `shipments` ship, INVALID waits for a
    corrected NF-e from VTEX. Failures stay in the dead-letter table, shown here with their reason."""
    client_id = context.partition_key
    client = state.registry.get(client_id)
    log, fulfil = EventLog(state.db), FulfilmentStore(state.db)
    sync = SyncLog(client_id, LANE)
    events = [e for e in log.pending(client_id, LANE) if e.action in INVOICE_ACTIONS]
    verdicts = [e for e in events if e.action == "invoice_status"]
    prompts = [e for e in events if e.action != "invoice_status"]
    with vtex.client_for(client) as api, tiktok.shop(client_id, logger=context.log) as shop:
        run = _InvoiceRun(context, client, state, objects, api, shop, sync, _sku_ids(client, lake))
        wanted: dict[str, None] = dict.fromkeys(run.apply_verdicts(verdicts))
        prompted: dict[int, set[str]] = {}  # event → the TikTok orders it named
        for entry in prompts:
            records = (run.order_of(k, vtex_id=entry.action == "vtex_invoiced") for k in entry.key_list)
            prompted[entry.id] = {r.order_id for r in records if r is not None}
            wanted.update(dict.fromkeys(prompted[entry.id]))
        stale_before = datetime.now(UTC) - timedelta(minutes=config.status_timeout_minutes)
        due = fulfil.due(client_id, stale_before)
        run.stale = {
            (u.package_id, u.order_key) for u in due if u.status in (UPLOADING, UPLOADED, PROCESSING)
        }
        for upload in due:
            if upload.status == FAILED or upload.xml_sha256 not in upload.rejected:
                wanted.update(dict.fromkeys(upload.order_ids))
        if config.scan:
            wanted.update(dict.fromkeys(run.scan_candidates(config.lookback_days)))
        order_ids = list(wanted)[: config.max_orders]
        run.retry_orders.update(list(wanted)[config.max_orders :])  # the next run reads the rest
        for order_id in order_ids:
            try:
                run.process(order_id)
            except (AuthError, VtexAuthError):
                raise
            except (VtexError, TikTokShopError) as exc:
                if isinstance(exc, RetryableError):
                    run.retry_orders.add(order_id)
                run.failures.append({"order_id": order_id, "reason": "error", "detail": str(exc)})
        api_calls = {**shop.stats.as_metadata(), **{f"vtex_{k}": v for k, v in sorted(api.stats.items())}}
    # An event whose order failed for a passing reason stays pending: the next run tries again.
    handled = [e.id for e in events if not prompted.get(e.id, set()) & run.retry_orders]
    log.mark(handled, "handled")
    write_order_versions(lake, client_id, run.changed, _records(OrderStore(state.db), client_id, run.changed))
    lake.append_part("sync_log", client_id, sync.table())
    return dg.MaterializeResult(
        metadata=_invoice_metadata(run, fulfil, client_id, len(events), len(order_ids), api_calls),
        check_results=[_deadline_check(fulfil, client_id), _dead_letter_check(fulfil, client_id, "invoice")],
    )


def _records(store: OrderStore, client_id: str, order_ids) -> dict[str, OrderRecord]:
    found = (store.get(client_id, o) for o in order_ids)
    return {r.order_id: r for r in found if r is not None}


def _invoice_metadata(
    run, fulfil: FulfilmentStore, client_id: str, events: int, orders: int, api_calls
) -> dict:
    letters = fulfil.open_dead_letters(client_id, "invoice")
    uploads = fulfil.uploads(client_id)
    by_status = Counter(u.status for u in uploads)
    rows = [
        {
            "reason": d.reason,
            "check": d.failed_check,
            "order_id": d.order_id,
            "package_id": d.package_id,
            "detail": d.detail,
            "since": d.first_at.strftime("%Y-%m-%d %H:%M"),
            "times": d.occurrences,
        }
        for d in reversed(letters)
    ]
    return {
        "dagster/row_count": run.counts["uploaded"],
        "events": events,
        "orders_read": orders,
        **{k: v for k, v in sorted(run.counts.items())},
        "awaiting_verdict": by_status[UPLOADED] + by_status[PROCESSING] + by_status[UPLOADING],
        "accepted_total": by_status[SUCCESS],
        "awaiting_correction": by_status[INVALID]
        + sum(1 for u in uploads if u.status == REJECTED and u.xml_sha256 in u.rejected),
        "dead_letters_open": len(letters),
        "dead_letters_by_reason": dict(Counter(d.reason for d in letters)),
        "dead_letters": md(
            markdown_table(
                rows, ["reason", "check", "order_id", "package_id", "detail", "since", "times"], 20, 100
            )
        ),
        "uploaded": md(
            markdown_table(run.sent, ["order_id", "package_id", "invoice", "access_key", "attempt"])
        ),
        "failures": md(markdown_table(run.failures, ["order_id", "package_id", "reason", "detail"], 20, 120)),
        **api_calls,
    }


def _dead_letter_check(fulfil: FulfilmentStore, client_id: str, stage: str) -> dg.AssetCheckResult:
    """Open dead letters of a stage (`invoice`, `shipment`) of the client, whatever run recorded them."""
    letters = fulfil.open_dead_letters(client_id, stage)
    rows = [
        {
            "id": d.id,
            "reason": d.reason,
            "order_id": d.order_id,
            "package_id": d.package_id,
            "since": d.first_at.strftime("%Y-%m-%d %H:%M"),
            "detail": d.detail,
        }
        for d in reversed(letters)
    ]
    return client_check_result(
        f"{stage}_dead_letter_empty",
        client_id,
        passed=not letters,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "open_dead_letters": len(letters),
            "by_reason": dict(Counter(d.reason for d in letters)),
            "dead_letters": md(
                markdown_table(rows, ["id", "reason", "order_id", "package_id", "since", "detail"], 20, 120)
            ),
        },
        description=(
            f"{len(letters)} open {stage} dead letter(s) of {client_id}: `tiktok-pipelines fulfilment status "
            f"{client_id}` (fix it in VTEX / the client options, or `fulfilment resolve` one dealt with by hand)"
            if letters
            else None
        ),
    )


def _deadline_check(fulfil: FulfilmentStore, client_id: str) -> dg.AssetCheckResult:
    """Late: an open dead letter, or an upload still in flight, older than the deadline. (A dead letter
    dealt with by hand is closed with `tiktok-pipelines fulfilment resolve`.)"""
    now = datetime.now(UTC)
    in_flight = fulfil.uploads(client_id, (UPLOADING, UPLOADED, PROCESSING, FAILED))
    late = [u.package_id for u in in_flight if now - u.created_at > INVOICE_DEADLINE]
    late += [
        d.package_id or d.order_id or "?"
        for d in fulfil.open_dead_letters(client_id, "invoice")
        if now - d.first_at > INVOICE_DEADLINE
    ]
    late = sorted(set(late))
    return client_check_result(
        "invoices_within_deadline",
        client_id,
        passed=not late,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"late": len(late), "late_packages_or_orders": ", ".join(late[:20])},
        description=f"{len(late)} NF-es not accepted by TikTok 24 hours on" if late else None,
    )


# ---------------------------------------------------------------- shipments


class ShipmentsConfig(dg.Config):
    scan: bool = Field(
        default=False,
        description="Also refresh the tracking of every shipped package not delivered yet (the schedule's runs).",
    )
    max_packages: int = Field(default=300, description="Most packages one run ships or refreshes.")


class _ShipmentRun(_LaneRun):
    """One `shipments` run for a client: packages shipped, tracking refreshed and passed on."""

    def __init__(self, context, client: Client, state: StateStore, shop, api, sync):
        super().__init__(context, client, state, api, shop, sync)
        self.shipped: list[dict[str, Any]] = []

    def fail(self, shipment: Shipment, reason: str, detail: str) -> None:
        attempts = shipment.attempts
        # A client option missing costs no API call: every run looks again, until someone sets it.
        configuration = reason == SHIPPING_CONFIG
        give_up = not configuration and attempts >= _max_attempts(self.client)
        self.fulfil.save_shipment(
            self.client_id,
            shipment.package_id,
            status=DEAD if give_up else FAILED,
            last_error=detail[:2000],
            next_attempt_at=None
            if configuration
            else datetime.now(UTC) + timedelta(seconds=retry_delay_seconds(attempts)),
        )
        if give_up or reason == SHIPPING_CONFIG:
            self.fulfil.dead_letter(
                self.client_id,
                "shipment",
                reason,
                detail,
                order_id=shipment.order_ids[0] if shipment.order_ids else None,
                package_id=shipment.package_id,
                vtex_order_id=shipment.vtex_order_id,
            )
        self.counts[f"ship_{'dead' if give_up else 'failed'}"] += 1
        self.failures.append({"package_id": shipment.package_id, "reason": reason, "detail": detail})

    def each(self, shipments: list[Shipment], step, reason: str) -> None:
        """`step` on each shipment; an API error is reported and the others go on (not a refused token)."""
        for shipment in shipments:
            try:
                step(shipment)
            except AuthError:
                raise
            except TikTokShopError as exc:
                self.failures.append(
                    {"package_id": shipment.package_id, "reason": reason, "detail": str(exc)}
                )

    def ship_arguments(self, shipment: Shipment) -> dict[str, Any] | str:
        """How the package ships (client options), or why it cannot."""
        record = self.orders.get(self.client_id, shipment.order_ids[0]) if shipment.order_ids else None
        detail = (self.orders.detail(record) if record else None) or {}
        if detail.get("shipping_type") == "SELLER":
            provider = self.client.option("tiktok_shipping_provider_id")
            upload = next(iter(self.fulfil.uploads_of_package(self.client_id, shipment.package_id)), None)
            tracking = upload.vtex_tracking_number if upload else None
            if not provider or not tracking:
                return (
                    "the seller ships this order: it needs the client option tiktok_shipping_provider_id and "
                    "a tracking number on the VTEX invoice"
                )
            return {"self_shipment": {"tracking_number": tracking, "shipping_provider_id": str(provider)}}
        handover = str(self.client.option("tiktok_handover_method", "DROP_OFF")).upper()
        if handover not in HANDOVER_METHODS:
            return f"client option tiktok_handover_method is {handover!r}, not PICKUP or DROP_OFF"
        return {"handover_method": handover}

    def ship(self, shipment: Shipment) -> None:
        if shipment.status == "shipping":
            # An earlier run died during its ship call: TikTok may have taken it.
            package = self.read_package(shipment)
            if package is not None and package.get("package_status") not in ("TO_FULFILL", None):
                self.counts["shipped_before"] += 1
                return
        arguments = self.ship_arguments(shipment)
        if isinstance(arguments, str):
            self.fail(shipment, SHIPPING_CONFIG, arguments)
            return
        shipment = self.fulfil.save_shipment(
            self.client_id,
            shipment.package_id,
            status="shipping",
            attempts=shipment.attempts + 1,
            handover_method=arguments.get("handover_method") or "SELF_SHIPMENT",
        )
        try:
            with self.sync.timed("ship_package", "tiktok", shipment.package_id):
                self.shop.ship_package(shipment.package_id, **arguments)
        except TikTokShopError as exc:
            if isinstance(exc, AuthError):
                raise
            if exc.code != 21011002:  # "not TO_FULFILL": shipped already (an earlier attempt); read it
                self.fail(shipment, SHIP_FAILED, str(exc))
                return
        package = self.read_package(shipment)
        if package is None:
            return
        if package.get("package_status") == "TO_FULFILL":
            self.fail(shipment, SHIP_FAILED, "TikTok still shows the package TO_FULFILL after shipping it")
            return
        self.counts["shipped"] += 1
        self.fulfil.resolve(self.client_id, "shipment", package_id=shipment.package_id)
        self.shipped.append(
            {
                "package_id": shipment.package_id,
                "orders": shipment.order_key,
                "handover": arguments.get("handover_method") or "SELF_SHIPMENT",
                "tracking": package.get("tracking_number"),
                "provider": package.get("shipping_provider_name"),
            }
        )

    def read_package(self, shipment: Shipment) -> dict[str, Any] | None:
        """Reads the package (status, tracking) into its shipment row."""
        with self.sync.timed("get_package", "tiktok", shipment.package_id):
            package = self.shop.get_package(shipment.package_id)
        status = package.get("package_status")
        values: dict[str, Any] = dict(package_status=status)
        if status == "CANCELLED":
            values["status"] = "cancelled"
        elif status != "TO_FULFILL":
            values.update(
                status="shipped",
                tracking_number=package.get("tracking_number") or None,
                shipping_provider=package.get("shipping_provider_name") or None,
                shipping_provider_id=package.get("shipping_provider_id") or None,
                last_error=None,
                next_attempt_at=None,
            )
            if shipment.shipped_at is None:
                values["shipped_at"] = datetime.now(UTC)
        self.fulfil.save_shipment(self.client_id, shipment.package_id, **values)
        return package

    def refresh(self, shipment: Shipment) -> None:
        """The package's status and the carrier's latest tracking event."""
        self.read_package(shipment)
        if not shipment.order_ids:
            return
        with self.sync.timed("get_tracking", "tiktok", shipment.order_ids[0]):
            latest = latest_tracking_event(self.shop.get_tracking(shipment.order_ids[0]))
        if latest is not None:
            self.fulfil.save_shipment(
                self.client_id,
                shipment.package_id,
                tracking_event=str(latest.get("description") or "")[:500],
                tracking_event_at=datetime.fromtimestamp(
                    int(latest.get("update_time_millis") or 0) / 1000, UTC
                ),
            )
        self.counts["tracking_refreshed"] += 1

    def propagate(self, lake: ParquetLake) -> None:
        """A new tracking number goes to the order map, a new lake version of the orders, and VTEX."""
        pending = [
            s
            for s in self.fulfil.shipments(self.client_id, ("shipped",))
            if s.tracking_number
            and (s.order_map_tracking != s.tracking_number or s.vtex_tracking != s.tracking_number)
        ]
        fresh: dict[str, dict[str, Any]] = {}
        to_map = [s for s in pending if s.order_map_tracking != s.tracking_number]
        order_ids = [o for s in to_map for o in s.order_ids]
        for start in range(0, len(order_ids), 50):
            chunk = order_ids[start : start + 50]
            try:
                with self.sync.timed("get_orders", "tiktok", ",".join(chunk)[:200]):
                    fresh.update({str(o["id"]): o for o in self.shop.get_orders(chunk)})
            except TikTokShopError as exc:
                if isinstance(exc, AuthError):
                    raise
                self.context.log.warning("order details for %d orders failed: %s", len(chunk), exc)
        lake_details: dict[str, dict[str, Any]] = {}
        for shipment in to_map:
            for order_id in shipment.order_ids:
                self.orders.update(
                    self.client_id,
                    order_id,
                    tracking_number=shipment.tracking_number,
                    shipping_provider=shipment.shipping_provider,
                )
                detail = fresh.get(order_id)
                if detail is not None:
                    self.orders.save_detail(self.client_id, detail)
                else:
                    record = self.orders.get(self.client_id, order_id)
                    detail = self.orders.detail(record) if record else None
                if detail is not None:
                    # TikTok's order detail can lag behind the package; the lake row carries the package's.
                    lake_details[order_id] = {**detail, "tracking_number": shipment.tracking_number}
            self.fulfil.save_shipment(
                self.client_id, shipment.package_id, order_map_tracking=shipment.tracking_number
            )
            self.counts["tracking_to_order_map"] += 1
        write_order_versions(
            lake, self.client_id, lake_details, _records(self.orders, self.client_id, lake_details)
        )
        for shipment in pending:
            if shipment.vtex_tracking == shipment.tracking_number:
                continue
            if not shipment.vtex_order_id or not shipment.invoice_number:
                continue
            try:
                with self.sync.timed("update_invoice_tracking", "vtex", shipment.vtex_order_id):
                    self.api.update_invoice_tracking(
                        shipment.vtex_order_id,
                        shipment.invoice_number,
                        tracking_number=shipment.tracking_number,
                        courier=shipment.shipping_provider,
                        dispatched_at=shipment.shipped_at,
                    )
            except VtexError as exc:
                if isinstance(exc, VtexAuthError):
                    raise
                self.failures.append(
                    {"package_id": shipment.package_id, "reason": "vtex_tracking", "detail": str(exc)}
                )
                continue
            self.fulfil.save_shipment(
                self.client_id, shipment.package_id, vtex_tracking=shipment.tracking_number
            )
            self.counts["tracking_to_vtex"] += 1


@dg.asset(
    partitions_def=clients_partitions,
    group_name="fulfilment",
    deps=[invoices],
    kinds={"tiktok", "vtex", "parquet"},
    code_version="1",
    check_specs=[
        client_check(
            "shipment_dead_letter_empty",
            "shipments",
            "No package of the client waits in the dead letter (a missing shipping option, a ship call "
            "given up): `tiktok-pipelines fulfilment status`.",
        )
    ],
)
def shipments(
    context: dg.AssetExecutionContext,
    config: ShipmentsConfig,
    state: StateStore,
    tiktok: TikTokShop,
    vtex: Vtex,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    """Packages shipped on TikTok Shop once their NF-e was accepted (webhook 36 SUCCESS): handover method
    (PICKUP / DROP_OFF) from the client option `tiktok_handover_method`, or the seller's own carrier
    (`tiktok_shipping_provider_id` and the VTEX invoice's tracking number) for seller-shipped orders; each
    package once, an interrupted attempt read back before shipping again. The tracking number then goes to
    the order map, to a new version of the `orders` lake rows, and to the VTEX invoice; package moves
    (webhook 4, or a scan) refresh the package status and the carrier's latest tracking event."""
    client_id = context.partition_key
    client = state.registry.get(client_id)
    log, fulfil = EventLog(state.db), FulfilmentStore(state.db)
    sync = SyncLog(client_id, LANE)
    events = [e for e in log.pending(client_id, LANE) if e.action in SHIPMENT_ACTIONS]
    now = datetime.now(UTC)
    with tiktok.shop(client_id, logger=context.log) as shop, vtex.client_for(client) as api:
        run = _ShipmentRun(context, client, state, shop, api, sync)
        for upload in fulfil.unshipped_successes(client_id):
            fulfil.save_shipment(
                client_id,
                upload.package_id,
                order_key=upload.order_key,
                vtex_order_id=upload.vtex_order_id,
                invoice_number=upload.invoice_number,
                status="to_ship",
            )
        to_ship = [
            s
            for s in fulfil.shipments(client_id, ("to_ship", "shipping", FAILED))
            if s.next_attempt_at is None or s.next_attempt_at <= now
        ][: config.max_packages]
        run.each(to_ship, run.ship, "ship")
        named = {k for e in events for k in e.key_list}
        refresh = [
            s
            for s in fulfil.shipments(client_id, ("shipped",))
            if s.package_id in named or (config.scan and s.package_status not in ("COMPLETED", "CANCELLED"))
        ][: config.max_packages]
        shipped_now = {row["package_id"] for row in run.shipped}
        run.each([s for s in refresh if s.package_id not in shipped_now], run.refresh, "refresh")
        run.propagate(lake)
        api_calls = {**shop.stats.as_metadata(), **{f"vtex_{k}": v for k, v in sorted(api.stats.items())}}
    log.mark([e.id for e in events], "handled")
    lake.append_part("sync_log", client_id, sync.table())
    all_shipments = fulfil.shipments(client_id)
    letters = fulfil.open_dead_letters(client_id, "shipment")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": run.counts["shipped"],
            "events": len(events),
            **{k: v for k, v in sorted(run.counts.items())},
            "packages_by_status": dict(Counter(s.status for s in all_shipments)),
            "dead_letters_open": len(letters),
            "shipped": md(
                markdown_table(run.shipped, ["package_id", "orders", "handover", "tracking", "provider"])
            ),
            "failures": md(markdown_table(run.failures, ["package_id", "reason", "detail"], 20, 120)),
            **api_calls,
        },
        check_results=[_dead_letter_check(fulfil, client_id, "shipment")],
    )
