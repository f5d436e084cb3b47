"""What a channel's calls can fail with, whatever the marketplace: the lanes catch these, never a
marketplace client's own classes (which derive from them)."""

from __future__ import annotations

from tiktok_pipelines.http import RetryableError


class ChannelError(Exception):
    """A call to a sales channel failed. `code` is the platform's own error code (0 below the envelope)."""

    code: int = 0


class ChannelAuthError(ChannelError):
    """The channel refused the credentials (app, signature, token, scope): nothing item-specific; the
    client may have to authorize again."""


class ChannelRequestError(ChannelError):
    """The request itself is wrong for the platform (path, version, method): a defect or a configuration
    problem, not the item's fault."""


class ChannelNotFoundError(ChannelError):
    """The product, order or package does not exist on the channel (or is not this shop's)."""


class ChannelRefusedError(ChannelError):
    """The channel refused the data of one write (category, attributes, prices, stock...): the item's
    problem, to record against it and retry later or hold."""


class ChannelRetryableError(ChannelError, RetryableError):
    """A rate limit, a server error or no answer, still so after the client's own retries: try later."""
