"""Reading what a materialization reported, by asset node name (`feed_diff`, `tiktok_shop__listings`)."""

from __future__ import annotations

import dagster as dg


def materializations(result: dg.ExecuteInProcessResult, asset: str) -> list[dg.AssetMaterialization]:
    """The materializations of `asset` in the run, oldest first."""
    return [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_python_identifier() == asset
    ]


def asset_metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    """The metadata values of `asset`'s last materialization in the run."""
    return {k: v.value for k, v in materializations(result, asset)[-1].metadata.items()}
