"""The stock and price sync, VTEX → TikTok, without Dagster: which SKUs to read, reading them from VTEX
into targets, pushing the targets TikTok does not show yet, and reading what TikTok actually shows.

The assets in `assets/stock_price.py` wire these to the resources; the rules live in
`domain/stock_price.py` and the per-SKU state in `state/stock_price.py`.
"""
