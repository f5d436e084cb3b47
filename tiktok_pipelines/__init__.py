"""tiktok-pipelines: Dagster pipelines that run a VTEX merchant's TikTok Shop."""

import logging

# httpx logs every request URL at INFO and httpcore traces responses at DEBUG; URLs can carry a feed
# token or a shop cipher, so these loggers only speak up for warnings. The project logs its own calls,
# redacted.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)
