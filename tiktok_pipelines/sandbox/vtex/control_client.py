"""`VtexSandboxControl`: a client of the VTEX emulator's control routes, for tests and scripts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from tiktok_pipelines.http import HttpApiClient


class VtexSandboxControl(HttpApiClient):
    """Drives the emulator's `/_sandbox/vtex` switches from tests and scripts (one account); `close()` or
    the end of a `with` block releases its connections."""

    def __init__(self, base_url: str, account: str = "demostore", timeout: float = 15.0):
        self.base_url = base_url.rstrip("/")
        self.account = account
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def _call(self, method: str, path: str, body: dict | None = None, **params: Any) -> Any:
        response = self._http.request(
            method, path, json=body, params={k: v for k, v in params.items() if v is not None}
        )
        if response.status_code >= 400:
            raise RuntimeError(f"sandbox {method} {path} → {response.status_code}: {response.text}")
        if "xml" in response.headers.get("content-type", ""):
            return response.content
        return response.json() if response.content else None

    @property
    def _acct(self) -> str:
        return f"/_sandbox/vtex/accounts/{self.account}"

    # counters and switches
    def calls(self) -> dict[str, int]:
        return self._call("GET", "/_sandbox/vtex/calls", account=self.account)[self.account]["calls"]

    def responses(self) -> dict[str, int]:
        """Answers per endpoint and status, e.g. `{"GET /pricing/prices/{item_id} 429": 3}`."""
        return self._call("GET", "/_sandbox/vtex/calls", account=self.account)[self.account]["responses"]

    def max_in_flight(self) -> int:
        """The most requests of this account the emulator held at once."""
        return self._call("GET", "/_sandbox/vtex/calls", account=self.account)[self.account]["maxInFlight"]

    def count(self, method: str, template: str) -> int:
        """Requests received on one endpoint, e.g. `count("GET", "/api/logistics/pvt/inventory/skus/{sku_id}")`."""
        return self.calls().get(f"{method} {template}", 0)

    def reset_calls(self) -> None:
        self._call("DELETE", "/_sandbox/vtex/calls", account=self.account)

    def fault(
        self,
        status: int | None = None,
        *,
        times: int = 1,
        family: str | None = None,
        method: str | None = None,
        path: str | None = None,
        retry_after: float | None = None,
        delay: float | None = None,
        after: bool = False,
    ) -> None:
        """The next `times` matching requests fail with `status` and/or wait `delay` seconds; with
        `after`, the request is processed first and only its answer is lost."""
        body = {
            "status": status,
            "times": times,
            "family": family,
            "method": method,
            "path": path,
            "delay": delay,
        }
        body = {k: v for k, v in body.items() if v is not None}
        body["account"] = self.account
        body["after"] = after
        if retry_after is not None:
            body["retry_after"] = retry_after
        self._call("POST", "/_sandbox/vtex/faults", body)

    def clear_faults(self) -> None:
        self._call("DELETE", "/_sandbox/vtex/faults")

    def latency(self, seconds: float, jitter: float = 0.0) -> None:
        self._call("POST", "/_sandbox/vtex/latency", {"seconds": seconds, "jitter": jitter})

    def rate_limit(self, family: str, rate: float, burst: float) -> None:
        self._call("POST", "/_sandbox/vtex/rate-limits", {"family": family, "rate": rate, "burst": burst})

    def reset_rate_limits(self) -> None:
        self._call("DELETE", "/_sandbox/vtex/rate-limits")

    def configure(self, **settings: Any) -> dict:
        return self._call("POST", f"{self._acct}/config", settings)

    def add_app_key(self, key: str, token: str, resources: list[str] | str) -> None:
        self._call("PUT", f"{self._acct}/appkeys/{key}", {"token": token, "resources": resources})

    # catalog state
    def sku(self, sku_id: int | str) -> dict:
        return self._call("GET", f"{self._acct}/skus/{sku_id}")

    def set_stock(
        self,
        sku_id: int | str,
        *,
        available: int | None = None,
        quantity: int | None = None,
        warehouse_id: str | None = None,
    ) -> dict:
        body: dict[str, Any] = {"warehouseId": warehouse_id}
        body.update({"available": available} if available is not None else {"quantity": quantity})
        return self._call("PUT", f"{self._acct}/skus/{sku_id}/stock", body)

    def set_price(
        self,
        sku_id: int | str,
        price: Decimal | str,
        list_price: Decimal | str | None = None,
        trade_policy: str = "1",
    ) -> dict:
        body = {
            "price": str(price),
            "listPrice": str(list_price) if list_price is not None else None,
            "tradePolicyId": trade_policy,
        }
        return self._call("PUT", f"{self._acct}/skus/{sku_id}/price", body)

    def walk_step(self, steps: int = 1, **options: Any) -> list[dict]:
        return self._call("POST", f"{self._acct}/walk/step", {"steps": steps, **options})["changes"]

    def start_walk(self, interval: float, **options: Any) -> dict:
        return self._call("POST", f"{self._acct}/walk/start", {"interval": interval, **options})

    def stop_walk(self) -> dict:
        return self._call("POST", f"{self._acct}/walk/stop")

    def set_affiliate(self, affiliate_id: str, name: str, sales_channel: str = "1") -> dict:
        """Adds (or changes) an affiliate of the account: a marketplace whose orders it takes."""
        return self._call(
            "PUT", f"{self._acct}/affiliates/{affiliate_id}", {"name": name, "salesChannel": sales_channel}
        )

    # notifications
    def notify_to(self, url: str | None, affiliate_id: str | None = None) -> dict:
        """Where SKU-change broadcasts go (the affiliate's notification endpoint)."""
        return self._call("POST", f"{self._acct}/notifications", {"url": url, "affiliateId": affiliate_id})

    def deliveries(self, kind: str | None = None) -> list[dict]:
        return self._call("GET", "/_sandbox/vtex/deliveries", kind=kind, account=self.account)

    def flush(self, timeout: float = 10.0) -> dict:
        return self._call("POST", "/_sandbox/vtex/deliveries/flush", {"timeout": timeout})

    def clear_deliveries(self) -> None:
        self._call("DELETE", "/_sandbox/vtex/deliveries")

    # orders
    def orders(self) -> list[dict]:
        return self._call("GET", f"{self._acct}/orders")

    def order(self, order_id: str) -> dict:
        return self._call("GET", f"{self._acct}/orders/{order_id}")

    def advance(self, order_id: str, to: str = "ready-for-handling") -> dict:
        return self._call("POST", f"{self._acct}/orders/{order_id}/advance", {"to": to})

    def invoice(self, order_id: str, *, broken: str | None = None, tracking: bool = True) -> dict:
        """Has the ERP invoice the order: an NF-e is issued and notified to the OMS (see `broken`)."""
        return self._call(
            "POST", f"{self._acct}/orders/{order_id}/invoice", {"broken": broken, "tracking": tracking}
        )

    def correct_invoice(self, order_id: str, *, broken: str | None = None) -> dict:
        """Has the ERP replace the order's NF-e with a newly issued one (VTEX posts it to the marketplace)."""
        return self._call("POST", f"{self._acct}/orders/{order_id}/invoice/correct", {"broken": broken})

    def auto_invoice(
        self,
        seconds: float | None,
        *,
        broken_share: float = 0.0,
        correct_seconds: float | None = None,
        tracking: bool = False,
    ) -> dict:
        """The ERP invoices every order `seconds` after it may be handled (None stops it); a share of the
        NF-es come out broken and are corrected `correct_seconds` later."""
        auto = (
            {
                "seconds": seconds,
                "broken_share": broken_share,
                "correct_seconds": correct_seconds,
                "tracking": tracking,
            }
            if seconds is not None
            else {}
        )
        return self.configure(auto_invoice=auto)

    def invoice_xml(self, access_key: str) -> bytes:
        return self._call("GET", f"{self._acct}/invoices/{access_key}.xml")
