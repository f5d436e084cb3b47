"""How the definitions declare a marketplace channel: what its assets are called and tagged, which
resource they take, how the event queue finds its notifications' client, and what each of its assets
does on that channel, in the words the Dagster UI shows."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg

from tiktok_pipelines.channels.base import Capabilities
from tiktok_pipelines.core.events import EventReader
from tiktok_pipelines.core.names import ChannelName, Lane
from tiktok_pipelines.defs.channels import channel_asset
from tiktok_pipelines.defs.keys import channel_key
from tiktok_pipelines.stores.db import StateDB
from tiktok_pipelines.stores.grants import GrantMarks


@dataclass(frozen=True)
class ChannelEvents:
    """How a channel tells of changes: its notifications on the event queue (`reader`, named `said_as`
    in log lines), the client they are for, and how often its orders are searched all the same, the net
    under its notifications (`order_polling_schedule`). The client is found by the registry field
    `client_field` its routing key is (a TikTok shop id), or, for a channel whose accounts the registry
    does not hold, by `find_client` in the grants kept for the channel; `grants` is the store of its
    grants that keeps their "needs authorization" mark (`ChannelTokenStore` of the channel unless given)."""

    reader: EventReader
    said_as: str
    client_field: str | None = None
    find_client: Callable[[StateDB, str], str | None] | None = None
    poll_minutes: int = 10
    grants: Callable[[StateDB], GrantMarks] | None = None


@dataclass(frozen=True)
class DeclaredChannel:
    """One marketplace channel as the areas build its assets (`CHANNELS`): what it is and can do, the
    Dagster kind of its assets (the UI's tag), how it tells of changes, and what each of its assets does
    on it, by asset name, in the words the UI shows."""

    capabilities: Capabilities
    kind: str
    events: ChannelEvents
    descriptions: Mapping[str, str]
    # Its grants are renewed by the shared renewal (`lanes/renewal.py`, the resource's `renew_grants`),
    # as `<channel>/tokens`; TikTok Shop's own token run (its OAuth onboarding) is `tiktok_shop/tokens`.
    shared_renewal: bool = False

    @property
    def name(self) -> ChannelName:
        return self.capabilities.name

    @property
    def resource_key(self) -> str:
        """The key of its Dagster resource: the channel's name."""
        return self.name.value

    def key(self, asset: str) -> dg.AssetKey:
        return channel_key(self.name, asset)

    def description(self, asset: str) -> str:
        try:
            return inspect.cleandoc(self.descriptions[asset])
        except KeyError:
            raise KeyError(f"the declaration of {self.name.value} describes no asset {asset!r}") from None

    def resource(self, context: dg.AssetExecutionContext) -> Any:
        """The run's resource of the channel."""
        return getattr(context.resources, self.resource_key)

    def asset(
        self,
        lane: Lane,
        name: str,
        *,
        kinds: Iterable[str] = (),
        resources: Iterable[str] = (),
        **kwargs: Any,
    ) -> Callable[[Callable], dg.AssetsDefinition]:
        """`channel_asset` of this channel's asset `<channel>/<name>` in `lane`: described by the
        declaration, tagged with the channel's kind and `kinds`, requiring the channel's resource and
        `resources` (a factory's function takes them from `context.resources`)."""
        return channel_asset(
            lane,
            self.name,
            name,
            description=self.description(name),
            kinds={self.kind, *kinds},
            required_resource_keys={self.resource_key, *resources},
            **kwargs,
        )
