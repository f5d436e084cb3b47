"""The merchant's store front: its product feed (Google Merchant XML, RSS 2.0 or Atom 1.0, as VTEX stores
publish them) and its product images, rendered from the world's catalogs.

Layout (smaller than the API emulators, the same pattern): `writer` renders a catalog as a feed (also
used on its own, to write large feeds for benchmarks); `images` draws the product images; `server` is
the app, with the state it serves (`FeedHost`: feeds by name, their faults and counters) and its control
routes under `/_sandbox/feeds/`, which change the catalog, serve raw bytes or inject faults.
"""

from tiktok_pipelines.sandbox.feeds.images import product_png
from tiktok_pipelines.sandbox.feeds.server import FeedHost, HostedFeed, create_feed_app
from tiktok_pipelines.sandbox.feeds.writer import image_url, iter_feed_chunks, render_feed, write_feed

__all__ = [
    "FeedHost",
    "HostedFeed",
    "create_feed_app",
    "image_url",
    "iter_feed_chunks",
    "product_png",
    "render_feed",
    "write_feed",
]
