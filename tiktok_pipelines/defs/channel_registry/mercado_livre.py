"""Mercado Livre as the definitions carry it: its assets' kind, its notifications (the queue finds their
client by the seller id of its grant), its order search every 10 minutes (it sends a failed notification
again for hours), its grants renewed per channel, and what each of its assets does on Mercado Livre."""

from tiktok_pipelines.channels.mercado_livre.channel import capabilities
from tiktok_pipelines.channels.mercado_livre.notifications import MercadoLivreNotifications
from tiktok_pipelines.defs.channel_registry.declared import ChannelEvents, DeclaredChannel
from tiktok_pipelines.stores.channel_tokens import client_of_seller

DESCRIPTIONS = {
    "tokens": """
    Every client's Mercado Livre grant kept valid: access tokens (6 hours) that end within
    MERCADO_LIVRE_TOKEN_RENEW_BEFORE_MINUTES are renewed through the serialized renewal (refresh tokens
    are single use; the newest pair is always the one kept). A renewal refused with `invalid_grant` marks
    the client as needing authorization on Mercado Livre only, and tells it once.""",
    "brands": """
    The brand of every brand in the feed (or in VTEX) as Mercado Livre takes it: the `BRAND`
    attribute's value, its name with spaces tidied (Mercado Livre has no brand registry to look up).""",
    "categories": """
    Mercado Livre's category tree of the site (cached a week) and the client's mapping to its leaves,
    with the same review flow as TikTok's: unmapped values get Mercado Livre's prediction
    (`domain_discovery`), else a text match, to accept; each leaf's attributes (those `required`) cached.""",
    "listings": """
    The client's products on Mercado Livre: items created (variations by `attribute_combinations`,
    `SELLER_SKU`, pictures by URL, description, the client's listing type), edited with only what changed
    (every variation kept by its id), and closed, never deleted, when their product leaves the feed; mode
    check asks `/items/validate` and changes nothing. The same lane, map and failure rules as TikTok's.""",
    "stock_price_state": """
    What Mercado Livre actually shows for the client's listed items and variations (one quantity
    each and the item's price, from the seller's items), taken as the confirmed state: where it differs
    from what the sync believed, the SKU is pushed again. Part of the nightly full reconcile, between
    the VTEX reads and the pushes.""",
    "inventory": """
    Stock on Mercado Livre from the same VTEX read as TikTok's (one read per SKU for every channel):
    every item or variation whose target differs from what Mercado Livre last confirmed, one item
    update per item carrying its changed variations (each named by its id), the quantity the client's
    rules give (buffer, floor, maximum). Refusals are retried next run, then dead-lettered; every push
    goes to `stock_history`.""",
    "prices": """
    Prices on Mercado Livre from the same VTEX read: one price per item (its variations share it),
    sent when the target differs from what Mercado Livre confirmed, behind the price-drop guard;
    variations of one item asked different prices are refused with the reason. Every push goes to
    `price_history`.""",
    "orders": """
    Order details from Mercado Livre for every order an `orders_v2` notification named (its several
    notifications of one sale flag one order) and, in polling runs, every order changed since the last
    poll (the order search by last update); each read with its shipment's address, kept encrypted in
    the order map, and a new version in the `orders` and `order_lines` lake tables (`channel`
    mercado_livre). A cart's orders stay one VTEX order each, sharing their shipment.""",
    "shipments": """
    The Mercado Envios 2 shipments of the client's Mercado Livre orders placed in VTEX, followed until
    delivered or cancelled (status, tracking number, carrier, latest event; Mercado Livre's carrier takes
    the parcel). Once shipped, the tracking number goes to the order map, to a new version of the
    `orders` lake rows, and to the sale invoice the ERP issued in VTEX for each of the package's orders
    (a cart's orders each have theirs); an order not invoiced in VTEX yet waits for the next run.""",
    "shipping_labels": """
    The Mercado Envios 2 label (PDF) of every package of the client's Mercado Livre orders that waits
    to ship, fetched once and kept in the object store (`labels/mercado_livre/<client>/<shipment>.pdf`)
    for the warehouse; a cart's orders share one shipment and so one label. Mercado Livre's carrier
    collects the parcel: its status and tracking are read from the shipment.""",
}

MERCADO_LIVRE = DeclaredChannel(
    capabilities(),
    kind="mercadolivre",
    events=ChannelEvents(
        MercadoLivreNotifications(), "Mercado Livre", find_client=client_of_seller, poll_minutes=10
    ),
    descriptions=DESCRIPTIONS,
    shared_renewal=True,
)
