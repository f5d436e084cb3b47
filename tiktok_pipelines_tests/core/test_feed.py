import gzip
from decimal import Decimal

import pytest

from tiktok_pipelines.core.feed import (
    PRICE_RANGE,
    WEIGHT_RANGE_KG,
    FeedFormatError,
    FeedItem,
    FeedParser,
    FeedSummary,
    ItemProblem,
    feed_refusal,
    parse_price,
)
from tiktok_pipelines.sandbox.catalog import generate_catalog
from tiktok_pipelines.sandbox.feeds import render_feed

G = 'xmlns:g="http://base.google.com/ns/1.0"'


def parse(data: bytes):
    parser = FeedParser()
    entries = list(parser.iter(data))
    items = [e for e in entries if isinstance(e, FeedItem)]
    problems = [e for e in entries if isinstance(e, ItemProblem)]
    return items, problems, parser.summary


def rss(*items: str, declaration: str = '<?xml version="1.0" encoding="UTF-8"?>') -> bytes:
    body = "".join(f"<item>{i}</item>" for i in items)
    return f'{declaration}<rss version="2.0" {G}><channel><title>Loja</title>{body}</channel></rss>'.encode()


ITEM = "<g:id>{id}</g:id><title>Produto {id}</title><link>https://l.com/p</link><g:price>{price}</g:price>"


def item(id="1", price="10.00 BRL", extra=""):
    return ITEM.format(id=id, price=price) + extra


# ------------------------------------------------------------------ generated feeds


def test_generated_rss_and_atom_give_the_same_items():
    catalog = generate_catalog(30, seed=7)
    rss_items, rss_problems, rss_summary = parse(render_feed(catalog, "rss"))
    atom_items, atom_problems, atom_summary = parse(render_feed(catalog, "atom"))
    assert rss_summary.format == "rss" and atom_summary.format == "atom"
    assert not rss_problems and not atom_problems
    assert len(rss_items) == sum(len(p.skus) for p in catalog.products)
    assert [i.content_hash for i in rss_items] == [i.content_hash for i in atom_items]
    first, sku = rss_items[0], catalog.products[0].skus[0]
    assert first.seller_sku == str(sku.sku_id)
    assert first.item_group_id == str(catalog.products[0].product_id)
    assert first.gtin == sku.ean
    assert first.price == sku.list_price
    assert first.brand == catalog.products[0].brand.name
    assert len(first.additional_image_links) == len(sku.image_ids) - 1
    assert first.description.startswith("<p>")  # CDATA kept verbatim


def test_a_changed_product_changes_only_its_hashes():
    catalog = generate_catalog(20, seed=3)
    before = {i.seller_sku: i.content_hash for i in parse(render_feed(catalog))[0]}
    changed = catalog.change_products(2)
    after = {i.seller_sku: i.content_hash for i in parse(render_feed(catalog))[0]}
    differing = {sku for sku in before if before[sku] != after[sku]}
    expected = {str(s.sku_id) for p in catalog.products if p.product_id in changed for s in p.skus}
    assert differing == expected


def test_gzip_feed_is_read():
    items, _, _ = parse(gzip.compress(rss(item("1"), item("2"))))
    assert [i.seller_sku for i in items] == ["1", "2"]


def test_prefixed_core_fields_and_atom_links():
    atom = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" ' + G + ">"
        "<entry><id>9</id><title>Tênis Azul</title>"
        '<link rel="self" href="https://x/self"/><link href="https://x/p"/>'
        "<summary>Resumo</summary><g:id>9</g:id><g:price>5 BRL</g:price></entry></feed>"
    ).encode()
    items, problems, _ = parse(atom)
    assert not problems
    assert items[0].title == "Tênis Azul"
    assert items[0].link == "https://x/p"
    assert items[0].description == "Resumo"
    prefixed = rss("<g:id>1</g:id><g:title>T</g:title><g:link>https://l</g:link><g:price>1 BRL</g:price>")
    assert parse(prefixed)[0][0].title == "T"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("199.90 BRL", (Decimal("199.90"), "BRL")),
        ("BRL 199.90", (Decimal("199.90"), "BRL")),
        ("199,90", (Decimal("199.90"), "BRL")),
        ("R$ 49,9", (Decimal("49.90"), "BRL")),
        ("15 usd", (Decimal("15.00"), "USD")),
    ],
)
def test_price_forms(raw, expected):
    assert parse_price(raw, "BRL") == expected


def test_legacy_availability_and_units_are_normalized():
    items, problems, _ = parse(
        rss(
            item(
                extra="<g:availability>in stock</g:availability><g:shipping_weight>500 g</g:shipping_weight>"
            )
        )
    )
    assert items[0].availability == "in_stock"
    assert items[0].shipping_weight_kg == Decimal("0.500")
    assert not problems


def test_unknown_g_attributes_are_kept():
    items, _, _ = parse(rss(item(extra="<g:custom_label_0>verao</g:custom_label_0>")))
    assert items[0].extra == {"custom_label_0": "verao"}


# ------------------------------------------------------------------ per-item problems


def test_item_without_id_is_rejected_and_others_kept():
    items, problems, summary = parse(
        rss(item("1"), "<title>Sem id</title><g:price>1 BRL</g:price>", item("3"))
    )
    assert [i.seller_sku for i in items] == ["1", "3"]
    assert problems[0].field == "id" and "no g:id" in problems[0].message
    assert summary.rejected == 1


def test_duplicate_id_keeps_the_first_and_says_where_it_was():
    items, problems, _ = parse(rss(item("1", "10 BRL"), item("1", "20 BRL")))
    assert len(items) == 1 and items[0].price == Decimal("10.00")
    assert "duplicate g:id, first seen at line" in problems[0].message


@pytest.mark.parametrize("price", ["dez reais", "1.299,90 BRL", "", "12.5.3 BRL"])
def test_unreadable_price_is_a_per_item_error(price):
    items, problems, _ = parse(rss(item("1", price), item("2")))
    assert [i.seller_sku for i in items] == ["2"]
    assert problems[0].field == "price"
    assert problems[0].seller_sku == "1"


def test_bad_sale_price_and_currency_mismatch():
    _, problems, _ = parse(
        rss(
            item("1", extra="<g:sale_price>abc</g:sale_price>"),
            item("2", extra="<g:sale_price>5 USD</g:sale_price>"),
        )
    )
    assert [p.field for p in problems] == ["sale_price", "sale_price"]
    assert "differs" in problems[1].message


@pytest.mark.parametrize(
    ("field", "extra", "price"),
    [
        ("price", "", "1000000000000.00 BRL"),
        ("price", "", "100000000 BRL"),
        ("price", "", "9" * 40 + " BRL"),
        ("sale_price", "<g:sale_price>1000000000000.00 BRL</g:sale_price>", "10.00 BRL"),
        ("shipping_weight", "<g:shipping_weight>100000000 kg</g:shipping_weight>", "10.00 BRL"),
        ("shipping_weight", "<g:shipping_weight>1000.001 kg</g:shipping_weight>", "10.00 BRL"),
        ("shipping_weight", "<g:shipping_weight>2300 lb</g:shipping_weight>", "10.00 BRL"),
        ("shipping_weight", "<g:shipping_weight>" + "9" * 40 + " g</g:shipping_weight>", "10.00 BRL"),
    ],
)
def test_a_number_outside_its_range_rejects_only_its_item(field, extra, price):
    items, problems, summary = parse(rss(item("1", price, extra), item("2")))
    assert [i.seller_sku for i in items] == ["2"]
    assert (problems[0].seller_sku, problems[0].field, problems[0].severity) == ("1", field, "error")
    assert "outside the accepted range" in problems[0].message
    assert summary.rejected == 1


def test_the_ends_of_each_range_are_accepted():
    low, high = PRICE_RANGE
    items, problems, _ = parse(
        rss(
            item("1", f"{high} BRL", f"<g:sale_price>{low} BRL</g:sale_price>"),
            item("2", extra=f"<g:shipping_weight>{WEIGHT_RANGE_KG[1]} kg</g:shipping_weight>"),
            item("3", extra="<g:shipping_weight>0 kg</g:shipping_weight>"),
        )
    )
    assert not problems
    assert (items[0].price, items[0].sale_price) == (high, low)
    assert [i.shipping_weight_kg for i in items[1:]] == [Decimal("1000.000"), Decimal("0.000")]


@pytest.mark.parametrize("price", ["1.299 BRL", "1,299 BRL", "R$ 1.299", "BRL 1,2999", "0.001 BRL"])
def test_a_price_with_more_than_two_decimals_is_rejected_not_rounded(price):
    items, problems, _ = parse(rss(item("1", price), item("2")))
    assert [i.seller_sku for i in items] == ["2"]
    assert problems[0].field == "price" and "ambiguous" in problems[0].message


@pytest.mark.parametrize(
    ("price", "sale"), [("0 BRL", ""), ("0.00 BRL", ""), ("-5.00 BRL", ""), ("10.00 BRL", "0.00 BRL")]
)
def test_a_price_that_is_not_positive_rejects_its_item_at_parse_time(price, sale):
    extra = f"<g:sale_price>{sale}</g:sale_price>" if sale else ""
    items, problems, summary = parse(rss(item("1", price, extra), item("2")))
    assert [i.seller_sku for i in items] == ["2"]
    assert problems[0].field == ("sale_price" if sale else "price")
    assert summary.rejected == 1


def test_an_empty_feed_is_refused_whole():
    _, _, summary = parse(rss())
    assert summary.items == 0 and summary.rejected == 0
    assert "no item" in feed_refusal(summary, 0.2)
    assert feed_refusal(FeedSummary(items=9, rejected=1), 0.2) is None
    assert "above the client's limit" in feed_refusal(FeedSummary(items=7, rejected=3), 0.2)


def test_unreadable_weight_is_only_a_warning():
    items, problems, summary = parse(rss(item(extra="<g:shipping_weight>pesado</g:shipping_weight>")))
    assert len(items) == 1 and items[0].shipping_weight_kg is None
    assert problems[0].severity == "warning" and summary.rejected == 0


# ------------------------------------------------------------------ fatal problems


def fatal(data: bytes) -> FeedFormatError:
    with pytest.raises(FeedFormatError) as info:
        list(FeedParser().iter(data))
    return info.value


def test_malformed_xml_names_the_line():
    err = fatal(
        b'<?xml version="1.0"?>\n<rss '
        + G.encode()
        + b"><channel>\n<item><g:id>1</g:id>\n<title>x</titel></item></channel></rss>"
    )
    assert "not well-formed" in str(err)
    assert err.line == 4
    assert str(err).count("(line 4, column") == 1


@pytest.mark.parametrize("text", ["Preto & Branco", "Preto &amp Branco"])
def test_a_bare_ampersand_is_named_as_such(text):
    err = fatal(rss(item("1", extra=f"<g:color>{text}</g:color>")))
    assert "bare '&'" in str(err) and "&amp;" in str(err)
    assert "refused" not in str(err)
    assert err.line == 1


def test_an_html_entity_is_named_as_undefined():
    err = fatal(rss(item("1", extra="<g:color>Preto&nbsp;Fosco</g:color>")))
    assert "&nbsp; is not defined" in str(err)
    assert "refused" not in str(err)
    assert err.line == 1 and err.column


def test_truncated_feed_is_fatal():
    data = rss(item("1"), item("2"))
    err = fatal(data[: len(data) - 30])
    assert "truncated" in str(err)


def test_wrong_declared_encoding_is_fatal():
    latin1 = rss(item("1", extra="<g:brand>Ótica São João</g:brand>")).decode().encode("latin-1")
    err = fatal(latin1)
    assert "encoding" in str(err)
    assert err.line == 1


def test_a_dtd_is_refused_so_no_entity_is_expanded_or_fetched():
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<rss " + G.encode() + b"><channel><item><g:id>&x;</g:id></item></channel></rss>"
    )
    err = fatal(xxe)
    assert "root:" not in str(err)
    assert "DTD" in str(err) or "entit" in str(err)


def test_entity_expansion_bomb_is_refused_fast():
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{lol}]><rss {G}><channel><item><g:id>&l9;</g:id></item></channel></rss>'
    import time

    started = time.monotonic()
    fatal(bomb.encode())
    assert time.monotonic() - started < 2


def test_not_a_feed_is_fatal():
    err = fatal(b"<html><body><item>no</item></body></html>")
    assert "root element is <html>" in str(err)


@pytest.mark.parametrize("data", [b"", b"   ", b"not xml at all"])
def test_empty_or_non_xml_is_fatal(data):
    assert "empty or not XML" in str(fatal(data)) or "not well-formed" in str(fatal(data))


def test_corrupt_gzip_is_fatal():
    data = gzip.compress(rss(item("1")))
    err = fatal(data[:40])
    assert "cannot be read to its end" in str(err) or "truncated" in str(err)


def test_the_collector_thresholds_come_back_after_a_parse():
    import gc

    before = gc.get_threshold()
    items = FeedParser().iter(rss(item("1"), item("2")))
    next(items)
    assert gc.get_threshold()[0] >= 20_000
    items.close()
    assert gc.get_threshold() == before
    with pytest.raises(FeedFormatError):
        list(FeedParser().iter(b"<rss><channel><item>"))
    assert gc.get_threshold() == before


def test_the_catalog_digest_leaves_out_only_what_the_stock_and_price_lane_owns():
    def digest(*items):
        return parse(rss(*items))[2].catalog_digest

    base = digest(item("1", extra="<g:availability>in_stock</g:availability>"), item("2"))
    assert base == digest(
        item(
            "1",
            "12.00 BRL",
            "<g:availability>out_of_stock</g:availability><g:sale_price>9.00 BRL</g:sale_price>"
            "<g:sale_price_effective_date>2026-01-01/2026-02-01</g:sale_price_effective_date>"
            "<g:availability_date>2026-03-01</g:availability_date>",
        ),
        item("2", "1.00 BRL"),
    )
    assert base == digest(item("2"), item("1", extra="<g:availability>in_stock</g:availability>"))
    for catalog_change in (
        "<g:brand>Outra</g:brand>",
        "<g:additional_image_link>https://i/2.jpg</g:additional_image_link>",
        "<g:custom_label_0>verao</g:custom_label_0>",
        "<g:shipping_weight>2 kg</g:shipping_weight>",
    ):
        assert base != digest(
            item("1", extra="<g:availability>in_stock</g:availability>" + catalog_change), item("2")
        )
    assert base != digest(item("1", extra="<g:availability>in_stock</g:availability>"))
    assert base != digest(item("1", extra="<g:availability>in_stock</g:availability>"), item("2", "0 BRL"))


@pytest.mark.parametrize(
    "data",
    [
        rss(item("1"), item("2"))[:-30],
        rss(item("1", extra="<g:color>Preto & Branco</g:color>")),
        b"",
        rss(item("1")).decode().replace("\n", "").encode() + b"<",
    ],
)
def test_a_feed_file_fails_as_its_bytes_do(tmp_path, data):
    path = tmp_path / "feed.xml"
    path.write_bytes(data)
    with pytest.raises(FeedFormatError) as from_file:
        list(FeedParser().iter(path))
    assert str(from_file.value) == str(fatal(data))
    items, _, _ = parse(rss(item("1"), item("2")))
    path.write_bytes(rss(item("1"), item("2")))
    assert [i.content_hash for i in FeedParser().iter(path)] == [i.content_hash for i in items]


def test_the_collector_thresholds_come_back_after_overlapping_parses():
    """A sensor reads several clients' feeds side by side in threads."""
    import gc

    before = gc.get_threshold()
    first = FeedParser().iter(rss(item("1"), item("2")))
    second = FeedParser().iter(rss(item("1"), item("2")))
    next(first)
    next(second)
    first.close()
    assert gc.get_threshold()[0] >= 20_000  # the second parse still runs
    second.close()
    assert gc.get_threshold() == before
