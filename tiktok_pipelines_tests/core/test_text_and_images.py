import struct
import zlib

import pytest

from tiktok_pipelines.channels.tiktok_shop.channel import capabilities
from tiktok_pipelines.core.images import ImageRules, image_problem, sniff_image
from tiktok_pipelines.core.text import description_html, fold, plain_length, stem, truncate_words, words
from tiktok_pipelines.sandbox.feeds.images import product_png


def test_fold_ignores_case_accents_and_spaces():
    assert fold("  AÇAÍ   Sports ") == "acai sports"
    assert fold("Tênis") == fold("TENIS") == "tenis"
    assert fold(None) == ""
    assert words("Calçados > Tênis") == ["calcados", "tenis"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [("camisetas", "camiseta"), ("calcados", "calcado"), ("botoes", "botao"), ("mochila", "mochila")],
)
def test_stem_drops_plural_endings(word, expected):
    assert stem(word) == expected


def test_truncate_words_cuts_at_a_word_boundary():
    assert truncate_words("Camiseta Polo Premium Azul", 20) == "Camiseta Polo"
    assert truncate_words("short", 20) == "short"


def test_description_keeps_allowed_tags_and_drops_scripts_and_attributes():
    html = '<div class="x"><p style="color:red">Bom <b>e</b> barato</p><script>alert(1)</script><a href="x">link</a></div>'
    assert description_html(html) == "<p>Bom <b>e</b> barato</p>link"


def test_plain_description_becomes_escaped_paragraphs():
    assert description_html("Linha 1 & 2\n\nLinha <3") == "<p>Linha 1 &amp; 2</p><p>Linha &lt;3</p>"
    assert description_html("   ") == ""
    assert plain_length("<p>abc</p><p>d&amp;e</p>") == 6


def _png(width, height):
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = (
        struct.pack(">I", len(header)) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))
    )
    return b"\x89PNG\r\n\x1a\n" + chunk


def _jpeg(width, height):
    sof = b"\xff\xc0" + struct.pack(">HBHH", 17, 8, height, width) + b"\x03" + b"\x00" * 9
    return b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + b"\x00" * 9 + sof + b"\xff\xd9"


def test_sniff_reads_png_jpeg_and_webp_sizes():
    assert sniff_image(product_png(7)).width == 600
    info = sniff_image(_jpeg(800, 1200))
    assert (info.mime, info.width, info.height) == ("image/jpeg", 800, 1200)
    vp8x = (
        b"RIFF\x00\x00\x00\x00WEBPVP8X"
        + b"\x00" * 8
        + (639).to_bytes(3, "little")
        + (479).to_bytes(3, "little")
    )
    assert (sniff_image(vp8x).width, sniff_image(vp8x).height) == (640, 480)
    assert sniff_image(b"GIF89a....") is None


def test_image_problems_are_the_uploads_rules():
    tiktok = capabilities().images
    assert image_problem(product_png(7), tiktok) is None
    assert image_problem(b"<html>404</html>", tiktok) == "not a JPG, PNG or WEBP image"
    assert "sides must be 100 to 20000" in image_problem(_png(50, 600), tiktok)
    assert "over TikTok Shop's 5 MB" in image_problem(b"\xff\xd8" + b"\x00" * (5 * 1024 * 1024), tiktok)
    strict = ImageRules(
        "Other", max_bytes=2**20, min_side=500, max_side=1200, max_main_images=6, formats=("image/jpeg",)
    )
    assert image_problem(product_png(7), strict) == "not a JPG image"
