"""Creators' content recommendations as a Dagster resource: the rules' thresholds and the
OpenAI-compatible endpoint that writes ideas (its key a secret, kept as its variable)."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from tiktok_pipelines.defs.resources.secrets import configured_secret, secret_field, secret_value
from tiktok_pipelines.lanes.content.llm import LlmConfig
from tiktok_pipelines.lanes.content.recommendations import ContentSettings
from tiktok_pipelines.settings import Settings


class ContentRecommender(dg.ConfigurableResource):
    """The content rules' settings and the language model of the ideas (none without a key: the rules
    write them)."""

    metric: str = Field(default="engagement_rate", description="engagement_rate or avg_views.")
    min_videos: int = Field(default=3, description="Videos a posting hour needs to count.")
    product_days: int = Field(default=30, description="Days without a video that make a product a gap.")
    llm_api_key: str | None = secret_field(
        "Key of the endpoint (TIKTOK_PIPELINES_LLM_API_KEY), as its variable."
    )
    llm_base_url: str = Field(default="https://api.openai.com/v1", description="OpenAI-compatible base URL.")
    llm_model: str = Field(default="gpt-4o-mini", description="Model asked for ideas.")
    llm_timeout_seconds: float = Field(default=60.0, description="Timeout of one completion.")
    llm_cost_per_1k_prompt_tokens: float = Field(default=0.0, description="Cost of 1,000 prompt tokens.")
    llm_cost_per_1k_completion_tokens: float = Field(
        default=0.0, description="Cost of 1,000 completion tokens."
    )
    llm_language: str = Field(default="pt-BR", description="Language of the ideas.")

    def settings(self) -> ContentSettings:
        return ContentSettings(metric=self.metric, min_videos=self.min_videos, product_days=self.product_days)

    def llm(self) -> LlmConfig:
        return LlmConfig(
            api_key=secret_value(self.llm_api_key),
            base_url=self.llm_base_url,
            model=self.llm_model,
            timeout_seconds=self.llm_timeout_seconds,
            cost_per_1k_prompt_tokens=self.llm_cost_per_1k_prompt_tokens,
            cost_per_1k_completion_tokens=self.llm_cost_per_1k_completion_tokens,
            language=self.llm_language,
        )

    @classmethod
    def from_settings(cls, settings: Settings, env_vars: bool = True) -> ContentRecommender:
        return cls(
            metric=settings.require("TIKTOK_PIPELINES_CONTENT_METRIC"),
            min_videos=settings.int("TIKTOK_PIPELINES_CONTENT_MIN_VIDEOS"),
            product_days=settings.int("TIKTOK_PIPELINES_CONTENT_PRODUCT_DAYS"),
            llm_api_key=configured_secret(settings, "TIKTOK_PIPELINES_LLM_API_KEY", env_vars),
            llm_base_url=settings.require("TIKTOK_PIPELINES_LLM_BASE_URL"),
            llm_model=settings.require("TIKTOK_PIPELINES_LLM_MODEL"),
            llm_timeout_seconds=settings.float("TIKTOK_PIPELINES_LLM_TIMEOUT_SECONDS"),
            llm_cost_per_1k_prompt_tokens=settings.float("TIKTOK_PIPELINES_LLM_COST_PER_1K_PROMPT_TOKENS"),
            llm_cost_per_1k_completion_tokens=settings.float(
                "TIKTOK_PIPELINES_LLM_COST_PER_1K_COMPLETION_TOKENS"
            ),
            llm_language=settings.require("TIKTOK_PIPELINES_LLM_LANGUAGE"),
        )
