"""A new product's post: Brazilian money, hashtags from the category path, the caption, the video link
template, the creator's next best hour; and a video file's duration read from its MP4 header."""

from datetime import UTC, datetime
from decimal import Decimal

from tiktok_pipelines.core.media import mp4_duration_seconds, video_content_type
from tiktok_pipelines.core.product_posts import (
    ProductFacts,
    caption,
    category_hashtags,
    money_text,
    next_best_time,
    video_url,
)
from tiktok_pipelines.sandbox.tiktok_creator.media import sample_mp4

PRODUCT = ProductFacts(
    product_key="2001426",
    seller_sku="2001773",
    title="Tabela de Basquete Preta",
    price=Decimal("1499.9"),
    sale_price=Decimal("1299.00"),
    currency="BRL",
    product_type="Esportes > Basquete > Tabelas & Aros",
    link="https://loja.example/tabela/p",
)


def test_money_is_written_the_brazilian_way():
    assert money_text(Decimal("1499.9")) == "R$ 1.499,90"
    assert money_text(Decimal("19.995")) == "R$ 20,00"
    assert money_text(Decimal("1234567.5")) == "R$ 1.234.567,50"
    assert money_text(Decimal("0.5")) == "R$ 0,50"


def test_hashtags_come_from_the_category_path_then_the_creators_best():
    assert category_hashtags("Esportes > Basquete > Tabelas & Aros") == [
        "tabelasaros",
        "basquete",
        "esportes",
    ]
    assert category_hashtags("Calçados > Tênis") == ["tenis", "calcados"]
    assert category_hashtags(None) == []
    text, tags = caption(PRODUCT, ["fyp", "Basquete", "promoção"], most=4)
    assert tags == ["tabelasaros", "basquete", "esportes", "fyp"]  # a tag once, at most four
    assert (
        text
        == "Tabela de Basquete Preta\nDe R$ 1.499,90 por R$ 1.299,00\n#tabelasaros #basquete #esportes #fyp"
    )


def test_a_full_price_product_shows_its_price_and_the_template_gives_its_video():
    text, _ = caption(ProductFacts("p1", "s1", "Boné", Decimal("59.9"), None, "BRL", None, None), [])
    assert text == "Boné\nPor R$ 59,90"
    assert video_url("https://cdn.loja.example/v/{product_key}/{seller_sku}.mp4", PRODUCT) == (
        "https://cdn.loja.example/v/2001426/2001773.mp4"
    )
    assert video_url(None, PRODUCT) is None


def test_the_next_best_hour_is_in_the_creators_time_zone():
    now = datetime(2026, 12, 5, 21, 30, tzinfo=UTC)  # 18:30 in São Paulo
    at = next_best_time(now, [19, 9], "America/Sao_Paulo")
    assert at.isoformat() == "2026-12-05T19:00:00-03:00"
    later = next_best_time(now, [9], "America/Sao_Paulo")
    assert later.isoformat() == "2026-12-06T09:00:00-03:00"
    assert next_best_time(now, [], "America/Sao_Paulo") is None


def test_a_video_files_duration_and_type(tmp_path):
    clip = tmp_path / "a.MP4"
    clip.write_bytes(sample_mp4(75.5, 200_000))
    assert mp4_duration_seconds(clip) == 75.5
    assert video_content_type(clip) == "video/mp4"
    junk = tmp_path / "b.mov"
    junk.write_bytes(b"\x00\x00\x00\x08free" + b"x" * 100)
    assert mp4_duration_seconds(junk) is None
    assert video_content_type(tmp_path / "c.gif") is None
