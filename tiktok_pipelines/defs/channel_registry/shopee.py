"""Shopee as the definitions carry it: its assets' kind, its pushes (the queue finds their client by the
shop id of its grant), its order search every 5 minutes (Shopee disables an app's pushes when too few
succeed and never sends the missed ones again), its grants renewed per channel, and what each of its
assets does on Shopee."""

from tiktok_pipelines.channels.shopee.channel import capabilities
from tiktok_pipelines.channels.shopee.notifications import ShopeeNotifications
from tiktok_pipelines.defs.channel_registry.declared import ChannelEvents, DeclaredChannel
from tiktok_pipelines.stores.channel_tokens import client_of_shop

DESCRIPTIONS = {
    "tokens": """
    Every client's Shopee grant kept valid: access tokens (4 hours) renewed within the channel's
    renewal window, so the 30-day single-use refresh token of an idle shop never lapses; the end of each
    seller's consent (at most 365 days, `get_shop_info`) kept and told once per date within 7 days. A
    renewal Shopee refuses (by its `error` string) marks the client as needing authorization on Shopee
    only, and tells it once.""",
    "brands": """
    The Shopee brand of every brand in the feed, looked up by name ignoring case and accents (brands
    are registered with Shopee by the seller: one it does not have is listed here, and its products go
    without a brand where their category allows it). Kept in Shopee's brand map.""",
    "categories": """
    Shopee's category tree and the client's mapping to its leaves, with the same review as TikTok's
    (Shopee recommends nothing: suggestions come from a text match and wait to be accepted); each leaf's
    attributes and whether it requires a brand, cached.""",
    "listings": """
    The client's products on Shopee, by the same publication as TikTok's: items with tier variations
    and a model per variant, checked against the leaf's attributes and brand rule before any call, images
    uploaded as bytes once per content, the logistics channels of the client's `shipping_channels`; edits
    send the fields that changed; a product gone from the feed is unlisted. Price and stock are set at
    creation, then left to the stock and price sync.""",
    "stock_price_state": """
    What Shopee actually shows for the client's listed models (stock and price of each, from the
    shop's items and their models), taken as the confirmed state: where it differs from what the sync
    believed, the model is pushed again. Part of the nightly full reconcile, between the VTEX reads and
    the pushes.""",
    "inventory": """
    Stock on Shopee from the same VTEX read as the other channels' (one read per SKU for every
    channel): every model whose quantity differs from what Shopee last confirmed, by the client's rules
    (buffer, floor, maximum; one stock per model, Shopee's warehouses not used), one `update_stock` per
    item with its changed models (50 a call). A model Shopee refuses (its `failure_list`) costs that
    model alone: retried next run, then dead-lettered. Every push goes to `stock_history`.""",
    "prices": """
    Prices on Shopee from the same VTEX read: every model whose price differs from what Shopee
    confirmed, one `update_price` per item with its changed models (50 a call), behind the price-drop
    guard. A model Shopee refuses (a price locked by a promotion) costs that model alone: retried next
    run, then dead-lettered. Every push goes to `price_history`.""",
    "orders": """
    Order details from Shopee for every order a push named and, in polling runs, every order Shopee
    changed since the last poll (`get_order_list` by update time, in 15-day windows): the safety net for
    pushes missed while Shopee had them disabled. Kept encrypted in Shopee's order map; new versions in
    the lake's `orders` and `order_lines` with `channel` = `shopee`.""",
    "invoices": """
    NF-e invoices of the client's Shopee orders, from VTEX to Shopee (orders in INVOICE_PENDING): the
    same checks as for TikTok, then the XML uploaded once per order; Shopee answers the upload at once,
    which is its verdict (taken: the order may ship; refused: the dead letter, with Shopee's reason).""",
    "shipments": """
    Shopee orders shipped once their NF-e was taken: shipping arranged as Shopee asks for the order's
    logistics channel (a pickup slot, or the seller's tracking number), each once; the tracking number to
    the order map, the lake and the VTEX invoice.""",
}

SHOPEE = DeclaredChannel(
    capabilities(),
    kind="shopee",
    events=ChannelEvents(ShopeeNotifications(), "Shopee", find_client=client_of_shop, poll_minutes=5),
    descriptions=DESCRIPTIONS,
    shared_renewal=True,
)
