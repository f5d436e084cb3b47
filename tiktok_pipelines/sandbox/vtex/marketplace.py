"""The external-marketplace protocol (Fulfillment API): affiliates, cart simulation on a sales channel,
order placement (idempotent on the marketplace order id, every order validated before any is created:
integer cents, the trade policy's price, stock, SLA), and the authorization to dispatch once the
marketplace is paid. The placed order itself is built and moved by the OMS (`oms`)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from starlette.responses import Response

from tiktok_pipelines.core.money import to_cents
from tiktok_pipelines.sandbox.catalog import Sku
from tiktok_pipelines.sandbox.vtex.catalog_records import SALES_CHANNELS
from tiktok_pipelines.sandbox.vtex.errors import ApiError
from tiktok_pipelines.sandbox.vtex.resources import MARKETPLACE_ORDERS, SIMULATION
from tiktok_pipelines.sandbox.vtex.routing import JSON, Ctx, Router
from tiktok_pipelines.sandbox.vtex.values import now_utc, strict_int, vtex_time

SLAS = (("Normal", "5bd", Decimal("1.0")), ("Expressa", "2bd", Decimal("1.8")))


@dataclass
class Affiliate:
    """A marketplace affiliate of the store: orders come in under its id on its sales channel, and SKU
    changes are notified to its endpoint."""

    id: str
    name: str
    sales_channel: str = "1"
    notification_url: str | None = None
    follow_up_email: str = "marketplace@example.com"


class MarketplaceMixin:
    """The marketplace protocol of a `SandboxAccount`."""

    def _check_channel(self, sales_channel: Any) -> str:
        sc = str(sales_channel or "")
        if sc not in SALES_CHANNELS:
            raise ApiError(400, f"Sales channel {sales_channel!r} not found")
        return sc

    def affiliate(self, affiliate_id: Any) -> Affiliate:
        affiliate = self.affiliates.get(str(affiliate_id or ""))
        if affiliate is None:
            raise ApiError(400, f"Affiliate {affiliate_id!r} not found in account {self.name}")
        return affiliate

    def _unit_price_cents(self, sku: Sku, sales_channel: str, quantity: int) -> tuple[int, int] | None:
        try:
            selling, listed = self.price_record(sku.sku_id).computed(sales_channel, quantity)
        except ApiError:
            return None
        return to_cents(selling), to_cents(listed)

    def _slas(self, sku: Sku, quantity: int) -> list[dict[str, Any]]:
        kilos = max(1, int((sku.weight_kg * quantity).to_integral_value(rounding="ROUND_CEILING")))
        base = 990 + 150 * kilos
        return [
            {
                "id": name,
                "deliveryChannel": "delivery",
                "name": name,
                "deliveryIds": [
                    {
                        "courierId": "1",
                        "warehouseId": self.catalog.warehouses[0],
                        "dockId": "1",
                        "courierName": "Transportadora Sandbox",
                        "quantity": quantity,
                    }
                ],
                "shippingEstimate": estimate,
                "shippingEstimateDate": None,
                "lockTTL": "10d",
                "availableDeliveryWindows": [],
                "deliveryWindow": None,
                "price": int((base * factor).to_integral_value(rounding=ROUND_HALF_UP)),
                "listPrice": int((base * factor).to_integral_value(rounding=ROUND_HALF_UP)),
                "tax": 0,
                "pickupStoreInfo": {
                    "isPickupStore": False,
                    "friendlyName": None,
                    "address": None,
                    "additionalInfo": None,
                    "dockId": None,
                },
                "pickupPointId": None,
                "pickupDistance": 0.0,
                "polygonName": None,
                "transitTime": estimate,
            }
            for name, estimate, factor in SLAS
        ]

    def simulate(self, body: Any, sales_channel: Any, affiliate_id: Any = None) -> dict[str, Any]:
        sc = self._check_channel(sales_channel)
        if affiliate_id is not None:
            self.affiliate(affiliate_id)
        if not isinstance(body, dict) or not isinstance(body.get("items"), list) or not body["items"]:
            raise ApiError(400, "items is required")
        postal = body.get("postalCode")
        postal_ok = bool(postal) and bool(re.fullmatch(r"\d{5}-?\d{3}", str(postal)))
        items, logistics, messages = [], [], []
        total = 0
        for index, line in enumerate(body["items"]):
            if not isinstance(line, dict):
                raise ApiError(400, f"items[{index}] must be an object")
            quantity = strict_int(line.get("quantity"), f"items[{index}].quantity", 1)
            found = self.find_sku(line.get("id"))
            if found is None or not (found[1].active and found[0].active):
                messages.append(
                    {"code": "ORD002", "text": f"Item {line.get('id')} não encontrado", "status": "error"}
                )
                continue
            sku = found[1]
            prices = self._unit_price_cents(sku, sc, quantity)
            if prices is None:
                messages.append({"code": "ORD003", "text": f"Item {sku.sku_id} sem preço", "status": "error"})
                continue
            price, list_price = prices
            balance = self.total_available(sku)
            total += price * quantity
            items.append(
                {
                    "id": str(sku.sku_id),
                    "requestIndex": index,
                    "quantity": quantity,
                    "seller": str(line.get("seller") or "1"),
                    "sellerChain": ["1"],
                    "tax": 0,
                    "priceValidUntil": (now_utc() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "price": price,
                    "listPrice": list_price,
                    "rewardValue": 0,
                    "sellingPrice": price,
                    "offerings": [],
                    "priceTags": [],
                    "measurementUnit": "un",
                    "unitMultiplier": 1.0,
                    "parentItemIndex": None,
                    "parentAssemblyBinding": None,
                    "availability": "available" if balance >= quantity else "withoutStock",
                    "priceDefinition": {
                        "calculatedSellingPrice": price,
                        "total": price * quantity,
                        "sellingPrices": [{"value": price, "quantity": quantity}],
                    },
                }
            )
            logistics.append(
                {
                    "itemIndex": len(items) - 1,
                    "quantity": quantity,
                    "shipsTo": ["BRA"],
                    "slas": self._slas(sku, quantity) if postal_ok and balance >= quantity else [],
                    "stockBalance": balance,
                    "deliveryChannels": [{"id": "delivery", "stockBalance": balance}],
                }
            )
        if postal and not postal_ok:
            messages.append(
                {"code": "invalidPostalCode", "text": f"CEP inválido: {postal}", "status": "error"}
            )
        return {
            "items": items,
            "ratesAndBenefitsData": {"rateAndBenefitsIdentifiers": [], "teaser": []},
            "paymentData": None,
            "selectableGifts": [],
            "marketingData": None,
            "postalCode": postal,
            "country": body.get("country") or "BRA",
            "logisticsInfo": logistics,
            "messages": messages,
            "pickupPoints": [],
            "subscriptionData": None,
            "totals": [{"id": "Items", "name": "Total dos Itens", "value": total}],
            "itemMetadata": None,
        }

    def place_orders(self, body: Any, sales_channel: Any, affiliate_id: Any) -> list[dict[str, Any]]:
        """Fulfillment `POST /api/fulfillment/pvt/orders`: a JSON array of marketplace orders.

        Idempotent on (affiliate, marketplaceOrderId): an order already placed is answered as it was
        placed, never created twice. Every order is validated before any is created.
        """
        sc = self._check_channel(sales_channel)
        affiliate = self.affiliate(affiliate_id)
        if not isinstance(body, list) or not body:
            raise ApiError(400, "the body must be a non-empty JSON array of orders")
        plans = []
        for n, payload in enumerate(body):
            if not isinstance(payload, dict):
                raise ApiError(400, f"order [{n}] must be an object")
            mkp_id = str(payload.get("marketplaceOrderId") or "").strip()
            if not mkp_id:
                raise ApiError(400, "marketplaceOrderId is required")
            order_id = f"{affiliate.id}-{mkp_id}"
            if order_id in self.orders:
                plans.append((order_id, None))
            else:
                plans.append((order_id, self._validate_order(payload, sc, n)))
        results = []
        for order_id, plan in plans:
            if plan is not None:
                self._create_order(order_id, plan, sc, affiliate)
            results.append(self._placement_view(self.orders[order_id]))
        return results

    def _validate_order(self, payload: dict[str, Any], sc: str, n: int) -> dict[str, Any]:
        where = f"order [{n}]"
        items = payload.get("items")
        if not isinstance(items, list) or not items:
            raise ApiError(400, f"{where}: items is required")
        profile = payload.get("clientProfileData")
        if not isinstance(profile, dict):
            raise ApiError(400, f"{where}: clientProfileData is required")
        for name in ("email", "firstName", "lastName", "document"):
            if not profile.get(name):
                raise ApiError(400, f"{where}: clientProfileData.{name} is required")
        shipping = payload.get("shippingData")
        address = shipping.get("address") if isinstance(shipping, dict) else None
        if not isinstance(address, dict):
            raise ApiError(400, f"{where}: shippingData.address is required")
        for name in ("postalCode", "city", "state", "street", "number"):
            if not address.get(name):
                raise ApiError(400, f"{where}: shippingData.address.{name} is required")
        logistics = shipping.get("logisticsInfo")
        if not isinstance(logistics, list) or sorted(
            int(li.get("itemIndex", -1)) for li in logistics if isinstance(li, dict)
        ) != list(range(len(items))):
            raise ApiError(400, f"{where}: shippingData.logisticsInfo needs one entry per item index")
        if payload.get("marketplacePaymentValue") is not None:
            strict_int(payload["marketplacePaymentValue"], f"{where}: marketplacePaymentValue", 0)
        sla_ids = {name for name, _, _ in SLAS}
        lines = []
        wanted: dict[int, int] = {}
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise ApiError(400, f"{where}: items[{i}] must be an object")
            quantity = strict_int(item.get("quantity"), f"{where}: items[{i}].quantity", 1)
            price = strict_int(item.get("price"), f"{where}: items[{i}].price (cents)", 0)
            if str(item.get("seller") or "1") != "1":
                raise ApiError(
                    400, f"{where}: items[{i}].seller {item.get('seller')!r} is not a seller of this store"
                )
            found = self.find_sku(item.get("id"))
            if found is None or not (found[0].active and found[1].active):
                raise ApiError(400, f"Item {item.get('id')} não encontrado ou inativo", "ORDER027")
            product, sku = found
            expected = self._unit_price_cents(sku, sc, quantity)
            if expected is None:
                raise ApiError(400, f"Item {sku.sku_id} sem preço na política comercial {sc}", "ORDER027")
            if price != expected[0] and not payload.get("isCreatedAsync"):
                raise ApiError(
                    400,
                    f"Divergência de preço no item {sku.sku_id}: enviado {price}, esperado {expected[0]}",
                    "FMT007",
                )
            wanted[sku.sku_id] = wanted.get(sku.sku_id, 0) + quantity
            if self.total_available(sku) < wanted[sku.sku_id]:
                raise ApiError(400, f"Item {sku.sku_id} não tem estoque suficiente", "ORDER027")
            lines.append((product, sku, item, quantity, price, expected[1]))
        by_index = {int(li["itemIndex"]): li for li in logistics}
        for index, li in by_index.items():
            if li.get("selectedSla") not in sla_ids:
                raise ApiError(
                    400, f"SLA {li.get('selectedSla')!r} indisponível para o item {index}", "ORDER027"
                )
            strict_int(li.get("price", 0), f"{where}: logisticsInfo[{index}].price (cents)", 0)
        return {"payload": payload, "lines": lines, "logistics": by_index}

    @staticmethod
    def _placement_view(order: dict[str, Any]) -> dict[str, Any]:
        shipping = order["shippingData"]
        return {
            "marketplaceOrderId": order["marketplaceOrderId"],
            "orderId": order["orderId"],
            "followUpEmail": order["followUpEmail"],
            "items": [
                {
                    "id": i["id"],
                    "quantity": i["quantity"],
                    "seller": i["seller"],
                    "commission": i["commission"],
                    "freightCommission": i["freightCommission"],
                    "price": i["price"],
                    "bundleItems": [],
                    "itemAttachment": {"name": None, "content": {}},
                    "attachments": [],
                    "priceTags": [],
                    "measurementUnit": "un",
                    "unitMultiplier": 1.0,
                    "isGift": False,
                }
                for i in order["items"]
            ],
            "clientProfileData": order["clientProfileData"],
            "shippingData": {
                "isFOB": False,
                "address": shipping["address"],
                "selectedAddresses": shipping["selectedAddresses"],
                "logisticsInfo": [
                    {
                        "itemIndex": li["itemIndex"],
                        "selectedSla": li["selectedSla"],
                        "selectedDeliveryChannel": li["selectedDeliveryChannel"],
                        "lockTTL": li["lockTTL"],
                        "shippingEstimate": li["shippingEstimate"],
                        "price": li["price"],
                        "deliveryWindow": li["deliveryWindow"],
                        "deliveryIds": li["deliveryIds"],
                    }
                    for li in shipping["logisticsInfo"]
                ],
                "trackingHints": [],
            },
            "paymentData": None,
            "customData": None,
            "marketplaceServicesEndpoint": order["marketplaceServicesEndpoint"],
        }

    def authorize(self, order_id: str, body: Any, sales_channel: Any, affiliate_id: Any) -> dict[str, Any]:
        """Fulfillment `.../orders/{orderId}/fulfill`: the marketplace was paid; dispatch may start."""
        self._check_channel(sales_channel)
        affiliate = self.affiliate(affiliate_id)
        order = self.order(order_id)
        if order["affiliateId"] != affiliate.id:
            raise ApiError(404, f"Order {order_id} not found for affiliate {affiliate.id}", "OMS002")
        if not isinstance(body, dict) or str(body.get("marketplaceOrderId")) != order["marketplaceOrderId"]:
            raise ApiError(400, "marketplaceOrderId does not match the order")
        if order["status"] in ("cancel", "canceled"):
            raise ApiError(409, f"Order {order_id} is canceled", "OMS003")
        receipt = order.setdefault("_authorization", None)
        if receipt is None:
            now = now_utc()
            order["_authorization"] = receipt = {
                "orderId": order["orderId"],
                "marketplaceOrderId": order["marketplaceOrderId"],
                "receipt": str(uuid.uuid4()),
                "date": vtex_time(now),
                "items": [{"id": i["id"]} for i in order["items"]],
                "shippingData": {
                    "logisticsInfo": [
                        {
                            "itemIndex": li["itemIndex"],
                            "selectedSla": li["selectedSla"],
                            "selectedDeliveryChannel": li["selectedDeliveryChannel"],
                            "shippingEstimateDate": li["shippingEstimateDate"],
                        }
                        for li in order["shippingData"]["logisticsInfo"]
                    ]
                },
            }
            order["authorizedDate"] = vtex_time(now)
            self._move(order, "authorize-fulfillment")
            self._move(order, "window-to-cancel")
            self.listener.call_later(self.window_to_cancel_seconds, lambda: self.end_window(order_id))
        return {k: v for k, v in receipt.items()}


router = Router()


@router.api("POST", "/api/fulfillment/pvt/orderForms/simulation", "fulfillment", SIMULATION)
async def simulation(ctx: Ctx) -> Response:
    return JSON(ctx.account.simulate(ctx.body, ctx.query.get("sc"), ctx.query.get("affiliateId")))


@router.api("POST", "/api/checkout/pub/orderForms/simulation", "checkout", None)
async def public_simulation(ctx: Ctx) -> Response:
    return JSON(ctx.account.simulate(ctx.body, ctx.query.get("sc", "1"), ctx.query.get("affiliateId")))


@router.api("POST", "/api/fulfillment/pvt/orders", "fulfillment", MARKETPLACE_ORDERS)
async def place(ctx: Ctx) -> Response:
    return JSON(ctx.account.place_orders(ctx.body, ctx.query.get("sc"), ctx.query.get("affiliateId")))


@router.api("POST", "/api/fulfillment/pvt/orders/{order_id}/fulfill", "fulfillment", MARKETPLACE_ORDERS)
async def fulfill(ctx: Ctx) -> Response:
    return JSON(
        ctx.account.authorize(
            ctx.path["order_id"], ctx.body, ctx.query.get("sc"), ctx.query.get("affiliateId")
        )
    )
