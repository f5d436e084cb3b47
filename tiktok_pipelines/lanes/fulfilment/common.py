"""What both steps of a fulfilment run share: the client, its stores, the VTEX client and the channel
session, the API call log, and the counts and failures a run reports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from tiktok_pipelines.channels.base import ChannelSession
from tiktok_pipelines.core.models.orders import Order
from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.core.synclog import SyncLog
from tiktok_pipelines.stores.db import StateDB
from tiktok_pipelines.stores.fulfilment import FulfilmentStore
from tiktok_pipelines.stores.orders import OrderRecord, OrderStore
from tiktok_pipelines.stores.registry import Client
from tiktok_pipelines.vtex.client import VtexClient

LANE = Lane.FULFILMENT.value


class FulfilmentRun:
    """A step of a fulfilment run for a client: what it works with, and what it reports."""

    def __init__(
        self,
        client: Client,
        db: StateDB,
        api: VtexClient,
        session: ChannelSession,
        sync: SyncLog,
        logger: Any,
    ):
        self.client = client
        self.client_id = client.client_id
        self.orders = OrderStore(db, session.capabilities.name)
        self.fulfil = FulfilmentStore(db, session.capabilities.name)
        self.api = api
        self.session = session
        self.channel = session.capabilities.display_name
        self.channel_api = session.capabilities.api_name
        self.sync = sync
        self.logger = logger
        self.counts: Counter = Counter()
        self.failures: list[dict[str, Any]] = []

    @property
    def max_attempts(self) -> int:
        return int(self.client.option("fulfilment_max_attempts", 5))

    def stored_order(self, record: OrderRecord | None) -> Order | None:
        """The order's detail the order map holds, read through the channel (None: none held)."""
        detail: Mapping[str, Any] | None = self.orders.detail(record) if record else None
        return self.session.order_from_detail(detail) if detail else None

    def api_calls(self) -> dict[str, int]:
        """The calls of the run, the channel's and VTEX's, as metadata."""
        vtex = {f"vtex_{k}": v for k, v in sorted(self.api.stats.items())}
        return {**self.session.call_counts(), **vtex}
