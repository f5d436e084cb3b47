"""The fulfilment area's checks, evaluated in the step of the asset they check: the dead letters of
invoices and shipments, and the seed's 24-hour deadline for an NF-e."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import dagster as dg

from tiktok_pipelines.defs.checks import client_check_result
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.stores.fulfilment import (
    FAILED,
    PROCESSING,
    UPLOADED,
    UPLOADING,
    FulfilmentStore,
)

# The seed: an NF-e must reach TikTok within 24 hours of the order's confirmation.
INVOICE_DEADLINE = timedelta(hours=24)


def dead_letter_check(fulfil: FulfilmentStore, client_id: str, stage: str) -> dg.AssetCheckResult:
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


def deadline_check(fulfil: FulfilmentStore, client_id: str) -> dg.AssetCheckResult:
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
