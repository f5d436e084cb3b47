"""Items (listings, reference §5): create with the category's required attributes enforced, the dry-run
`/items/validate` (204 or the causes), read one or up to 20 (`/items?ids=`, answered per id as
`{code, body}`), partial updates (price, stock, status, attributes, pictures), variations (a list sent
replaces the item's: a variation sent without its id is created anew with a new id and no history, one
left out is deleted), the rules of items with sales (title and buying mode fixed, never deleted), the
stock rule (0 pauses as out_of_stock, more reactivates), descriptions in plain text, and pictures."""

from __future__ import annotations

import hashlib
import re
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.responses import JSONResponse, Response

from tiktok_pipelines.sandbox.mercado_livre.categories import LEAF_BY_ID, attribute_causes
from tiktok_pipelines.sandbox.mercado_livre.errors import (
    ApiError,
    bad_request,
    cause,
    forbidden,
    not_found,
    validation_error,
)
from tiktok_pipelines.sandbox.mercado_livre.routes import Call, id_list, table, trimmed
from tiktok_pipelines.sandbox.mercado_livre.state import CURRENCY, SITE_ID, Seller, iso

LISTING_TYPES = ("free", "gold_special", "gold_pro")
CONDITIONS = ("new", "used", "not_specified")
# What a new item must carry (besides pictures, and its quantity when it has no variations).
REQUIRED = ("title", "category_id", "price", "currency_id", "buying_mode", "listing_type_id", "condition")
# Fields an update copies as sent; with those it checks on their own, all an update may carry.
COPIED = (
    "title",
    "condition",
    "category_id",
    "seller_custom_field",
    "sale_terms",
    "shipping",
    "buying_mode",
    "video_id",
)
UPDATABLE = {
    *COPIED,
    "price",
    "available_quantity",
    "status",
    "deleted",
    "variations",
    "pictures",
    "attributes",
    "listing_type_id",
}
MAX_VARIATIONS = 100
# What others than the owner see of a quantity: the range it falls in (reference §5).
QUANTITY_RANGES = (1, 50, 100, 150, 200, 250, 500, 5000, 50000, 99999)
_HTML = re.compile(r"<[a-zA-Z/][^>]*>")


def picture_id_of(data: bytes) -> str:
    """A picture id in the platform's shape (`616145-MLB45301208946_032021`), from the picture's content."""
    digest = hashlib.sha256(data).hexdigest()
    return f"{int(digest[:6], 16) % 999999}-MLB{int(digest[6:16], 16) % 10**11}_{digest[16:20]}"


def _price(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() and amount > 0 else None


def _quantity(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _number(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _combination_key(variation: dict[str, Any]) -> tuple:
    return tuple(
        sorted(
            (
                str(c.get("id") or c.get("name")),
                str(c.get("value_id") or c.get("value_name") or "").casefold(),
            )
            for c in variation.get("attribute_combinations") or []
        )
    )


def _unpriced(variation: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in variation.items() if k != "price"}


def variation_causes(variations: Any, item_price: Decimal | None) -> list[dict[str, Any]]:
    """The reference's variation rules: at most 100, each with attribute_combinations, all over the same
    attributes, no two alike, one price for all (and the item's), quantities whole and not negative."""
    if not isinstance(variations, list) or not all(isinstance(v, dict) for v in variations):
        return [cause("item.variations.invalid", "variations must be a list of objects", ["item.variations"])]
    causes = []
    if len(variations) > MAX_VARIATIONS:
        causes.append(
            cause("item.variations.max", f"At most {MAX_VARIATIONS} variations", ["item.variations"])
        )
    keys = [_combination_key(v) for v in variations]
    if any(not k for k in keys):
        causes.append(
            cause(
                "item.variations.attribute_combinations.required",
                "Every variation needs attribute_combinations",
                ["item.variations.attribute_combinations"],
            )
        )
    elif len({tuple(a for a, _ in k) for k in keys}) > 1:
        causes.append(
            cause(
                "item.variations.attribute_combinations.different",
                "All variations must use the same attributes in attribute_combinations",
                ["item.variations.attribute_combinations"],
            )
        )
    if len(set(keys)) != len(keys):
        causes.append(
            cause(
                "item.variations.attribute_combinations.duplicated",
                "Two variations have the same attribute_combinations",
                ["item.variations.attribute_combinations"],
            )
        )
    prices = {_price(v["price"]) for v in variations if "price" in v}
    if None in prices:
        causes.append(
            cause("item.variations.price.invalid", "A variation's price is invalid", ["item.price"])
        )
    elif len(prices | ({item_price} if item_price and prices else set())) > 1:
        causes.append(
            cause(
                "item.variations.price.different", "All variations must have the same price", ["item.price"]
            )
        )
    if any("available_quantity" in v and _quantity(v["available_quantity"]) is None for v in variations):
        causes.append(
            cause(
                "item.variations.available_quantity.invalid",
                "A variation's available_quantity must be a whole number, 0 or more",
                ["item.available_quantity"],
            )
        )
    return causes


def item_causes(body: dict[str, Any], pictures: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Everything `POST /items` (and `/items/validate`) refuses in a body, as validation causes."""
    causes = []
    variations = body.get("variations") or []
    required = [*REQUIRED, "pictures"] + ([] if variations else ["available_quantity"])
    missing = [f for f in required if body.get(f) in (None, "", [])]
    for field_name in missing:
        causes.append(
            cause(
                f"item.{field_name}.required",
                f"The field {field_name} is required.",
                [f"item.{field_name}"],
                102,
            )
        )
    title = body.get("title")
    if title is not None and (not isinstance(title, str) or len(title) > 60):
        causes.append(
            cause("item.title.length.invalid", "title must be text of at most 60 characters", ["item.title"])
        )
    price = _price(body.get("price")) if "price" in body else None
    if "price" in body and price is None:
        causes.append(cause("item.price.invalid", "price must be a number above 0", ["item.price"]))
    if body.get("currency_id") not in (None, CURRENCY):
        causes.append(
            cause("item.currency_id.invalid", f"currency_id must be {CURRENCY}", ["item.currency_id"])
        )
    if "available_quantity" in body and _quantity(body["available_quantity"]) is None:
        causes.append(
            cause(
                "item.available_quantity.invalid",
                "available_quantity must be a whole number, 0 or more",
                ["item.available_quantity"],
            )
        )
    for name, allowed in (
        ("buying_mode", ("buy_it_now",)),
        ("listing_type_id", LISTING_TYPES),
        ("condition", CONDITIONS),
    ):
        if body.get(name) not in (None, *allowed):
            causes.append(
                cause(f"item.{name}.invalid", f"{name} must be one of {list(allowed)}", [f"item.{name}"])
            )
    causes += picture_causes(body.get("pictures"), pictures) if "pictures" in body else []
    if variations:
        causes += variation_causes(variations, price)
    if not isinstance(body.get("attributes", []), list):
        causes.append(cause("item.attributes.invalid", "attributes must be a list", ["item.attributes"]))
    elif "category_id" in body:
        leaf = LEAF_BY_ID.get(str(body["category_id"]))
        if leaf is None:
            causes.append(
                cause(
                    "item.category_id.invalid",
                    f"Category {body['category_id']} does not exist or is not a leaf",
                    ["item.category_id"],
                    111,
                )
            )
        elif not any(c["code"].startswith("item.variations") for c in causes):
            causes += attribute_causes(leaf, body)
    return causes


def picture_causes(value: Any, uploaded: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value or not all(isinstance(p, dict) for p in value):
        return [cause("item.pictures.invalid", "pictures must be a non-empty list", ["item.pictures"])]
    causes = []
    for picture in value:
        source, picture_id = picture.get("source"), picture.get("id")
        if source and not re.match(r"^https?://", str(source)):
            causes.append(
                cause("item.pictures.source.invalid", f"Invalid picture source {source!r}", ["item.pictures"])
            )
        elif not source and str(picture_id) not in uploaded:
            causes.append(
                cause("item.pictures.id.invalid", f"Unknown picture id {picture_id!r}", ["item.pictures"])
            )
    return causes


class ItemsMixin:
    """Items, their variations, descriptions and pictures of `MercadoLivreEmulator`."""

    def picture(self, picture: dict[str, Any]) -> dict[str, Any]:
        """A picture of an item: an uploaded one by id, or one downloaded from its source."""
        if picture.get("source"):
            picture_id = picture_id_of(str(picture["source"]).encode())
            self.pictures.setdefault(picture_id, {"id": picture_id, "source": picture["source"]})
        else:
            picture_id = str(picture["id"])
        url = f"{self.config.base_url}/_sandbox/pictures/{picture_id}"
        return {
            "id": picture_id,
            "url": url,
            "secure_url": url,
            "size": "500x500",
            "max_size": "1200x1200",
            "quality": "",
        }

    def _attributes(self, attributes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for a in attributes:
            value_id = a.get("value_id")
            value_name = a.get("value_name")
            out.append(
                {
                    "id": a.get("id"),
                    "name": a.get("name") or a.get("id"),
                    "value_id": str(value_id) if value_id not in (None, "") else None,
                    "value_name": value_name,
                    "values": [{"id": value_id, "name": value_name}],
                }
            )
        return out

    def _variation(
        self, v: dict[str, Any], price: Decimal, previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        variation = previous or {"id": self.rng.randrange(10**11, 2 * 10**11), "sold_quantity": 0}
        if "attribute_combinations" in v or previous is None:
            variation["attribute_combinations"] = [
                {
                    "id": c.get("id"),
                    "name": c.get("name") or c.get("id"),
                    "value_id": c.get("value_id"),
                    "value_name": c.get("value_name"),
                }
                for c in v.get("attribute_combinations") or []
            ]
        variation["price"] = _number(price)
        if "available_quantity" in v or previous is None:
            variation["available_quantity"] = int(v.get("available_quantity") or 0)
        if "picture_ids" in v or previous is None:
            variation["picture_ids"] = [str(p) for p in v.get("picture_ids") or []]
        if "attributes" in v or previous is None:
            variation["attributes"] = self._attributes(v.get("attributes") or [])
        if "seller_custom_field" in v or previous is None:
            variation["seller_custom_field"] = v.get("seller_custom_field")
        return variation

    def create_item(self, seller: Seller, body: dict[str, Any], quiet: bool = False) -> dict[str, Any]:
        """Lists an item (refused with the causes `/items/validate` gives); `quiet` tells no one."""
        causes = item_causes(body, self.pictures)
        if causes:
            raise validation_error(causes)
        now = time.time()
        item_id = f"{SITE_ID}{self.rng.randrange(10**9, 5 * 10**9)}"
        price = _price(body["price"])
        assert price is not None
        item: dict[str, Any] = {
            "id": item_id,
            "site_id": SITE_ID,
            "title": body["title"],
            "seller_id": seller.id,
            "category_id": body["category_id"],
            "user_product_id": f"MLBU{self.rng.randrange(10**9, 5 * 10**9)}",
            "price": _number(price),
            "base_price": _number(price),
            "original_price": None,
            "currency_id": CURRENCY,
            "initial_quantity": 0,
            "available_quantity": int(body.get("available_quantity") or 0),
            "sold_quantity": 0,
            "sale_terms": body.get("sale_terms") or [],
            "buying_mode": body["buying_mode"],
            "listing_type_id": body["listing_type_id"],
            "listing_type_changes": 0,
            "condition": body["condition"],
            "start_time": iso(now),
            "stop_time": iso(now + 20 * 365 * 86400),
            "permalink": f"https://produto.mercadolivre.com.br/{item_id[:3]}-{item_id[3:]}",
            "pictures": [self.picture(p) for p in body["pictures"]],
            "video_id": body.get("video_id"),
            "attributes": self._attributes(body.get("attributes") or []),
            "variations": [self._variation(v, price, None) for v in body.get("variations") or []],
            "seller_custom_field": body.get("seller_custom_field"),
            "shipping": body.get("shipping")
            or {"mode": "me2", "logistic_type": "cross_docking", "free_shipping": False},
            "status": "active",
            "sub_status": [],
            "tags": [],
            "date_created": iso(now),
            "last_updated": iso(now),
        }
        item["thumbnail"] = item["pictures"][0]["secure_url"]
        self._settle_stock(item)
        item["initial_quantity"] = item["available_quantity"]
        seller.items[item_id] = item
        description = body.get("description")
        if isinstance(description, dict) and description.get("plain_text"):
            self.set_description(seller, item_id, description)
        if not quiet:
            self.notify(seller, "items", f"/items/{item_id}")
        return item

    def _settle_stock(self, item: dict[str, Any]) -> None:
        """The item's quantity is its variations'; 0 pauses it (out_of_stock), more reactivates it."""
        if item["variations"]:
            item["available_quantity"] = sum(v["available_quantity"] for v in item["variations"])
        if item["status"] == "active" and item["available_quantity"] == 0:
            item["status"], item["sub_status"] = "paused", ["out_of_stock"]
        elif (
            item["status"] == "paused" and "out_of_stock" in item["sub_status"] and item["available_quantity"]
        ):
            item["status"], item["sub_status"] = "active", []

    def own_item(self, seller: Seller, item_id: str) -> dict[str, Any]:
        item = seller.items.get(item_id)
        if item is None:
            if any(item_id in s.items for s in self.sellers.values()):
                raise forbidden(f"The item {item_id} belongs to another seller")
            raise not_found(f"Item with id {item_id} not found")
        return item

    def update_item(self, seller: Seller, item_id: str, body: dict[str, Any]) -> dict[str, Any]:
        item = self.own_item(seller, item_id)
        unknown = sorted(set(body) - UPDATABLE)
        if unknown:
            raise bad_request(f"The fields {unknown} cannot be updated here", "body.invalid_fields")
        if item["status"] == "closed":
            if set(body) != {"deleted"}:
                raise bad_request(f"Item {item_id} is closed: it cannot be modified", "item.status.closed")
            return self._delete(item, body["deleted"])
        if "deleted" in body:
            raise bad_request("Only a closed item can be deleted", "item.status.not_closed")
        causes = self._update_causes(item, body)
        if causes:
            raise validation_error(causes)
        for name in COPIED:
            if name in body:
                item[name] = body[name]
        if "listing_type_id" in body and body["listing_type_id"] != item["listing_type_id"]:
            item["listing_type_id"] = body["listing_type_id"]
            item["listing_type_changes"] += 1 if item["sold_quantity"] else 0
        if "pictures" in body:
            item["pictures"] = [self.picture(p) for p in body["pictures"]]
            item["thumbnail"] = item["pictures"][0]["secure_url"]
        if "attributes" in body:
            merged = {a["id"]: a for a in item["attributes"]}
            merged.update({a["id"]: a for a in self._attributes(body["attributes"])})
            item["attributes"] = list(merged.values())
        price = _price(body["price"]) if "price" in body else Decimal(str(item["price"]))
        assert price is not None
        item["price"] = item["base_price"] = _number(price)
        if "variations" in body:
            self._replace_variations(item, body["variations"], price)
        for variation in item["variations"]:
            variation["price"] = item["price"]
        if "available_quantity" in body:
            item["available_quantity"] = body["available_quantity"]
        if "status" in body:
            self._set_status(item, body["status"])
        self._settle_stock(item)
        item["last_updated"] = iso(time.time())
        self.notify(seller, "items", f"/items/{item_id}")
        return item

    def _update_causes(self, item: dict[str, Any], body: dict[str, Any]) -> list[dict[str, Any]]:
        causes = []
        sold = item["sold_quantity"] > 0
        for name in ("title", "buying_mode", "category_id"):
            if sold and name in body and body[name] != item[name]:
                causes.append(
                    cause(
                        f"item.{name}.not_modifiable",
                        f"The {name} of an item with sales cannot be changed",
                        [f"item.{name}"],
                    )
                )
        if (
            sold
            and body.get("listing_type_id", item["listing_type_id"]) != item["listing_type_id"]
            and item["listing_type_changes"]
        ):
            causes.append(
                cause(
                    "item.listing_type_id.not_modifiable",
                    "The listing type of an item with sales can be changed once",
                    ["item.listing_type_id"],
                )
            )
        if "available_quantity" in body and item["variations"] and "variations" not in body:
            causes.append(
                cause(
                    "item.available_quantity.variations",
                    "An item with variations takes available_quantity per variation",
                    ["item.available_quantity"],
                )
            )
        if "status" in body and body["status"] not in ("active", "paused", "closed"):
            causes.append(
                cause("item.status.invalid", "status must be active, paused or closed", ["item.status"])
            )
        merged = {k: item[k] for k in (*REQUIRED, "available_quantity")}
        merged["pictures"] = [{"id": p["id"]} for p in item["pictures"]]
        merged |= {k: v for k, v in body.items() if k not in ("status", "variations", "attributes")}
        by_id = {a["id"]: a for a in item["attributes"]}
        by_id.update({a.get("id"): a for a in body.get("attributes") or [] if isinstance(a, dict)})
        merged["attributes"] = list(by_id.values())
        if "variations" in body:
            sent = body["variations"]
            kept = {v["id"]: v for v in item["variations"]}
            if isinstance(sent, list):
                unknown = [v["id"] for v in sent if isinstance(v, dict) and "id" in v and v["id"] not in kept]
                if unknown:
                    causes.append(
                        cause(
                            "item.variations.id.invalid",
                            f"Unknown variation ids {unknown}",
                            ["item.variations"],
                        )
                    )
                sent = [_unpriced(kept.get(v.get("id"), {})) | v if isinstance(v, dict) else v for v in sent]
            merged["variations"] = sent
        else:
            merged["variations"] = [_unpriced(v) for v in item["variations"]]
        if body.get("status") == "active" and item["status"] != "active":
            variations = [v for v in merged["variations"] if isinstance(v, dict)]
            stock = (
                sum(v.get("available_quantity") or 0 for v in variations)
                if variations
                else merged.get("available_quantity")
            )
            if not stock:
                causes.append(
                    cause(
                        "item.status.not_modifiable",
                        "An item without stock cannot be activated",
                        ["item.status"],
                    )
                )
        return causes + [
            c
            for c in item_causes(merged, self.pictures)
            if not c["code"].endswith(".required") or any(c["code"] == f"item.{f}.required" for f in body)
        ]

    def _replace_variations(self, item: dict[str, Any], sent: list[dict[str, Any]], price: Decimal) -> None:
        """The list sent becomes the item's variations: one with a known id is updated, one without an id
        is created anew (a new id, no sales history), every other existing one is deleted."""
        existing = {v["id"]: v for v in item["variations"]}
        item["variations"] = [self._variation(v, price, existing.get(v.get("id"))) for v in sent]

    def _set_status(self, item: dict[str, Any], status: str) -> None:
        if status == item["status"]:
            return
        item["status"] = status
        item["sub_status"] = {"paused": ["paused_by_seller"], "closed": []}.get(status, [])
        if status == "closed":
            item["stop_time"] = iso(time.time())

    def _delete(self, item: dict[str, Any], flag: Any) -> dict[str, Any]:
        if str(flag).lower() != "true":
            raise bad_request("deleted must be true", "body.invalid_field_types")
        if item["sold_quantity"] and not self.config.delete_with_sales:
            raise bad_request(
                f"Item {item['id']} has sales: it is closed, never deleted", "item.delete.has_sales"
            )
        item["sub_status"] = ["deleted"]
        item["last_updated"] = iso(time.time())
        return item

    def delete_variation(self, seller: Seller, item_id: str, variation_id: int) -> dict[str, Any]:
        item = self.own_item(seller, item_id)
        if not any(v["id"] == variation_id for v in item["variations"]):
            raise not_found(f"Variation {variation_id} of item {item_id} not found")
        item["variations"] = [v for v in item["variations"] if v["id"] != variation_id]
        self._settle_stock(item)
        item["last_updated"] = iso(time.time())
        return item

    def set_description(self, seller: Seller, item_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self.own_item(seller, item_id)
        text = body.get("plain_text")
        if not isinstance(text, str):
            raise bad_request("plain_text is required", "body.invalid_field_types")
        if _HTML.search(text):
            raise validation_error(
                [
                    cause(
                        "item.description.type.invalid",
                        "plain_text does not accept HTML",
                        ["item.description"],
                    )
                ]
            )
        seller.descriptions[item_id] = text
        return self.description(item_id)

    def description(self, item_id: str) -> dict[str, Any]:
        item = self.item_anywhere(item_id)
        owner = self.sellers_by_id[item["seller_id"]]
        if item_id not in owner.descriptions:
            raise not_found(f"Description of item {item_id} not found")
        return {
            "text": "",
            "plain_text": owner.descriptions[item_id],
            "last_updated": item["last_updated"],
            "date_created": item["date_created"],
            "snapshot": {"url": "", "width": 0, "height": 0},
        }

    def item_anywhere(self, item_id: str) -> dict[str, Any]:
        for s in self.sellers.values():
            if item_id in s.items:
                return s.items[item_id]
        raise not_found(f"Item with id {item_id} not found")

    def item_view(self, item: dict[str, Any], viewer: Seller | None) -> dict[str, Any]:
        """An item as `viewer` sees it: exact quantities for its owner, ranges for anyone else."""
        view = {k: v for k, v in item.items() if k != "listing_type_changes"}
        if viewer is None or viewer.id != item["seller_id"]:

            def ranged(n: int) -> int:
                return max([r for r in QUANTITY_RANGES if r <= n] or [0])

            view["available_quantity"] = ranged(item["available_quantity"])
            view["sold_quantity"] = ranged(item["sold_quantity"])
            view["variations"] = [
                v
                | {
                    "available_quantity": ranged(v["available_quantity"]),
                    "sold_quantity": ranged(v["sold_quantity"]),
                }
                for v in item["variations"]
            ]
        return view


def h_create(call: Call) -> Any:
    return JSONResponse(call.emulator.create_item(call.me, call.json_object()), status_code=201)


def h_validate(call: Call) -> Any:
    causes = item_causes(call.json_object(), call.emulator.pictures)
    if causes:
        raise validation_error(causes)
    return Response(status_code=204)


def h_get(call: Call) -> Any:
    item = call.emulator.item_anywhere(call.params["item_id"])
    return trimmed(call.emulator.item_view(item, call.seller), call)


def h_multiget(call: Call) -> Any:
    answers = []
    for item_id in id_list(call, "ids", 20):
        try:
            item = call.emulator.item_anywhere(item_id)
        except ApiError as exc:
            answers.append({"code": exc.status, "body": exc.body()})
            continue
        answers.append({"code": 200, "body": trimmed(call.emulator.item_view(item, call.seller), call)})
    return answers


def h_update(call: Call) -> Any:
    return call.emulator.update_item(call.me, call.params["item_id"], call.json_object())


def h_delete_variation(call: Call) -> Any:
    try:
        variation_id = int(call.params["variation_id"])
    except ValueError:
        raise not_found(f"Variation {call.params['variation_id']} not found") from None
    return call.emulator.delete_variation(call.me, call.params["item_id"], variation_id)


def h_get_description(call: Call) -> Any:
    return call.emulator.description(call.params["item_id"])


def h_set_description(call: Call) -> Any:
    return call.emulator.set_description(call.me, call.params["item_id"], call.json_object())


# Reads are public (others than the owner see quantities as ranges); writes take the owner's token.
ROUTES = table(
    {
        "POST /items": h_create,
        "POST /items/validate": h_validate,
        "PUT /items/{item_id}": h_update,
        "DELETE /items/{item_id}/variations/{variation_id}": h_delete_variation,
        "POST /items/{item_id}/description": h_set_description,
        "PUT /items/{item_id}/description": h_set_description,
    }
) + table(
    {
        "GET /items": h_multiget,
        "GET /items/{item_id}": h_get,
        "GET /items/{item_id}/description": h_get_description,
    },
    auth=False,
)
