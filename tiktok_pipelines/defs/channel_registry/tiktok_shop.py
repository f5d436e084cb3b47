"""TikTok Shop as the definitions carry it: its assets' kind, its notifications (the queue finds their
client by the registry's `tiktok_shop_id`), its order search every 10 minutes (TikTok sends a failed
webhook again for hours), and what each of its assets does on TikTok."""

from tiktok_pipelines.channels.tiktok_shop.channel import capabilities
from tiktok_pipelines.channels.tiktok_shop.notifications import TikTokNotifications
from tiktok_pipelines.defs.channel_registry.declared import ChannelEvents, DeclaredChannel
from tiktok_pipelines.stores.tiktok_auth import TikTokAuthStore

DESCRIPTIONS = {
    "tokens": """
    Every client's TikTok Shop authorization, kept valid: auth codes received by the OAuth callback are
    exchanged for tokens, each grant is associated with its client by shop code (shop id and cipher stored
    encrypted in the registry), and access tokens close to expiry are refreshed. A refused refresh (or a
    refresh token that expired) marks the client as needing authorization on TikTok Shop only, and tells
    it once; a new consent clears it. Each step is in the token log (no secret ever is).""",
    "brands": """
    The TikTok brand of every brand in the feed (or in VTEX when the feed names none): looked up by
    name ignoring case and accents, created when missing, and found again when creation answers "This
    brand name already exists.". Kept in the state DB's brand map, so each brand costs calls once.""",
    "categories": """
    TikTok's category tree (cached a week) and the client's mapping from its categories (VTEX category,
    `g:product_type`, `g:google_product_category`, or a single product) to TikTok leaves. Unmapped category
    values get a suggestion (TikTok's recommendation, else a text match) flagged for review: suggestions
    are not published until accepted with `tiktok-pipelines categories accept`. The rules and required
    attributes of every leaf in use are fetched and cached.""",
    "listings": """
    The client's products on TikTok: created, edited or deleted where the payload (built from the feed,
    VTEX, the brand map, the category mapping and attribute rules, and checked against the leaf's rules
    before any call) differs from the last one pushed; edits send only the parts that changed; price and
    stock are set at creation and then left to the stock and price sync. Images are uploaded as bytes once
    per content. Per-product failures are recorded in the listing map and retried next run; a product
    failing the same way `pause_after_failures` (3) times is paused until it changes. Modes: live, check
    (TikTok's listing check only), sandbox (the client's sandbox shop).""",
    "stock_price_state": """
    What TikTok actually shows for the client's listed SKUs (stock per warehouse and price, from a
    product search of the whole shop), taken as the confirmed state: where it differs from what the sync
    believed TikTok had, the SKU is pushed again. Warehouses TikTok has for a SKU beyond the client's are
    added to its stock target at 0. Part of the nightly full reconcile, between the VTEX reads and the
    pushes.""",
    "inventory": """
    Stock on TikTok: every SKU whose target differs from the quantities TikTok last confirmed, one
    inventory update per product carrying all its changed SKUs with every warehouse of each SKU, paced
    within the shop's rate limit. Accepted SKUs become confirmed; refused ones are recorded and retried
    next run (a warehouse TikTok says is missing is added and sent again at once), and go to the dead
    letter after the client's stock_price_max_attempts refusals. Every push goes to `stock_history`.""",
    "prices": """
    Prices on TikTok: every SKU whose price target differs from what TikTok last confirmed, one price
    update per product with all its changed SKUs. A drop larger than the client's max_price_drop_share
    from the price TikTok shows is held until confirmed (`tiktok-pipelines stock-price confirm-price`). A
    product refused as a whole (a locked price, 12019045) is retried SKU by SKU so one SKU does not hold
    back the others; refusals are retried next run, then dead-lettered. Every push goes to
    `price_history`.""",
    "orders": """
    Order details from TikTok for every order a webhook named (status, address, cancellation, return)
    and, in polling runs, every order TikTok changed since the last poll (with an overlapping window).
    Details are kept encrypted in the order map; the `orders` and `order_lines` lake tables get a new
    version of each order (no personal data).""",
    "invoices": """
    NF-e invoices of the client's TikTok orders, from VTEX to TikTok Shop: for each order VTEX invoiced
    (its invoice callback or order hook, or a scan), the XML embedded in the OMS order (or at its invoice
    URL) is checked (size, UTF-8, well-formed, NFe and protNFe, access key and check digit, totals, buyer
    and amount of the order) and uploaded once per package + order ids and XML; a bad XML is never sent.
    TikTok's verdicts (webhook 36) are recorded: SUCCESS lets `shipments` ship, INVALID waits for a
    corrected NF-e from VTEX. Failures stay in the dead-letter table, shown here with their reason.""",
    "shipments": """
    Packages shipped on TikTok Shop once their NF-e was accepted (webhook 36 SUCCESS): handover method
    (PICKUP / DROP_OFF) from the client option `tiktok_handover_method`, or the seller's own carrier
    (`tiktok_shipping_provider_id` and the VTEX invoice's tracking number) for seller-shipped orders; each
    package once, an interrupted attempt read back before shipping again. The tracking number then goes to
    the order map, to a new version of the `orders` lake rows, and to the VTEX invoice; package moves
    (webhook 4, or a scan) refresh the package status and the carrier's latest tracking event.""",
}

TIKTOK_SHOP = DeclaredChannel(
    capabilities(),
    kind="tiktok",
    events=ChannelEvents(
        TikTokNotifications(),
        "TikTok",
        client_field="tiktok_shop_id",
        poll_minutes=10,
        grants=TikTokAuthStore,
    ),
    descriptions=DESCRIPTIONS,
)
