"""Mercado Livre as a channel: the API client (`client`) and the authorization of sellers (`auth`),
written from `reference/mercado_livre_api.md`. Its token renewal is serialized per seller in the state DB
by `stores.channel_tokens`, since a refresh token is single use."""
