"""Dagster resources: configured wrappers of the clients and stores."""

from __future__ import annotations

from typing import Any

from dagster_aws.s3 import S3Resource

from tiktok_pipelines.core.names import ChannelName
from tiktok_pipelines.defs.resources.analytics import AnalyticsDatabase
from tiktok_pipelines.defs.resources.content import ContentRecommender
from tiktok_pipelines.defs.resources.creators import TikTokCreators
from tiktok_pipelines.defs.resources.feeds import FeedDownloader
from tiktok_pipelines.defs.resources.mercado_livre import MercadoLivre
from tiktok_pipelines.defs.resources.notifications import Notifier
from tiktok_pipelines.defs.resources.queue import EventQueue
from tiktok_pipelines.defs.resources.shopee import Shopee
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.storage import LocalObjectStore, ObjectStore, ParquetLake, S3ObjectStore
from tiktok_pipelines.defs.resources.tiktok_shop import TikTokShop
from tiktok_pipelines.defs.resources.vtex import Vtex
from tiktok_pipelines.settings import ConfigError, Settings


def build_object_stores(settings: Settings) -> tuple[ObjectStore, ObjectStore]:
    """The object store and the lake's store, local folders or S3 by TIKTOK_PIPELINES_STORAGE."""
    kind = settings.get("TIKTOK_PIPELINES_STORAGE")
    if kind == "local":
        return (
            LocalObjectStore(base_dir=str(settings.objects_dir)),
            LocalObjectStore(base_dir=str(settings.lake_dir)),
        )
    if kind == "s3":
        s3 = S3Resource(
            region_name=settings.get("TIKTOK_PIPELINES_S3_REGION"),
            endpoint_url=settings.get("TIKTOK_PIPELINES_S3_ENDPOINT_URL"),
        )
        bucket = settings.require("TIKTOK_PIPELINES_S3_BUCKET")
        prefix = (settings.get("TIKTOK_PIPELINES_S3_PREFIX") or "").strip("/")
        join = (lambda p: f"{prefix}/{p}") if prefix else (lambda p: p)
        return (
            S3ObjectStore(s3=s3, bucket=bucket, prefix=join("objects")),
            S3ObjectStore(s3=s3, bucket=bucket, prefix=join("lake")),
        )
    raise ConfigError(f"TIKTOK_PIPELINES_STORAGE must be local or s3, got {kind!r}")


def build_resources(settings: Settings) -> dict[str, Any]:
    objects, lake_store = build_object_stores(settings)
    state = StateStore.from_settings(settings)
    return {
        "state": state,
        ChannelName.TIKTOK_SHOP.value: TikTokShop.from_settings(settings, state),
        ChannelName.MERCADO_LIVRE.value: MercadoLivre.from_settings(settings, state),
        ChannelName.SHOPEE.value: Shopee.from_settings(settings, state),
        "objects": objects,
        "lake": ParquetLake(objects=lake_store),
        "feed_downloader": FeedDownloader(
            timeout_seconds=settings.float("TIKTOK_PIPELINES_FEED_TIMEOUT_SECONDS"),
            max_bytes=settings.int("TIKTOK_PIPELINES_FEED_MAX_BYTES"),
            user_agent=settings.require("TIKTOK_PIPELINES_HTTP_USER_AGENT"),
        ),
        "vtex": Vtex.from_settings(settings),
        "event_queue": EventQueue(
            state=state,
            kind=settings.require("TIKTOK_PIPELINES_QUEUE"),
            sqs_queue_url=settings.get("TIKTOK_PIPELINES_SQS_QUEUE_URL"),
            sqs_endpoint_url=settings.get("TIKTOK_PIPELINES_SQS_ENDPOINT_URL"),
            region=settings.get("TIKTOK_PIPELINES_S3_REGION"),
        ),
        "analytics": AnalyticsDatabase.from_settings(settings),
        "notifier": Notifier.from_settings(settings),
        "tiktok_creators": TikTokCreators.from_settings(settings, state),
        "content": ContentRecommender.from_settings(settings),
    }
