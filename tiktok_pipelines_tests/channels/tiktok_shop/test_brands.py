from types import SimpleNamespace

from tiktok_pipelines.channels.tiktok_shop.brands import resolve_brand, search_terms
from tiktok_pipelines.channels.tiktok_shop.client import BrandExistsError, RateLimitedError


class FakeBrands:
    """TikTok's brand endpoints as the platform behaves: a substring name filter that folds case only."""

    def __init__(self, brands, hidden_until_created=()):
        self.brands = list(brands)
        self.hidden = set(hidden_until_created)
        self.searches, self.created = [], []
        self.rate_limited = False

    def get_brands(self, page_size=100, page_token=None, brand_name=None, **_):
        if self.rate_limited:
            raise RateLimitedError("slow down", code=36009002)
        self.searches.append(brand_name)
        items = [
            {"id": str(i), "name": n}
            for i, n in enumerate(self.brands)
            if n not in self.hidden and (brand_name or "").casefold() in n.casefold()
        ]
        return SimpleNamespace(items=items, next_page_token=None)

    def create_brand(self, name):
        if any(n.casefold() == name.casefold() for n in self.brands):
            self.hidden.discard(next(n for n in self.brands if n.casefold() == name.casefold()))
            raise BrandExistsError("This brand name already exists.", code=4000)
        self.created.append(name)
        self.brands.append(name)
        return str(len(self.brands) - 1)


def test_a_brand_is_matched_ignoring_case_and_accents():
    api = FakeBrands(["Açaí Sports", "Nike"])
    assert resolve_brand(api, "NIKE").origin == "matched"
    result = resolve_brand(api, "ACAI SPORTS")  # the filter misses it by name, finds it by "sports"
    assert (result.origin, result.channel_brand_name, api.created) == ("matched", "Açaí Sports", [])


def test_already_exists_is_followed_by_a_search():
    api = FakeBrands(["Havaianas"], hidden_until_created={"Havaianas"})
    result = resolve_brand(api, "havaianas")
    assert (result.origin, result.channel_brand_id) == ("exists", "0")
    assert api.created == []


def test_a_new_brand_is_created_once_and_failures_say_why():
    api = FakeBrands([])
    assert resolve_brand(api, "Marca Nova").origin == "created"
    too_long = resolve_brand(api, "M" * 31)
    assert too_long.channel_brand_id is None and "2 to 30" in too_long.error
    api.rate_limited = True
    assert "rate limited" in resolve_brand(api, "Outra").error


def test_search_terms_include_unaccented_words():
    assert search_terms("Ipê Eletrônicos") == ["Ipê Eletrônicos", "eletrônicos", "eletronicos", "ipê", "ipe"]
