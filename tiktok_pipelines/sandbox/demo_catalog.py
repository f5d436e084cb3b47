"""The demo client's catalog settings on the sandbox: the mapping of the sandbox store's categories to the
emulator's TikTok leaves, values for the required attributes the store's feed does not carry, and the
certificate images its electronics and beauty categories need.

This is what a data engineer does once per merchant after reviewing `tiktok_shop/categories` (see
docs/catalog.md); `demo setup` does it for the demo so listings appear without manual steps.
"""

from __future__ import annotations

from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.sandbox.catalog import CATEGORIES
from tiktok_pipelines.sandbox.mercado_livre.categories import (
    LEAF_BY_CATALOG_CATEGORY as ML_LEAF_BY_CATALOG_CATEGORY,
)
from tiktok_pipelines.sandbox.shopee.catalog_data import build_categories
from tiktok_pipelines.sandbox.tiktok_shop import SEED_CATEGORY_BY_VTEX_CATEGORY
from tiktok_pipelines.stores.catalog import AttributeRuleStore, CategoryStore
from tiktok_pipelines.stores.db import StateDB
from tiktok_pipelines.stores.registry import ClientRegistry

# Per TikTok leaf: required product attributes the sandbox feed and VTEX do not give.
DEMO_ATTRIBUTE_VALUES: dict[str, dict[str, str]] = {
    "824330": {"Material": "Algodão"},  # Camisetas
    "824341": {"Material": "Jeans"},  # Calças Jeans
    "601305": {"Material da Sola": "Borracha"},  # Tênis
    "605198": {"Material": "Borracha"},  # Bolas de Basquete
    "605211": {"Material": "Metal"},  # Halteres e Pesos
    "600003": {"Material": "Metal"},  # Garrafas Térmicas
    "600011": {"Material": "Algodão"},  # Almofadas
    "601741": {"Voltagem": "Bivolt"},  # Fones de Ouvido
    "601751": {"Voltagem": "5V (USB)"},  # Carregadores
    "601452": {"Volume (ml)": "200"},  # Hidratantes
    "824587": {"Material": "Nylon"},  # Mochilas Casuais
}
# Certificates (Anatel for electronics, ANVISA for cosmetics): a picture on the sandbox image server.
DEMO_CERTIFICATE_FILE_IDS = {"7000001": 990001, "7000002": 990002}


def demo_category_mappings() -> dict[str, str]:
    """The sandbox store's `g:product_type` values → TikTok leaf ids."""
    return {" > ".join(path): SEED_CATEGORY_BY_VTEX_CATEGORY[cid] for cid, path, _, _, _ in CATEGORIES}


def configure_demo_catalog(db: StateDB, client_id: str, image_base_url: str) -> dict[str, int]:
    """Accepts the demo mapping, sets the attribute values and certificate images. Idempotent."""
    categories = CategoryStore(db)
    for product_type, leaf in demo_category_mappings().items():
        categories.set_mapping(
            client_id, "product_type", product_type, leaf, origin="demo", label=product_type
        )
    rules = AttributeRuleStore(db)
    n_rules = 0
    for leaf, values in DEMO_ATTRIBUTE_VALUES.items():
        for attribute, value in values.items():
            rules.set(client_id, attribute, f"value:{value}", category_id=leaf)
            n_rules += 1
    registry = ClientRegistry(db)
    client = registry.get(client_id)
    base = image_base_url.rstrip("/")
    certificates = {
        cert: [f"{base}/arquivos/ids/{file_id}/certificado-{cert}.png"]
        for cert, file_id in DEMO_CERTIFICATE_FILE_IDS.items()
    }
    registry.update(client_id, options={**client.options, "certifications": certificates})
    return {"category_mappings": len(demo_category_mappings()), "attribute_rules": n_rules}


# Mercado Livre: what the sandbox feed does not carry of its leaves' required attributes, for every leaf.
DEMO_ML_ATTRIBUTE_VALUES = {"GENDER": "value:Sem gênero", "MODEL": "value:Linha Demo"}


def configure_demo_mercado_livre(db: StateDB, client_id: str) -> dict[str, int]:
    """Accepts the demo mapping of the sandbox store's categories to the Mercado Livre emulator's leaves
    and sets the required attributes the feed lacks. Idempotent."""
    categories = CategoryStore(db, ChannelName.MERCADO_LIVRE.value)
    mappings = {" > ".join(path): ML_LEAF_BY_CATALOG_CATEGORY[cid].id for cid, path, _, _, _ in CATEGORIES}
    for product_type, leaf in mappings.items():
        categories.set_mapping(
            client_id, "product_type", product_type, leaf, origin="demo", label=product_type
        )
    rules = AttributeRuleStore(db, ChannelName.MERCADO_LIVRE.value)
    for attribute, source in DEMO_ML_ATTRIBUTE_VALUES.items():
        rules.set(client_id, attribute, source)
    return {"category_mappings": len(mappings), "attribute_rules": len(DEMO_ML_ATTRIBUTE_VALUES)}


# Per root of the Shopee emulator's tree: the mandatory attributes the sandbox feed and VTEX do not give.
DEMO_SHOPEE_ATTRIBUTE_VALUES: dict[str, dict[str, str]] = {
    "Moda": {"Material": "Algodão"},
    "Eletrônicos": {"Garantia": "3 meses"},
}


def demo_shopee_mappings() -> dict[str, str]:
    """The sandbox store's `g:product_type` values → the Shopee emulator's leaf ids (its tree is built from
    the same paths)."""
    tree = build_categories()
    by_path: dict[tuple[str, ...], str] = {}
    for category in tree.values():
        path, node = [category.name], category
        while node.parent_id:
            node = tree[node.parent_id]
            path.insert(0, node.name)
        by_path[tuple(path)] = str(category.category_id)
    return {" > ".join(path): by_path[tuple(path)] for _, path, _, _, _ in CATEGORIES}


def configure_demo_shopee_catalog(db: StateDB, client_id: str) -> dict[str, int]:
    """The same review for the demo's Shopee shop: its mapping accepted and its mandatory attributes'
    values set per leaf. Idempotent."""
    categories = CategoryStore(db, ChannelName.SHOPEE)
    rules = AttributeRuleStore(db, ChannelName.SHOPEE)
    n_rules = 0
    for product_type, leaf in demo_shopee_mappings().items():
        categories.set_mapping(
            client_id, "product_type", product_type, leaf, origin="demo", label=product_type
        )
        for attribute, value in DEMO_SHOPEE_ATTRIBUTE_VALUES.get(product_type.split(" > ")[0], {}).items():
            rules.set(client_id, attribute, f"value:{value}", category_id=leaf)
            n_rules += 1
    return {"category_mappings": len(demo_shopee_mappings()), "attribute_rules": n_rules}
