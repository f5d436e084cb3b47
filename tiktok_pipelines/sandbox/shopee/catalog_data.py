"""Categories, attributes and brands (reference §5): the category tree of the region (built from the
paths of the sandbox's merchant catalogs, so the demo catalog has leaves to map to), each leaf's attributes
(some mandatory, drop-down values by id), and the brand list per category with offset paging.

Answer shapes follow the platform's `v2.product.get_category`, `get_attributes` and `get_brand_list`;
the ids, names and which attributes are mandatory are the sandbox's own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tiktok_pipelines.sandbox.catalog import BRANDS, CATEGORIES
from tiktok_pipelines.sandbox.shopee.context import Ctx, Endpoints
from tiktok_pipelines.sandbox.shopee.errors import ApiError, param_error

NO_BRAND_ID = 0  # "No brand", accepted in every category whose brand is not mandatory


@dataclass
class Category:
    category_id: int
    name: str
    parent_id: int = 0
    children: list[int] = field(default_factory=list)
    attributes: list[dict[str, Any]] = field(default_factory=list)
    brand_mandatory: bool = False

    def as_api(self) -> dict[str, Any]:
        return {
            "category_id": self.category_id,
            "parent_category_id": self.parent_id,
            "original_category_name": self.name,
            "display_category_name": self.name,
            "has_children": bool(self.children),
        }


def _values(start: int, names: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {"value_id": start + i, "original_value_name": n, "display_value_name": n, "value_unit": ""}
        for i, n in enumerate(names)
    ]


def _attribute(
    attribute_id: int, name: str, mandatory: bool, input_type: str, values: tuple[str, ...] = ()
) -> dict[str, Any]:
    return {
        "attribute_id": attribute_id,
        "original_attribute_name": name,
        "display_attribute_name": name,
        "is_mandatory": mandatory,
        "input_validation_type": "STRING_TYPE",
        "format_type": "NORMAL",
        "input_type": input_type,
        "attribute_unit": [],
        "attribute_value_list": _values(attribute_id * 100, values),
    }


def build_categories() -> dict[int, Category]:
    """The region's tree: one node per path segment of the sandbox catalogs' categories; leaves carry
    attributes (Material mandatory under Moda, Garantia mandatory under Eletrônicos)."""
    tree: dict[int, Category] = {}
    by_path: dict[tuple[str, ...], int] = {}
    next_id = 100001
    for _, path, _, _, _ in CATEGORIES:
        for depth in range(1, len(path) + 1):
            prefix = tuple(path[:depth])
            if prefix in by_path:
                continue
            parent = by_path.get(prefix[:-1], 0)
            tree[next_id] = Category(next_id, prefix[-1], parent)
            if parent:
                tree[parent].children.append(next_id)
            by_path[prefix] = next_id
            next_id += 1
    for category in tree.values():
        if category.children:
            continue
        root = category
        while root.parent_id:
            root = tree[root.parent_id]
        category.attributes = [
            _attribute(
                100010,
                "Material",
                root.name == "Moda",
                "DROP_DOWN",
                ("Algodão", "Poliéster", "Couro", "Plástico", "Metal", "Outro"),
            ),
            _attribute(100020, "Cor", False, "COMBO_BOX", ("Preto", "Branco", "Azul", "Vermelho", "Verde")),
            _attribute(
                100030,
                "Garantia",
                root.name == "Eletrônicos",
                "DROP_DOWN",
                ("Sem garantia", "3 meses", "6 meses", "12 meses"),
            ),
        ]
        category.brand_mandatory = root.name == "Eletrônicos"
    return tree


class CatalogDataMixin:
    """The tree and brands of `ShopeeEmulator`."""

    def init_catalog_data(self) -> None:
        self.categories: dict[int, Category] = build_categories()
        self.brands: dict[int, dict[str, Any]] = {}
        for name in BRANDS:
            self.add_brand(name)

    def add_brand(self, name: str) -> dict[str, Any]:
        for brand in self.brands.values():
            if brand["original_brand_name"].casefold() == name.casefold():
                return brand
        brand_id = 1_100_000 + len(self.brands) + 1
        brand = {"brand_id": brand_id, "original_brand_name": name, "display_brand_name": name}
        self.brands[brand_id] = brand
        return brand

    def leaf(self, category_id: Any) -> Category:
        """A leaf category, or the platform's refusal."""
        try:
            category = self.categories[int(category_id)]
        except (KeyError, TypeError, ValueError):
            raise ApiError("product.error_param", f"category_id {category_id} is invalid.") from None
        if category.children:
            raise ApiError("product.error_param", f"category_id {category_id} is not a leaf category.")
        return category


endpoints = Endpoints()


@endpoints.get("product/get_category")
def h_get_category(ctx: Ctx) -> dict[str, Any]:
    return {"category_list": [c.as_api() for c in ctx.emulator.categories.values()]}


@endpoints.get("product/get_attributes")
def h_get_attributes(ctx: Ctx) -> dict[str, Any]:
    category = ctx.emulator.leaf(ctx.q_int("category_id"))
    return {"attribute_list": category.attributes}


@endpoints.get("product/get_brand_list")
def h_get_brand_list(ctx: Ctx) -> dict[str, Any]:
    offset = ctx.q_int("offset", low=0)
    page_size = ctx.q_int("page_size", low=1, high=100)
    category = ctx.emulator.leaf(ctx.q_int("category_id"))
    status = ctx.q_int("status", low=1, high=2)
    brands = list(ctx.emulator.brands.values()) if status == 1 else []
    chunk = brands[offset : offset + page_size]
    more = offset + page_size < len(brands)
    return {
        "brand_list": chunk,
        "has_next_page": more,
        "next_offset": offset + page_size if more else len(brands),
        "is_mandatory": category.brand_mandatory,
        "input_type": "DROP_DOWN",
    }


def check_attributes(category: Category, given: Any) -> list[dict[str, Any]]:
    """An item's `attribute_list` against its leaf: known attributes, drop-down values by id, every
    mandatory attribute given. Refusals are `product.error_param` (the wording is the sandbox's)."""
    if given is None:
        given = []
    if not isinstance(given, list):
        raise param_error("attribute_list must be a list")
    known = {a["attribute_id"]: a for a in category.attributes}
    seen = set()
    for entry in given:
        attribute = known.get(entry.get("attribute_id")) if isinstance(entry, dict) else None
        if attribute is None:
            raise ApiError(
                "product.error_param", f"attribute {entry!r} is not an attribute of this category."
            )
        values = entry.get("attribute_value_list") or []
        if not values:
            raise ApiError("product.error_param", f"attribute {attribute['attribute_id']} has no value.")
        ids = {v["value_id"] for v in attribute["attribute_value_list"]}
        for value in values:
            value_id = value.get("value_id")
            if attribute["input_type"] == "DROP_DOWN" and value_id not in ids:
                raise ApiError(
                    "product.error_param",
                    f"value_id {value_id} is not a value of attribute {attribute['attribute_id']}.",
                )
            if value_id == 0 and not value.get("original_value_name"):
                raise ApiError("product.error_param", "a custom value needs original_value_name.")
        seen.add(attribute["attribute_id"])
    missing = [
        a["attribute_id"] for a in category.attributes if a["is_mandatory"] and a["attribute_id"] not in seen
    ]
    if missing:
        raise ApiError("product.error_param", f"mandatory attribute {missing[0]} is missing.")
    return given


ROUTES = endpoints.routes
