"""The webhook endpoints of the receiver: TikTok Shop webhooks and VTEX notifications.

Each request is verified (signature or shared secret; 401 and nothing recorded on failure), parsed and
checked (400 naming the problem when the event could never be handled: not UTF-8 JSON, a field of the
wrong kind, a timestamp out of the window), and put on the event queue before the answer: the 200 means
the event is durable. Writes are grouped: concurrent requests share one transaction, so the receiver
answers well inside TikTok's 3 seconds at hundreds of requests per second on SQLite.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tiktok_pipelines.core.events import (
    EventRejected,
    InboundEvent,
    TimestampWindow,
    parse_tiktok_webhook,
    parse_vtex_notification,
    verify_tiktok_signature,
)
from tiktok_pipelines.stores.queue import event_queue_from_settings

if TYPE_CHECKING:
    from tiktok_pipelines.receiver.app import ReceiverContext

log = logging.getLogger(__name__)


class GroupCommitter:
    """Collects events from concurrent requests and writes them to the queue in one call."""

    def __init__(self, queue, max_batch: int = 200):
        self.queue = queue
        self.max_batch = max_batch
        self._pending: asyncio.Queue | None = None
        self._worker: asyncio.Task | None = None

    async def put(self, event: InboundEvent) -> None:
        if self._pending is None:
            self._pending = asyncio.Queue()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._run())
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        await self._pending.put((event, future))
        return await future

    async def _run(self) -> None:
        assert self._pending is not None
        while True:
            batch = [await self._pending.get()]
            while len(batch) < self.max_batch and not self._pending.empty():
                batch.append(self._pending.get_nowait())
            try:
                await run_in_threadpool(self.queue.put_many, [e for e, _ in batch])
            except Exception as exc:  # every waiting request answers 503 and TikTok retries
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)


class SenderHungUp(EventRejected):
    """The sender closed the connection before its whole body arrived: nothing is recorded, and the
    sender, which has no answer, delivers again."""

    def __init__(self, received: int, declared: str | None):
        of = f"of {declared} " if declared else ""
        super().__init__(f"the sender hung up after {received} {of}bytes", status=499)


async def _read_body(request: Request, limit: int) -> bytes:
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


def event_routes(ctx: ReceiverContext, max_batch: int = 200) -> Sequence[BaseRoute]:
    """`POST /webhooks/tiktok` and `POST /webhooks/vtex`; `max_batch` bounds a grouped commit."""
    settings = ctx.settings
    limit = settings.int("TIKTOK_PIPELINES_WEBHOOK_MAX_BODY_BYTES")
    committer = GroupCommitter(event_queue_from_settings(settings, ctx.db), max_batch=max_batch)
    app_key = settings.get("TIKTOK_APP_KEY")
    app_secret = settings.get("TIKTOK_APP_SECRET")
    vtex_secret = settings.get("TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET")
    window = TimestampWindow(
        max_age=timedelta(seconds=settings.int("TIKTOK_PIPELINES_WEBHOOK_MAX_AGE_SECONDS")),
        max_ahead=timedelta(seconds=settings.int("TIKTOK_PIPELINES_WEBHOOK_MAX_FUTURE_SECONDS")),
    )

    async def enqueue(event: InboundEvent) -> Response:
        try:
            await committer.put(event)  # a duplicate is dropped by the queue's unique key
        except Exception:
            log.exception("could not queue %s event %s", event.source, event.event_id)
            return JSONResponse({"error": "event store unavailable, retry later"}, status_code=503)
        return Response(status_code=200)

    async def tiktok(request: Request) -> Response:
        if not app_key or not app_secret:
            log.error("TikTok webhook refused: TIKTOK_APP_KEY / TIKTOK_APP_SECRET are not configured")
            return JSONResponse({"error": "receiver not configured"}, status_code=503)
        try:
            body = await _read_body(request, limit)
            if not verify_tiktok_signature(app_key, app_secret, body, request.headers.get("authorization")):
                return JSONResponse({"error": "invalid signature"}, status_code=401)
            event = parse_tiktok_webhook(body, window=window)
        except EventRejected as exc:
            return refusal("TikTok webhook", exc)
        return await enqueue(event)

    async def vtex(request: Request) -> Response:
        if not vtex_secret:
            log.error("VTEX notification refused: TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET is not configured")
            return JSONResponse({"error": "receiver not configured"}, status_code=503)
        given = request.headers.get("x-webhook-secret") or request.query_params.get("secret") or ""
        if not hmac.compare_digest(given.encode(), vtex_secret.encode()):
            return JSONResponse({"error": "invalid secret"}, status_code=401)
        try:
            event = parse_vtex_notification(await _read_body(request, limit))
        except EventRejected as exc:
            return refusal("VTEX notification", exc)
        if event is None:  # the order hook's configuration ping
            return JSONResponse({"hookConfig": "pong"})
        return await enqueue(event)

    return [
        Route("/webhooks/tiktok", tiktok, methods=["POST"]),
        Route("/webhooks/vtex", vtex, methods=["POST"]),
    ]
