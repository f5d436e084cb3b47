"""Shopee (Open Platform API v2): the signing client (`client`), with the check of a push's signature
(`client.push_signature_matches`), and the authorization of a seller's shop (`auth`). The catalog, offer,
order and fulfilment facets, the notifications and the `Channel` composing them come next; no lane or
Dagster definition uses the channel yet."""
