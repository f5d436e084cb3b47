"""TikTok orders into VTEX: order details from TikTok, then VTEX orders placed exactly once.

Runs come from `webhook_queue_sensor` (orders named by webhooks) and from `order_polling_schedule`
(every order TikTok changed since the last poll, so a lost webhook is caught). Both only flag orders in
the order map; each run then works through every flagged order, so runs can overlap in what they were
asked for without doing anything twice.
"""

import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg
import pyarrow as pa
from pydantic import Field

from tiktok_pipelines.channels.tiktok_shop.client import TikTokShopError
from tiktok_pipelines.core.events import InboundEvent
from tiktok_pipelines.core.orders import (
    CANCELLATION_DONE,
    OrderMappingError,
    OrderOptions,
    line_rows,
    marketplace_order,
    order_row,
    placement_decision,
    vtex_items,
)
from tiktok_pipelines.core.sku_ids import SkuIdMap, sku_id_map
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.core.tables import ORDER_LINES, ORDERS
from tiktok_pipelines.defs.checks import client_check, client_check_result
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import ParquetLake
from tiktok_pipelines.defs.resources.tiktok_shop import TikTokShop
from tiktok_pipelines.defs.resources.vtex import Vtex
from tiktok_pipelines.partitions import clients_partitions
from tiktok_pipelines.stores.events import EventLog
from tiktok_pipelines.stores.orders import ClaimLost, OrderRecord, OrderStore
from tiktok_pipelines.stores.registry import InvalidClientError
from tiktok_pipelines.vtex.client import VtexError, VtexNotFoundError

POLL_CURSOR = "orders_poll_update_time"
RETURNS_CURSOR = "returns_poll_update_time"
# TikTok-side reasons need a fresh order detail; `vtex_status` only rewrites the lake row.
TIKTOK_REASONS = {
    "order_status",
    "address_update",
    "cancellation",
    "return",
    "poll",
    "vtex_cancel",
    "reprocess",
}
VTEX_FINAL = ("invoiced", "canceled")


class OrdersConfig(dg.Config):
    poll: bool = Field(
        default=False, description="Also search TikTok for orders changed since the last poll."
    )
    overlap_minutes: int = Field(default=15, description="How far each poll reaches back before its cursor.")
    first_poll_hours: int = Field(default=72, description="How far the first poll of a client reaches back.")
    max_orders: int = Field(default=2000, description="Most orders one run works on (the rest wait).")


def write_order_versions(
    lake: ParquetLake, client_id: str, orders: dict[str, dict], records: dict[str, OrderRecord]
) -> int:
    now = datetime.now(UTC)
    rows, lines = [], []
    for order_id, detail in orders.items():
        record = records.get(order_id)
        rows.append(
            order_row(
                client_id,
                detail,
                record.vtex_order_id if record else None,
                record.vtex_status if record else None,
                now,
            )
        )
        lines.extend(line_rows(client_id, detail, now))
    lake.append_part("orders", client_id, pa.Table.from_pylist(rows, schema=ORDERS))
    lake.append_part("order_lines", client_id, pa.Table.from_pylist(lines, schema=ORDER_LINES))
    return len(rows)


@dg.asset(
    partitions_def=clients_partitions,
    group_name="orders",
    kinds={"tiktok", "parquet"},
    code_version="1",
)
def tiktok_orders(
    context: dg.AssetExecutionContext,
    config: OrdersConfig,
    state: StateStore,
    tiktok: TikTokShop,
    lake: ParquetLake,
) -> dg.MaterializeResult:
    """Order details from TikTok for every order a webhook named (status, address, cancellation, return)
    and, in polling runs, every order TikTok changed since the last poll (with an overlapping window).
    Details are kept encrypted in the order map; the `orders` and `order_lines` lake tables get a new
    version of each order (no personal data)."""
    client_id = context.partition_key
    store, log = OrderStore(state.db), EventLog(state.db)
    sync = SyncLog(client_id, "orders")
    events = log.pending(client_id, "orders")
    polled = new_from_poll = 0
    with tiktok.shop(client_id, logger=context.log) as shop:
        # What the webhooks said that the order detail does not (the cancellation's own status).
        for entry in events:
            data = (
                InboundEvent(
                    entry.source,
                    entry.event_id,
                    entry.event_type,
                    entry.routing_key,
                    entry.received_at,
                    entry.body,
                )
                .payload()
                .get("data")
                or {}
            )
            if entry.action == "cancellation" and data.get("order_id"):
                store.update(client_id, str(data["order_id"]), cancel_status=data.get("cancel_status"))
        if config.poll:
            now = int(time.time())
            since = store.cursor(client_id, POLL_CURSOR)
            start = (
                int(since) if since else now - config.first_poll_hours * 3600
            ) - config.overlap_minutes * 60
            found: dict[str, int] = {}
            with sync.timed("search_orders", "tiktok", f"update_time>={start}"):
                for order in shop.iter_orders(update_time_ge=start, update_time_lt=now + 1):
                    found[str(order["id"])] = int(order.get("update_time") or 0)
            # Only what changed since the detail we hold: the overlap makes every poll see some twice.
            fresh = []
            for order_id, update_time in found.items():
                known = store.get(client_id, order_id)
                if known is None or not known.detail_enc or (known.tiktok_update_time or 0) < update_time:
                    fresh.append(order_id)
            new_from_poll = store.mark_for_sync(client_id, fresh, "poll")
            polled = len(found)
            store.set_cursor(client_id, POLL_CURSOR, str(now))
            # Returns change without an order status change: poll them too.
            rstart_raw = store.cursor(client_id, RETURNS_CURSOR)
            rstart = (
                int(rstart_raw) if rstart_raw else now - config.first_poll_hours * 3600
            ) - config.overlap_minutes * 60
            with sync.timed("search_returns", "tiktok", f"update_time>={rstart}"):
                for ret in shop.iter_returns(update_time_ge=rstart, update_time_lt=now + 1):
                    store.save_return(client_id, ret)
                    store.mark_for_sync(client_id, [str(ret.get("order_id"))], "return")
            store.set_cursor(client_id, RETURNS_CURSOR, str(now))
        pending = store.needing_sync(client_id, limit=config.max_orders)
        to_fetch = [r.order_id for r in pending if r.reasons & TIKTOK_REASONS or not r.detail_enc]
        details: dict[str, dict] = {}
        for start in range(0, len(to_fetch), 50):
            chunk = to_fetch[start : start + 50]
            try:
                with sync.timed("get_orders", "tiktok", ",".join(chunk)[:200]):
                    for order in shop.get_orders(chunk):
                        details[str(order["id"])] = order
            except TikTokShopError as exc:
                context.log.warning("order details for %d orders failed: %s", len(chunk), exc)
        for order_id in to_fetch:
            if order_id in details:
                store.save_detail(client_id, details[order_id])
            else:
                store.update(client_id, order_id, last_error="TikTok returned no detail for this order")
        returns_for = [r.order_id for r in pending if "return" in r.reasons]
        for order_id in returns_for:
            with sync.timed("search_returns", "tiktok", order_id):
                for ret in shop.iter_returns(order_ids=[order_id]):
                    store.save_return(client_id, ret)
        api_calls = shop.stats.as_metadata()
    records = {r.order_id: r for r in store.all(client_id) if r.order_id in details}
    written = write_order_versions(lake, client_id, details, records)
    log.mark([e.id for e in events], "handled")
    lake.append_part("sync_log", client_id, sync.table())
    preview = [
        {
            "order_id": o["id"],
            "status": o.get("status"),
            "lines": len(o.get("line_items") or []),
            "total": (o.get("payment") or {}).get("total_amount"),
        }
        for o in details.values()
    ]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": written,
            "webhook_events": len(events),
            "polled_orders": polled,
            "new_from_poll": new_from_poll,
            "orders_fetched": len(details),
            "orders_waiting": len(pending),
            **api_calls,
            "preview": md(markdown_table(preview, ["order_id", "status", "lines", "total"])),
        }
    )


def _place(
    api,
    store: OrderStore,
    sync: SyncLog,
    client,
    record: OrderRecord,
    detail: dict,
    run: "_Run",
    log: EventLog,
) -> str:
    """Places a paid order in VTEX and authorizes it, once; returns what happened."""
    client_id, order_id = client.client_id, record.order_id
    expected_id = api.order_id_for(order_id)
    before = store.claim_placement(client_id, order_id, run.owner, run.lease_seconds)
    if before is not None and before.placed:
        vtex_order_id = before.vtex_order_id or expected_id
    else:
        existing = None
        if before is not None and (before.state in ("placing", "failed") or before.attempts > 0):
            # An earlier attempt may have reached VTEX before the run died: look before placing.
            with sync.timed("find_order", "vtex", expected_id):
                existing = api.find_order(expected_id)
        if existing is not None:
            vtex_order_id, vtex_status = expected_id, existing.get("status")
        else:
            lines = [(sku, qty) for sku, qty, _ in vtex_items(detail, run.sku_ids)]
            postal = (detail.get("recipient_address") or {}).get("postal_code")
            with sync.timed("simulate", "vtex", order_id):
                simulation = api.simulate(lines, postal_code=postal)
            mko = marketplace_order(detail, simulation, run.options, run.sku_ids)
            with sync.timed("place_order", "vtex", order_id):
                placed = api.place_order(mko)
            vtex_order_id, vtex_status = placed.order_id, (placed.raw or {}).get("status")
        store.update(
            client_id,
            order_id,
            state="placed",
            vtex_order_id=vtex_order_id,
            vtex_status=vtex_status or "order-accepted",
            placed_at=datetime.now(UTC),
            last_error=None,
        )
        # The seed's internal event 99: the TikTok order now has a VTEX order.
        log.record(
            InboundEvent(
                "internal",
                f"vtex-order-created:{client_id}:{order_id}",
                "99",
                client_id,
                datetime.now(UTC),
                f'{{"order_id":"{order_id}","vtex_order_id":"{vtex_order_id}"}}',
            ),
            client_id,
            None,
            "vtex_order_created",
            (order_id,),
            "handled",
        )
    current = store.get(client_id, order_id)
    if current is not None and current.state != "authorized":
        with sync.timed("authorize_dispatch", "vtex", vtex_order_id):
            api.authorize_dispatch(vtex_order_id, order_id)
        store.update(client_id, order_id, state="authorized", authorized_at=datetime.now(UTC))
        return "placed" if before is None or not before.placed else "authorized"
    return "unchanged"


def _cancel(api, store: OrderStore, sync: SyncLog, record: OrderRecord) -> str:
    client_id, order_id = record.client_id, record.order_id
    if record.state == "cancelled":
        return "cancelled"
    vtex_order_id = record.vtex_order_id
    if not vtex_order_id and record.state in ("placing", "failed") and record.attempts:
        # An interrupted placement may have reached VTEX: an order there must be cancelled too.
        with sync.timed("find_order", "vtex", order_id):
            found = api.find_order(api.order_id_for(order_id))
        if found is not None:
            vtex_order_id = api.order_id_for(order_id)
            store.update(client_id, order_id, vtex_order_id=vtex_order_id, vtex_status=found.get("status"))
    if not vtex_order_id:
        store.update(client_id, order_id, state="not_placed", cancelled_at=datetime.now(UTC))
        return "not_placed"
    try:
        with sync.timed("find_order", "vtex", vtex_order_id):
            current = api.order(vtex_order_id)
    except VtexNotFoundError:
        current = {}
    status = current.get("status")
    if status in ("canceled", "cancel"):
        store.update(
            client_id, order_id, state="cancelled", vtex_status=status, cancelled_at=datetime.now(UTC)
        )
        return "cancelled"
    if status == "invoiced":
        raise OrderMappingError(
            f"TikTok cancelled order {order_id} but VTEX order {vtex_order_id} is invoiced: "
            "it needs a return (Input) invoice in VTEX, not a cancellation"
        )
    with sync.timed("cancel_order", "vtex", vtex_order_id):
        api.cancel_order(
            vtex_order_id, reason=f"Cancelled on TikTok Shop ({record.cancel_status or 'CANCEL'})"
        )
    store.update(
        client_id, order_id, state="cancelled", vtex_status="canceled", cancelled_at=datetime.now(UTC)
    )
    return "cancelled"


class _LazyShop:
    """The TikTok shop client, opened on first use: most runs never need it."""

    def __init__(self, stack: contextlib.ExitStack, tiktok: TikTokShop, client_id: str, log):
        self.stack, self.tiktok, self.client_id, self.log = stack, tiktok, client_id, log
        self._shop = None

    def __call__(self):
        if self._shop is None:
            self._shop = self.stack.enter_context(self.tiktok.shop(self.client_id, logger=self.log))
        return self._shop


def _cancel_on_tiktok(
    api, tiktok_shop, store: OrderStore, sync: SyncLog, record: OrderRecord, client, context
) -> str:
    """The seller cancelled the order in VTEX: cancel it on TikTok too (once VTEX confirms it)."""
    current = api.find_order(record.vtex_order_id) if record.vtex_order_id else None
    if not current or current.get("status") not in ("canceled", "cancel"):
        context.log.info(
            "order %s: VTEX cancellation not confirmed yet (%s)",
            record.order_id,
            current.get("status") if current else "not found",
        )
        return "waiting"
    reason = client.option("tiktok_cancel_reason", "seller_cancel_reason_out_of_stock")
    with sync.timed("cancel_order", "tiktok", record.order_id):
        tiktok_shop().cancel_order(record.order_id, reason)
    store.update(
        record.client_id,
        record.order_id,
        state="cancelled",
        vtex_status=current.get("status"),
        cancelled_at=datetime.now(UTC),
    )
    return "cancelled_on_tiktok"


FAILED_ORDERS_CHECK = "failed_orders_empty"


@dataclass(frozen=True)
class _Run:
    """What one `vtex_orders` run works with: its claim on orders, the client's choices and SKU ids."""

    owner: str  # the run id, the holder of the claims this run takes
    lease_seconds: float
    max_attempts: int
    options: OrderOptions
    sku_ids: SkuIdMap

    @classmethod
    def for_client(cls, run_id: str, client, lake: ParquetLake) -> "_Run":
        try:
            return cls(
                owner=run_id,
                lease_seconds=float(client.option("order_claim_lease_seconds")),
                max_attempts=int(client.option("order_max_attempts")),
                options=OrderOptions.from_client_options(client.options),
                sku_ids=sku_id_map(lake, client.client_id, client.options),
            )
        except (InvalidClientError, ValueError) as exc:
            raise dg.Failure(description=str(exc)) from None


def _failed_orders_check(store: OrderStore, client_id: str) -> dg.AssetCheckResult:
    given_up = store.given_up(client_id)
    rows = [
        {
            "order_id": r.order_id,
            "state": r.state,
            "since": r.updated_at.strftime("%Y-%m-%d %H:%M"),
            "reason": r.last_error,
        }
        for r in given_up
    ]
    return client_check_result(
        FAILED_ORDERS_CHECK,
        client_id,
        passed=not given_up,
        metadata={
            "failed_orders": len(given_up),
            "orders": md(markdown_table(rows, ["order_id", "state", "since", "reason"], limit=20, width=160)),
        },
        description=(
            f"{len(given_up)} TikTok order(s) of {client_id} that no run retries any more: "
            f"`tiktok-pipelines orders list {client_id} --failed`, then `orders reprocess`"
            if given_up
            else None
        ),
    )


def _failure(record: OrderRecord, exc: Exception) -> dict:
    """What an order that failed keeps: its error, and `failed` unless it is in VTEX already."""
    return {"state": record.state if record.placed else "failed", "last_error": str(exc)[:2000]}


def _sync_order(api, store, sync, client, record, detail, run, log, tiktok_shop, context, alerts) -> str:
    """Does what the order needs in VTEX (or on TikTok), under this run's claim; returns the outcome."""
    cancel_done = record.cancel_status in CANCELLATION_DONE
    decision = "cancel" if cancel_done else placement_decision(detail)
    if "vtex_cancel" in record.reasons and decision != "cancel":
        outcome = _cancel_on_tiktok(api, tiktok_shop, store, sync, record, client, context)
    elif decision == "place":
        outcome = _place(api, store, sync, client, record, detail, run, log)
    elif decision == "cancel":
        outcome = _cancel(api, store, sync, record)
    else:
        outcome = "waiting"
    if "address_update" in record.reasons and record.placed:
        store.update(client.client_id, record.order_id, address_updated_at=datetime.now(UTC))
        alerts.append(
            {
                "order_id": record.order_id,
                "vtex_order_id": record.vtex_order_id,
                "alert": "address changed on TikTok after the VTEX order was placed; "
                "VTEX cannot change it through the API, update the shipment by hand",
            }
        )
    store.done_syncing(client.client_id, record.order_id, record.sync_generation)
    return outcome


@dg.asset(
    partitions_def=clients_partitions,
    group_name="orders",
    deps=[tiktok_orders],
    kinds={"vtex"},
    code_version="1",
    check_specs=[
        client_check(
            FAILED_ORDERS_CHECK,
            "vtex_orders",
            "No TikTok order of the client waits for a person: orders VTEX cannot take (no valid CPF, an "
            "address without a city, a SKU without a VTEX id) and orders that failed order_max_attempts "
            "times are listed here until `tiktok-pipelines orders reprocess` sends them again.",
        )
    ],
)
def vtex_orders(
    context: dg.AssetExecutionContext, state: StateStore, vtex: Vtex, tiktok: TikTokShop, lake: ParquetLake
) -> dg.MaterializeResult:
    """VTEX orders for the client's TikTok orders, through the VTEX marketplace protocol: a paid order
    (neither UNPAID nor ON_HOLD) is simulated, placed and authorized for dispatch exactly once, with its
    seller SKUs turned into VTEX SKU ids by the client's `vtex_sku_id_source` (the run claims each order
    in the order map, exclusively and for a lease, before touching it; the placement is recorded before
    the call and confirmed after, and VTEX is looked up again after an interrupted attempt); a cancelled
    order is cancelled in VTEX, and an order the seller cancelled in VTEX is cancelled on TikTok.
    Failures stay flagged and are retried by the next run; orders VTEX cannot take (no CPF, no address)
    are left for a person, and the check `failed_orders_empty` fails while any waits."""
    client_id = context.partition_key
    client = state.registry.get(client_id)
    store, log = OrderStore(state.db), EventLog(state.db)
    sync = SyncLog(client_id, "orders")
    run = _Run.for_client(context.run_id, client, lake)
    outcomes: dict[str, int] = {}
    failures: list[dict] = []
    alerts: list[dict] = []
    changed: dict[str, dict] = {}
    claimed_elsewhere = 0
    with vtex.client_for(client) as api, contextlib.ExitStack() as stack:
        tiktok_shop = _LazyShop(stack, tiktok, client_id, context.log)
        for pending in store.needing_sync(client_id):
            if not pending.detail_enc:
                continue  # tiktok_orders could not fetch it; it stays flagged
            record = store.claim(client_id, pending.order_id, run.owner, run.lease_seconds)
            if record is None:
                # Another run works on it, or finished it since this run listed it.
                claimed_elsewhere += 1
                continue
            try:
                detail = store.detail(record)
                assert detail is not None
                try:
                    outcome = _sync_order(
                        api, store, sync, client, record, detail, run, log, tiktok_shop, context, alerts
                    )
                except ClaimLost as exc:
                    context.log.warning("%s", exc)
                    claimed_elsewhere += 1
                    continue
                except OrderMappingError as exc:
                    outcome = "rejected"
                    store.done_syncing(
                        client_id, record.order_id, record.sync_generation, **_failure(record, exc)
                    )
                    failures.append({"order_id": record.order_id, "reason": str(exc), "retry": "no"})
                except (VtexError, TikTokShopError) as exc:
                    outcome = "failed"
                    retry = record.attempts < run.max_attempts
                    if retry:
                        store.update(client_id, record.order_id, **_failure(record, exc))
                    else:
                        store.done_syncing(
                            client_id, record.order_id, record.sync_generation, **_failure(record, exc)
                        )
                    failures.append(
                        {"order_id": record.order_id, "reason": str(exc), "retry": "yes" if retry else "no"}
                    )
            finally:
                store.release(client_id, record.order_id, run.owner)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            changed[record.order_id] = detail
        api_stats = dict(api.stats)
    records = {r.order_id: r for r in store.all(client_id) if r.order_id in changed}
    write_order_versions(lake, client_id, changed, records)
    lake.append_part("sync_log", client_id, sync.table())
    for alert in alerts:
        context.log.warning("order %s: %s", alert["order_id"], alert["alert"])
    metadata = {
        "dagster/row_count": len(changed),
        **{f"orders_{k}": v for k, v in sorted(outcomes.items())},
        "orders_claimed_by_another_run": claimed_elsewhere,
        "api_calls": len(sync.rows),
        "failures": md(markdown_table(failures, ["order_id", "reason", "retry"], limit=20, width=120)),
        "alerts": md(markdown_table(alerts, ["order_id", "vtex_order_id", "alert"], limit=20, width=120)),
    }
    metadata.update({f"vtex_{k}": v for k, v in sorted(api_stats.items())})
    if failures:
        context.log.warning("%d orders could not be synced, see the `failures` metadata", len(failures))
    return dg.MaterializeResult(metadata=metadata, check_results=[_failed_orders_check(store, client_id)])
