"""VTEX's callbacks to the marketplace: the invoice of a TikTok order (and later its tracking), and its
cancellation, posted to the `marketplaceServicesEndpoint` the order was placed with.

VTEX cannot add headers to these calls, so each client's endpoint carries its own secret in the path:
`/vtex/marketplace/{client_id}/{token}`, the token an HMAC of the client id under
`TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET` (`marketplace_callback_url` builds it; the log filter masks it).
A callback is queued as an event for the sensor, which asks for a fulfilment run (invoice) or an orders
run (cancellation); the XML itself is read from the OMS by that run, never taken from the callback.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tiktok_pipelines.core.events import EventRejected
from tiktok_pipelines.receiver.bodies import read_body, refusal
from tiktok_pipelines.receiver.context import ReceiverContext
from tiktok_pipelines.stores.queue import event_queue_from_settings
from tiktok_pipelines.stores.registry import ClientRegistry
from tiktok_pipelines.vtex.notifications import (
    MARKETPLACE_CALLBACK_PREFIX,
    marketplace_callback_token,
    parse_marketplace_callback,
)

log = logging.getLogger(__name__)

# An embedded NF-e may be up to 1 MB, more once escaped in JSON: a larger limit than other webhooks'.
MAX_CALLBACK_BYTES = 4 * 1024 * 1024


def marketplace_routes(ctx: ReceiverContext) -> Sequence[BaseRoute]:
    """`POST /vtex/marketplace/{client_id}/{token}/{pvt|pub}/orders/{marketplaceOrderId}/{invoice|cancel}`."""
    secret = ctx.settings.get("TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET")
    registry = ClientRegistry(ctx.db)
    queue = event_queue_from_settings(ctx.settings, ctx.db)

    async def callback(request: Request) -> Response:
        if not secret:
            log.error("VTEX callback refused: TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET is not configured")
            return JSONResponse({"error": "receiver not configured"}, status_code=503)
        params = request.path_params
        if params["scope"] not in ("pvt", "pub"):  # VTEX's guides write both
            return JSONResponse({"error": "not found"}, status_code=404)
        client_id = params["client_id"]
        expected = marketplace_callback_token(secret, client_id)
        if not hmac.compare_digest(params["token"].encode(), expected.encode()):
            return JSONResponse({"error": "invalid callback address"}, status_code=401)
        client = await run_in_threadpool(registry.find, client_id)
        if client is None:
            return JSONResponse({"error": "invalid callback address"}, status_code=401)
        try:
            body = await read_body(request, MAX_CALLBACK_BYTES)
            event = parse_marketplace_callback(params["kind"], params["order_id"], body, client.vtex_account)
        except EventRejected as exc:
            return refusal(f"VTEX {params['kind']} callback of {client_id}", exc)
        try:
            await run_in_threadpool(queue.put, event)  # a repeat is dropped by the queue's unique key
        except Exception:
            log.exception("could not queue VTEX %s callback of %s", params["kind"], client_id)
            return JSONResponse({"error": "event store unavailable, retry later"}, status_code=503)
        # The marketplace's receipt, as VTEX expects from these endpoints.
        return JSONResponse(
            {"orderId": params["order_id"], "receipt": event.event_id, "date": datetime.now(UTC).isoformat()}
        )

    base = MARKETPLACE_CALLBACK_PREFIX + "/{client_id}/{token}/{scope}/orders/{order_id}/{kind}"
    return [Route(base, callback, methods=["POST"])]
