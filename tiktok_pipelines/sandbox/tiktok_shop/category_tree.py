"""The emulator's category tree (category_version v1, three levels, Portuguese names, Brazil market).

Each leaf has rules (certifications, size chart, package dimensions) and attributes: sales properties
(Cor, Tamanho) and product properties, some of them required, so a listing can be validated against
it exactly as the platform does. Ids are stable, so tests and mappings can name them.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

from tiktok_pipelines.sandbox.records import field_view

# One category a line, indented four spaces under its parent: `id name`, and after a colon the leaf
# profile of a leaf (its rules and attributes, `_PROFILES`).
_TREE = """
601152 Roupas Femininas
    601153 Blusas e Camisetas
        601155 Camisetas: apparel
        601156 Regatas: apparel
    601160 Calças e Leggings
        601161 Calças Jeans: apparel
        601162 Leggings: apparel
824328 Roupas Masculinas
    824329 Camisetas e Polos
        824330 Camisetas: apparel
        824331 Camisas Polo: apparel
    824340 Calças e Bermudas
        824341 Calças Jeans: apparel
        824342 Calças Jogger: apparel
        824343 Bermudas: apparel
601303 Calçados
    601304 Calçados Masculinos
        601305 Tênis: shoes
        601306 Chuteiras: shoes
    601310 Calçados Femininos
        601311 Tênis: shoes
        601312 Sandálias: shoes
605196 Esportes e Lazer
    605197 Basquete
        605198 Bolas de Basquete: sports
        605199 Tabelas e Aros: sports
        605200 Redes de Basquete: sports
    605210 Fitness e Musculação
        605211 Halteres e Pesos: sports
        605212 Tapetes de Yoga: sports
        605213 Cordas de Pular: sports
600001 Casa e Cozinha
    600002 Utensílios de Cozinha
        600003 Garrafas Térmicas: home
        600004 Panelas e Frigideiras: home
        600005 Canecas e Xícaras: home
    600010 Decoração
        600011 Almofadas: home
        600012 Vasos: home
        600013 Luminárias: electronics
601739 Celulares e Eletrônicos
    601740 Áudio e Vídeo
        601741 Fones de Ouvido: electronics
        601742 Caixas de Som: electronics
        601743 Microfones: electronics
    601750 Acessórios para Celular
        601751 Carregadores: electronics
        601752 Cabos: electronics
        601753 Capas e Películas: accessory
601450 Beleza e Cuidados Pessoais
    601451 Cuidados com a Pele
        601452 Hidratantes: beauty
        601453 Protetores Solares: beauty
        601454 Séruns Faciais: beauty
824584 Malas e Bolsas
    824585 Mochilas
        824586 Mochilas Escolares: bags
        824587 Mochilas Casuais: bags
    824590 Bolsas
        824591 Bolsas Transversais: bags
    824595 Malas de Viagem: bags
600024 Brinquedos e Hobbies
    600025 Jogos de Tabuleiro: toys
"""

_COLORS = ("Preto", "Branco", "Azul", "Vermelho", "Verde", "Rosa", "Cinza", "Amarelo", "Bege", "Marrom")
_APPAREL_SIZES = ("PP", "P", "M", "G", "GG", "XGG")
_SHOE_SIZES = tuple(str(n) for n in range(33, 46))


def _vid(*parts: str) -> str:
    return str(1_000_000 + zlib.crc32("|".join(parts).encode()) % 9_000_000)


def _attr(
    attr_id: str,
    name: str,
    kind: str,
    values: tuple[str, ...] = (),
    *,
    required: bool = False,
    multiple: bool = False,
    customizable: bool = False,
) -> dict[str, Any]:
    return {
        "id": attr_id,
        "name": name,
        "type": kind,
        # The platform spells it this way (sic).
        "is_requried": required,
        "is_multiple_selection": multiple,
        "is_customizable": customizable,
        "value_data_format": "POSITIVE_INT_OR_DECIMAL" if name in ("Volume (ml)", "Capacidade (ml)") else "",
        "values": [{"id": _vid(attr_id, v), "name": v} for v in values],
        "requirement_conditions": [],
    }


COLOR = _attr("100000", "Cor", "SALES_PROPERTY", _COLORS, customizable=True)
APPAREL_SIZE = _attr("100007", "Tamanho", "SALES_PROPERTY", _APPAREL_SIZES, customizable=True)
SHOE_SIZE = _attr("100008", "Tamanho do Calçado", "SALES_PROPERTY", _SHOE_SIZES, customizable=True)
MATERIAL = _attr(
    "101610",
    "Material",
    "PRODUCT_PROPERTY",
    (
        "Algodão",
        "Poliéster",
        "Viscose",
        "Jeans",
        "Elastano",
        "Couro",
        "Plástico",
        "Metal",
        "Vidro",
        "Cerâmica",
        "Borracha",
        "Nylon",
    ),
    required=True,
    multiple=True,
)
GENDER = _attr("101395", "Gênero", "PRODUCT_PROPERTY", ("Masculino", "Feminino", "Unissex"))
SOLE = _attr(
    "101620",
    "Material da Sola",
    "PRODUCT_PROPERTY",
    ("Borracha", "EVA", "Poliuretano", "Couro"),
    required=True,
)
VOLTAGE = _attr(
    "101700", "Voltagem", "PRODUCT_PROPERTY", ("110V", "220V", "Bivolt", "5V (USB)"), required=True
)
CONNECTIVITY = _attr(
    "101701", "Conectividade", "PRODUCT_PROPERTY", ("Bluetooth", "Com fio", "Wi-Fi"), multiple=True
)
SKIN = _attr(
    "101800",
    "Tipo de Pele",
    "PRODUCT_PROPERTY",
    ("Todos os tipos", "Seca", "Oleosa", "Mista", "Sensível"),
    multiple=True,
)
VOLUME = _attr("101801", "Volume (ml)", "PRODUCT_PROPERTY", (), required=True, customizable=True)
CAPACITY = _attr("101900", "Capacidade (ml)", "PRODUCT_PROPERTY", (), customizable=True)
AGE = _attr("102000", "Faixa Etária", "PRODUCT_PROPERTY", ("3+", "6+", "8+", "12+", "Adulto"), required=True)

_ANATEL = {
    "id": "7000001",
    "name": "Certificado de homologação Anatel",
    "is_required": True,
    "sample_image_url": "",
}
_ANVISA = {
    "id": "7000002",
    "name": "Notificação/registro ANVISA",
    "is_required": True,
    "sample_image_url": "",
}
_INMETRO = {"id": "7000003", "name": "Certificação INMETRO", "is_required": True, "sample_image_url": ""}

_PROFILES: dict[str, dict[str, Any]] = {
    "apparel": {
        "attributes": (COLOR, APPAREL_SIZE, MATERIAL, GENDER),
        "size_chart": (True, False),
        "certs": (),
    },
    "shoes": {"attributes": (COLOR, SHOE_SIZE, SOLE, GENDER), "size_chart": (True, False), "certs": ()},
    "sports": {"attributes": (COLOR, MATERIAL), "size_chart": (False, False), "certs": ()},
    "home": {"attributes": (COLOR, MATERIAL, CAPACITY), "size_chart": (False, False), "certs": ()},
    "electronics": {
        "attributes": (COLOR, VOLTAGE, CONNECTIVITY),
        "size_chart": (False, False),
        "certs": (_ANATEL,),
    },
    "accessory": {"attributes": (COLOR, MATERIAL), "size_chart": (False, False), "certs": ()},
    "beauty": {"attributes": (SKIN, VOLUME), "size_chart": (False, False), "certs": (_ANVISA,)},
    "bags": {"attributes": (COLOR, MATERIAL, GENDER), "size_chart": (False, False), "certs": ()},
    "toys": {"attributes": (AGE, MATERIAL), "size_chart": (False, False), "certs": (_INMETRO,)},
}


@dataclass
class TikTokCategory:
    id: str
    parent_id: str
    local_name: str
    is_leaf: bool
    profile: str | None = None
    children: list[str] = field(default_factory=list)
    permission_statuses: tuple[str, ...] = ("AVAILABLE",)

    def as_api(self) -> dict[str, Any]:
        return field_view(self, "id", "parent_id", "local_name", "is_leaf", "permission_statuses")

    @property
    def attributes(self) -> list[dict[str, Any]]:
        return [dict(a) for a in _PROFILES[self.profile]["attributes"]] if self.profile else []

    @property
    def required_attribute_ids(self) -> list[str]:
        return [a["id"] for a in self.attributes if a["is_requried"] and a["type"] == "PRODUCT_PROPERTY"]

    def rules(self) -> dict[str, Any]:
        profile = _PROFILES[self.profile] if self.profile else {"size_chart": (False, False), "certs": ()}
        supported, required = profile["size_chart"]
        return {
            "product_certifications": [dict(c) for c in profile["certs"]],
            "size_chart": {"is_supported": supported, "is_required": required},
            "cod": {"is_supported": False},
            "package_dimension": {"is_required": True},
            "epr": {"is_required": False},
            "responsible_person": {"is_required": False},
            "manufacturer": {"is_required": False},
            "allowed_special_product_types": [],
            "fees": [],
        }


def build_category_tree() -> dict[str, TikTokCategory]:
    """Every category by id; `parent_id` "0" marks a root, as on the platform."""
    out: dict[str, TikTokCategory] = {}
    path = ["0"]  # the ids from the root down to the line's parent
    for line in _TREE.strip("\n").splitlines():
        depth = (len(line) - len(line.lstrip())) // 4
        cat_id, _, rest = line.strip().partition(" ")
        name, _, profile = rest.partition(": ")
        del path[depth + 1 :]
        parent = path[-1]
        out[cat_id] = TikTokCategory(
            id=cat_id, parent_id=parent, local_name=name, is_leaf=bool(profile), profile=profile or None
        )
        if parent != "0":
            out[parent].children.append(cat_id)
        path.append(cat_id)
    # A category the demo shop may not sell in: listing in it is refused.
    out["600025"].permission_statuses = ("INVITE_ONLY",)
    return out


def category_chain(tree: dict[str, TikTokCategory], category_id: str) -> list[dict[str, Any]]:
    """Root-to-leaf chain of a category, as product details show it (`category_chains`)."""
    chain = []
    node = tree.get(category_id)
    while node is not None:
        chain.append(
            {
                "id": node.id,
                "parent_id": node.parent_id,
                "local_name": node.local_name,
                "is_leaf": node.is_leaf,
            }
        )
        node = tree.get(node.parent_id)
    return list(reversed(chain))
