"""Video files for tests and the demo: a minimal MP4 (`ftyp`, a `moov` whose `mvhd` declares the
duration, and an `mdat` of filler up to the size asked), enough for an upload and a duration check."""

from __future__ import annotations

import struct


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def sample_mp4(duration_s: float, size: int = 64 * 1024) -> bytes:
    """An MP4 of `size` bytes (at least its headers) whose movie header says `duration_s` seconds."""
    scale = 1000
    mvhd = _box(
        b"mvhd",
        bytes(4)  # version 0, flags
        + struct.pack(">IIII", 0, 0, scale, int(duration_s * scale))
        + struct.pack(">IH", 0x00010000, 0x0100)  # rate 1.0, volume 1.0
        + bytes(10 + 36 + 24)  # reserved, matrix, pre-defined
        + struct.pack(">I", 2),  # next track id
    )
    head = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41") + _box(b"moov", mvhd)
    filler = max(0, size - len(head) - 8)
    return head + _box(b"mdat", bytes(filler))
