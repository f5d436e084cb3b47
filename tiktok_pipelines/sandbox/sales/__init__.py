"""A seeded generator of TikTok Shop sales and sync history, written to the lake as the producers do.

For each client (catalog from `sandbox.catalog`, one per client): orders with lines over a span of days
(evening peaks in the shop's time zone, weekends and a promotion day, a popular head of products),
statuses from UNPAID to COMPLETED and CANCELLED, merchant and TikTok discounts, shipping fees; each
batch of orders is one append-only part, and a share of orders is ingested again later with a newer
status (updated versions, as order webhooks bring them). Listings (with later price changes), stock
pushes per warehouse with periods at zero, TikTok's daily product performance (recent days revised),
the sync log with API errors by code, and webhook events in the state DB's event log.

Everything is vectorized (numpy / pyarrow): ten million order lines take seconds, not minutes.

Layout: `config` (what to generate, what was written, the world's odds and shapes), `arrays` (columns
from numpy arrays), `orders` (catalogs, orders and their lines), `history` (stock, listings,
performance, sync log), `lake` (`generate_sales`), `event_log` (`generate_event_log`).
"""

from tiktok_pipelines.sandbox.sales.config import SalesConfig, SalesSummary
from tiktok_pipelines.sandbox.sales.event_log import generate_event_log
from tiktok_pipelines.sandbox.sales.lake import generate_sales

__all__ = ["SalesConfig", "SalesSummary", "generate_event_log", "generate_sales"]
