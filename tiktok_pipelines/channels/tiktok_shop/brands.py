"""A brand of the client's products on TikTok: found by name, or created.

Names match ignoring case, accents and extra spaces ("AÇAÍ  Sports" is "Acai Sports"). A brand is
looked for first (by its name, then by its words, because TikTok's name filter is a plain substring
match that does not fold accents), created only when no match exists, and when creation answers
"This brand name already exists." (4000) looked for again. The catalog lane keeps the result in the
brand map, so each brand costs calls once.
"""

from __future__ import annotations

from typing import Any, Protocol

from tiktok_pipelines.channels.tiktok_shop.client import BrandExistsError, RateLimitedError, TikTokShopError
from tiktok_pipelines.core.models.brands import BrandResult, brand_key
from tiktok_pipelines.core.text import fold

MAX_NAME = 30  # reference §3: POST /brands {name (2–30)}
MIN_NAME = 2
MAX_SEARCH_PAGES = 5


class BrandApi(Protocol):
    def get_brands(self, page_size: int = 100, page_token: str | None = None, **filters: Any) -> Any: ...

    def create_brand(self, name: str) -> str: ...


def search_terms(name: str) -> list[str]:
    """What to ask TikTok's name filter: the name, then its longer words (as written and unaccented)."""
    terms = [name.strip()]
    for word in sorted(name.split(), key=len, reverse=True):
        for variant in (word.casefold(), fold(word)):
            if len(variant) >= 3 and variant not in terms:
                terms.append(variant)
    return terms[:5]


def find_brand(api: BrandApi, name: str) -> dict[str, Any] | None:
    """The TikTok brand whose folded name equals `name`'s, if TikTok shows one."""
    wanted = fold(name)
    for term in search_terms(name):
        token = None
        for _ in range(MAX_SEARCH_PAGES):
            page = api.get_brands(page_size=100, page_token=token, brand_name=term)
            for brand in page.items:
                if fold(str(brand.get("name") or "")) == wanted:
                    return brand
            token = page.next_page_token
            if not token:
                break
    return None


def resolve_brand(api: BrandApi, name: str) -> BrandResult:
    """Finds or creates one brand; never raises for the platform's answers (they go in `error`)."""
    key = brand_key(name)
    try:
        found = find_brand(api, name)
        if found is not None:
            return BrandResult(key, name, str(found["id"]), str(found.get("name")), "matched")
        if not MIN_NAME <= len(name.strip()) <= MAX_NAME:
            return BrandResult(
                key,
                name,
                None,
                error=f"brand name has {len(name.strip())} characters; TikTok takes {MIN_NAME} to {MAX_NAME}: "
                "set its TikTok brand with `tiktok-pipelines brands set`",
            )
        try:
            return BrandResult(key, name, api.create_brand(name.strip()), name.strip(), "created")
        except BrandExistsError:
            found = find_brand(api, name)
            if found is not None:
                return BrandResult(key, name, str(found["id"]), str(found.get("name")), "exists")
            return BrandResult(
                key,
                name,
                None,
                error="TikTok says the brand name already exists but no brand of that name is visible to the "
                "shop (it may need authorization in Seller Center); set it with `tiktok-pipelines brands set`",
            )
    except RateLimitedError as exc:
        return BrandResult(key, name, None, error=f"rate limited, will retry next run ({exc.code})")
    except TikTokShopError as exc:
        return BrandResult(key, name, None, error=f"{exc.code}: {exc.message}")
