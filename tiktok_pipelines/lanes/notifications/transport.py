"""Delivery through Apprise (https://github.com/caronc/apprise), which speaks email (SMTP), Slack,
Microsoft Teams, Google Chat, Discord, Telegram, WhatsApp providers, plain JSON webhooks and many more by
the scheme of one URL.

A destination's URL carries its credentials, so nothing Apprise says reaches the logs as it is: its log
lines during a delivery are kept aside, stripped of every part of the URL, and become the delivery's
error when it fails.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from urllib.parse import parse_qsl, unquote, urlsplit

import apprise


class DeliveryError(RuntimeError):
    """A message not delivered; the text names no secret of the destination."""


def secret_parts(url: str) -> list[str]:
    """The pieces of a URL that may be credentials: user, password, host, path segments, query values."""
    try:
        parts = urlsplit(url)
        pieces = [parts.username, parts.password, parts.hostname, url, parts.netloc]
    except ValueError:
        return [url]
    pieces += [unquote(p) for p in parts.path.split("/")]
    pieces += [value for _, value in parse_qsl(parts.query)]
    return sorted({p for p in pieces if p and len(p) >= 3}, key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """`text` with every piece of `url` that could be a credential replaced by `***`."""
    for piece in secret_parts(url):
        text = text.replace(piece, "***")
    return text


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def _apprise_logs_kept_aside():
    """Apprise's log lines of the block, collected instead of propagated to the process's handlers."""
    logger = logging.getLogger("apprise")
    handler = _Collect()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def check_url(url: str) -> None:
    """Raises ValueError (naming the scheme only) for a URL Apprise cannot send to."""
    with _apprise_logs_kept_aside():
        ok = apprise.Apprise().add(url)
    if not ok:
        scheme = url.split("://", 1)[0] if "://" in url else "?"
        raise ValueError(
            f"Apprise cannot send to this URL (scheme {scheme!r}): see "
            "https://github.com/caronc/apprise/wiki for the URL of each service"
        )


class AppriseTransport:
    """Sends one message to one destination URL."""

    def send(self, url: str, title: str, body: str) -> None:
        with _apprise_logs_kept_aside() as lines:
            notifier = apprise.Apprise()
            if not notifier.add(url):
                raise DeliveryError(
                    "Apprise cannot send to this destination's URL (unsupported or malformed)"
                )
            try:
                sent = notifier.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT)
            except Exception as exc:  # a plugin's own bug must not stop the sender
                raise DeliveryError(scrub(f"{type(exc).__name__}: {exc}", url)) from None
        if not sent:
            reason = "; ".join(dict.fromkeys(lines)) or "the destination did not accept the message"
            raise DeliveryError(scrub(reason, url)[:1000])
