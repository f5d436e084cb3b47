"""Shopee (Open Platform API v2): the signing client (`client`) and the authorization of a seller's shop
(`auth`). The catalog, offer, order and fulfilment facets, and the `Channel` composing them, come next;
no lane or Dagster definition uses the channel yet."""
