"""TikTok for Developers (Login Kit, the token endpoint, the Display API): the client creators' data is
read with. Not TikTok Shop: other hosts, another app (`client_key`), other tokens. No Dagster and no
store here (reference: shared/reference/tiktok_creator_api.md)."""
