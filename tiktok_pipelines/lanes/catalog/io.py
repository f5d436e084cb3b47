"""What the catalog lane reads and writes: the state DB's catalog stores, and the lake and object store
(as the protocols the project's storage satisfies, local or S3)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from tiktok_pipelines.channels.base import ChannelSession
from tiktok_pipelines.lanes.catalog.errors import CatalogRunError
from tiktok_pipelines.stores.catalog import (
    AttributeRuleStore,
    BrandMap,
    CategoryStore,
    ImageStore,
    ShrinkGuardStore,
)
from tiktok_pipelines.stores.db import DEFAULT_CHANNEL, StateDB
from tiktok_pipelines.stores.feeds import FeedSnapshots
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.registry import ClientRegistry

# A session on a client's shop (by client id), opened when the lane needs the channel.
SessionOpener = Callable[[str], AbstractContextManager[ChannelSession]]


class Lake(Protocol):
    """Parquet tables per client (`defs.resources.storage.ParquetLake`)."""

    def read_table(self, table: str, client_id: str, columns: list[str] | None = None) -> pa.Table | None: ...

    def write_table(self, table: str, client_id: str, data: pa.Table) -> None: ...

    def append_part(self, table: str, client_id: str, data: pa.Table) -> str | None: ...

    def writer(
        self, table: str, client_id: str, schema: pa.Schema, **options: Any
    ) -> AbstractContextManager[Any]: ...

    def local_copy(self, table: str, client_id: str) -> AbstractContextManager[Path]: ...


class ObjectStore(Protocol):
    """Named blobs (`defs.resources.storage.ObjectStore`): the raw feed snapshots."""

    def put_file(self, key: str, path: str | Path) -> None: ...

    def uri(self, key: str) -> str: ...

    def local_copy(self, key: str) -> AbstractContextManager[Path]: ...


def feed_table(lake: Lake, client_id: str, columns: list[str] | None = None) -> pa.Table:
    """The client's current `feed_products` table (these columns)."""
    table = lake.read_table("feed_products", client_id, columns=columns)
    if table is None:
        raise CatalogRunError("no feed_products table yet: materialize feed_xml and feed_products first")
    return table


class CatalogStores:
    """The state DB as the catalog lane uses it, for the channel it publishes on (`ChannelName` value): its
    stores, made once (a store holds nothing but the DB and the channel)."""

    def __init__(self, db: StateDB, channel: str = DEFAULT_CHANNEL):
        self.db = db
        self.channel = channel
        self.registry = ClientRegistry(db)
        self.feeds = FeedSnapshots(db)
        self.shrink_guard = ShrinkGuardStore(db)
        self.listings = ListingMap(db, channel)
        self.brands = BrandMap(db, channel)
        self.categories = CategoryStore(db, channel)
        self.attribute_rules = AttributeRuleStore(db, channel)
        self.images = ImageStore(db, channel)
