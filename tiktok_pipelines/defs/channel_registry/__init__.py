"""The marketplace channels the definitions carry, declared once each (one module per channel, see
`declared.DeclaredChannel`). Every area builds its lane's assets for each channel of `CHANNELS`, and
what depends on every channel's asset (`vtex_orders`, the jobs' run config, the event queue's sources)
takes them from here: adding a channel adds its module and its entry below, and no asset declaration."""

from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.defs.channel_registry.declared import ChannelEvents, DeclaredChannel
from tiktok_pipelines.defs.channel_registry.mercado_livre import MERCADO_LIVRE
from tiktok_pipelines.defs.channel_registry.shopee import SHOPEE
from tiktok_pipelines.defs.channel_registry.tiktok_shop import TIKTOK_SHOP

CHANNELS: tuple[DeclaredChannel, ...] = (TIKTOK_SHOP, MERCADO_LIVRE, SHOPEE)


def declared(name: ChannelName | str) -> DeclaredChannel:
    """The declaration of the channel `name`."""
    for channel in CHANNELS:
        if channel.name.value == str(name):
            return channel
    raise KeyError(f"no channel {name!r} is declared: {', '.join(c.name.value for c in CHANNELS)}")


__all__ = [
    "CHANNELS",
    "MERCADO_LIVRE",
    "SHOPEE",
    "TIKTOK_SHOP",
    "ChannelEvents",
    "DeclaredChannel",
    "declared",
]
