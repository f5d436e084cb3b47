"""Pushing targets to the channel: one call per product carrying every changed SKU of the product
(stock: with every warehouse of each SKU), through the channel's `OfferApi`.

Refusals are per SKU: recorded, retried by later runs, and after the client's `stock_price_max_attempts`
refusals in a row the SKU waits in the dead letter. Failures that are not the SKU's fault (429s, 5xx and
timeouts that outlived the channel client's retries) are recorded but never count toward the dead
letter, so an outage does not bury healthy SKUs. Credentials or a request the channel does not
understand stop the push (`SystemicError`) with nothing counted against the SKUs; so does a grant the
channel ended during the run (`NotAuthorizedError`, the refresh refused).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from tiktok_pipelines.channels.base import (
    ChannelAuthError,
    ChannelNotFoundError,
    ChannelRefusedError,
    ChannelRequestError,
    ChannelSession,
    Outcome,
)
from tiktok_pipelines.core.models.offers import (
    PriceTarget,
    PriceUpdate,
    PushResult,
    StockUpdate,
    decode_target,
)
from tiktok_pipelines.core.stock_price import StockPriceOptions, money, price_hold
from tiktok_pipelines.core.synclog import SyncLog, error_code
from tiktok_pipelines.lanes.stock_price.vtex_reads import utcnow
from tiktok_pipelines.lanes.tokens import NotAuthorizedError
from tiktok_pipelines.stores.stock_price import SkuSyncStore, SyncRow

FLUSH_EVERY = 500  # SKU results held in memory before they are written to the state DB


class SystemicError(Exception):
    """A failure no SKU is to blame for (credentials, a grant that ended, a request the API does not
    understand): the run stops and nothing is counted against the SKUs."""


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


def is_refusal(exc: BaseException) -> bool:
    """Whether the channel refused the data itself (the SKU's fault) rather than failing to answer."""
    return isinstance(exc, ChannelRefusedError | ChannelNotFoundError)


Groups = list[tuple[str, list[SyncRow]]]  # (channel product id, its SKUs' rows)


@dataclass(eq=False)
class _Pusher:
    """Pushes targets, one call per product; subclasses say how a kind is sent and recorded."""

    kind: ClassVar[str] = ""
    operation: ClassVar[str] = ""

    session: ChannelSession
    store: SkuSyncStore
    client_id: str
    options: StockPriceOptions
    trigger: str
    sync: SyncLog
    report: PushReport = field(init=False)
    _confirmed: dict[str, str] = field(init=False, default_factory=dict)
    _refused: dict[str, tuple[str, str]] = field(init=False, default_factory=dict)
    _transient: dict[str, tuple[str, str]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.report = PushReport(self.kind)

    # -- what a subclass defines
    def update(self, row: SyncRow) -> Any:
        """The SKU's part of its product's push (a `StockUpdate` or `PriceUpdate`)."""
        raise NotImplementedError

    def send(self, channel_product_id: str, updates: list[Any]) -> PushResult:
        raise NotImplementedError

    def pushed_values(self, target: dict[str, Any]) -> list[dict[str, Any]]:
        """What one push of a SKU's target sent, as the kind's history rows (one or more)."""
        raise NotImplementedError

    def history(self, row: SyncRow, result: str, code: str | None, message: str | None) -> list[dict]:
        common = {
            "client_id": self.client_id,
            "channel": row.channel,
            "seller_sku": row.seller_sku,
            "channel_sku_id": row.channel_sku_id,
            "pushed_at": utcnow(),
            "trigger": self.trigger,
            "result": result,
            "error_code": code,
            "error_message": (message or None) and message[:500],
        }
        return [{**common, **values} for values in self.pushed_values(decode_target(row.target) or {})]

    # -- the loop
    def _groups(self, rows: Iterable[SyncRow]) -> Groups:
        grouped: dict[str, list[SyncRow]] = defaultdict(list)
        for row in rows:
            grouped[row.channel_product_id].append(row)
        return sorted(grouped.items())

    def _calls(self, groups: Groups) -> Iterator[tuple[str, list[SyncRow], Outcome]]:
        """(product id, rows) → the call's outcome, concurrently within the shop's rate budget."""
        by_product = dict(groups)
        pairs = [(pid, [self.update(r) for r in rows]) for pid, rows in groups]
        self.report.calls += len(pairs)
        self.report.skus_sent += sum(len(updates) for _, updates in pairs)
        for outcome in self.session.run_many(lambda pair: self.send(*pair), pairs):
            channel_product_id = outcome.item[0]
            yield channel_product_id, by_product[channel_product_id], outcome

    def _ok(self, row: SyncRow) -> None:
        self._confirmed[row.seller_sku] = row.target or ""
        self.report.history += self.history(row, "ok", None, None)

    def _fail(self, row: SyncRow, exc_or_code, message: str | None = None, refusal: bool = True) -> None:
        if isinstance(exc_or_code, BaseException):
            if isinstance(exc_or_code, ChannelAuthError | ChannelRequestError | NotAuthorizedError):
                raise SystemicError(str(exc_or_code)) from exc_or_code
            code, message = error_code(exc_or_code), str(exc_or_code)
        else:
            code = str(exc_or_code)
        (self._refused if refusal else self._transient)[row.seller_sku] = (code, message or "")
        self.report.history += self.history(row, "failed", code, message)

    def _log_call(self, channel_product_id: str, ok: bool, error: BaseException | str | None = None) -> None:
        self.sync.add(
            self.operation,
            self.session.capabilities.api_name,
            channel_product_id,
            "ok" if ok else "failed",
            error,
        )

    def _settle(
        self,
        channel_product_id: str,
        product_rows: list[SyncRow],
        result: PushResult,
        repair: dict[str, list[str]] | None = None,
    ) -> None:
        """An answered call: the SKUs it refused failed (or, refused for warehouses the push left out,
        wait in `repair` to be sent again with them), the others confirmed."""
        self._log_call(
            channel_product_id, result.ok, f"{len(result.refused)} SKU(s) refused" if result.refused else None
        )
        for row in product_rows:
            refusal = result.refusal(row.channel_sku_id)
            if refusal is None:
                self._ok(row)
            elif repair is not None and refusal.missing_warehouses:
                repair[row.seller_sku] = list(refusal.missing_warehouses)
            else:
                self._fail(row, refusal.code, refusal.message)

    def _failed_call(
        self, channel_product_id: str, product_rows: list[SyncRow], error: BaseException
    ) -> None:
        """A call the channel did not answer with per-SKU results: every SKU of it failed with `error`."""
        self._log_call(channel_product_id, False, error)
        for row in product_rows:
            self._fail(row, error, refusal=is_refusal(error))

    def flush(self) -> None:
        if self._confirmed:
            self.store.confirm(self.client_id, self.kind, self._confirmed)
            self.report.confirmed += len(self._confirmed)
        if self._refused:
            self.store.record_failures(
                self.client_id,
                self.kind,
                self._refused,
                count=True,
                dead_after=self.options.stock_price_max_attempts,
            )
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

    def update(self, row: SyncRow) -> StockUpdate:
        return StockUpdate(row.channel_sku_id, decode_target(row.target) or {})

    def send(self, channel_product_id: str, updates: list[StockUpdate]) -> PushResult:
        return self.session.push_inventory(channel_product_id, updates)

    def pushed_values(self, target: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"channel_warehouse_id": wh, "quantity": int(q)} for wh, q in sorted(target.items())]

    def _push(self, rows: list[SyncRow]) -> None:
        groups = self._groups(rows)
        self.report.products = len(groups)
        repair: dict[str, list[str]] = {}
        self._run(groups, repair)
        if repair:
            # The channel named warehouses of these SKUs the client does not list: add them (at 0) and
            # send again, once, so the SKU is not refused for them forever.
            self.flush()
            self.store.add_warehouses(self.client_id, repair)
            self.report.repaired_warehouses += len(repair)
            again = self.store.rows(self.client_id, "stock", list(repair))
            self._run(self._groups(again), None)

    def _run(self, groups: Groups, repair: dict[str, list[str]] | None) -> None:
        for channel_product_id, product_rows, outcome in self._calls(groups):
            if outcome.ok:
                self._settle(channel_product_id, product_rows, outcome.value, repair)
            else:
                self._failed_call(channel_product_id, product_rows, outcome.error)
            self._maybe_flush()


class PricePusher(_Pusher):
    kind = "price"
    operation = "price_update"

    def update(self, row: SyncRow) -> PriceUpdate:
        return PriceUpdate(row.channel_sku_id, PriceTarget.from_dict(decode_target(row.target) or {}))

    def send(self, channel_product_id: str, updates: list[PriceUpdate]) -> PushResult:
        return self.session.push_prices(channel_product_id, updates)

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
        singles: Groups = []
        for channel_product_id, product_rows, outcome in self._calls(groups):
            if outcome.ok:
                self._settle(channel_product_id, product_rows, outcome.value)
            elif isinstance(outcome.error, ChannelRefusedError) and len(product_rows) > 1:
                # One SKU's refusal (a locked price, a bad list price) fails the whole call: send the
                # product's SKUs one by one so the others are not held back with it.
                self._log_call(channel_product_id, False, outcome.error)
                singles += [(channel_product_id, [row]) for row in product_rows]
            else:
                self._failed_call(channel_product_id, product_rows, outcome.error)
            self._maybe_flush()
        for channel_product_id, product_rows, outcome in self._calls(singles):
            if outcome.ok:
                self._settle(channel_product_id, product_rows, outcome.value)
            else:
                self._failed_call(channel_product_id, product_rows, outcome.error)
            self._maybe_flush()
