"""The stock and price lane, VTEX → a sales channel, without Dagster.

`service.StockPriceLane` is what the assets of `defs/stock_price/` call, once each. Its parts, one
module per step: `skus` (which SKUs: the listed ones, those VTEX notified, the slice a run reads again),
`vtex_reads` (VTEX stock and prices into targets, by the rules of `core.stock_price`), `pushes` (the
targets the channel does not show yet, through its `OfferApi`) and `channel_state` (what the channel
actually shows, read back). The per-SKU state is `stores.stock_price`.
"""
