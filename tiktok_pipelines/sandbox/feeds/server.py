"""The sandbox store front: serves product feeds (with ETag / Last-Modified) and product images.

Feeds are rendered from the sandbox catalogs, the same ones the VTEX emulator serves. Control routes
under `/_sandbox/` change the catalog, replace a feed with raw bytes (to serve a broken feed), or
inject faults, so tests and the demo can exercise change detection and bad input.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tiktok_pipelines.sandbox.catalog import Catalog
from tiktok_pipelines.sandbox.feeds.images import product_png
from tiktok_pipelines.sandbox.feeds.writer import render_feed


@dataclass
class HostedFeed:
    name: str
    catalog: Catalog
    format: str = "rss"
    raw: bytes | None = None
    faults: list[dict] = field(default_factory=list)
    requests: int = 0
    _cache_key: tuple | None = None
    _body: bytes = b""
    _etag: str = ""
    _modified: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def render(self, image_base_url: str) -> tuple[bytes, str, datetime]:
        key = (self.catalog.version, self.format, self.raw is not None, id(self.raw))
        if key != self._cache_key:
            body = (
                self.raw
                if self.raw is not None
                else render_feed(self.catalog, self.format, image_base_url, updated=self._modified)
            )
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            if etag != self._etag:
                self._modified = datetime.now(UTC).replace(microsecond=0)
            self._body, self._etag, self._cache_key = body, etag, key
        return self._body, self._etag, self._modified


class FeedHost:
    """Feeds by name, shared by the HTTP app and the code that drives the sandbox."""

    def __init__(self, image_base_url: str = "http://127.0.0.1:8701"):
        self.image_base_url = image_base_url
        self.feeds: dict[str, HostedFeed] = {}
        self.lock = threading.Lock()

    def add(self, name: str, catalog: Catalog, fmt: str = "rss") -> HostedFeed:
        feed = self.feeds[name] = HostedFeed(name=name, catalog=catalog, format=fmt)
        return feed

    def get(self, name: str) -> HostedFeed:
        return self.feeds[name]


def _not_modified(request: Request, etag: str, modified: datetime) -> bool:
    inm = request.headers.get("if-none-match")
    if inm is not None:
        return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            return modified <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


def create_feed_app(host: FeedHost) -> Starlette:
    def _feed(request: Request) -> HostedFeed | None:
        name = request.path_params["name"]
        for suffix in (".xml", ".atom"):
            name = name.removesuffix(suffix)
        return host.feeds.get(name)

    async def serve_feed(request: Request) -> Response:
        feed = _feed(request)
        if feed is None:
            return Response("feed not found", status_code=404)
        with host.lock:
            feed.requests += 1
            fault = feed.faults.pop(0) if feed.faults else None
            body, etag, modified = feed.render(host.image_base_url)
        if fault and fault.get("status"):
            return Response(f"sandbox fault {fault['status']}", status_code=int(fault["status"]))
        headers = {
            "ETag": etag,
            "Last-Modified": format_datetime(modified, usegmt=True),
            "Cache-Control": "no-cache",
        }
        if _not_modified(request, etag, modified):
            return Response(status_code=304, headers=headers)
        media = "application/atom+xml" if feed.format == "atom" and feed.raw is None else "application/xml"
        if fault and fault.get("truncate_at") is not None:
            cut = int(fault["truncate_at"])

            async def partial():
                yield body[:cut]

            headers["Content-Length"] = str(len(body))
            return StreamingResponse(partial(), media_type=media, headers=headers)
        return Response(body, media_type=media, headers=headers)

    async def serve_image(request: Request) -> Response:
        # VTEX addresses a resized image as `<file id>-<width>-<height>`; the sandbox draws one size.
        match = re.fullmatch(r"(\d+)(?:-\d+-\d+)?", request.path_params["file_ref"])
        if match is None:
            return Response("image not found", status_code=404)
        file_id = int(match.group(1))
        return Response(
            product_png(file_id), media_type="image/png", headers={"Cache-Control": "public, max-age=86400"}
        )

    async def control(request: Request) -> Response:
        feed = _feed(request)
        if feed is None:
            return JSONResponse({"error": "feed not found"}, status_code=404)
        action = request.path_params["action"]
        body = await request.body()
        payload = json.loads(body) if body and action != "raw" else {}
        with host.lock:
            if action == "change":
                ids = feed.catalog.change_products(
                    int(payload.get("count", 1)),
                    prices=bool(payload.get("prices", True)),
                    titles=bool(payload.get("titles", False)),
                )
                return JSONResponse({"changed_product_ids": ids, "version": feed.catalog.version})
            if action == "remove":
                ids = feed.catalog.remove_products(int(payload.get("count", 1)))
                return JSONResponse({"removed_product_ids": ids, "version": feed.catalog.version})
            if action == "add":
                ids = feed.catalog.add_products(int(payload.get("count", 1)))
                return JSONResponse({"added_product_ids": ids, "version": feed.catalog.version})
            if action == "raw":
                feed.raw = None if request.method == "DELETE" else body
                return JSONResponse({"raw": feed.raw is not None})
            if action == "fault":
                feed.faults.extend([payload] * int(payload.pop("times", 1)))
                return JSONResponse({"pending_faults": len(feed.faults)})
            if action == "stats":
                return JSONResponse(
                    {
                        "requests": feed.requests,
                        "version": feed.catalog.version,
                        "products": len(feed.catalog.products),
                        "skus": sum(len(p.skus) for p in feed.catalog.products),
                    }
                )
        return JSONResponse({"error": f"unknown action {action}"}, status_code=404)

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "feeds": sorted(host.feeds)})

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/feeds/{name}", serve_feed, methods=["GET", "HEAD"]),
            Route("/arquivos/ids/{file_ref}/{filename}", serve_image, methods=["GET", "HEAD"]),
            Route("/_sandbox/feeds/{name}/{action}", control, methods=["GET", "POST", "PUT", "DELETE"]),
        ]
    )
