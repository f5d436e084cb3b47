"""What the VTEX emulator sends out, in order, from one outbox with a few retries: SKU-change broadcasts
to each affiliate's endpoint, order hook notifications, and the marketplace callbacks (invoice, cancel).
`NotificationsMixin` is how `VtexEmulator` listens to its accounts (see `account.Listener`)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from tiktok_pipelines.sandbox.catalog import Sku
from tiktok_pipelines.sandbox.vtex.values import vtex_time

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.vtex.account import SandboxAccount


class NotificationsMixin:
    """The listener and notification outbox of `VtexEmulator`."""

    def sku_changed(self, account: SandboxAccount, sku: Sku, *, stock: bool, price: bool) -> None:
        found = account.find_sku(sku.sku_id)
        product = found[0] if found else None
        for affiliate in account.affiliates.values():
            if not affiliate.notification_url:
                continue
            self._enqueue(
                "broadcast",
                account.name,
                affiliate.notification_url,
                {
                    "idSKU": str(sku.sku_id),
                    "productId": product.product_id if product else None,
                    "an": account.name,
                    "idAffiliate": affiliate.id,
                    "DateModified": vtex_time(),
                    "isActive": bool(sku.active and (product.active if product else False)),
                    "StockModified": stock,
                    "PriceModified": price,
                    "HasStockKeepingUnitModified": False,
                    "HasStockKeepingUnitRemovedFromAffiliate": False,
                },
            )

    def order_changed(self, account: SandboxAccount, order: dict[str, Any], last_state: str | None) -> None:
        account.push_feed_event(order, last_state)
        delay = account.auto_invoice.get("seconds")
        if order["status"] == "ready-for-handling" and delay is not None:
            order_id = order["orderId"]
            self.call_later(float(delay), lambda: self._auto_invoice(account, order_id))
        for app_key, hook in account.hooks.items():
            if not account.matches(hook["filter"], order):
                continue
            self._enqueue(
                "hook",
                account.name,
                hook["hook"]["url"],
                {
                    "Domain": "Fulfillment",
                    "OrderId": order["orderId"],
                    "State": order["status"],
                    "LastState": last_state,
                    "LastChange": order["lastChange"],
                    "CurrentChange": order["lastChange"],
                    "Origin": {"Account": account.name, "Key": app_key},
                },
                headers=hook["hook"].get("headers") or {},
            )

    def marketplace_callback(
        self, account: SandboxAccount, order: dict[str, Any], kind: str, body: dict
    ) -> None:
        endpoint = order.get("marketplaceServicesEndpoint")
        if endpoint:
            url = f"{endpoint.rstrip('/')}/pvt/orders/{order['marketplaceOrderId']}/{kind}"
            self._enqueue("marketplace", account.name, url, body)

    def call_later(self, seconds: float, fn: Callable[[], None]) -> None:
        if seconds <= 0:
            fn()
            return
        loop = self._running_loop() or self._loop
        if loop is None:
            fn()
        else:
            loop.call_later(seconds, fn)

    @staticmethod
    def _running_loop() -> asyncio.AbstractEventLoop | None:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            return None

    def _enqueue(self, kind: str, account: str, url: str, body: dict, headers: dict | None = None) -> None:
        delivery = {
            "id": uuid.uuid4().hex,
            "kind": kind,
            "account": account,
            "url": url,
            "body": body,
            "headers": dict(headers or {}),
            "queuedAt": vtex_time(),
            "attempts": 0,
            "status": None,
            "delivered": False,
        }
        self.deliveries.append(delivery)
        if self._running_loop() is not None:
            self._put(delivery)
        elif self._loop is not None:
            self._loop.call_soon_threadsafe(self._put, delivery)
        else:
            delivery["error"] = "the emulator is not being served"

    def _put(self, delivery: dict[str, Any]) -> None:
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._worker = asyncio.get_running_loop().create_task(self._work())
        self._queue.put_nowait(delivery)

    async def _work(self) -> None:
        # One worker delivers in order, as a target expects the states of an order in sequence.
        assert self._queue is not None
        async with httpx.AsyncClient(timeout=self.delivery_timeout) as http:
            while True:
                delivery = await self._queue.get()
                try:
                    await self._deliver(http, delivery)
                finally:
                    self._queue.task_done()

    async def _deliver(self, http: httpx.AsyncClient, delivery: dict[str, Any]) -> None:
        for attempt in range(self.delivery_retries + 1):
            if attempt:
                await asyncio.sleep(self.delivery_retry_seconds * 2 ** (attempt - 1))
            delivery["attempts"] = attempt + 1
            try:
                response = await http.post(
                    delivery["url"], json=delivery["body"], headers=delivery["headers"]
                )
            except httpx.HTTPError as exc:
                delivery["status"], delivery["error"] = None, type(exc).__name__
                continue
            delivery["status"] = response.status_code
            if 200 <= response.status_code < 300:
                delivery["delivered"] = True
                delivery["deliveredAt"] = vtex_time()
                delivery.pop("error", None)
                return

    async def flush(self, timeout: float = 10.0) -> bool:
        """Waits until every queued notification has been delivered or given up."""
        if self._queue is None:
            return True
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
            return True
        except TimeoutError:
            return False
