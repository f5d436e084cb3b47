"""The webhook endpoints of the receiver: each channel's notifications (TikTok Shop's webhooks) and
VTEX's.

Each request is verified (signature or shared secret; 401 and nothing recorded on failure), parsed and
checked (400 naming the problem when the event could never be handled: not UTF-8 JSON, a field of the
wrong kind, a timestamp out of the window), and put on the event queue before the answer: the 200 means
the event is durable. A channel's notifications are verified and parsed by the channel itself (its
`NotificationApi`), VTEX's by `vtex.notifications`. Writes are grouped: concurrent requests share one
transaction, so the receiver answers well inside TikTok's 3 seconds at hundreds of requests per second
on SQLite.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tiktok_pipelines.channels.base.notifications import NotificationApi
from tiktok_pipelines.core.events import EventRejected, ForgedNotification, InboundEvent, TimestampWindow
from tiktok_pipelines.receiver.bodies import read_body, refusal
from tiktok_pipelines.receiver.channels import notification_channels
from tiktok_pipelines.receiver.context import ReceiverContext
from tiktok_pipelines.stores.queue import EventQueue, event_queue_from_settings
from tiktok_pipelines.vtex.notifications import parse_vtex_notification

log = logging.getLogger(__name__)


class GroupCommitter:
    """Collects events from concurrent requests and writes them to the queue in one call."""

    def __init__(self, queue: EventQueue, max_batch: int = 200):
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
            except Exception as exc:  # every waiting request answers 503 and the sender retries
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)


def event_routes(
    ctx: ReceiverContext, max_batch: int = 200, channels: Mapping[str, NotificationApi] | None = None
) -> Sequence[BaseRoute]:
    """`POST` at each channel's path (`/webhooks/tiktok`) and `POST /webhooks/vtex`; `max_batch` bounds
    a grouped commit; `channels` are `receiver.channels.notification_channels` unless given."""
    settings = ctx.settings
    limit = settings.int("TIKTOK_PIPELINES_WEBHOOK_MAX_BODY_BYTES")
    committer = GroupCommitter(event_queue_from_settings(settings, ctx.db), max_batch=max_batch)
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

    def channel_endpoint(channel: NotificationApi):
        async def endpoint(request: Request) -> Response:
            missing = channel.missing_configuration()
            if missing:
                log.error("%s refused: %s", channel.notification_label, missing)
                return JSONResponse({"error": "receiver not configured"}, status_code=503)
            try:
                body = await read_body(request, limit)
                event = channel.parse_notification(body, request.headers, window=window)
            except ForgedNotification as exc:
                return JSONResponse({"error": str(exc)}, status_code=exc.status)
            except EventRejected as exc:
                return refusal(channel.notification_label, exc)
            return await enqueue(event)

        return endpoint

    async def vtex(request: Request) -> Response:
        if not vtex_secret:
            log.error("VTEX notification refused: TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET is not configured")
            return JSONResponse({"error": "receiver not configured"}, status_code=503)
        given = request.headers.get("x-webhook-secret") or request.query_params.get("secret") or ""
        if not hmac.compare_digest(given.encode(), vtex_secret.encode()):
            return JSONResponse({"error": "invalid secret"}, status_code=401)
        try:
            event = parse_vtex_notification(await read_body(request, limit))
        except EventRejected as exc:
            return refusal("VTEX notification", exc)
        if event is None:  # the order hook's configuration ping
            return JSONResponse({"hookConfig": "pong"})
        return await enqueue(event)

    channels = notification_channels(settings) if channels is None else channels
    routes: list[BaseRoute] = [
        Route(path, channel_endpoint(channel), methods=["POST"]) for path, channel in channels.items()
    ]
    return [*routes, Route("/webhooks/vtex", vtex, methods=["POST"])]
