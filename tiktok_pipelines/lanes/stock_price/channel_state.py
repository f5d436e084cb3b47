"""What the channel actually shows, read back into the sync's state: the drift repair of full runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tiktok_pipelines.channels.base import ChannelSession
from tiktok_pipelines.core.models.offers import decode_target, encode_target
from tiktok_pipelines.core.stock_price import money
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.stores.stock_price import SkuSyncStore

MAX_DRIFT_LISTED = 1000  # drifted SKUs kept in the report per kind


@dataclass
class ChannelStateReport:
    products: int = 0
    skus_seen: int = 0
    # seller_sku, believed (what the sync thought the channel showed), shown (what it shows)
    stock_drift: list[dict[str, Any]] = field(default_factory=list)
    price_drift: list[dict[str, Any]] = field(default_factory=list)
    missing_on_channel: list[str] = field(default_factory=list)
    new_warehouses: int = 0


def read_channel_state(
    session: ChannelSession, store: SkuSyncStore, client_id: str, sync: SyncLog
) -> ChannelStateReport:
    """Reads every product of the shop and takes what the channel shows as the confirmed stock and
    price of each registered SKU. Where that differs from what the sync believed (someone edited it on
    the channel, a lost update, a catalog edit), the SKU's target differs from it again and the next
    push repairs it. The channel shows the price but not the list price: a SKU whose price matches
    keeps its confirmed list price."""
    report = ChannelStateReport()
    stock_rows = {r.channel_sku_id: r for r in store.rows(client_id, "stock")}
    price_rows = {r.channel_sku_id: r for r in store.rows(client_id, "price")}
    stock_seen: dict[str, str] = {}
    price_seen: dict[str, str] = {}
    extra: dict[str, list[str]] = {}
    found: set[str] = set()
    source = session.capabilities.api_name
    with sync.timed("search_products", source, "all"):
        for product in session.listed_offers():
            report.products += 1
            for offer in product.offers:
                srow, prow = stock_rows.get(offer.channel_sku_id), price_rows.get(offer.channel_sku_id)
                if srow is None:
                    continue
                found.add(offer.channel_sku_id)
                report.skus_seen += 1
                shown = dict(offer.quantities)
                target = decode_target(srow.target) or {}
                unknown = sorted(set(shown) - set(target) - set(srow.warehouses))
                if unknown and srow.target is not None:
                    extra[srow.seller_sku] = unknown
                encoded = encode_target(shown)
                if encoded != srow.confirmed:
                    stock_seen[srow.seller_sku] = encoded
                    if srow.confirmed is not None and len(report.stock_drift) < MAX_DRIFT_LISTED:
                        report.stock_drift.append(
                            {"seller_sku": srow.seller_sku, "believed": srow.confirmed, "shown": encoded}
                        )
                if prow is None:
                    continue
                actual = offer.price
                known = decode_target(prow.confirmed)
                target_price = decode_target(prow.target)
                if actual is None:
                    continue
                if known is not None and money(known.get("price")) == actual:
                    continue
                if known is None and target_price is not None and money(target_price.get("price")) == actual:
                    # Never confirmed, and the channel already shows the target price: take the target
                    # as shown.
                    price_seen[prow.seller_sku] = prow.target or ""
                    continue
                price_seen[prow.seller_sku] = encode_target(
                    {"price": str(actual), "list_price": None, "currency": offer.currency}
                )
                if known is not None and len(report.price_drift) < MAX_DRIFT_LISTED:
                    report.price_drift.append(
                        {"seller_sku": prow.seller_sku, "believed": known.get("price"), "shown": str(actual)}
                    )
    report.missing_on_channel = sorted(r.seller_sku for i, r in stock_rows.items() if i not in found)
    if extra:
        store.add_warehouses(client_id, extra)
        report.new_warehouses = len(extra)
    store.confirm(client_id, "stock", stock_seen, source=source)
    store.confirm(client_id, "price", price_seen, source=source)
    return report
