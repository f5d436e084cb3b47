"""Asset checks per client: every check of the project is declared and reported through here.

Assets are partitioned by client, and so is each check (`AssetCheckSpec(partitions_def=...)`, a preview
feature of Dagster 1.13 that its instance and UI support for dynamic partitions): a check's result is
recorded for the client's partition, so with several clients the UI shows each client's state (the
check's partition view, and the asset's "Checks" tab) instead of whichever client ran last. Each result
also names its client in its metadata (`client_id`), for the run's event log. A check that runs on its
own rather than in its asset's step is declared with `client_asset_check`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import dagster as dg

from tiktok_pipelines.partitions import clients_partitions


def client_check(
    name: str, asset: dg.CoercibleToAssetKey, description: str, *, blocking: bool = False
) -> dg.AssetCheckSpec:
    """A check of `asset`, evaluated per client partition."""
    with warnings.catch_warnings():
        # Partitioned checks are a preview feature: chosen knowingly (see above), no warning per check.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(
            name, asset=asset, description=description, blocking=blocking, partitions_def=clients_partitions
        )


def client_asset_check(asset: dg.CoercibleToAssetKey, name: str, description: str, **kwargs: Any):
    """`@dg.asset_check` for a check that runs on its own (not inside its asset's step), per client
    partition like every other check."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.asset_check(
            asset=asset, name=name, description=description, partitions_def=clients_partitions, **kwargs
        )


def client_check_result(
    name: str,
    client_id: str,
    *,
    passed: bool,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
    metadata: Mapping[str, Any] | None = None,
    description: str | None = None,
) -> dg.AssetCheckResult:
    """The result of check `name` for `client_id` (the run's partition)."""
    return dg.AssetCheckResult(
        check_name=name,
        passed=passed,
        severity=severity,
        metadata={"client_id": client_id, **(metadata or {})},
        description=description,
    )
