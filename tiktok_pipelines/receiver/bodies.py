"""Reading a request's body within a limit, and answering a refused one: shared by the receiver's
webhook and callback routes."""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from tiktok_pipelines.core.events import EventRejected

# Every refusal of the receiver is logged under the one name its operators watch.
log = logging.getLogger("tiktok_pipelines.receiver.events")


class SenderHungUp(EventRejected):
    """The sender closed the connection before its whole body arrived: nothing is recorded, and the
    sender, which has no answer, delivers again."""

    def __init__(self, received: int, declared: str | None):
        of = f"of {declared} " if declared else ""
        super().__init__(f"the sender hung up after {received} {of}bytes", status=499)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body; EventRejected (413) past `limit` bytes, SenderHungUp when the sender goes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise EventRejected(f"body larger than {limit} bytes", status=413)
    body = bytearray()
    try:
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                raise EventRejected(f"body larger than {limit} bytes", status=413)
    except ClientDisconnect:
        raise SenderHungUp(len(body), declared) from None
    return bytes(body)


def refusal(what: str, exc: EventRejected) -> Response:
    """The answer to a request refused for what it holds, logged without the body (a hang-up is a
    warning, not an error: the sender retries)."""
    if isinstance(exc, SenderHungUp):
        log.warning("%s: %s; nothing recorded", what, exc)
    else:
        log.warning("%s refused (%d): %s", what, exc.status, exc)
    return JSONResponse({"error": str(exc)}, status_code=exc.status)
