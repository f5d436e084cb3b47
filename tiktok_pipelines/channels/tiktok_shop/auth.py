"""Authorization of TikTok Shop sellers (the `AuthApi` of the channel)."""

from __future__ import annotations


class TikTokAuth:
    """Authorization of TikTok Shop sellers (the `AuthApi` of the channel)."""
