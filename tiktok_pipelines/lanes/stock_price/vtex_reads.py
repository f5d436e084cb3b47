"""Reading VTEX into targets: the stock of the SKUs in the VTEX warehouses the client maps to the
channel's, and their computed prices on the client's trade policy, turned into what the channel should
show by the client's rules (`core.stock_price`); and the lake snapshots of the last reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from tiktok_pipelines.channels.base import Capabilities
from tiktok_pipelines.core.models.offers import PriceTarget, decode_target, encode_target
from tiktok_pipelines.core.stock_price import (
    StockPriceOptions,
    WarehouseReading,
    channel_plan,
    money,
    price_target,
    shared_price,
    stock_target,
    total_quantity,
)
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.stores.registry import Client
from tiktok_pipelines.stores.stock_price import Observation, SkuSyncStore, SyncRow
from tiktok_pipelines.vtex.client import BulkResult, VtexClient, VtexNotFoundError

T = TypeVar("T")

MISSING = {
    "stock": "SKU not found in VTEX: the channel gets 0",
    "price": "no usable price in VTEX: the channel keeps its price",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ReadReport:
    kind: str
    asked: int = 0
    read: int = 0
    to_push: int = 0  # targets that differ from what the channel confirmed
    not_found: list[str] = field(default_factory=list)
    no_vtex_sku_id: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)  # preview: seller_sku, shown, target
    stockouts: int = 0  # SKUs the channel shows in stock whose new target is zero
    in_stock_before: int = 0
    observations: list[Observation] = field(default_factory=list)  # to store (see `save`)
    channels: list[str] = field(default_factory=list)  # the channel of each observation
    # SKUs not read whose target changes with a product price their SKUs share: channel → SKU → target
    retargets: dict[str, dict[str, str]] = field(default_factory=dict)
    read_at: datetime = field(default_factory=lambda: utcnow())

    @property
    def stockout_share(self) -> float:
        return self.stockouts / self.in_stock_before if self.in_stock_before else 0.0

    def save(self, stores: Mapping[str, SkuSyncStore], client_id: str, run_id: str) -> int:
        """Stores each observation in the sync state of its SKU's channel (one VTEX read serves every
        channel that lists the SKU)."""
        by_channel: dict[str, list[Observation]] = defaultdict(list)
        for channel, observation in zip(self.channels, self.observations, strict=True):
            by_channel[channel].append(observation)
        for channel, targets in self.retargets.items():
            stores[channel].retarget(client_id, self.kind, targets, run_id)
        return sum(
            stores[channel].save_observations(client_id, self.kind, observations, self.read_at, run_id)
            for channel, observations in by_channel.items()
        )

    def answered(
        self, by_vtex: Mapping[str, list[SyncRow]], result: BulkResult[T], sync: SyncLog
    ) -> Iterator[tuple[list[SyncRow], T | None]]:
        """The SKUs of each VTEX SKU id with what VTEX read for it (None: VTEX does not have it); the
        SKUs whose read failed are recorded as failed instead."""
        for vtex_sku_id, skus in by_vtex.items():
            value = result.values.get(vtex_sku_id)
            error = result.errors.get(vtex_sku_id)
            if value is None and not isinstance(error, VtexNotFoundError):
                for row in skus:
                    self.failed[row.seller_sku] = str(error)
                    sync.add(f"read_{self.kind}", "vtex", row.seller_sku, "failed", error)
                continue
            yield skus, value

    def add(self, row: SyncRow, observation: Observation, found: bool, sync: SyncLog) -> None:
        """One SKU read: its observation, whether it will be pushed, and its sync log row."""
        self.observations.append(observation)
        self.channels.append(row.channel)
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


def _by_vtex_sku_id(rows: Iterable[SyncRow], report: ReadReport) -> dict[str, list[SyncRow]]:
    out: dict[str, list[SyncRow]] = defaultdict(list)
    for row in rows:
        report.asked += 1
        if row.vtex_sku_id:
            out[row.vtex_sku_id].append(row)
        else:
            report.no_vtex_sku_id.append(row.seller_sku)
    return out


@dataclass(frozen=True)
class VtexRead:
    """Reads of VTEX for one client into targets, by the client's rules; each returns its report, whose
    targets `report.save` stores (which a caller may withhold: see the mass stock-out guard)."""

    api: VtexClient
    client: Client
    options: StockPriceOptions
    sync: SyncLog
    # What the lane knows of its channels (stock by warehouse or not, one price per product, the most
    # units shown); a channel not named keeps stock by warehouse, a price per SKU and the client's most.
    capabilities: Mapping[str, Capabilities] = field(default_factory=dict)
    stores: Mapping[str, SkuSyncStore] = field(default_factory=dict)  # read for a product's other SKUs
    _rules: dict[str, StockPriceOptions] = field(default_factory=dict, repr=False)

    def rules(self, channel: str) -> StockPriceOptions:
        """The client's rules on `channel` (its `channel_rules` applied, and the most units the channel
        takes), worked out once per read."""
        if channel not in self._rules:
            capabilities = self.capabilities.get(channel)
            most = capabilities.stock_most if capabilities is not None else None
            self._rules[channel] = self.options.for_channel(channel, most)
        return self._rules[channel]

    def plan(self, channel: str) -> dict[str, str]:
        """Which of the channel's warehouses each VTEX warehouse feeds."""
        capabilities = self.capabilities.get(channel)
        by_warehouse = capabilities is None or capabilities.warehouses
        client = self.client
        return channel_plan(
            self.options, client.vtex_warehouse_ids, client.tiktok_warehouse_ids, by_warehouse
        )

    def stock(self, rows: Sequence[SyncRow]) -> ReadReport:
        """The SKUs' stock in the VTEX warehouses the client maps to each SKU's channel's, read once for
        every channel listing the SKU."""
        client, sync = self.client, self.sync
        report = ReadReport("stock")
        plans = {channel: self.plan(channel) for channel in dict.fromkeys(r.channel for r in rows)}
        by_vtex = _by_vtex_sku_id(rows, report)
        read_from = list(dict.fromkeys(wh for plan in plans.values() for wh in plan))
        result = self.api.stock_many(list(by_vtex), warehouse_ids=read_from)
        for skus, stock in report.answered(by_vtex, result, sync):
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
                warehouses = [*client.tiktok_warehouse_ids, *row.warehouses]
                if row.channel in self.capabilities:
                    warehouses = self.capabilities[row.channel].stock_keys(warehouses)
                else:
                    warehouses = list(dict.fromkeys(warehouses))
                target = stock_target(reading, plans[row.channel], warehouses, self.rules(row.channel))
                encoded = encode_target(target)
                # What the channel shows, or failing that what the sync last meant it to show.
                shown = decode_target(row.confirmed) or decode_target(row.target)
                if shown is not None and total_quantity(shown) > 0:
                    report.in_stock_before += 1
                    report.stockouts += total_quantity(target) == 0
                report.add(row, Observation(row.seller_sku, observed, encoded), stock is not None, sync)
        return report

    def prices(self, rows: Sequence[SyncRow]) -> ReadReport:
        """The SKUs' computed prices on the client's trade policy."""
        report = ReadReport("price")
        by_vtex = _by_vtex_sku_id(rows, report)
        trade_policy = self.client.vtex_trade_policy
        result = self.api.computed_prices_many(list(by_vtex), trade_policy)
        own: dict[tuple[str, str], PriceTarget | None] = {}
        read: list[tuple[SyncRow, str, bool]] = []
        for skus, computed in report.answered(by_vtex, result, self.sync):
            observed = encode_target(
                {"missing": True}
                if computed is None
                else {
                    "price": str(computed.selling_price),
                    "list_price": str(computed.list_price) if computed.list_price is not None else None,
                    "trade_policy": trade_policy,
                }
            )
            for row in skus:
                # Each channel's price by its own rules (`channel_rules`) from the one read.
                own[row.channel, row.seller_sku] = (
                    price_target(computed.selling_price, computed.list_price, self.rules(row.channel))
                    if computed is not None
                    else None
                )
                read.append((row, observed, own[row.channel, row.seller_sku] is not None))
        shared = self._shared_prices([row for row, _, _ in read], own, report)
        for row, observed, found in read:
            target = shared.get((row.channel, row.channel_product_id), own[row.channel, row.seller_sku])
            encoded = target.encode() if target is not None else None
            report.add(row, Observation(row.seller_sku, observed, encoded), found, self.sync)
        return report

    def _own_price(self, row: SyncRow) -> PriceTarget | None:
        """A SKU's price by its last VTEX read (the one stored), before any sharing."""
        observed = decode_target(row.observed) or {}
        options = self.rules(row.channel)
        return price_target(money(observed.get("price")), money(observed.get("list_price")), options)

    def _shared_prices(
        self,
        rows: Sequence[SyncRow],
        own: Mapping[tuple[str, str], PriceTarget | None],
        report: ReadReport,
    ) -> dict[tuple[str, str], PriceTarget | None]:
        """For each product read on a channel that shows one price per product: that price, from the
        SKUs read now and the product's other SKUs' last reads; the others whose target it changes are
        retargeted in `report` (so every SKU of a product wants the one price the product shows)."""
        shared: dict[tuple[str, str], PriceTarget | None] = {}
        for channel in dict.fromkeys(r.channel for r in rows):
            capabilities = self.capabilities.get(channel)
            if capabilities is None or not capabilities.one_price or channel not in self.stores:
                continue
            products = {r.channel_product_id for r in rows if r.channel == channel}
            family = [
                r
                for r in self.stores[channel].rows(self.client.client_id, "price")
                if r.channel_product_id in products
            ]
            targets: dict[str, list[PriceTarget | None]] = defaultdict(list)
            for r in family:
                key = (channel, r.seller_sku)
                targets[r.channel_product_id].append(own[key] if key in own else self._own_price(r))
            for product, candidates in targets.items():
                shared[channel, product] = shared_price(candidates)
            for r in family:
                price = shared[channel, r.channel_product_id]
                if (channel, r.seller_sku) not in own and price is not None and price.encode() != r.target:
                    report.retargets.setdefault(channel, {})[r.seller_sku] = price.encode()
        return shared


def _sku_ids(row: SyncRow, client_id: str) -> dict[str, Any]:
    """The ids a snapshot row of a SKU begins with."""
    return {
        "client_id": client_id,
        "channel": row.channel,
        "seller_sku": row.seller_sku,
        "vtex_sku_id": row.vtex_sku_id,
        "channel_sku_id": row.channel_sku_id,
    }


def stock_snapshot(
    rows: Iterable[SyncRow], plans: Mapping[str, Mapping[str, str]], client_id: str
) -> list[dict[str, Any]]:
    """Rows of the lake's `vtex_stock` table: the last VTEX read of every registered SKU, per warehouse
    (with the warehouse of the SKU's channel it feeds, by `plans` per channel)."""
    out = []
    for row in rows:
        plan = plans.get(row.channel, {})
        observed = decode_target(row.observed) or {}
        if observed.get("missing"):
            continue
        for vtex_wh, (available, unlimited) in sorted(observed.items()):
            out.append(
                {
                    **_sku_ids(row, client_id),
                    "vtex_warehouse_id": vtex_wh,
                    "channel_warehouse_id": plan.get(vtex_wh),
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
                **_sku_ids(row, client_id),
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
