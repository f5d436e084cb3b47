"""Image upload (multipart, checked for format, size and sides as the platform checks them) and the
images the emulator keeps, served back at their `url` by a control route."""

from __future__ import annotations

import hashlib
import struct
from typing import Any

from tiktok_pipelines.sandbox.tiktok_shop.context import Ctx
from tiktok_pipelines.sandbox.tiktok_shop.request_checks import ApiError
from tiktok_pipelines.sandbox.tiktok_shop.routing import ApiRoute


class ImagesMixin:
    """The uploaded images of `TikTokShopEmulator`."""

    def _store_image(self, data: bytes, use_case: str, width: int, height: int) -> dict[str, Any]:
        digest = hashlib.sha256(data + use_case.encode()).hexdigest()[:32]
        uri = f"tos-maliva-i-o3syd03w52-us/{digest}"
        image = {
            "uri": uri,
            "url": f"{self.config.base_url}/_sandbox/images/{uri}",
            "width": width,
            "height": height,
            "use_case": use_case,
        }
        self.images[uri] = {**image, "bytes": data}
        return image


def _image_size(data: bytes) -> tuple[int, int] | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return w, h
            i += 2 + length
        return None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return 0, 0
    return None


def h_upload_image(ctx: Ctx) -> dict[str, Any]:
    upload = ctx.form.get("data")
    if upload is None:
        raise ApiError(36009004, "invalid param error: data (the image file) is required")
    data: bytes = upload
    use_case = ctx.form.get("use_case") or "MAIN_IMAGE"
    if use_case not in (
        "MAIN_IMAGE",
        "ATTRIBUTE_IMAGE",
        "DESCRIPTION_IMAGE",
        "CERTIFICATION_IMAGE",
        "SIZE_CHART_IMAGE",
    ):
        raise ApiError(36009004, f"invalid param error: use_case {use_case!r}")
    if len(data) > 5 * 1024 * 1024:
        raise ApiError(36009021, "file too large: images are limited to 5 MB")
    size = _image_size(data)
    if size is None:
        raise ApiError(12052990, "the file is not a JPG, PNG or WEBP image")
    width, height = size
    if width and height and (min(width, height) < 100 or max(width, height) > 20000):
        raise ApiError(12052990, f"image is {width}x{height}: sides must be 100 to 20000 pixels")
    return ctx.emulator._store_image(data, use_case, width, height)


ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute("POST", "/product/202309/images/upload", h_upload_image, cipher=False, multipart=True),
)
