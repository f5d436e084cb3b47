"""Images uploaded as bytes (`v2.media_space.upload_image`, form-data field `image`): JPG or PNG, at most
10 MB; the answer's `image_info.image_id` is what items name in `image.image_id_list`. The same bytes get
the same id. Signed as a public call (no shop: UNCONFIRMED in the reference, as are the limits)."""

from __future__ import annotations

import hashlib
from typing import Any

from tiktok_pipelines.sandbox.shopee.context import Ctx, Endpoints
from tiktok_pipelines.sandbox.shopee.errors import ApiError, param_error
from tiktok_pipelines.sandbox.shopee.signing import ApiType

MAX_IMAGE_BYTES = 10 * 1024 * 1024
_FORMATS = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}


class MediaMixin:
    def init_media(self) -> None:
        self.images: dict[str, dict[str, Any]] = {}

    def store_image(self, data: bytes) -> dict[str, Any]:
        kind = next((k for magic, k in _FORMATS.items() if data.startswith(magic)), None)
        if kind is None:
            raise ApiError("error_invalid_image", "The image format is not supported, use JPG or PNG.")
        if len(data) > MAX_IMAGE_BYTES:
            raise ApiError("error_invalid_image", "The image is larger than 10 MB.")
        image_id = "br-" + hashlib.sha256(data).hexdigest()[:28]
        self.images.setdefault(image_id, {"bytes": data, "format": kind})
        url = f"{self.config.base_url}/_sandbox/images/{image_id}"
        return {
            "image_id": image_id,
            "image_url_list": [{"image_url_region": self.config.region, "image_url": url}],
        }


endpoints = Endpoints()


@endpoints.post("media_space/upload_image", api_type=ApiType.PUBLIC, multipart=True)
def h_upload_image(ctx: Ctx) -> dict[str, Any]:
    upload = ctx.form.get("image")
    if not isinstance(upload, tuple):
        raise param_error("image is required")
    return {"image_info": ctx.emulator.store_image(upload[0])}


ROUTES = endpoints.routes
