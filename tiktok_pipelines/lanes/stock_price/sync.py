"""Reading VTEX into targets, pushing targets to TikTok, and reading back what TikTok shows.

One product is one TikTok call carrying every changed SKU of the product (inventory: with every
warehouse of each SKU). Refusals are per SKU: recorded, retried by later runs, and after the client's
`stock_price_max_attempts` refusals in a row the SKU waits in the dead letter. Failures that are not the
SKU's fault (429s, 5xx and timeouts that outlived the client's retries) are recorded but never count
toward the dead letter, so an outage does not bury healthy SKUs.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tiktok_pipelines.channels.tiktok_shop.client import (
    AuthError,
    NotFoundError,
    RequestError,
    TikTokShopClient,
    ValidationError,
)
from tiktok_pipelines.core.sku_ids import SkuIdMap
from tiktok_pipelines.core.stock_price import (
    StockPriceOptions,
    WarehouseReading,
    actual_stock,
    decode_target,
    encode_target,
    inventory_item,
    missing_warehouses,
    money,
    price_hold,
    price_item,
    price_target,
    stock_target,
    total_quantity,
    warehouse_plan,
)
from tiktok_pipelines.core.synclog import SyncLog, error_code
from tiktok_pipelines.stores.events import EventLog
from tiktok_pipelines.stores.listings import ListedSku
from tiktok_pipelines.stores.registry import Client
from tiktok_pipelines.stores.stock_price import ListedIds, Observation, SkuSyncStore, SyncRow
from tiktok_pipelines.vtex.client import VtexClient

log = logging.getLogger(__name__)

MODES = ("realtime", "incremental", "full")
TARGET = "stock_price"  # the event log's target for VTEX SKU notifications
FLUSH_EVERY = 500  # SKU results held in memory before they are written to the state DB
MISSING = {
    "stock": "SKU not found in VTEX: TikTok gets 0",
    "price": "no usable price in VTEX: TikTok keeps its price",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- which SKUs


def listed_skus(listing: Mapping[str, ListedSku], ids: SkuIdMap) -> dict[str, ListedIds]:
    """The listing map's SKUs with their VTEX SKU id (`domain.sku_ids`: what VTEX enrichment found,
    else the seller SKU itself when the client's feed uses VTEX SKU ids)."""
    return {
        seller_sku: ListedIds(ids.vtex_id(seller_sku), sku.tiktok_product_id, sku.tiktok_sku_id)
        for seller_sku, sku in listing.items()
    }


@dataclass
class ClaimReport:
    """VTEX notifications turned into SKUs to read again."""

    events: int = 0
    marked: int = 0
    not_listed: list[str] = field(default_factory=list)  # VTEX SKU ids no listed SKU has


def kinds_of_notification(body: Mapping[str, Any]) -> set[str]:
    """What a VTEX SKU notification says changed; both when it does not say."""
    kinds = {k for k, flag in (("stock", "StockModified"), ("price", "PriceModified")) if body.get(flag)}
    return kinds or {"stock", "price"}


def claim_events(
    events: EventLog, store: SkuSyncStore, client_id: str, refresh: Callable[[], object] | None = None
) -> ClaimReport:
    """Turns the client's pending VTEX SKU notifications into `dirty` marks (durable, so a run that dies
    later loses nothing) and marks the events handled. SKUs not in the sync registry trigger one
    `refresh` of it (a listing newer than the last run); still unknown, their events are `ignored`."""
    report = ClaimReport()
    pending = events.pending(client_id, TARGET)
    if not pending:
        return report
    wanted: dict[str, set[str]] = defaultdict(set)
    event_skus: dict[int, str] = {}
    for entry in pending:
        try:
            body = json.loads(entry.body)
        except ValueError:
            body = {}
        for vtex_id in entry.key_list:
            wanted[vtex_id] |= kinds_of_notification(body)
            event_skus[entry.id] = vtex_id
    found = store.seller_skus_of(client_id, wanted)
    if refresh is not None and set(wanted) - set(found):
        refresh()
        found = store.seller_skus_of(client_id, wanted)
    marks = {sku: wanted[vtex_id] for vtex_id, skus in found.items() for sku in skus}
    report.marked = store.mark_dirty(client_id, marks)
    report.not_listed = sorted(set(wanted) - set(found))
    unknown = [e.id for e in pending if event_skus.get(e.id) in report.not_listed]
    events.mark([e.id for e in pending if e.id not in set(unknown)], "handled")
    events.mark(unknown, "ignored", "the SKU is not listed on TikTok")
    report.events = len(pending)
    return report


# ---------------------------------------------------------------- VTEX reads


@dataclass
class ReadReport:
    kind: str
    asked: int = 0
    read: int = 0
    to_push: int = 0  # targets that differ from what TikTok confirmed
    not_found: list[str] = field(default_factory=list)
    no_vtex_id: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)  # preview: seller_sku, shown, target
    stockouts: int = 0  # SKUs TikTok shows in stock whose new target is zero
    in_stock_before: int = 0
    observations: list[Observation] = field(default_factory=list)  # to store (see `save`)
    read_at: datetime = field(default_factory=lambda: utcnow())

    @property
    def stockout_share(self) -> float:
        return self.stockouts / self.in_stock_before if self.in_stock_before else 0.0

    def save(self, store: SkuSyncStore, client_id: str, run_id: str) -> int:
        return store.save_observations(client_id, self.kind, self.observations, self.read_at, run_id)

    def add(self, row: SyncRow, observation: Observation, found: bool, sync: SyncLog) -> None:
        """One SKU read: its observation, whether it will be pushed, and its sync log row."""
        self.observations.append(observation)
        self.read += 1
        if observation.target is not None and observation.target != row.confirmed:
            self.to_push += 1
            if len(self.changes) < 50:
                self.changes.append(
                    {"seller_sku": row.seller_sku, "shown": row.confirmed, "target": observation.target}
                )
        if not found:
            self.not_found.append(row.seller_sku)
        sync.add(
            f"read_{self.kind}",
            "vtex",
            row.seller_sku,
            "ok" if found else "skipped",
            MISSING[self.kind] if not found else None,
        )


def _by_vtex_id(rows: Iterable[SyncRow], report: ReadReport) -> dict[str, list[SyncRow]]:
    out: dict[str, list[SyncRow]] = defaultdict(list)
    for row in rows:
        report.asked += 1
        if row.vtex_sku_id:
            out[row.vtex_sku_id].append(row)
        else:
            report.no_vtex_id.append(row.seller_sku)
    return out


def read_stock(
    api: VtexClient,
    store: SkuSyncStore,
    client: Client,
    options: StockPriceOptions,
    rows: Sequence[SyncRow],
    sync: SyncLog,
) -> ReadReport:
    """Reads the SKUs' stock in the VTEX warehouses the client maps to TikTok into targets (stored by
    `report.save`, which a caller may withhold: see the mass stock-out guard)."""
    report = ReadReport("stock")
    plan = warehouse_plan(options, client.vtex_warehouse_ids, client.tiktok_warehouse_ids)
    by_vtex = _by_vtex_id(rows, report)
    result = api.stock_many(list(by_vtex), warehouse_ids=list(plan))
    for vtex_id, skus in by_vtex.items():
        stock = result.values.get(vtex_id)
        error = result.errors.get(vtex_id)
        if stock is None and vtex_id not in result.not_found:
            for row in skus:
                report.failed[row.seller_sku] = str(error)
                sync.add("read_stock", "vtex", row.seller_sku, "failed", error)
            continue
        reading = (
            {}
            if stock is None
            else {w.warehouse_id: WarehouseReading(w.available, w.unlimited) for w in stock.warehouses}
        )
        observed = (
            encode_target({"missing": True})
            if stock is None
            else encode_target({w: [r.available, r.unlimited] for w, r in reading.items()})
        )
        for row in skus:
            warehouses = list(dict.fromkeys([*client.tiktok_warehouse_ids, *row.warehouses]))
            target = stock_target(reading, plan, warehouses, options)
            encoded = encode_target(target)
            # What TikTok shows, or failing that what the sync last meant it to show.
            shown = decode_target(row.confirmed) or decode_target(row.target)
            if shown is not None and total_quantity(shown) > 0:
                report.in_stock_before += 1
                report.stockouts += total_quantity(target) == 0
            report.add(row, Observation(row.seller_sku, observed, encoded), stock is not None, sync)
    return report


def read_prices(
    api: VtexClient,
    store: SkuSyncStore,
    client: Client,
    options: StockPriceOptions,
    rows: Sequence[SyncRow],
    sync: SyncLog,
) -> ReadReport:
    """Reads the SKUs' computed prices on the client's trade policy into targets (`report.save`)."""
    report = ReadReport("price")
    by_vtex = _by_vtex_id(rows, report)
    trade_policy = client.vtex_trade_policy
    result = api.computed_prices_many(list(by_vtex), trade_policy)
    for vtex_id, skus in by_vtex.items():
        computed = result.values.get(vtex_id)
        error = result.errors.get(vtex_id)
        if computed is None and vtex_id not in result.not_found:
            for row in skus:
                report.failed[row.seller_sku] = str(error)
                sync.add("read_price", "vtex", row.seller_sku, "failed", error)
            continue
        target = (
            price_target(computed.selling_price, computed.list_price, options)
            if computed is not None
            else None
        )
        observed = encode_target(
            {"missing": True}
            if computed is None
            else {
                "price": str(computed.selling_price),
                "list_price": str(computed.list_price) if computed.list_price is not None else None,
                "trade_policy": trade_policy,
            }
        )
        encoded = target.encode() if target is not None else None
        for row in skus:
            report.add(row, Observation(row.seller_sku, observed, encoded), target is not None, sync)
    return report


def stock_snapshot(rows: Iterable[SyncRow], plan: Mapping[str, str], client_id: str) -> list[dict[str, Any]]:
    """Rows of the lake's `vtex_stock` table: the last VTEX read of every registered SKU, per warehouse."""
    out = []
    for row in rows:
        observed = decode_target(row.observed) or {}
        if observed.get("missing"):
            continue
        for vtex_wh, (available, unlimited) in sorted(observed.items()):
            out.append(
                {
                    "client_id": client_id,
                    "seller_sku": row.seller_sku,
                    "vtex_sku_id": row.vtex_sku_id,
                    "tiktok_sku_id": row.tiktok_sku_id,
                    "vtex_warehouse_id": vtex_wh,
                    "tiktok_warehouse_id": plan.get(vtex_wh),
                    "available": int(available),
                    "unlimited": bool(unlimited),
                    "read_at": row.observed_at,
                }
            )
    return out


def price_snapshot(rows: Iterable[SyncRow], client_id: str) -> list[dict[str, Any]]:
    """Rows of the lake's `vtex_prices` table: the last VTEX price of every registered SKU and its target."""
    out = []
    for row in rows:
        observed = decode_target(row.observed) or {}
        if not observed or observed.get("missing"):
            continue
        target = decode_target(row.target) or {}
        out.append(
            {
                "client_id": client_id,
                "seller_sku": row.seller_sku,
                "vtex_sku_id": row.vtex_sku_id,
                "tiktok_sku_id": row.tiktok_sku_id,
                "trade_policy": observed.get("trade_policy"),
                "price": money(observed.get("price")),
                "list_price": money(observed.get("list_price")),
                "target_price": money(target.get("price")),
                "target_list_price": money(target.get("list_price")),
                "currency": target.get("currency"),
                "read_at": row.observed_at,
            }
        )
    return out


# ---------------------------------------------------------------- pushes


class SystemicError(Exception):
    """A failure no SKU is to blame for (credentials, a request the API does not understand): the run
    stops and nothing is counted against the SKUs."""


@dataclass
class PushReport:
    kind: str
    products: int = 0  # products with something to push
    calls: int = 0  # write calls made (splits and warehouse repairs included)
    skus_sent: int = 0
    confirmed: int = 0
    refused: dict[str, tuple[str, str]] = field(default_factory=dict)  # the SKU's own fault
    transient: dict[str, tuple[str, str]] = field(default_factory=dict)  # not the SKU's fault
    held: dict[str, str] = field(default_factory=dict)
    repaired_warehouses: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.refused) + len(self.transient)


def _is_refusal(exc: BaseException) -> bool:
    """Whether TikTok refused the data itself (the SKU's fault) rather than failing to answer."""
    return isinstance(exc, ValidationError | NotFoundError)


class _Pusher:
    """Pushes targets, one call per product; subclasses say how a kind is sent and recorded."""

    kind = ""
    operation = ""

    def __init__(
        self,
        shop: TikTokShopClient,
        store: SkuSyncStore,
        client_id: str,
        options: StockPriceOptions,
        trigger: str,
        sync: SyncLog,
    ):
        self.shop = shop
        self.store = store
        self.client_id = client_id
        self.options = options
        self.trigger = trigger
        self.sync = sync
        self.report = PushReport(self.kind)
        self._confirmed: dict[str, str] = {}
        self._refused: dict[str, tuple[str, str]] = {}
        self._transient: dict[str, tuple[str, str]] = {}

    # -- what a subclass defines
    def item(self, row: SyncRow) -> dict[str, Any]:
        raise NotImplementedError

    def send(self, product_id: str, items: list[dict[str, Any]]):
        raise NotImplementedError

    def pushed_values(self, target: dict[str, Any]) -> list[dict[str, Any]]:
        """What one push of a SKU's target sent, as the kind's history rows (one or more)."""
        raise NotImplementedError

    def history(self, row: SyncRow, result: str, code: str | None, message: str | None) -> list[dict]:
        common = {
            "client_id": self.client_id,
            "seller_sku": row.seller_sku,
            "tiktok_sku_id": row.tiktok_sku_id,
            "pushed_at": utcnow(),
            "trigger": self.trigger,
            "result": result,
            "error_code": code,
            "error_message": (message or None) and message[:500],
        }
        return [{**common, **values} for values in self.pushed_values(decode_target(row.target) or {})]

    # -- the loop
    def _groups(self, rows: Iterable[SyncRow]) -> list[tuple[str, list[SyncRow]]]:
        grouped: dict[str, list[SyncRow]] = defaultdict(list)
        for row in rows:
            grouped[row.tiktok_product_id].append(row)
        return sorted(grouped.items())

    def _calls(self, groups: list[tuple[str, list[SyncRow]]]):
        """(product id, rows) → the call's outcome, concurrently within the shop's rate budget."""
        by_product = dict(groups)
        pairs = [(pid, [self.item(r) for r in rows]) for pid, rows in groups]
        self.report.calls += len(pairs)
        self.report.skus_sent += sum(len(items) for _, items in pairs)
        for outcome in self.shop.bulk(lambda pair: self.send(*pair), pairs):
            product_id = outcome.item[0]
            yield product_id, by_product[product_id], outcome

    def _ok(self, row: SyncRow) -> None:
        self._confirmed[row.seller_sku] = row.target or ""
        self.report.history += self.history(row, "ok", None, None)

    def _fail(self, row: SyncRow, exc_or_code, message: str | None = None, refusal: bool = True) -> None:
        if isinstance(exc_or_code, BaseException):
            if isinstance(exc_or_code, AuthError | RequestError):
                raise SystemicError(str(exc_or_code)) from exc_or_code
            code, message = error_code(exc_or_code), str(exc_or_code)
        else:
            code = str(exc_or_code)
        (self._refused if refusal else self._transient)[row.seller_sku] = (code, message or "")
        self.report.history += self.history(row, "failed", code, message)

    def _log_call(self, product_id: str, ok: bool, error: BaseException | str | None = None) -> None:
        self.sync.add(self.operation, "tiktok", product_id, "ok" if ok else "failed", error)

    def flush(self) -> None:
        if self._confirmed:
            self.store.confirm(self.client_id, self.kind, self._confirmed)
            self.report.confirmed += len(self._confirmed)
        if self._refused:
            self.store.record_failures(self.client_id, self.kind, self._refused, count=True)
            self.report.refused.update(self._refused)
        if self._transient:
            self.store.record_failures(self.client_id, self.kind, self._transient, count=False)
            self.report.transient.update(self._transient)
        self._confirmed, self._refused, self._transient = {}, {}, {}

    def _maybe_flush(self) -> None:
        if len(self._confirmed) + len(self._refused) + len(self._transient) >= FLUSH_EVERY:
            self.flush()

    def push(self, rows: Sequence[SyncRow]) -> PushReport:
        try:
            self._push(list(rows))
        finally:
            self.flush()
        return self.report

    def _push(self, rows: list[SyncRow]) -> None:
        raise NotImplementedError


class InventoryPusher(_Pusher):
    kind = "stock"
    operation = "inventory_update"

    def item(self, row: SyncRow) -> dict[str, Any]:
        return inventory_item(row.tiktok_sku_id, decode_target(row.target) or {})

    def send(self, product_id: str, items: list[dict[str, Any]]):
        return self.shop.update_inventory(product_id, items)

    def pushed_values(self, target: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"warehouse_id": wh, "quantity": int(q)} for wh, q in sorted(target.items())]

    def _push(self, rows: list[SyncRow]) -> None:
        groups = self._groups(rows)
        self.report.products = len(groups)
        repair: dict[str, list[str]] = {}
        self._run(groups, repair)
        if repair:
            # TikTok named warehouses of these SKUs the client does not list: add them (at 0) and send
            # again, once, so the SKU is not stuck on 12019028 forever.
            self.flush()
            self.store.add_warehouses(self.client_id, repair)
            self.report.repaired_warehouses += len(repair)
            again = self.store.rows(self.client_id, "stock", list(repair))
            self._run(self._groups(again), None)

    def _run(self, groups, repair: dict[str, list[str]] | None) -> None:
        for product_id, product_rows, outcome in self._calls(groups):
            if not outcome.ok:
                self._log_call(product_id, False, outcome.error)
                for row in product_rows:
                    self._fail(row, outcome.error, refusal=_is_refusal(outcome.error))
                self._maybe_flush()
                continue
            refused = {str(e.detail.get("sku_id")): e for e in outcome.value.errors}
            self._log_call(product_id, not refused, f"{len(refused)} SKU(s) refused" if refused else None)
            for row in product_rows:
                error = refused.get(row.tiktok_sku_id)
                if error is None:
                    self._ok(row)
                    continue
                missing = missing_warehouses(error.detail)
                if repair is not None and missing:
                    repair[row.seller_sku] = missing
                    continue
                self._fail(row, error.code, f"{error.message} {json.dumps(error.detail)[:300]}")
            self._maybe_flush()


class PricePusher(_Pusher):
    kind = "price"
    operation = "price_update"

    def item(self, row: SyncRow) -> dict[str, Any]:
        return price_item(row.tiktok_sku_id, decode_target(row.target) or {})

    def send(self, product_id: str, items: list[dict[str, Any]]):
        return self.shop.update_prices(product_id, items)

    def pushed_values(self, target: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "price": money(target.get("price")),
                "list_price": money(target.get("list_price")),
                "currency": target.get("currency"),
            }
        ]

    def holds(self, rows: Sequence[SyncRow]) -> list[SyncRow]:
        """Applies the price-drop guard: returns the rows that may go, records the ones held."""
        changes: dict[str, str | None] = {}
        free = []
        for row in rows:
            reason = price_hold(
                decode_target(row.target) or {},
                decode_target(row.confirmed),
                decode_target(row.approved),
                self.options.max_price_drop_share,
            )
            if reason:
                self.report.held[row.seller_sku] = reason
            else:
                free.append(row)
            if reason != row.held:
                changes[row.seller_sku] = reason
        if changes:
            self.store.set_held(self.client_id, changes)
        return free

    def _push(self, rows: list[SyncRow]) -> None:
        groups = self._groups(self.holds(rows))
        self.report.products = len(groups)
        singles: list[tuple[str, list[SyncRow]]] = []
        for product_id, product_rows, outcome in self._calls(groups):
            self._log_call(product_id, outcome.ok, outcome.error)
            if outcome.ok:
                for row in product_rows:
                    self._ok(row)
            elif isinstance(outcome.error, ValidationError) and len(product_rows) > 1:
                # One SKU's refusal (a locked price, a bad list price) fails the whole call: send the
                # product's SKUs one by one so the others are not held back with it.
                singles += [(product_id, [row]) for row in product_rows]
            else:
                for row in product_rows:
                    self._fail(row, outcome.error, refusal=_is_refusal(outcome.error))
            self._maybe_flush()
        for product_id, product_rows, outcome in self._calls(singles):
            self._log_call(product_id, outcome.ok, outcome.error)
            for row in product_rows:
                if outcome.ok:
                    self._ok(row)
                else:
                    self._fail(row, outcome.error, refusal=_is_refusal(outcome.error))
            self._maybe_flush()


# ---------------------------------------------------------------- what TikTok shows


@dataclass
class TikTokStateReport:
    products: int = 0
    skus_seen: int = 0
    stock_drift: list[dict[str, Any]] = field(default_factory=list)
    price_drift: list[dict[str, Any]] = field(default_factory=list)
    missing_on_tiktok: list[str] = field(default_factory=list)
    new_warehouses: int = 0


def read_tiktok_state(
    shop: TikTokShopClient, store: SkuSyncStore, client_id: str, sync: SyncLog
) -> TikTokStateReport:
    """Reads every product of the shop (product search) and takes what TikTok shows as the confirmed
    stock and price of each registered SKU. Where that differs from what the sync believed (someone
    edited in Seller Center, a lost update, a catalog edit), the SKU's target differs from it again and
    the next push repairs it. A search shows the price but not the list price: a SKU whose price matches
    keeps its confirmed list price."""
    report = TikTokStateReport()
    stock_rows = {r.tiktok_sku_id: r for r in store.rows(client_id, "stock")}
    price_rows = {r.tiktok_sku_id: r for r in store.rows(client_id, "price")}
    stock_seen: dict[str, str] = {}
    price_seen: dict[str, str] = {}
    extra: dict[str, list[str]] = {}
    found: set[str] = set()
    with sync.timed("search_products", "tiktok", "all"):
        for product in shop.iter_products(page_size=100):
            report.products += 1
            for sku in product.get("skus") or []:
                sku_id = str(sku.get("id"))
                srow, prow = stock_rows.get(sku_id), price_rows.get(sku_id)
                if srow is None:
                    continue
                found.add(sku_id)
                report.skus_seen += 1
                shown = actual_stock(sku)
                target = decode_target(srow.target) or {}
                unknown = sorted(set(shown) - set(target) - set(srow.warehouses))
                if unknown and srow.target is not None:
                    extra[srow.seller_sku] = unknown
                encoded = encode_target(shown)
                if encoded != srow.confirmed:
                    stock_seen[srow.seller_sku] = encoded
                    if srow.confirmed is not None and len(report.stock_drift) < 1000:
                        report.stock_drift.append(
                            {"seller_sku": srow.seller_sku, "believed": srow.confirmed, "tiktok": encoded}
                        )
                if prow is None:
                    continue
                price = sku.get("price") or {}
                actual = shop.listed_price(product, sku)
                known = decode_target(prow.confirmed)
                target_price = decode_target(prow.target)
                if actual is None:
                    continue
                if known is not None and money(known.get("price")) == actual:
                    continue
                if known is None and target_price is not None and money(target_price.get("price")) == actual:
                    # Never confirmed, and TikTok already shows the target price: take the target as shown.
                    price_seen[prow.seller_sku] = prow.target or ""
                    continue
                price_seen[prow.seller_sku] = encode_target(
                    {"price": str(actual), "list_price": None, "currency": price.get("currency")}
                )
                if known is not None and len(report.price_drift) < 1000:
                    report.price_drift.append(
                        {"seller_sku": prow.seller_sku, "believed": known.get("price"), "tiktok": str(actual)}
                    )
    report.missing_on_tiktok = sorted(r.seller_sku for i, r in stock_rows.items() if i not in found)
    if extra:
        store.add_warehouses(client_id, extra)
        report.new_warehouses = len(extra)
    store.confirm(client_id, "stock", stock_seen, source="tiktok")
    store.confirm(client_id, "price", price_seen, source="tiktok")
    return report
