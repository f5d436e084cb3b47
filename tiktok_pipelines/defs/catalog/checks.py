"""The blocking checks of `feed_diff`: the catalog lane's guards (`lanes.catalog.guards`) as asset checks."""

import dagster as dg

from tiktok_pipelines.defs.checks import client_check, client_check_result
from tiktok_pipelines.lanes.catalog.guards import WARN, GuardResult

FEED_DIFF_CHECKS = [
    client_check(
        "feed_not_empty",
        "feed_diff",
        "The feed has at least one usable item: an empty feed would delete every listing.",
        blocking=True,
    ),
    client_check(
        "shrink_guard",
        "feed_diff",
        "No more than the client's `max_delete_share` (default 20 %) of listed products would be "
        "deleted, unless a data engineer confirmed this snapshot (`tiktok-pipelines catalog confirm-shrink`).",
        blocking=True,
    ),
    client_check(
        "unique_seller_skus",
        "feed_diff",
        "No two items share a seller SKU (ignoring case and spaces): stock, prices and orders "
        "find a SKU by it.",
        blocking=True,
    ),
    client_check(
        "prices_positive",
        "feed_diff",
        "Every price and sale price is above zero. Items that are not are held back; above the "
        "client's `max_bad_price_share` (default 1 %) the feed is taken as broken and nothing is pushed.",
        blocking=True,
    ),
]


def guard_check(guard: GuardResult, client_id: str) -> dg.AssetCheckResult:
    """A guard's outcome as the result of the check of the same name, for the client's partition."""
    return client_check_result(
        guard.name,
        client_id,
        passed=guard.passed,
        severity=dg.AssetCheckSeverity.WARN if guard.severity == WARN else dg.AssetCheckSeverity.ERROR,
        metadata=guard.metadata,
        description=guard.description,
    )
