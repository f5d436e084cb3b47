"""A product post's caption polished by the language model, when one is configured: the rules' caption
(title, price, hashtags) is the starting point and the fallback. The prompt holds the product's title,
price, category and the hashtags only, never anything about the creator. The answer must match
`CaptionAnswer`; a failure of any kind keeps the rules' caption, with the reason."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from tiktok_pipelines.core.product_posts import (
    CAPTION_MAX,
    HASHTAGS_MAX,
    ProductFacts,
    hashtag,
    money_text,
    price_line,
    with_hashtags,
)
from tiktok_pipelines.lanes.content.llm import LlmConfig, LlmFailure, structured_answer

SCHEMA_NAME = "product_caption"
_HASHTAG = re.compile(r"(?:^|\s)#[^\s#]+")
SYSTEM = (
    "You write the caption of a short TikTok video about one product of a shop, in {language}: one or "
    "two lines that make a viewer want it, the price as given, no invented facts, no hashtags in the text. "
    "Answer with the caption and up to {most} hashtags without '#'."
)


class CaptionAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    caption: Annotated[str, Field(min_length=1, max_length=CAPTION_MAX - 200)]
    hashtags: Annotated[list[Annotated[str, Field(pattern=r"^[^\s#]+$")]], Field(min_length=1, max_length=10)]


@dataclass(frozen=True)
class Caption:
    text: str
    source: str  # llm | rules
    status: str  # ok, or why the rules' caption stayed (no_key, timeout, malformed...)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0


def caption_messages(product: ProductFacts, hashtags: list[str], language: str) -> list[dict]:
    """The prompt: the product's public facts and the hashtags, as figures (JSON)."""
    price = product.sale_price if product.sale_price is not None else product.price
    figures = {
        "products_to_feature": [{"product": product.title}],
        "price": money_text(price, product.currency) if price is not None else None,
        "category": product.product_type,
        "best_hashtags": [{"hashtag": t} for t in hashtags],
    }
    return [
        {"role": "system", "content": SYSTEM.format(language=language, most=HASHTAGS_MAX)},
        {"role": "user", "content": json.dumps(figures, ensure_ascii=False)},
    ]


def polished_caption(
    config: LlmConfig | None, product: ProductFacts, rules_caption: str, hashtags: list[str]
) -> Caption:
    """The model's caption with its hashtags (the rules' first, then the model's, five at most), or the
    rules' caption when no model is configured or it gives nothing usable."""
    if config is None or not config.api_key:
        return Caption(rules_caption, "rules", "no_key")
    try:
        answered = structured_answer(
            config, caption_messages(product, hashtags, config.language), CaptionAnswer, SCHEMA_NAME
        )
    except LlmFailure as failure:
        cost = config.cost(failure.prompt_tokens, failure.completion_tokens)
        return Caption(
            rules_caption, "rules", failure.status, failure.prompt_tokens, failure.completion_tokens, cost
        )
    answer = answered.value
    text = " ".join(_HASHTAG.sub(" ", answer.caption).split())  # its hashtags go on their own line
    spent = (answered.prompt_tokens, answered.completion_tokens, answered.cost)
    if not text:
        return Caption(rules_caption, "rules", "empty_caption", *spent)
    price = price_line(product)
    if price and price.rsplit(" ", 1)[-1] not in text:  # the price as the feed gives it, always
        text += "\n" + price
    tags = [t for t in dict.fromkeys([*hashtags, *map(hashtag, answer.hashtags)]) if t][:HASHTAGS_MAX]
    return Caption(with_hashtags(text, tags), "llm", "ok", *spent)
