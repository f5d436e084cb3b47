"""Categories and attributes of the Brazilian site (a seeded tree that covers the sandbox catalogs, see
`sandbox/catalog.py`), their required attributes, the category predictor (`domain_discovery/search`), and
the checks of an item's attributes against its category: required ones present (on the item, or on every
variation), list-valued ones among the category's values, variation attributes allowed to vary.

The leaves' ids and the attributes' value ids are the sandbox's own (the reference gives only their
shape); the top-level categories are the site's."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tiktok_pipelines.sandbox.mercado_livre.errors import bad_request, cause, not_found
from tiktok_pipelines.sandbox.mercado_livre.routes import table
from tiktok_pipelines.sandbox.mercado_livre.state import SITE_ID

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.mercado_livre.routes import Call

ROOTS = {
    "MLB1430": "Calçados, Roupas e Bolsas",
    "MLB1276": "Esportes e Fitness",
    "MLB1574": "Casa, Móveis e Decoração",
    "MLB1000": "Eletrônicos, Áudio e Vídeo",
    "MLB1246": "Beleza e Cuidado Pessoal",
}
GENDERS = (
    {"id": "339666", "name": "Masculino"},
    {"id": "339665", "name": "Feminino"},
    {"id": "110461", "name": "Sem gênero"},
)


@dataclass(frozen=True)
class Leaf:
    id: str
    name: str
    parent: str
    domain_id: str
    keywords: tuple[str, ...]
    required: tuple[str, ...]  # attribute ids an item of this leaf must carry
    variation_attributes: tuple[str, ...]  # attribute ids variations may differ by


# The leaves: the catalog's VTEX category each stands for | id | name | parent | domain | words that predict
# it | required attributes | attributes its variations may differ by.
_LEAF_ROWS = """
11 | MLB31447  | Camisetas                 | MLB1430 | MLB-T_SHIRTS              | camiseta regata polo
   | BRAND GENDER SIZE COLOR | COLOR SIZE
12 | MLB108704 | Calças                    | MLB1430 | MLB-PANTS                 | calca jeans jogger bermuda
   | BRAND GENDER SIZE COLOR | COLOR SIZE
13 | MLB23262  | Tênis                     | MLB1430 | MLB-SNEAKERS              | tenis chuteira corrida
   | BRAND MODEL GENDER SIZE | COLOR SIZE
21 | MLB1297   | Basquete                  | MLB1276 | MLB-BASKETBALLS           | basquete tabela rede bola
   | BRAND MODEL |
22 | MLB1389   | Fitness e Musculação      | MLB1276 | MLB-FITNESS_EQUIPMENT     | halter yoga tapete corda pular fitness
   | BRAND MODEL | COLOR
31 | MLB1581   | Cozinha                   | MLB1574 | MLB-KITCHEN_UTENSILS      | garrafa termica panelas caneca cozinha
   | BRAND MODEL | COLOR
32 | MLB1631   | Decoração                 | MLB1574 | MLB-HOME_DECOR            | almofada vaso luminaria
   | BRAND | COLOR
41 | MLB3835   | Fones de Ouvido           | MLB1000 | MLB-HEADPHONES            | fone ouvido caixa som microfone
   | BRAND MODEL | COLOR
42 | MLB1055   | Acessórios para Celulares | MLB1000 | MLB-CELLPHONE_ACCESSORIES | carregador cabo usb capa celular
   | BRAND MODEL |
51 | MLB1263   | Cuidados com a Pele       | MLB1246 | MLB-SKIN_CARE             | hidratante protetor solar serum facial
   | BRAND |
61 | MLB1434   | Mochilas e Bolsas         | MLB1430 | MLB-BACKPACKS             | mochila bolsa transversal mala viagem
   | BRAND | COLOR
"""


def _leaves(rows: str) -> tuple[tuple[int, Leaf], ...]:
    cells = [c.strip() for c in rows.replace("\n   |", " |").strip().replace("\n", " | ").split("|")]
    out = []
    for n in range(0, len(cells), 8):
        vtex, leaf_id, name, parent, domain, words, required, varying = cells[n : n + 8]
        leaf = Leaf(
            leaf_id,
            name,
            parent,
            domain,
            tuple(words.split()),
            tuple(required.split()),
            tuple(varying.split()),
        )
        out.append((int(vtex), leaf))
    return tuple(out)


LEAVES = _leaves(_LEAF_ROWS)
LEAF_BY_ID = {leaf.id: leaf for _, leaf in LEAVES}
LEAF_BY_CATALOG_CATEGORY = {vtex_id: leaf for vtex_id, leaf in LEAVES}

_ATTRIBUTES = {
    "BRAND": ("Marca", "string", None),
    "MODEL": ("Modelo", "string", None),
    "GENDER": ("Gênero", "list", GENDERS),
    "SIZE": ("Tamanho", "string", None),
    "COLOR": ("Cor", "string", None),
    "GTIN": ("Código universal de produto", "string", None),
    "SELLER_SKU": ("SKU", "string", None),
    "ITEM_CONDITION": (
        "Condição do item",
        "list",
        ({"id": "2230284", "name": "Novo"}, {"id": "2230581", "name": "Usado"}),
    ),
}


def normalized(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def attribute_api(leaf: Leaf, attribute_id: str) -> dict[str, Any]:
    name, value_type, values = _ATTRIBUTES[attribute_id]
    tags: dict[str, bool] = {}
    if attribute_id in leaf.required:
        tags["required"] = True
    if attribute_id in leaf.variation_attributes:
        tags["allow_variations"] = True
    if attribute_id == "GTIN":
        tags["conditional_required"] = True
    if attribute_id == "SELLER_SKU":
        tags["variation_attribute"] = True
    return {
        "id": attribute_id,
        "name": name,
        "tags": tags,
        "hierarchy": "PARENT_PK" if attribute_id in ("BRAND", "MODEL") else "CHILD_PK",
        "relevance": 1,
        "value_type": value_type,
        "value_max_length": 255,
        "values": list(values or ()),
        "attribute_group_id": "MAIN" if tags.get("required") else "OTHERS",
        "attribute_group_name": "Principais" if tags.get("required") else "Outros",
    }


def _value_of(attribute: dict[str, Any]) -> tuple[str | None, str | None]:
    value_id = attribute.get("value_id")
    value_name = attribute.get("value_name")
    return (
        str(value_id) if value_id not in (None, "") else None,
        str(value_name) if value_name not in (None, "") else None,
    )


def attribute_causes(leaf: Leaf, item: dict[str, Any]) -> list[dict[str, Any]]:
    """What the category refuses in an item's attributes (and its variations'), as validation causes."""
    causes = []
    item_attrs = {a.get("id"): a for a in item.get("attributes") or [] if isinstance(a, dict)}
    variations = [v for v in item.get("variations") or [] if isinstance(v, dict)]

    def on_variations(attribute_id: str) -> bool:
        return bool(variations) and all(
            any(
                a.get("id") == attribute_id and any(_value_of(a))
                for a in (v.get("attribute_combinations") or []) + (v.get("attributes") or [])
            )
            for v in variations
        )

    missing = [
        a
        for a in leaf.required
        if not (a in item_attrs and any(_value_of(item_attrs[a]))) and not on_variations(a)
    ]
    if missing:
        causes.append(
            cause(
                "item.attributes.missing_required",
                f"The attributes {missing} are required for category {leaf.id}. Check the attribute is present in "
                "the attributes list or in all variation's attributes_combination or attributes.",
                ["item.attributes"],
                147,
            )
        )
    every = list(item_attrs.values()) + [
        a for v in variations for a in (v.get("attribute_combinations") or []) + (v.get("attributes") or [])
    ]
    for attribute in every:
        attribute_id = attribute.get("id")
        if attribute_id not in _ATTRIBUTES:
            continue
        _, value_type, values = _ATTRIBUTES[attribute_id]
        value_id, value_name = _value_of(attribute)
        if (
            value_type == "list"
            and (value_id or value_name)
            and not any(
                value_id == v["id"] or (value_name or "").casefold() == v["name"].casefold()
                for v in values or ()
            )
        ):
            causes.append(
                cause(
                    "item.attribute.invalid_value",
                    f"Attribute {attribute_id} has the invalid value {value_id or value_name!r}.",
                    ["item.attributes"],
                    154,
                )
            )
    for v in variations:
        for combination in v.get("attribute_combinations") or []:
            if combination.get("id") not in leaf.variation_attributes:
                causes.append(
                    cause(
                        "item.variations.attribute_combinations.invalid",
                        f"Attribute {combination.get('id')} cannot vary in category {leaf.id}.",
                        ["item.variations.attribute_combinations"],
                        361,
                    )
                )
                break
    return causes


def predict(query: str, limit: int) -> list[dict[str, Any]]:
    """The domains and categories a title most likely belongs to, best first."""
    words = set(normalized(query).split())
    scored = sorted(
        ((len(words & set(leaf.keywords)), leaf) for _, leaf in LEAVES),
        key=lambda pair: -pair[0],
    )
    return [
        {
            "domain_id": leaf.domain_id,
            "domain_name": leaf.name,
            "category_id": leaf.id,
            "category_name": leaf.name,
            "attributes": [],
        }
        for score, leaf in scored[:limit]
        if score > 0
    ]


def leaf_of(category_id: str) -> Leaf:
    leaf = LEAF_BY_ID.get(category_id)
    if leaf is None:
        raise not_found(f"Category not found: {category_id}")
    return leaf


def _site(call: Call) -> None:
    if call.params["site_id"] != SITE_ID:
        raise not_found(f"Site {call.params['site_id']} is not served by this sandbox")


def h_site_categories(call: Call) -> Any:
    _site(call)
    return [{"id": cid, "name": name} for cid, name in ROOTS.items()]


def h_category(call: Call) -> Any:
    category_id = call.params["category_id"]
    if category_id in ROOTS:
        children = [leaf for _, leaf in LEAVES if leaf.parent == category_id]
        return _category(category_id, ROOTS[category_id], [], children)
    leaf = leaf_of(category_id)
    return _category(leaf.id, leaf.name, [{"id": leaf.parent, "name": ROOTS[leaf.parent]}], [])


def _category(category_id: str, name: str, parents: list[dict[str, str]], children: list[Leaf]) -> dict:
    return {
        "id": category_id,
        "name": name,
        "permalink": f"https://lista.mercadolivre.com.br/{category_id}",
        "path_from_root": [*parents, {"id": category_id, "name": name}],
        "children_categories": [{"id": c.id, "name": c.name} for c in children],
        "attribute_types": "attributes",
        "settings": {
            "buying_modes": ["buy_it_now"],
            "currencies": ["BRL"],
            "item_conditions": ["new", "used", "not_specified"],
            "listing_allowed": not children,
            "max_pictures_per_item": 12,
            "max_variations_allowed": 100,
            "max_title_length": 60,
        },
    }


def h_category_attributes(call: Call) -> Any:
    leaf = leaf_of(call.params["category_id"])
    return [attribute_api(leaf, a) for a in _ATTRIBUTES]


def h_domain_discovery(call: Call) -> Any:
    _site(call)
    query = call.query.get("q", "").strip()
    if not query:
        raise bad_request("The parameter q is required")
    try:
        limit = int(call.query.get("limit", "4"))
    except ValueError:
        raise bad_request("limit must be a number") from None
    if not 1 <= limit <= 8:
        raise bad_request("limit must be between 1 and 8")
    return predict(query, limit)


ROUTES = table(
    {
        "GET /sites/{site_id}/categories": h_site_categories,
        "GET /categories/{category_id}": h_category,
        "GET /categories/{category_id}/attributes": h_category_attributes,
        "GET /sites/{site_id}/domain_discovery/search": h_domain_discovery,
    },
    auth=False,
)
