"""OMS: the order as VTEX keeps it (built from a placed marketplace order), its workflow statuses and
history (each change told to the listener: feed, hook, the ERP), cancellation (stock released, the
marketplace called back), the order list with its filters, and the OMS endpoints. Invoices are in
`invoices`."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from starlette.responses import Response

from tiktok_pipelines.sandbox.vtex.catalog_records import category_path_ids, sized_image_url, sku_name
from tiktok_pipelines.sandbox.vtex.errors import ApiError
from tiktok_pipelines.sandbox.vtex.marketplace import SLAS, Affiliate
from tiktok_pipelines.sandbox.vtex.resources import ORDER_CANCEL, ORDER_VIEW, ORDER_WORKFLOW
from tiktok_pipelines.sandbox.vtex.routing import JSON, Ctx, Router
from tiktok_pipelines.sandbox.vtex.values import now_utc, parse_time, vtex_time

# Workflow statuses the sandbox moves orders through, with the description VTEX shows.
STATUS_DESCRIPTIONS = {
    "order-accepted": "Pedido aceito",
    "waiting-ffmt-authorization": "Aguardando autorização para despachar",
    "authorize-fulfillment": "Autorizar despacho",
    "window-to-cancel": "Carência para cancelamento",
    "ready-for-handling": "Pronto para o manuseio",
    "handling": "Preparando entrega",
    "invoice": "Verificando fatura",
    "invoiced": "Faturado",
    "cancel": "Cancelando",
    "canceled": "Cancelado",
}
KNOWN_STATUSES = {
    *STATUS_DESCRIPTIONS,
    "order-created",
    "on-order-completed",
    "on-order-completed-ffm",
    "payment-pending",
    "payment-approved",
    "waiting-for-authorization",
    "waiting-for-manual-authorization",
    "window-to-change-payment",
    "window-to-change-seller",
    "start-handling",
    "ready-for-invoicing",
    "request-cancel",
    "cancellation-requested",
    "waiting-for-fulfillment",
    "waiting-for-mkt-authorization",
    "waiting-seller-handling",
    "waiting-for-sellers-confirmation",
}
CANCELLABLE = {
    "order-accepted",
    "waiting-ffmt-authorization",
    "authorize-fulfillment",
    "window-to-cancel",
    "ready-for-handling",
    "handling",
}


class OmsMixin:
    """The orders of a `SandboxAccount`."""

    def order(self, order_id: str) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            for candidate in self.orders.values():
                if candidate["sequence"] == order_id:
                    return candidate
            raise ApiError(404, f"Order {order_id} not found", "OMS002")
        return order

    def _create_order(self, order_id: str, plan: dict[str, Any], sc: str, affiliate: Affiliate) -> None:
        payload = plan["payload"]
        created = now_utc()
        items, logistics_info = [], []
        items_total = shipping_total = 0
        for index, (product, sku, item, quantity, price, list_price) in enumerate(plan["lines"]):
            warehouse = self._reserve(sku, quantity)
            path_ids = category_path_ids(product.category)
            items.append(
                {
                    "uniqueId": uuid.uuid4().hex.upper(),
                    "id": str(sku.sku_id),
                    "productId": str(product.product_id),
                    "ean": sku.ean,
                    "lockId": f"00-{order_id}",
                    "itemAttachment": {"content": {}, "name": None},
                    "attachments": [],
                    "quantity": quantity,
                    "seller": "1",
                    "name": sku_name(product, sku),
                    "refId": sku.ref_id,
                    "price": price,
                    "listPrice": list_price,
                    "manualPrice": None,
                    "priceTags": [],
                    "imageUrl": sized_image_url(self.image_base_url, sku.image_ids[0], product)
                    if sku.image_ids
                    else None,
                    "detailUrl": f"/{product.slug}/p",
                    "components": [],
                    "bundleItems": [],
                    "params": [],
                    "offerings": [],
                    "sellerSku": str(sku.sku_id),
                    "priceValidUntil": None,
                    "commission": int(item.get("commission") or 0),
                    "tax": 0,
                    "preSaleDate": None,
                    "additionalInfo": {
                        "brandName": product.brand.name,
                        "brandId": str(product.brand.id),
                        "categoriesIds": "/" + "/".join(str(i) for i in path_ids) + "/",
                        "productClusterId": "",
                        "commercialConditionId": "1",
                        "dimension": {
                            "cubicweight": round(sku.height_cm * sku.width_cm * sku.length_cm / 6000, 4),
                            "height": sku.height_cm,
                            "length": sku.length_cm,
                            "weight": float(sku.weight_kg * 1000),
                            "width": sku.width_cm,
                        },
                        "offeringInfo": None,
                        "offeringType": None,
                        "offeringTypeId": None,
                    },
                    "measurementUnit": "un",
                    "unitMultiplier": 1.0,
                    "sellingPrice": price,
                    "isGift": False,
                    "shippingPrice": None,
                    "rewardValue": 0,
                    "freightCommission": int(item.get("freightCommission") or 0),
                    "priceDefinition": {
                        "sellingPrices": [{"value": price, "quantity": quantity}],
                        "calculatedSellingPrice": price,
                        "total": price * quantity,
                    },
                    "taxCode": None,
                    "parentItemIndex": None,
                    "parentAssemblyBinding": None,
                    "callCenterOperator": None,
                    "serialNumbers": None,
                    "assemblies": [],
                    "costPrice": None,
                }
            )
            items_total += price * quantity
            li = plan["logistics"][index]
            freight = int(li.get("price") or 0)
            shipping_total += freight
            sla_id = li["selectedSla"]
            estimate = li.get("shippingEstimate") or next(e for n, e, _ in SLAS if n == sla_id)
            days = int(re.sub(r"\D", "", estimate) or "5")
            logistics_info.append(
                {
                    "itemIndex": index,
                    "selectedSla": sla_id,
                    "selectedDeliveryChannel": li.get("selectedDeliveryChannel") or "delivery",
                    "lockTTL": li.get("lockTTL") or "8d",
                    "price": freight,
                    "listPrice": freight,
                    "sellingPrice": freight,
                    "deliveryWindow": li.get("deliveryWindow"),
                    "deliveryCompany": "Transportadora Sandbox",
                    "shippingEstimate": estimate,
                    "shippingEstimateDate": vtex_time(created + timedelta(days=days)),
                    "slas": [],
                    "shipsTo": ["BRA"],
                    "deliveryIds": [
                        {
                            "courierId": "1",
                            "courierName": "Transportadora Sandbox",
                            "dockId": "1",
                            "quantity": quantity,
                            "warehouseId": warehouse,
                            "accountCarrierName": None,
                            "kitItemDetails": [],
                        }
                    ],
                    "deliveryChannels": [{"id": "delivery", "stockBalance": 0}],
                    "deliveryChannel": "delivery",
                    "pickupStoreInfo": {"isPickupStore": False},
                    "addressId": "1",
                    "versionId": None,
                    "entityId": None,
                    "polygonName": None,
                    "transitTime": estimate,
                }
            )
        profile = dict(payload["clientProfileData"])
        profile.setdefault("documentType", "cpf")
        profile.setdefault("phone", None)
        profile.setdefault("isCorporate", False)
        profile["userProfileId"] = str(uuid.uuid5(uuid.NAMESPACE_DNS, profile["email"]))
        address = {
            "addressId": "1",
            "geoCoordinates": [],
            "country": "BRA",
            "addressType": "residential",
            **payload["shippingData"]["address"],
        }
        sequence = str(self.next_sequence)
        self.next_sequence += 1
        payment = payload.get("paymentData") or {}
        transactions = (
            [
                {
                    "isActive": True,
                    "transactionId": uuid.uuid4().hex.upper(),
                    "merchantName": self.name.upper(),
                    "payments": [dict(p, id=uuid.uuid4().hex.upper()) for p in payment.get("payments") or []],
                }
            ]
            if payment.get("payments")
            else []
        )
        order = {
            "orderId": order_id,
            "sequence": sequence,
            "marketplaceOrderId": payload["marketplaceOrderId"],
            "marketplaceServicesEndpoint": payload.get("marketplaceServicesEndpoint"),
            "sellerOrderId": f"00-{order_id}",
            "origin": "Fulfillment",
            "affiliateId": affiliate.id,
            "salesChannel": sc,
            "merchantName": None,
            "status": "order-accepted",
            "statusDescription": STATUS_DESCRIPTIONS["order-accepted"],
            "value": items_total + shipping_total,
            "creationDate": vtex_time(created),
            "lastChange": vtex_time(created),
            "orderGroup": None,
            "followUpEmail": f"{uuid.uuid5(uuid.NAMESPACE_URL, order_id).hex[:32]}@ct.vtex.com.br",
            "totals": [
                {"id": "Items", "name": "Total dos Itens", "value": items_total},
                {"id": "Discounts", "name": "Total dos Descontos", "value": 0},
                {"id": "Shipping", "name": "Total do Frete", "value": shipping_total},
                {"id": "Tax", "name": "Total da Taxa", "value": 0},
            ],
            "items": items,
            "marketplaceItems": [],
            "clientProfileData": profile,
            "giftRegistryData": None,
            "marketingData": None,
            "ratesAndBenefitsData": {"id": "ratesAndBenefitsData", "rateAndBenefitsIdentifiers": []},
            "shippingData": {
                "id": "shippingData",
                "address": address,
                "logisticsInfo": logistics_info,
                "trackingHints": [],
                "selectedAddresses": [address],
                "isFOB": False,
            },
            "paymentData": {"giftCards": [], "transactions": transactions},
            "packageAttachment": {"packages": []},
            "sellers": [{"id": "1", "name": self.catalog.account, "logo": "", "fulfillmentEndpoint": None}],
            "callCenterOperatorData": None,
            "followUpEmailData": None,
            "lastMessage": None,
            "hostname": self.name,
            "invoiceData": None,
            "changesAttachment": None,
            "openTextField": payload.get("openTextField"),
            "roundingError": 0,
            "orderFormId": uuid.uuid4().hex,
            "commercialConditionData": None,
            "isCompleted": True,
            "customData": None,
            "storePreferencesData": {
                "countryCode": "BRA",
                "currencyCode": "BRL",
                "currencyFormatInfo": {
                    "CurrencyDecimalDigits": 2,
                    "CurrencyDecimalSeparator": ",",
                    "CurrencyGroupSeparator": ".",
                    "CurrencyGroupSize": 3,
                    "StartsWithCurrencySymbol": True,
                },
                "currencyLocale": 1046,
                "currencySymbol": "R$",
                "timeZone": "E. South America Standard Time",
            },
            "allowCancellation": True,
            "allowEdition": False,
            "isCheckedIn": False,
            "marketplace": {
                "baseURL": payload.get("marketplaceServicesEndpoint"),
                "isCertified": None,
                "name": affiliate.name,
            },
            "authorizedDate": None,
            "invoicedDate": None,
            "cancelReason": None,
            "itemMetadata": None,
            "subscriptionData": None,
            "taxData": None,
            "checkedInPickupPointId": None,
            "cancellationData": None,
            "clientPreferencesData": {"locale": "pt-BR", "optinNewsLetter": False},
        }
        self.orders[order_id] = order
        self.order_history[order_id] = []
        self._record(order, None)
        self._move(order, "waiting-ffmt-authorization")

    def _record(self, order: dict[str, Any], last_state: str | None) -> None:
        self.order_history[order["orderId"]].append(
            {"state": order["status"], "lastState": last_state or "", "at": order["lastChange"]}
        )
        self.listener.order_changed(self, order, last_state)

    def _move(self, order: dict[str, Any], status: str) -> None:
        last = order["status"]
        order["status"] = status
        order["statusDescription"] = STATUS_DESCRIPTIONS.get(status, status)
        order["lastChange"] = vtex_time()
        order["allowCancellation"] = status in CANCELLABLE
        self._record(order, last)

    def end_window(self, order_id: str) -> None:
        order = self.orders.get(order_id)
        if order is not None and order["status"] == "window-to-cancel":
            self._move(order, "ready-for-handling")

    def start_handling(self, order_id: str) -> None:
        order = self.order(order_id)
        if order["status"] != "ready-for-handling":
            raise ApiError(409, "Order status should be ready-for-handling to perform this action", "OMS003")
        self._move(order, "handling")

    def cancel(self, order_id: str, reason: str | None = None) -> dict[str, Any]:
        order = self.order(order_id)
        if order.get("_cancellation"):
            return dict(order["_cancellation"])
        if any(p["type"] == "Output" for p in order["packageAttachment"]["packages"]):
            raise ApiError(
                400, "An invoiced order can only be canceled after a return (Input) invoice", "OMS003"
            )
        if order["status"] not in CANCELLABLE:
            raise ApiError(400, f"Order in status {order['status']} cannot be canceled", "OMS003")
        for item, li in zip(order["items"], order["shippingData"]["logisticsInfo"], strict=True):
            for delivery in li["deliveryIds"]:
                self._release(int(item["id"]), delivery["warehouseId"], delivery["quantity"])
        receipt = {"date": vtex_time(), "orderId": order_id, "receipt": uuid.uuid4().hex}
        order["_cancellation"] = receipt
        order["cancelReason"] = reason
        order["cancellationData"] = {
            "RequestedByUser": False,
            "RequestedBySystem": False,
            "RequestedBySellerNotification": True,
            "RequestedByPaymentNotification": False,
            "Reason": reason,
            "CancellationDate": receipt["date"],
        }
        self._move(order, "cancel")
        self._move(order, "canceled")
        self.listener.marketplace_callback(
            self,
            order,
            "cancel",
            {"orderId": order_id, "marketplaceOrderId": order["marketplaceOrderId"], "reason": reason},
        )
        return dict(receipt)

    def list_orders(self, params: dict[str, str]) -> dict[str, Any]:
        per_page = _page_param(params.get("per_page"), 15, "per_page")
        page = _page_param(params.get("page"), 1, "page")
        if not 1 <= per_page <= 100:
            raise ApiError(400, "per_page must be between 1 and 100")
        if not 1 <= page <= 30:
            raise ApiError(400, "page must be between 1 and 30")
        statuses = {s for s in (params.get("f_status") or "").split(",") if s}
        window = params.get("f_creationDate")
        start = end = None
        if window:
            m = re.fullmatch(r"creationDate:\[(\S+) TO (\S+)\]", window)
            if not m:
                raise ApiError(400, "f_creationDate must read creationDate:[<from> TO <to>]")
            start = None if m.group(1) == "*" else parse_time(m.group(1), "f_creationDate")
            end = None if m.group(2) == "*" else parse_time(m.group(2), "f_creationDate")
        rows = []
        for order in self.orders.values():
            created = parse_time(order["creationDate"], "creationDate")
            if statuses and order["status"] not in statuses:
                continue
            if (start and created < start) or (end and created > end):
                continue
            rows.append(order)
        rows.sort(key=lambda o: o["creationDate"], reverse=True)
        chunk = rows[(page - 1) * per_page : page * per_page]
        profile = lambda o: f"{o['clientProfileData']['firstName']} {o['clientProfileData']['lastName']}"  # noqa: E731
        return {
            "list": [
                {
                    "orderId": o["orderId"],
                    "creationDate": o["creationDate"],
                    "clientName": profile(o),
                    "items": None,
                    "totalValue": o["value"],
                    "paymentNames": "",
                    "status": o["status"],
                    "statusDescription": o["statusDescription"],
                    "marketPlaceOrderId": o["marketplaceOrderId"],
                    "sequence": o["sequence"],
                    "salesChannel": o["salesChannel"],
                    "affiliateId": o["affiliateId"],
                    "origin": o["origin"],
                    "workflowInErrorState": False,
                    "workflowInRetry": False,
                    "lastMessageUnread": None,
                    "ShippingEstimatedDate": None,
                    "orderIsComplete": True,
                    "authorizedDate": o["authorizedDate"],
                    "totalItems": sum(i["quantity"] for i in o["items"]),
                    "currencyCode": "BRL",
                    "hostname": o["hostname"],
                    "invoiceOutput": [
                        p["invoiceNumber"]
                        for p in o["packageAttachment"]["packages"]
                        if p["type"] == "Output"
                    ]
                    or None,
                    "invoiceInput": [
                        p["invoiceNumber"] for p in o["packageAttachment"]["packages"] if p["type"] == "Input"
                    ]
                    or None,
                    "lastChange": o["lastChange"],
                }
                for o in chunk
            ],
            "facets": [],
            "paging": {
                "total": len(rows),
                "pages": max(1, -(-len(rows) // per_page)),
                "currentPage": page,
                "perPage": per_page,
            },
            "stats": {"stats": {"totalValue": {"Count": len(rows), "Sum": sum(o["value"] for o in rows)}}},
        }

    def public_order(self, order: dict[str, Any]) -> dict[str, Any]:
        """The order as the OMS returns it (without the sandbox's bookkeeping)."""
        return {k: v for k, v in order.items() if not k.startswith("_")}


def _page_param(value: str | None, default: int, name: str) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, f"{name} must be a number") from None


router = Router()


@router.api("GET", "/api/oms/pvt/orders", "oms", ORDER_VIEW)
async def list_orders(ctx: Ctx) -> Response:
    return JSON(ctx.account.list_orders(ctx.query))


@router.api("GET", "/api/oms/pvt/orders/{order_id}", "oms", ORDER_VIEW)
async def get_order(ctx: Ctx) -> Response:
    return JSON(ctx.account.public_order(ctx.account.order(ctx.path["order_id"])))


@router.api("POST", "/api/oms/pvt/orders/{order_id}/cancel", "oms", ORDER_CANCEL)
async def cancel(ctx: Ctx) -> Response:
    reason = ctx.body.get("reason") if isinstance(ctx.body, dict) else None
    return JSON(ctx.account.cancel(ctx.path["order_id"], reason))


@router.api("POST", "/api/oms/pvt/orders/{order_id}/start-handling", "oms", ORDER_WORKFLOW)
async def start_handling(ctx: Ctx) -> Response:
    ctx.account.start_handling(ctx.path["order_id"])
    return Response(status_code=204)
