"""What the stock and price runs report: the metadata of each asset and the warnings of the run's log,
from the outcomes of the lane service."""

from __future__ import annotations

from typing import Any

from tiktok_pipelines.channels.base import Capabilities
from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.lanes.stock_price.service import ChannelStateOutcome, PushOutcome, ReadOutcome

# How the state's metadata names what a channel shows (`missing_on_<it>`, the drift table's column).
SHOWN_COLUMN = {ChannelName.TIKTOK_SHOP: "tiktok"}


def read_metadata(outcome: ReadOutcome, log: Any) -> dict[str, Any]:
    """The metadata of `vtex_stock` / `vtex_prices`; logs what the run could not read or store."""
    report, claim, registry = outcome.report, outcome.claim, outcome.registry
    if report.failed:
        log.warning(
            "%d SKUs could not be read from VTEX (kept for the next run): %s",
            len(report.failed),
            "; ".join(f"{k}: {v}" for k, v in list(report.failed.items())[:5]),
        )
    guard = outcome.guard
    if guard.blocked:
        log.error(
            "%d of %d in-stock SKUs would go to zero (%.0f%%, above %.0f%%): nothing stored or pushed. Check "
            "the VTEX warehouses, then run with allow_mass_stockout: true if it is real.",
            guard.going_to_zero,
            guard.in_stock_before,
            guard.share * 100,
            guard.max_share * 100,
        )
    if report.kind == "price" and report.not_found:
        log.warning(
            "%d SKU(s) have no price on trade policy %s: each channel keeps showing its price for them",
            len(report.not_found),
            outcome.client.vtex_trade_policy,
        )
    metadata = {
        "mode": outcome.mode,
        "dagster/row_count": report.read,
        "skus_asked": report.asked,
        "skus_read": report.read,
        "read_failed": len(report.failed),
        "not_found_in_vtex": len(report.not_found),
        "no_vtex_sku_id": len(report.no_vtex_sku_id),
        "to_push": report.to_push,
        "notifications": claim.events,
        "notified_skus_marked": claim.marked,
        "notified_not_listed": len(claim.not_listed),
        **({f"registry_{k}": v for k, v in vars(registry).items()} if registry else {}),
        **{f"vtex_{k}": v for k, v in sorted(outcome.vtex_calls.items())},
        "changes": md(markdown_table(report.changes, ["seller_sku", "shown", "target"], limit=15, width=90)),
    }
    if outcome.snapshot_rows is not None:
        metadata["snapshot_rows"] = outcome.snapshot_rows
    return metadata


def push_metadata(outcome: PushOutcome, channel: Capabilities, log: Any) -> dict[str, Any]:
    """The metadata of `<channel>/inventory` / `<channel>/prices`; logs the SKUs not updated and the held
    drops, naming the channel."""
    report, dead = outcome.report, outcome.dead_letter
    failures = [
        {"seller_sku": sku, "code": code, "error": message, "counts": "yes"}
        for sku, (code, message) in report.refused.items()
    ] + [
        {"seller_sku": sku, "code": code, "error": message, "counts": "no (transient)"}
        for sku, (code, message) in report.transient.items()
    ]
    if failures:
        log.warning("%d SKU(s) not updated on %s, see `failures`", len(failures), channel.display_name)
    metadata = {
        "mode": outcome.mode,
        "dagster/row_count": report.confirmed,
        "products_pushed": report.products,
        "write_calls": report.calls,
        "skus_sent": report.skus_sent,
        "skus_confirmed": report.confirmed,
        "skus_failed": report.failed,
        "dead_letter": len(dead),
        **outcome.calls,
        "failures": md(
            markdown_table(failures, ["seller_sku", "code", "error", "counts"], limit=20, width=100)
        ),
        "dead_letter_skus": md(
            markdown_table(
                (
                    {"seller_sku": r.seller_sku, "attempts": r.attempts, "error": r.error_message}
                    for r in dead
                ),
                ["seller_sku", "attempts", "error"],
                limit=20,
                width=100,
            )
        ),
    }
    if report.kind == "stock":
        metadata["warehouses_repaired"] = report.repaired_warehouses
        return metadata
    held = outcome.held
    metadata["held_price_drops"] = len(held)
    metadata["held"] = md(
        markdown_table(
            ({"seller_sku": r.seller_sku, "reason": r.held} for r in held),
            ["seller_sku", "reason"],
            limit=20,
            width=100,
        )
    )
    if held:
        log.warning(
            "%d price drop(s) on %s wait for `tiktok-pipelines stock-price confirm-price %s --channel %s`",
            len(held),
            channel.display_name,
            outcome.client.client_id,
            channel.name.value,
        )
    return metadata


def state_metadata(outcome: ChannelStateOutcome, channel: Capabilities, log: Any) -> dict[str, Any]:
    """The metadata of `<channel>/stock_price_state`; logs the drift found."""
    report = outcome.report
    if report.stock_drift or report.price_drift:
        log.warning(
            "%s differs from what the sync believed: %d stock, %d price; they are pushed again",
            channel.display_name,
            len(report.stock_drift),
            len(report.price_drift),
        )
    drift = [{"kind": "stock", **d} for d in report.stock_drift] + [
        {"kind": "price", **d} for d in report.price_drift
    ]
    shown = SHOWN_COLUMN.get(channel.name, str(channel.name))
    return {
        "dagster/row_count": report.skus_seen,
        "products": report.products,
        "skus_seen": report.skus_seen,
        "stock_drift": len(report.stock_drift),
        "price_drift": len(report.price_drift),
        f"missing_on_{shown}": len(report.missing_on_channel),
        "warehouses_added": report.new_warehouses,
        **outcome.calls,
        "drift": md(
            markdown_table(
                ({**d, shown: d["shown"]} for d in drift),
                ["kind", "seller_sku", "believed", shown],
                limit=20,
                width=80,
            )
        ),
    }
