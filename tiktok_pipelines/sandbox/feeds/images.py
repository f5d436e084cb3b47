"""Deterministic product images (PNG) for the sandbox image server."""

from __future__ import annotations

import hashlib
import struct
import zlib
from functools import lru_cache


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


@lru_cache(maxsize=4096)
def product_png(file_id: int, size: int = 600) -> bytes:
    """A `size`×`size` PNG whose colours derive from `file_id`: same id, same bytes."""
    digest = hashlib.sha256(str(file_id).encode()).digest()
    background, stripe = digest[:3], digest[3:6]
    band = size // 6
    rows = []
    for y in range(size):
        colour = stripe if (y // band) % 2 else background
        rows.append(b"\x00" + colour * size)
    raw = zlib.compress(b"".join(rows), 9)
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", raw) + _chunk(b"IEND", b"")
