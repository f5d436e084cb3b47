"""Shopee (Open Platform API v2) as a channel: the signing client (`client`, with the check of a push's
signature), the authorization of a seller's shop (`auth`), one module per facet of a shop's session
(`listing` / `listings` catalog, `offers` stock and prices, `orders`, `fulfilment` NF-e and shipping) and
the pushes (`notifications`); `channel` composes them into `ShopeeChannel` and `ShopeeSession`."""
