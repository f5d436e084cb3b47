import pytest

from tiktok_pipelines.core.attribute_rules import Source, attribute_key, parse_source


def test_sources_are_checked_before_they_are_stored():
    assert parse_source("feed:material") == Source("feed", "material")
    assert parse_source("vtex:Composição") == Source("vtex", "Composição")
    assert parse_source("feed:extra.product_detail").name == "extra.product_detail"
    assert parse_source(" value: Algodão ") == Source("value", "Algodão")
    for bad in ("material", "feed:nope", "vtex:", "sql:drop"):
        with pytest.raises(ValueError):
            parse_source(bad)
    assert attribute_key("Gênero") == "genero" and attribute_key(" 101610 ") == "101610"
