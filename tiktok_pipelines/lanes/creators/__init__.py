"""The creators lane: connect a TikTok creator account (consent → callback → tokens), keep its tokens
valid, sync its profile, videos and video metrics into the lake, disconnect it, and delete everything
of it on demand. No Dagster here: `defs/creators/` and the receiver call these services."""
