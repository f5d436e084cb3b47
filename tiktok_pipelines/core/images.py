"""What an image file is, read from its first bytes, and whether a channel's image upload would take it
(`ImageRules`: the formats, sides and size a channel's capabilities state), checked before the upload so a
bad image costs no call."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

MAIN_IMAGES_DEFAULT = 9  # main images per product unless a client says otherwise
MAIN_IMAGES_MOST = 20  # the most a client may ask for; each channel keeps to its own `max_main_images`


@dataclass(frozen=True)
class ImageRules:
    """What a channel's image upload takes."""

    channel: str  # its display name, in the reasons given
    max_bytes: int
    min_side: int
    max_side: int
    max_main_images: int
    formats: tuple[str, ...] = ("image/jpeg", "image/png", "image/webp")

    def oversize(self, size: int) -> str | None:
        """Why an image of `size` bytes is too large, or None."""
        if size <= self.max_bytes:
            return None
        return f"image is {size / 1e6:.1f} MB, over {self.channel}'s {self.max_bytes / 2**20:g} MB"


@dataclass(frozen=True)
class ImageInfo:
    mime: str
    width: int
    height: int


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sniff_image(data: bytes) -> ImageInfo | None:
    """Type and size of a JPG, PNG or WEBP image; None for anything else (GIF, HTML error pages...)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return ImageInfo("image/png", width, height)
    if data.startswith(b"\xff\xd8"):
        size = _jpeg_size(data)
        return ImageInfo("image/jpeg", *size) if size else None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        size = _webp_size(data)
        return ImageInfo("image/webp", *size) if size else None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None


def image_problem(data: bytes, rules: ImageRules) -> str | None:
    """Why the channel of `rules` would refuse these bytes as an image, or None when they are fine."""
    if too_large := rules.oversize(len(data)):
        return too_large
    info = sniff_image(data)
    if info is None or info.mime not in rules.formats:
        return f"not a {_formats(rules.formats)} image"
    if (
        info.width
        and info.height
        and (min(info.width, info.height) < rules.min_side or max(info.width, info.height) > rules.max_side)
    ):
        return (
            f"image is {info.width}x{info.height}: sides must be {rules.min_side} to {rules.max_side} pixels"
        )
    return None


def _formats(mimes: tuple[str, ...]) -> str:
    names = [m.split("/")[1].replace("jpeg", "jpg").upper() for m in mimes]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
