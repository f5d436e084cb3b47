"""Download settings for product feeds."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from tiktok_pipelines.vtex.feed_download import FeedFetch, fetch_feed, probe_feed


class FeedDownloader(dg.ConfigurableResource):
    """Downloads product feeds conditionally (ETag / Last-Modified), with retries and a size limit."""

    timeout_seconds: float = Field(default=120.0, description="Read timeout of a download.")
    max_bytes: int = Field(default=4 * 1024**3, description="Largest feed accepted.")
    user_agent: str = Field(default="tiktok-pipelines/0.1", description="User-Agent header sent.")
    attempts: int = Field(default=4, description="Attempts on network errors and HTTP 5xx / 429.")
    backoff_initial_seconds: float = Field(default=1.0, description="First wait between attempts (doubles).")

    def fetch(
        self, url: str, dest: Path, etag: str | None = None, last_modified: str | None = None
    ) -> FeedFetch:
        return fetch_feed(
            url,
            dest,
            etag=etag,
            last_modified=last_modified,
            timeout_s=self.timeout_seconds,
            max_bytes=self.max_bytes,
            user_agent=self.user_agent,
            attempts=self.attempts,
        )

    def probe(
        self, url: str, etag: str | None = None, last_modified: str | None = None, dest: Path | None = None
    ) -> FeedFetch:
        """Whether the feed changed: a conditional GET whose body is hashed, and kept in `dest` when given
        (for a sensor that reads what changed)."""
        return probe_feed(
            url,
            dest=dest,
            etag=etag,
            last_modified=last_modified,
            timeout_s=min(self.timeout_seconds, 40.0),  # a sensor tick has 60 s
            max_bytes=self.max_bytes,
            user_agent=self.user_agent,
        )
