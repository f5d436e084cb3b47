"""Logistics: inventory per SKU and warehouse (the available quantity is the world catalog's `Sku.stock`;
VTEX keeps the reservations, unlimited flag and lead time beside it), reservations taken by orders and
released by cancellations, and the warehouses and inventory endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from tiktok_pipelines.sandbox.catalog import Sku
from tiktok_pipelines.sandbox.vtex.catalog_records import SALES_CHANNELS
from tiktok_pipelines.sandbox.vtex.errors import ApiError
from tiktok_pipelines.sandbox.vtex.resources import INVENTORY_READ, INVENTORY_WRITE, WAREHOUSES_READ
from tiktok_pipelines.sandbox.vtex.routing import JSON, Ctx, Router, sku_of
from tiktok_pipelines.sandbox.vtex.values import strict_int, vtex_time

UNLIMITED_BALANCE = 1_000_000


@dataclass
class Balance:
    """What VTEX keeps per SKU and warehouse beside the available quantity (which is `Sku.stock`)."""

    reserved: int = 0
    unlimited: bool = False
    lead_time: str = "00:00:00"
    date_utc: str | None = None


class InventoryMixin:
    """The inventory of a `SandboxAccount`."""

    def balance(self, sku_id: int, warehouse_id: str) -> Balance:
        key = (sku_id, warehouse_id)
        if key not in self.balances:
            self.balances[key] = Balance()
        return self.balances[key]

    def check_warehouse(self, warehouse_id: str) -> None:
        if warehouse_id not in self.catalog.warehouses:
            raise ApiError(404, f"Warehouse {warehouse_id} not found")

    def warehouse_view(self, sku: Sku, warehouse_id: str) -> dict[str, Any]:
        bal = self.balance(sku.sku_id, warehouse_id)
        available = sku.stock.get(warehouse_id, 0)
        return {
            "total": available + bal.reserved,
            "reserved": bal.reserved,
            "available": available,
            "unlimited": bal.unlimited,
            "lead_time": bal.lead_time,
            "date_utc": bal.date_utc,
        }

    def available(self, sku: Sku, warehouse_id: str) -> int:
        if self.balance(sku.sku_id, warehouse_id).unlimited:
            return UNLIMITED_BALANCE
        return sku.stock.get(warehouse_id, 0)

    def total_available(self, sku: Sku) -> int:
        return min(UNLIMITED_BALANCE, sum(self.available(sku, wh) for wh in self.catalog.warehouses))

    def set_total(
        self,
        sku_id: Any,
        warehouse_id: str,
        quantity: int,
        *,
        unlimited: bool = False,
        lead_time: str | None = None,
    ) -> None:
        """VTEX's inventory PUT: the total quantity; available = total − reserved."""
        _, sku = self.sku(sku_id)
        self.check_warehouse(warehouse_id)
        quantity = strict_int(quantity, "quantity", 0)
        bal = self.balance(sku.sku_id, warehouse_id)
        was_in_stock = self.total_available(sku) > 0
        before = (sku.stock.get(warehouse_id, 0), bal.unlimited)
        sku.stock[warehouse_id] = max(0, quantity - bal.reserved)
        bal.unlimited = bool(unlimited)
        if lead_time is not None:
            bal.lead_time = lead_time
        bal.date_utc = vtex_time()
        self._stock_changed(sku, was_in_stock, before != (sku.stock[warehouse_id], bal.unlimited))

    def set_available(self, sku_id: Any, warehouse_id: str, available: int) -> None:
        _, sku = self.sku(sku_id)
        self.set_total(sku.sku_id, warehouse_id, available + self.balance(sku.sku_id, warehouse_id).reserved)

    def _stock_changed(self, sku: Sku, was_in_stock: bool, changed: bool) -> None:
        if not changed:
            return
        if was_in_stock != (self.total_available(sku) > 0):
            self.catalog.version += 1  # the feed's availability flips
        self.listener.sku_changed(self, sku, stock=True, price=False)

    def _reserve(self, sku: Sku, quantity: int) -> str:
        """Reserves stock for an order line in the first warehouse that can serve it all."""
        for wh in self.catalog.warehouses:
            if self.available(sku, wh) >= quantity:
                was = self.total_available(sku) > 0
                bal = self.balance(sku.sku_id, wh)
                if not bal.unlimited:
                    sku.stock[wh] = sku.stock.get(wh, 0) - quantity
                    bal.reserved += quantity
                self._stock_changed(sku, was, not bal.unlimited)
                return wh
        raise ApiError(400, f"Item {sku.sku_id} não tem estoque suficiente", "ORDER027")

    def _release(self, sku_id: int, warehouse_id: str, quantity: int) -> None:
        found = self.find_sku(sku_id)
        bal = self.balance(sku_id, warehouse_id)
        if found is None or bal.unlimited:
            return
        sku = found[1]
        was = self.total_available(sku) > 0
        bal.reserved = max(0, bal.reserved - quantity)
        sku.stock[warehouse_id] = sku.stock.get(warehouse_id, 0) + quantity
        self._stock_changed(sku, was, True)

    def _consume(self, sku_id: int, warehouse_id: str, quantity: int) -> None:
        """Invoiced units leave the warehouse: the reservation ends, availability is unchanged."""
        bal = self.balance(sku_id, warehouse_id)
        bal.reserved = max(0, bal.reserved - quantity)


router = Router()


def warehouse_name(wh: str) -> str:
    return "Estoque Principal" if wh == "1_1" else f"Armazém {wh}"


@router.api("GET", "/api/logistics/pvt/configuration/warehouses", "logistics", WAREHOUSES_READ)
async def warehouses(ctx: Ctx) -> Response:
    return JSON(
        [
            {
                "id": wh,
                "name": warehouse_name(wh),
                "warehouseDocks": [{"dockId": "1", "time": "1.00:00:00", "cost": 0.0}],
                "pickupPointIds": [],
                "priority": n,
                "isActive": True,
            }
            for n, wh in enumerate(ctx.account.catalog.warehouses)
        ]
    )


@router.api("GET", "/api/logistics/pvt/inventory/skus/{sku_id}", "logistics", INVENTORY_READ)
async def inventory_by_sku(ctx: Ctx) -> Response:
    _, sku = sku_of(ctx)
    balance = []
    for wh in ctx.account.catalog.warehouses:
        view = ctx.account.warehouse_view(sku, wh)
        balance.append(
            {
                "warehouseId": wh,
                "warehouseName": warehouse_name(wh),
                "totalQuantity": view["total"],
                "reservedQuantity": view["reserved"],
                "hasUnlimitedQuantity": view["unlimited"],
                "timeToRefill": None,
                "dateOfSupplyUtc": None,
                "leadTime": view["lead_time"],
            }
        )
    return JSON({"skuId": str(sku.sku_id), "balance": balance})


@router.api(
    "GET",
    "/api/logistics/pvt/inventory/items/{sku_id}/warehouses/{warehouse_id}",
    "logistics",
    INVENTORY_READ,
)
async def inventory_item(ctx: Ctx) -> Response:
    _, sku = sku_of(ctx)
    wh = ctx.path["warehouse_id"]
    ctx.account.check_warehouse(wh)
    view = ctx.account.warehouse_view(sku, wh)
    return JSON(
        [
            {
                "skuId": str(sku.sku_id),
                "warehouseId": wh,
                "warehouseName": warehouse_name(wh),
                "dockId": "1",
                "totalQuantity": view["total"],
                "reservedQuantity": view["reserved"],
                "availableQuantity": view["available"],
                "isUnlimited": view["unlimited"],
                "salesChannel": list(SALES_CHANNELS),
                "deliveryChannels": ["delivery"],
                "timeToRefill": None,
                "dateOfSupplyUtc": None,
                "dateUtcOnBalanceSystem": view["date_utc"],
                "keepSellingAfterExpiration": False,
            }
        ]
    )


@router.api(
    "PUT",
    "/api/logistics/pvt/inventory/skus/{sku_id}/warehouses/{warehouse_id}",
    "logistics",
    INVENTORY_WRITE,
)
async def inventory_put(ctx: Ctx) -> Response:
    if not isinstance(ctx.body, dict) or "quantity" not in ctx.body:
        raise ApiError(400, "quantity is required")
    ctx.account.set_total(
        ctx.path["sku_id"],
        ctx.path["warehouse_id"],
        ctx.body["quantity"],
        unlimited=bool(ctx.body.get("unlimitedQuantity")),
        lead_time=ctx.body.get("leadTime"),
    )
    return JSON(True)
