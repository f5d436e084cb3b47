"""The sandbox catalog as VTEX's Catalog API shows it: SKU context, product, brands, category tree.

Every view is computed from the world's `Catalog` objects, so the SKUs, EANs, brands, images and names
the VTEX emulator serves are those of the feed. VTEX's quirks are kept: `BrandId` is a string in the
SKU context and an int in the product, brand lists are camelCase, the category tree mixes casings.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tiktok_pipelines.sandbox.catalog import CATEGORIES, Catalog, Category, Product, Sku, slugify
from tiktok_pipelines.sandbox.feeds.writer import image_url

SALES_CHANNELS = {"1": "Loja Principal", "2": "Marketplaces"}
SPEC_COLOR = (30, "Cor")
SPEC_SIZE = (31, "Tamanho")
SPEC_GROUP = (12, "Especificações")
RELEASE_DATE = "2024-03-01T00:00:00"


@dataclass(frozen=True)
class CategoryNode:
    id: int
    name: str
    parent_id: int | None
    path_ids: tuple[int, ...]  # from the department down to this node
    leaf: bool


def category_nodes() -> dict[int, CategoryNode]:
    """Every node of the tree, departments and intermediate levels included.

    The generator knows leaf ids only (11, 13, ...); a department gets the leaf's tens digit (Moda → 1)
    and an intermediate level ten times the first leaf under it (Moda > Calçados → 130), which keeps
    ids stable and distinct.
    """
    nodes: dict[tuple[str, ...], CategoryNode] = {}
    for leaf_id, path, _, _, _ in CATEGORIES:
        ids: list[int] = []
        for depth in range(len(path)):
            prefix = path[: depth + 1]
            node = nodes.get(prefix)
            if node is None:
                if depth == len(path) - 1:
                    node_id = leaf_id
                elif depth == 0:
                    node_id = leaf_id // 10
                else:
                    node_id = leaf_id * 10
                node = CategoryNode(
                    id=node_id,
                    name=prefix[-1],
                    parent_id=ids[-1] if ids else None,
                    path_ids=(*ids, node_id),
                    leaf=depth == len(path) - 1,
                )
                nodes[prefix] = node
            ids.append(node.id)
    return {n.id: n for n in nodes.values()}


CATEGORY_NODES = category_nodes()


def category_path_ids(category: Category) -> tuple[int, ...]:
    return CATEGORY_NODES[category.id].path_ids


def sku_name(product: Product, sku: Sku) -> str:
    return f"{product.name} {sku.variant_name}" if len(product.skus) > 1 else product.name


def sku_images(product: Product, sku: Sku, image_base_url: str) -> list[dict[str, Any]]:
    return [
        {"ImageUrl": image_url(image_base_url, fid, product), "ImageName": sku.variant_name, "FileId": fid}
        for fid in sku.image_ids
    ]


def sized_image_url(image_base_url: str, file_id: int, product: Product, size: str = "55-55") -> str:
    """VTEX's resized image address: the file id gets a `-W-H` suffix."""
    return image_url(image_base_url, file_id, product).replace(
        f"/arquivos/ids/{file_id}/", f"/arquivos/ids/{file_id}-{size}/"
    )


def weight_value(sku: Sku, unit: str) -> float:
    """The weight as the store records it: VTEX leaves the unit to the store (grams is common)."""
    kg = sku.weight_kg
    return float(kg * 1000 if unit == "g" else kg)


def _specifications(sku: Sku) -> list[dict[str, Any]]:
    specs = []
    for (field_id, field_name), value in ((SPEC_COLOR, sku.color), (SPEC_SIZE, sku.size)):
        if value:
            specs.append(
                {
                    "FieldId": field_id,
                    "FieldName": field_name,
                    "FieldValueIds": [zlib.crc32(f"{field_name}:{value}".encode()) % 1000 + 100],
                    "FieldValues": [value],
                    "IsFilter": True,
                    "FieldGroupId": SPEC_GROUP[0],
                    "FieldGroupName": SPEC_GROUP[1],
                }
            )
    return specs


def sku_context(
    catalog: Catalog, product: Product, sku: Sku, image_base_url: str, weight_unit: str = "g"
) -> dict[str, Any]:
    """`GET /api/catalog_system/pvt/sku/stockkeepingunitbyid/{skuId}`."""
    path_ids = category_path_ids(product.category)
    height, width, length = sku.height_cm, sku.width_cm, sku.length_cm
    weight = weight_value(sku, weight_unit)
    cubic = round(height * width * length / 6000, 4)
    images = sku_images(product, sku, image_base_url)
    categories = {str(i): CATEGORY_NODES[i].name for i in reversed(path_ids)}
    full_paths = [
        "/" + "/".join(str(i) for i in path_ids[: n + 1]) + "/" for n in reversed(range(len(path_ids)))
    ]
    return {
        "Id": sku.sku_id,
        "ProductId": product.product_id,
        "NameComplete": sku_name(product, sku),
        "ComplementName": "",
        "ProductName": product.name,
        "ProductDescription": product.description,
        "ProductRefId": f"P-{product.product_id}",
        "TaxCode": "",
        "SkuName": sku.variant_name,
        "IsActive": sku.active and product.active,
        "IsTransported": True,
        "IsInventoried": True,
        "IsGiftCardRecharge": False,
        "ImageUrl": sized_image_url(image_base_url, sku.image_ids[0], product) if sku.image_ids else None,
        "DetailUrl": f"/{product.slug}/p",
        "CSCIdentification": None,
        "BrandId": str(product.brand.id),
        "BrandName": product.brand.name,
        "IsBrandActive": True,
        "Dimension": {
            "cubicweight": cubic,
            "height": float(height),
            "length": float(length),
            "weight": weight,
            "width": float(width),
        },
        "RealDimension": {
            "realCubicWeight": cubic,
            "realHeight": float(height),
            "realLength": float(length),
            "realWeight": weight,
            "realWidth": float(width),
        },
        "ManufacturerCode": sku.ref_id,
        "IsKit": False,
        "KitItems": [],
        "Services": [],
        "Categories": [],
        "CategoriesFullPath": full_paths,
        "Attachments": [],
        "Collections": [],
        "SkuSellers": [
            {
                "SellerId": "1",
                "StockKeepingUnitId": sku.sku_id,
                "SellerStockKeepingUnitId": str(sku.sku_id),
                "IsActive": True,
                "FreightCommissionPercentage": 0.0,
                "ProductCommissionPercentage": 0.0,
            }
        ],
        "SalesChannels": [int(sc) for sc in SALES_CHANNELS],
        "Images": images,
        "Videos": [],
        "SkuSpecifications": _specifications(sku),
        "ProductSpecifications": [],
        "ProductClustersIds": "",
        "PositionsInClusters": {},
        "ProductClusterNames": {},
        "ProductClusterHighlights": {},
        "ProductCategoryIds": "/" + "/".join(str(i) for i in path_ids) + "/",
        "IsDirectCategoryActive": True,
        "ProductGlobalCategoryId": int(product.category.google_product_category),
        "ProductCategories": categories,
        "CommercialConditionId": 1,
        "RewardValue": 0.0,
        "AlternateIds": {"Ean": sku.ean, "RefId": sku.ref_id},
        "AlternateIdValues": [sku.ean, sku.ref_id],
        "EstimatedDateArrival": None,
        "MeasurementUnit": "un",
        "UnitMultiplier": 1.0,
        "InformationSource": None,
        "ModalType": None,
        "KeyWords": "",
        "ReleaseDate": RELEASE_DATE,
        "ProductIsVisible": product.active,
        "ShowIfNotAvailable": True,
        "IsProductActive": product.active,
        "ProductFinalScore": 0,
    }


def sku_record(product: Product, sku: Sku, weight_unit: str = "g") -> dict[str, Any]:
    """A SKU as the Catalog API's SKU endpoints (not the context) return it."""
    weight = Decimal(str(weight_value(sku, weight_unit)))
    return {
        "Id": sku.sku_id,
        "ProductId": product.product_id,
        "IsActive": sku.active and product.active,
        "Name": sku.variant_name,
        "Height": float(sku.height_cm),
        "RealHeight": float(sku.height_cm),
        "Width": float(sku.width_cm),
        "RealWidth": float(sku.width_cm),
        "Length": float(sku.length_cm),
        "RealLength": float(sku.length_cm),
        "WeightKg": float(weight),
        "RealWeightKg": float(weight),
        "ModalId": 1,
        "RefId": sku.ref_id,
        "CubicWeight": round(sku.height_cm * sku.width_cm * sku.length_cm / 6000, 4),
        "IsKit": False,
        "IsDynamicKit": None,
        "InternalNote": None,
        "DateUpdated": RELEASE_DATE,
        "RewardValue": 0.0,
        "CommercialConditionId": 1,
        "EstimatedDateArrival": "",
        "FlagKitItensSellApart": False,
        "ManufacturerCode": sku.ref_id,
        "ReferenceStockKeepingUnitId": None,
        "Position": 0,
        "ActivateIfPossible": True,
        "SupplierCode": None,
        "MeasurementUnit": "un",
        "UnitMultiplier": 1.0,
        "IsInventoried": True,
        "IsTransported": True,
        "IsGiftCardRecharge": False,
        "ModalType": None,
    }


def product_record(product: Product, with_stores: bool = False) -> dict[str, Any]:
    """`GET /api/catalog/pvt/product/{id}`; `productget` adds `ListStoreId`."""
    path_ids = category_path_ids(product.category)
    text = product.description.replace("<p>", "").replace("</p>", "")
    record: dict[str, Any] = {
        "Id": product.product_id,
        "Name": product.name,
        "DepartmentId": path_ids[0],
        "CategoryId": product.category.id,
        "BrandId": product.brand.id,
        "LinkId": product.slug,
        "RefId": f"P-{product.product_id}",
        "IsVisible": product.active,
        "Description": product.description,
        "DescriptionShort": "",
        "ReleaseDate": RELEASE_DATE,
        "KeyWords": "",
        "Title": product.name,
        "IsActive": product.active,
        "TaxCode": "",
        "MetaTagDescription": text[:160],
        "SupplierId": None,
        "ShowWithoutStock": True,
        "AdWordsRemarketingCode": None,
        "LomadeeCampaignCode": None,
        "Score": None,
    }
    if with_stores:
        record["ListStoreId"] = [int(sc) for sc in SALES_CHANNELS]
    return record


def brand_record(brand_id: int, name: str) -> dict[str, Any]:
    return {
        "id": brand_id,
        "name": name,
        "isActive": True,
        "title": name,
        "metaTagDescription": f"Produtos {name}",
        "imageUrl": None,
    }


def category_tree(store_url: str, levels: int) -> list[dict[str, Any]]:
    """`GET /api/catalog_system/pub/category/tree/{levels}` (mixed casing, as VTEX answers)."""
    children: dict[int | None, list[CategoryNode]] = {}
    for node in sorted(CATEGORY_NODES.values(), key=lambda n: n.id):
        children.setdefault(node.parent_id, []).append(node)

    def render(node: CategoryNode, depth: int, path: str) -> dict[str, Any]:
        url = f"{path}/{slugify(node.name)}"
        kids = children.get(node.id, [])
        return {
            "id": node.id,
            "name": node.name,
            "hasChildren": bool(kids),
            "url": store_url.rstrip("/") + url,
            "children": [render(k, depth + 1, url) for k in kids] if depth < levels else [],
            "Title": node.name,
            "MetaTagDescription": "",
        }

    return [render(n, 1, "") for n in children.get(None, [])]


def category_record(node: CategoryNode, google_category: str | None) -> dict[str, Any]:
    return {
        "Id": node.id,
        "Name": node.name,
        "FatherCategoryId": node.parent_id,
        "Title": node.name,
        "Description": node.name,
        "Keywords": node.name,
        "IsActive": True,
        "LomadeeCampaignCode": None,
        "AdWordsRemarketingCode": None,
        "ShowInStoreFront": True,
        "ShowBrandFilter": True,
        "ActiveStoreFrontLink": True,
        "GlobalCategoryId": int(google_category) if google_category else 0,
        "StockKeepingUnitSelectionMode": "SPECIFICATION",
        "Score": None,
        "LinkId": slugify(node.name),
        "HasChildren": not node.leaf,
    }


def sales_channel_records() -> list[dict[str, Any]]:
    return [
        {
            "Id": int(sc),
            "Name": name,
            "IsActive": True,
            "ProductClusterId": None,
            "CountryCode": "BRA",
            "CultureInfo": "pt-BR",
            "TimeZone": "E. South America Standard Time",
            "CurrencyCode": "BRL",
            "CurrencySymbol": "R$",
            "CurrencyLocale": 1046,
            "CurrencyFormatInfo": {
                "CurrencyDecimalDigits": 2,
                "CurrencyDecimalSeparator": ",",
                "CurrencyGroupSeparator": ".",
                "CurrencyGroupSize": 3,
                "StartsWithCurrencySymbol": True,
            },
            "Origin": None,
            "Position": None,
            "ConditionRule": None,
            "CurrencyDecimalDigits": None,
        }
        for sc, name in SALES_CHANNELS.items()
    ]
