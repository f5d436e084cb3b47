"""How the catalog's assets call the catalog lane: its stores, a session on the client's shop, and the
lane's failures reported as the asset's."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import dagster as dg

from tiktok_pipelines.channels.base import ChannelSession
from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.automation import lane_asset
from tiktok_pipelines.defs.channels import ChannelResource
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.lanes.catalog.errors import CatalogRunError
from tiktok_pipelines.lanes.catalog.io import CatalogStores, SessionOpener
from tiktok_pipelines.lanes.tokens import NotAuthorizedError

# Every catalog asset: one partition per client, in the catalog group.
catalog_asset = functools.partial(lane_asset, Lane.CATALOG)


def stores_of(state: StateStore, shop: ChannelResource | None = None) -> CatalogStores:
    """The catalog lane's stores, on the channel of `shop` (TikTok Shop's when none)."""
    if shop is None:
        return CatalogStores(state.db)
    return CatalogStores(state.db, shop.capabilities().name.value)


def session_opener(shop: ChannelResource, context: dg.AssetExecutionContext) -> SessionOpener:
    """Opens a session on a client's shop; a client that must authorize first fails the run."""

    @contextmanager
    def open_session(client_id: str) -> Iterator[ChannelSession]:
        try:
            with shop.session(client_id, logger=context.log) as session:
                yield session
        except NotAuthorizedError as exc:
            raise dg.Failure(description=str(exc)) from None

    return open_session


@contextmanager
def lane_failures() -> Iterator[None]:
    """A catalog run the lane stops fails the asset, with the lane's reason and metadata."""
    try:
        yield
    except CatalogRunError as exc:
        raise dg.Failure(description=str(exc), metadata=exc.metadata or None) from None


def preview(rows: Iterable[dict], columns: list[str], limit: int = 10, width: int = 80) -> dg.MetadataValue:
    return md(markdown_table(rows, columns, limit=limit, width=width))
