"""Asset keys. A channel's assets carry the channel's name as their key prefix (`tiktok_shop/listings`,
later `mercado_livre/listings`); the source side (the feed, VTEX) and the analytics build have their own
plain keys. Groups are lanes (`core.names.Lane`), so a lane's job selects its group whatever the channel."""

from __future__ import annotations

import dagster as dg

from tiktok_pipelines.core.names import ChannelName


def channel_key(channel: ChannelName, name: str) -> dg.AssetKey:
    """The key of a channel's asset: `<channel>/<name>`."""
    return dg.AssetKey([channel.value, name])


def tiktok_shop_key(name: str) -> dg.AssetKey:
    return channel_key(ChannelName.TIKTOK_SHOP, name)


def shopee_key(name: str) -> dg.AssetKey:
    return channel_key(ChannelName.SHOPEE, name)
