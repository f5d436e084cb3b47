"""What an inbound event's body must hold before it is queued: UTF-8 JSON, and the fields the queue
sensor and the runs read, of the kinds they read (an id, a status code, a Unix time...).

Each source declares the fields of its event types (TikTok Shop's in `channels/tiktok_shop/
notifications.py`, VTEX's in `vtex/notifications.py`) and checks them with `check_fields`, so that an
event that can never be handled gets a 400 naming the problem (nothing is queued) instead of failing in
the sensor after it was acknowledged. Only what the project reads is checked: other fields, and event
types it has no handler for, pass as they are.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

MAX_ID_CHARS = 100  # the routing key column; TikTok ids are 19 digits
MAX_CODE_CHARS = 40  # statuses such as AWAITING_SHIPMENT or CANCELLATION_REQUEST_COMPLETE
MAX_TEXT_CHARS = 2000

_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class PayloadInvalid(ValueError):
    """The body cannot be handled; the message says why."""


def decode_json_object(body: bytes) -> tuple[str, dict[str, Any]]:
    """The body as text and as a JSON object. JSON exchanged between systems is UTF-8 (RFC 8259 §8.1). A
    UTF-8 byte order mark, which that RFC lets a parser ignore, is dropped: the text kept is what every
    JSON parser reads. UTF-16 and UTF-32 are refused."""
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    elif body.startswith(_WIDE_BOMS) or b"\x00" in body[:4]:
        raise PayloadInvalid("body is UTF-16 or UTF-32 text; JSON must be sent as UTF-8")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadInvalid(f"body is not UTF-8 text (invalid byte at offset {exc.start})") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise PayloadInvalid("body is not valid JSON (nested too deeply)") from None
    except ValueError as exc:
        raise PayloadInvalid(f"body is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise PayloadInvalid("body is not a JSON object")
    return text, data


# ---------------------------------------------------------------- field kinds


def is_id(value: Any, max_chars: int = MAX_ID_CHARS) -> bool:
    """An identifier: a non-empty string, or a non-negative integer (64-bit ids arrive as either)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0 and len(str(value)) <= max_chars
    return isinstance(value, str) and bool(value.strip()) and len(value) <= max_chars


def _is_code(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_CODE_CHARS


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_TEXT_CHARS


def _is_time(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_ids(value: Any) -> bool:
    return isinstance(value, list) and all(is_id(v) for v in value)


def _is_packages(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(p, dict) and is_id(p.get("package_id") or p.get("id")) for p in value
    )


_KINDS = {
    "id": (is_id, "an id (a non-empty string or a non-negative integer)"),
    "code": (_is_code, f"a string of at most {MAX_CODE_CHARS} characters"),
    "text": (_is_text, f"a string of at most {MAX_TEXT_CHARS} characters"),
    "time": (_is_time, "a Unix time in seconds"),
    "ids": (_is_ids, "a list of ids"),
    "packages": (_is_packages, "a list of objects with a `package_id`"),
}


def check_fields(data: dict[str, Any], fields: dict[str, tuple[str, bool]], where: str) -> None:
    """Raises `PayloadInvalid` naming the first field of `data` that is missing or of the wrong kind."""
    for name, (kind, required) in fields.items():
        value = data.get(name)
        if value is None:
            if required:
                raise PayloadInvalid(f"{where} has no `{name}`")
            continue
        test, wanted = _KINDS[kind]
        if not test(value):
            shown = json.dumps(value)[:60]
            raise PayloadInvalid(f"{where} `{name}` must be {wanted}, got {shown}")
