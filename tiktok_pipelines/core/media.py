"""What a post's video file says about itself before it is sent: its type (by extension) and, for MP4
and QuickTime files, its duration from the movie header (`moov/mvhd`), read box by box without loading
the file."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

VIDEO_CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
}


def video_content_type(path: str | Path) -> str | None:
    """The Content-Type of a video file by its extension, or None for a type TikTok does not take."""
    return VIDEO_CONTENT_TYPES.get(Path(path).suffix.lower())


def _boxes(f: BinaryIO, end: int):
    """(type, payload start, payload end) of the boxes between the file's position and `end`."""
    while f.tell() + 8 <= end:
        start = f.tell()
        size, kind = struct.unpack(">I4s", f.read(8))
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", f.read(8))
            header = 16
        elif size == 0:
            size = end - start
        if size < header or start + size > end:
            return
        yield kind, start + header, start + size
        f.seek(start + size)


def mp4_duration_seconds(path: str | Path) -> float | None:
    """The duration an MP4 / MOV file's movie header declares, or None when it has none to read."""
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as f:
        for kind, start, end in _boxes(f, size):
            if kind != b"moov":
                continue
            f.seek(start)
            for inner, body, inner_end in _boxes(f, end):
                if inner != b"mvhd":
                    continue
                f.seek(body)
                data = f.read(min(inner_end - body, 32))
                if len(data) >= 32 and data[0] == 1:
                    scale, length = struct.unpack(">IQ", data[20:32])
                elif len(data) >= 20:
                    scale, length = struct.unpack(">II", data[12:20])
                else:
                    return None
                return length / scale if scale else None
            return None
    return None
