"""Keeps secrets out of log lines written by libraries (httpx, httpcore, uvicorn).

httpx logs every request URL at INFO and uvicorn logs access lines with query strings; those URLs can
carry a token host's secrets, a shop cipher, an OAuth code or a feed's access token. A filter on those
loggers replaces such query values with `***`.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

_SECRET_QUERY = re.compile(
    r"((?:app_secret|auth_code|refresh_token|access_token|shop_cipher|code|state)=)[^&\s\"']+"
    r"|((?<=[?&])(?:token|key|apikey|api_key|secret|password|passwd|sig|signature)=)[^&\s\"']+",
    re.IGNORECASE,
)


# VTEX's marketplace callbacks carry their client's secret as a path segment (it cannot send headers).
_SECRET_PATH = re.compile(r"(/vtex/marketplace/[^/\s?\"']+/)[^/\s?\"']+")


def redact_secrets(text: str) -> str:
    """`text` with the values of secret query parameters (and secret path segments) replaced by `***`."""
    text = _SECRET_PATH.sub(lambda m: m.group(1) + "***", text)
    return _SECRET_QUERY.sub(lambda m: (m.group(1) or m.group(2)) + "***", text)


def redact_url(url: str) -> str:
    """A URL fit for logs: user info and query values hidden (feed URLs sometimes carry tokens)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable url>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    query = (
        "&".join(f"{kv.split('=', 1)[0]}=***" for kv in parts.query.split("&") if kv) if parts.query else ""
    )
    return f"{parts.scheme}://{host}{parts.path}" + (f"?{query}" if query else "")


class RedactSecretsFilter(logging.Filter):
    """A logging filter that redacts secret query values from a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(
                redact_secrets(str(a)) if isinstance(a, str) or type(a).__name__ == "URL" else a for a in args
            )
        if isinstance(record.msg, str):
            record.msg = redact_secrets(record.msg)
        return True


def install_log_redaction(*logger_names: str) -> None:
    """Adds the redacting filter to these loggers (once each)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecretsFilter) for f in logger.filters):
            logger.addFilter(RedactSecretsFilter())


# Logger filters do not apply to child loggers' records, so httpcore's are named one by one.
LIBRARY_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "uvicorn.access",
    "uvicorn.error",
)
