"""A seeded generator of a merchant's catalog: products with variants, brands, categories, images,
EANs, prices and stock per warehouse.

Product `i` depends only on (seed, i), so a catalog of 300 products is the first 300 of a catalog of
100,000, and the feed server and the VTEX emulator built from the same seed agree on every SKU.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

BRANDS = (
    "Açaí Sports",
    "Aurora Têxtil",
    "Bahia Outdoor",
    "Cacau & Cia",
    "Duna Calçados",
    "Estrela do Sul",
    "Figueira Home",
    "Guaraná Kids",
    "Ipê Eletrônicos",
    "Jabuticaba",
    "Lagoa Azul",
    "Mandacaru",
    "Noronha Surf",
    "Orquídea Beauty",
    "Pampa Couro",
    "Quaresmeira",
    "Rio Verde Tech",
    "Sabiá Música",
)

# (VTEX category id, path, Google product category id, product nouns, variant kind)
CATEGORIES = (
    (11, ("Moda", "Camisetas"), "212", ("Camiseta", "Regata", "Camiseta Polo"), "apparel"),
    (12, ("Moda", "Calças"), "204", ("Calça Jeans", "Calça Jogger", "Bermuda"), "apparel"),
    (13, ("Moda", "Calçados", "Tênis"), "187", ("Tênis de Corrida", "Tênis Casual", "Chuteira"), "shoes"),
    (
        21,
        ("Esportes", "Basquete"),
        "1081",
        ("Bola de Basquete", "Tabela de Basquete", "Rede de Basquete"),
        "single",
    ),
    (22, ("Esportes", "Fitness"), "990", ("Halter", "Tapete de Yoga", "Corda de Pular"), "color"),
    (31, ("Casa", "Cozinha"), "668", ("Garrafa Térmica", "Jogo de Panelas", "Caneca"), "color"),
    (32, ("Casa", "Decoração"), "696", ("Almofada", "Vaso", "Luminária"), "color"),
    (41, ("Eletrônicos", "Áudio"), "505771", ("Fone de Ouvido", "Caixa de Som", "Microfone"), "color"),
    (42, ("Eletrônicos", "Acessórios"), "258", ("Carregador", "Cabo USB-C", "Capa de Celular"), "single"),
    (51, ("Beleza", "Cuidados"), "2915", ("Hidratante", "Protetor Solar", "Sérum Facial"), "single"),
    (61, ("Bolsas", "Mochilas"), "100", ("Mochila", "Bolsa Transversal", "Mala de Viagem"), "color"),
)
ADJECTIVES = (
    "Clássica",
    "Premium",
    "Essencial",
    "Urbana",
    "Pro",
    "Confort",
    "Leve",
    "Max",
    "Eco",
    "Tropical",
)
COLORS = ("Preto", "Branco", "Azul", "Vermelho", "Verde", "Rosa", "Cinza", "Amarelo")
APPAREL_SIZES = ("PP", "P", "M", "G", "GG")
SHOE_SIZES = ("36", "37", "38", "39", "40", "41", "42", "43")
SENTENCES = (
    "Produzido com materiais selecionados para durar no dia a dia.",
    "Design pensado para conforto e praticidade em qualquer ocasião.",
    "Acabamento cuidadoso, costuras reforçadas e controle de qualidade em cada peça.",
    "Ideal para presentear ou para renovar a sua coleção com estilo.",
    "Leve, resistente e fácil de limpar: pronto para acompanhar a sua rotina.",
    "Garantia do fabricante de 90 dias contra defeitos de fabricação.",
    "Desenvolvido no Brasil com atenção aos detalhes e respeito ao meio ambiente.",
    "Combina com diferentes estilos e ambientes, do casual ao sofisticado.",
    "Embalagem reciclável e envio rápido para todo o país.",
    "Testado para oferecer o melhor desempenho com segurança e durabilidade.",
)
VARIANT_COUNTS = (2, 3, 4, 4, 5, 5)  # with single-SKU categories, three SKUs per product on average


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def ean13(number: int, prefix: str = "789") -> str:
    """A valid EAN-13 (Brazilian GS1 prefix) derived from `number`."""
    body = f"{prefix}{number % 10**9:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


@dataclass
class Brand:
    id: int
    name: str


@dataclass
class Category:
    id: int
    path: tuple[str, ...]
    google_product_category: str

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def product_type(self) -> str:
        return " > ".join(self.path)


@dataclass
class Sku:
    sku_id: int
    product_id: int
    ref_id: str
    variant_name: str
    color: str | None
    size: str | None
    ean: str
    price: Decimal  # selling price ("por")
    list_price: Decimal  # list price ("de")
    stock: dict[str, int]  # available quantity per VTEX warehouse id
    weight_kg: Decimal
    height_cm: int
    width_cm: int
    length_cm: int
    image_ids: list[int]
    active: bool = True

    @property
    def available(self) -> int:
        return sum(self.stock.values())


@dataclass
class Product:
    product_id: int
    name: str
    description: str
    brand: Brand
    category: Category
    skus: list[Sku]
    slug: str
    active: bool = True


@dataclass
class Catalog:
    """A merchant catalog. `version` grows with every change, for ETags and change detection."""

    seed: int
    account: str
    store_url: str
    warehouses: tuple[str, ...]
    products: list[Product]
    brands: list[Brand]
    categories: list[Category]
    version: int = 0
    _next_product_index: int = field(default=0, repr=False)

    def skus(self) -> list[Sku]:
        return [s for p in self.products for s in p.skus]

    def product(self, product_id: int) -> Product:
        for p in self.products:
            if p.product_id == product_id:
                return p
        raise KeyError(product_id)

    def sku(self, sku_id: int) -> Sku:
        for p in self.products:
            for s in p.skus:
                if s.sku_id == sku_id:
                    return s
        raise KeyError(sku_id)

    def _rng(self, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{purpose}:{self.version}")

    def change_products(self, count: int, *, prices: bool = True, titles: bool = False) -> list[int]:
        """Changes `count` products (prices of all their SKUs, optionally the title); returns their ids."""
        rng = self._rng("change")
        chosen = rng.sample(self.products, min(count, len(self.products)))
        for product in chosen:
            if titles:
                product.name = f"{product.name} {rng.choice(ADJECTIVES)}"
            if prices:
                factor = Decimal(str(rng.choice((0.85, 0.9, 1.1, 1.15, 1.2))))
                for sku in product.skus:
                    sku.price = (sku.price * factor).quantize(Decimal("0.01"))
                    sku.list_price = max(sku.list_price, sku.price)
        self.version += 1
        return [p.product_id for p in chosen]

    def remove_products(self, count: int) -> list[int]:
        rng = self._rng("remove")
        chosen = rng.sample(self.products, min(count, len(self.products)))
        ids = {p.product_id for p in chosen}
        self.products = [p for p in self.products if p.product_id not in ids]
        self.version += 1
        return sorted(ids)

    def add_products(self, count: int) -> list[int]:
        added = [
            make_product(
                self.seed, self._next_product_index + i, self.brands, self.categories, self.warehouses
            )
            for i in range(count)
        ]
        self._next_product_index += count
        self.products.extend(added)
        self.version += 1
        return [p.product_id for p in added]


def make_product(
    seed: int, index: int, brands: list[Brand], categories: list[Category], warehouses: tuple[str, ...]
) -> Product:
    rng = random.Random(f"{seed}:product:{index}")
    product_id = 1000 + index
    cat_index = rng.randrange(len(CATEGORIES))
    _, _, _, nouns, kind = CATEGORIES[cat_index]
    category = categories[cat_index]
    brand = brands[rng.randrange(len(brands))]
    name = f"{rng.choice(nouns)} {rng.choice(ADJECTIVES)} {brand.name}"
    description = "<p>" + " ".join(rng.sample(SENTENCES, rng.randint(4, 7))) + "</p>"
    base_price = rng.choice((19.9, 29.9, 49.9, 79.9, 99.9, 149.9, 199.9, 299.9, 499.9, 899.9, 1499.9))
    n_variants = 1 if kind == "single" else rng.choice(VARIANT_COUNTS)
    colors = rng.sample(COLORS, min(n_variants, len(COLORS)))
    sizes = APPAREL_SIZES if kind == "apparel" else SHOE_SIZES
    skus = []
    for v in range(n_variants):
        sku_id = product_id * 10 + v
        color = size = None
        if kind == "color":
            color = colors[v]
        elif kind in ("apparel", "shoes"):
            color = colors[0]
            size = sizes[v % len(sizes)]
        variant_name = " ".join(x for x in (color, size) if x) or "Único"
        list_price = _money(base_price)
        on_sale = rng.random() < 0.3
        price = _money(base_price * rng.choice((0.7, 0.8, 0.9))) if on_sale else list_price
        stock = {wh: (0 if rng.random() < 0.08 else rng.randint(1, 200)) for wh in warehouses}
        skus.append(
            Sku(
                sku_id=sku_id,
                product_id=product_id,
                ref_id=f"REF-{sku_id}",
                variant_name=variant_name,
                color=color,
                size=size,
                ean=ean13(sku_id),
                price=price,
                list_price=list_price,
                stock=stock,
                weight_kg=Decimal(str(round(rng.uniform(0.1, 8.0), 3))),
                height_cm=rng.randint(2, 60),
                width_cm=rng.randint(5, 60),
                length_cm=rng.randint(5, 80),
                image_ids=[sku_id * 10 + k for k in range(rng.randint(2, 5))],
            )
        )
    return Product(
        product_id=product_id,
        name=name,
        description=description,
        brand=brand,
        category=category,
        skus=skus,
        slug=slugify(name) + f"-{product_id}",
    )


def generate_catalog(
    products: int,
    seed: int = 42,
    account: str = "demostore",
    store_url: str = "https://www.demostore.com.br",
    warehouses: tuple[str, ...] = ("1_1",),
) -> Catalog:
    brands = [Brand(id=2000001 + i, name=name) for i, name in enumerate(BRANDS)]
    categories = [
        Category(id=cid, path=path, google_product_category=gpc) for cid, path, gpc, _, _ in CATEGORIES
    ]
    items = [make_product(seed, i, brands, categories, warehouses) for i in range(products)]
    return Catalog(
        seed=seed,
        account=account,
        store_url=store_url,
        warehouses=warehouses,
        products=items,
        brands=brands,
        categories=categories,
        _next_product_index=products,
    )
