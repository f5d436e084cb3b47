"""What every channel's asset shares: a client that has no shop on the channel has nothing to do there, so
its run of the channel's assets is green and says so; so is one whose grant on the channel ended, with
`needs_authorization` in its metadata, until the seller consents again. `ChannelResource` is what the
areas ask of a channel's resource."""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

import dagster as dg

from tiktok_pipelines.channels.base import Capabilities, ChannelSession
from tiktok_pipelines.channels.base.errors import ChannelAuthError
from tiktok_pipelines.channels.base.orders import OrderReader
from tiktok_pipelines.core.names import ChannelName, Lane
from tiktok_pipelines.defs.automation import lane_asset
from tiktok_pipelines.defs.checks import client_check_result
from tiktok_pipelines.defs.keys import channel_key
from tiktok_pipelines.lanes.tokens import NotAuthorizedError


class ChannelResource(Protocol):
    """What a channel's Dagster resource (`defs/resources/<channel>.py`, keyed by the channel's name) gives
    the areas: the channel's capabilities, its order reader (what it says of orders without a session),
    and a session on a client's shop; and why a client has nothing to do there (`shop_missing`: no shop on
    the channel) or must consent again first (`needs_authorization`: its grant ended), each None when
    the client's shop is ready."""

    def capabilities(self) -> Capabilities: ...

    def order_reader(self) -> OrderReader: ...

    def session(self, client_id: str, logger: Any = None) -> AbstractContextManager[ChannelSession]: ...

    def shop_missing(self, client_id: str) -> str | None: ...

    def needs_authorization(self, client_id: str) -> str | None: ...


def on_the_channel_shop(resource_param: str) -> Callable:
    """Decorates a channel asset's function (under `@dg.asset`): when the channel resource passed as
    `resource_param` (or required by that key) says the run's client has no shop on the channel, or that
    the client must authorize the channel again (`needs_authorization`: the notice went out once when the
    grant ended), the asset materializes with the reason as metadata and its checks pass with a warning,
    instead of calling the lane. So does the run that finds the grant ended: when the lane stops and the
    resource now says the client must authorize again (the channel refused the refresh during the run,
    which marked the grant and told it), the run is green like every run after it; what the lane did
    before stays done, and the next run after a new consent goes on from there. A run the lane finished
    although the grant ended on the way keeps its result and says `needs_authorization` too."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def body(context: dg.AssetExecutionContext, *args: Any, **kwargs: Any) -> dg.MaterializeResult:
            resource = kwargs.get(resource_param) or getattr(context.resources, resource_param)
            client_id = context.partition_key
            reason = resource.shop_missing(client_id)
            if reason is not None:
                context.log.info("%s: nothing to do on this channel", reason)
                return _nothing_done(context, "skipped", reason)
            reason = resource.needs_authorization(client_id)
            if reason is None:
                try:
                    result = fn(context, *args, **kwargs)
                except Exception as exc:
                    reason = resource.needs_authorization(client_id) if _from_the_grant(exc) else None
                    if reason is None:
                        raise
                    context.log.warning("the run stopped when the channel ended the grant: %s", exc)
                else:
                    return _ended_on_the_way(context, result, resource.needs_authorization(client_id))
            context.log.warning("%s; nothing is done on this channel until then", reason)
            return _nothing_done(context, "needs_authorization", reason)

        return body

    return decorate


def _from_the_grant(exc: BaseException) -> bool:
    """Whether the failure came from the channel refusing the client's grant (the refresh refused, the
    credentials refused), however the lane reported it: the exception or one it was raised from, or
    while handling, is a `NotAuthorizedError` or a `ChannelAuthError`. Any other failure stays a
    failure, even when the grant ended meanwhile."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, NotAuthorizedError | ChannelAuthError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _ended_on_the_way(context: dg.AssetExecutionContext, result: Any, reason: str | None) -> Any:
    """A run the lane finished although the channel ended the grant on the way (the refusal cost only what
    met it): its own result, with the reason under `needs_authorization` too."""
    if reason is None or not isinstance(result, dg.MaterializeResult):
        return result
    context.log.warning("%s; the channel ended the grant during this run", reason)
    return result._replace(metadata={**(result.metadata or {}), "needs_authorization": reason})


def _nothing_done(context: dg.AssetExecutionContext, label: str, reason: str) -> dg.MaterializeResult:
    """The green run of a client with nothing to do on the channel: the reason under `label` in its
    metadata, and its checks passing with a warning."""
    return dg.MaterializeResult(
        metadata={"dagster/row_count": 0, label: reason},
        check_results=[
            client_check_result(
                spec.name,
                context.partition_key,
                passed=True,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={label: reason},
            )
            for spec in context.assets_def.check_specs
        ],
    )


def channel_asset(lane: Lane, channel: ChannelName, name: str, **kwargs: Any) -> Callable:
    """`lane_asset` for a channel's asset `<channel>/<name>` whose function takes the channel's resource
    (keyed by the channel's name): a client with no shop on the channel gets the green run of
    `on_the_channel_shop`."""

    def decorate(fn: Callable) -> dg.AssetsDefinition:
        return lane_asset(lane, key=channel_key(channel, name), **kwargs)(
            on_the_channel_shop(channel.value)(fn)
        )

    return decorate


def tiktok_shop_asset(lane: Lane, name: str, **kwargs: Any) -> Callable:
    """`channel_asset` of TikTok Shop: `tiktok_shop/<name>`, with the `tiktok_shop` resource."""
    return channel_asset(lane, ChannelName.TIKTOK_SHOP, name, **kwargs)
