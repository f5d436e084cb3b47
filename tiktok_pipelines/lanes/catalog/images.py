"""Product images on a channel: downloaded from the feed's (and VTEX's) URLs, checked, and uploaded as
bytes (channels' uploads take files, not URLs), once per content.

Two caches in the state DB make that cheap: a URL's content hash (so an image URL seen before is not
downloaded again for `image_source_ttl_days`), and the uri the channel gave each content hash and use
(so the same picture, whatever its URL, is uploaded once). Concurrent workers asking for the same image
wait for one download and one upload. The uploader is the `ImageSource` a channel's listing writes use.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta

import httpx

from tiktok_pipelines.channels.base.catalog import CatalogApi
from tiktok_pipelines.core.images import ImageRules, content_hash, image_problem, sniff_image
from tiktok_pipelines.http import RetryableError, RetryPolicy
from tiktok_pipelines.stores.catalog import ImageStore
from tiktok_pipelines.stores.db import utcnow
from tiktok_pipelines.stores.registry import redact_url


class ImageError(Exception):
    """An image could not be used; the message says which and why."""


class _Busy(ImageError, RetryableError):
    pass


@dataclass(eq=False)
class ImageUploader:
    catalog: CatalogApi
    store: ImageStore
    client_id: str
    http: httpx.Client
    rules: ImageRules
    _: KW_ONLY
    source_ttl: timedelta = timedelta(days=30)
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(attempts=3, initial=0.2, maximum=2.0))
    # What this run learnt; the state DB answers the rest, one image at a time (a catalog's cache
    # can hold a million rows: it is not read whole).
    uploads: dict[tuple[str, str], str] = field(init=False, default_factory=dict)
    sources: dict[str, tuple[str, datetime]] = field(init=False, default_factory=dict)
    stats: Counter = field(init=False, default_factory=Counter)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _key_locks: dict[object, threading.Lock] = field(
        init=False, default_factory=lambda: defaultdict(threading.Lock)
    )

    def _key_lock(self, key: object) -> threading.Lock:
        with self._lock:
            return self._key_locks[key]

    def _count(self, name: str) -> None:
        with self._lock:
            self.stats[name] += 1

    def _download(self, url: str) -> bytes:
        def attempt() -> bytes:
            try:
                with self.http.stream("GET", url) as resp:
                    if resp.status_code in (429, 500, 502, 503, 504):
                        raise _Busy(f"image {redact_url(url)}: HTTP {resp.status_code}")
                    if resp.status_code != 200:
                        raise ImageError(f"image {redact_url(url)}: HTTP {resp.status_code}")
                    chunks, size = [], 0
                    for chunk in resp.iter_bytes(1 << 16):
                        size += len(chunk)
                        if too_large := self.rules.oversize(size):
                            raise ImageError(f"{redact_url(url)}: {too_large}")
                        chunks.append(chunk)
                    return b"".join(chunks)
            except httpx.TransportError as exc:
                raise _Busy(f"image {redact_url(url)}: {type(exc).__name__}") from None

        self._count("downloads")
        return self.retry.call(attempt, lambda e: isinstance(e, _Busy))

    def _uploaded(self, digest: str, use_case: str) -> str | None:
        uri = self.uploads.get((digest, use_case))
        if uri is None:
            uri = self.store.upload(self.client_id, digest, use_case)
            if uri is not None:
                with self._lock:
                    self.uploads[(digest, use_case)] = uri
        return uri

    def uri(self, url: str, use_case: str) -> str:
        """The uri of the image at `url` uploaded for `use_case` (downloaded and uploaded if needed)."""
        with self._key_lock(("url", url)):
            now = utcnow()
            known = self.sources.get(url) or self.store.source(self.client_id, url)
            data = None
            if known is not None and now - known[1] < self.source_ttl:
                digest = known[0]
            else:
                data = self._download(url)
                digest = content_hash(data)
                self.store.save_source(self.client_id, url, digest)
                with self._lock:
                    self.sources[url] = (digest, now)
        with self._key_lock(("hash", digest, use_case)):
            cached = self._uploaded(digest, use_case)
            if cached is not None:
                self._count("cache_hits")
                return cached
            if data is None:
                data = self._download(url)
                if content_hash(data) != digest:  # the picture behind the URL changed
                    digest = content_hash(data)
                    self.store.save_source(self.client_id, url, digest)
                    with self._lock:
                        self.sources[url] = (digest, utcnow())
                    cached = self._uploaded(digest, use_case)
                    if cached is not None:
                        self._count("cache_hits")
                        return cached
            problem = image_problem(data, self.rules)
            if problem:
                raise ImageError(f"image {redact_url(url)}: {problem}")
            info = sniff_image(data)
            suffix = {"image/png": "png", "image/webp": "webp"}.get(info.mime if info else "", "jpg")
            upload = self.catalog.upload_image(data, use_case, filename=f"{digest[:16]}.{suffix}")
            if upload.uri is None:
                raise ImageError(f"image {redact_url(url)}: upload refused: {upload.error}")
            uri = upload.uri
            self.store.save_upload(self.client_id, digest, use_case, uri, upload.width, upload.height)
            with self._lock:
                self.uploads[(digest, use_case)] = uri
            self._count("uploads")
            return uri

    def resolve(self, refs: Iterable[tuple[str, str]]) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
        """uris for (url, use case) pairs, and the errors of those that failed (by url)."""
        uris: dict[tuple[str, str], str] = {}
        errors: dict[str, str] = {}
        for url, use_case in refs:
            try:
                uris[(url, use_case)] = self.uri(url, use_case)
            except ImageError as exc:
                errors[url] = str(exc)
        return uris, errors

    def forget(self, uris: Iterable[str]) -> None:
        """Forgets uploads the channel refused as unknown, so the next use uploads them again."""
        wanted = set(uris)
        with self._lock:
            for key in [k for k, v in self.uploads.items() if v in wanted]:
                del self.uploads[key]
        self.store.forget_uploads(self.client_id, wanted)
