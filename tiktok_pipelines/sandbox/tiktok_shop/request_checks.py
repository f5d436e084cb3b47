"""What the TikTok Shop emulator refuses before an endpoint sees a request, with the platform's codes and
messages (reference §1, §5; the messages are those of the platform's common-errors page).

- the query: a key given twice is a parameter error (the platform signs and reads one value per key; lists
  travel comma-separated);
- the body: it must be UTF-8 (it is signed as text);
- the fields of product and price writes: amounts, weights and dimensions are strings, `idempotency_key` has
  at most 128 characters, `save_mode` is AS_DRAFT or LISTING.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from tiktok_pipelines.sandbox.refusals import Refusal

PARAM_ERROR = 36009004


@dataclass(eq=False)
class ApiError(Refusal):
    """An answer with a non-zero code (and the HTTP status the emulator gives it)."""

    code: int
    message: str
    http_status: int = 200


# The platform's own wording (common-errors page); clients branch on it, so the emulator uses it verbatim.
MSG_INVALID_APP_KEY = "Invalid credentials. Invalid `app_key` query parameter."
MSG_INVALID_APP_CREDENTIALS = "Invalid credentials. The `app_key` or `app_secret` query parameter is invalid."
MSG_MISSING_SIGN = "Missing credentials. The request does not include a required signature in the query."
MSG_TIMESTAMP_NEGATIVE = (
    "Invalid timestamp. The value of the `timestamp` query parameter must not be lesser than 0."
)
MSG_TIMESTAMP_OLD = (
    "Invalid timestamp. The value of the `timestamp` query parameter must not be earlier than 5 minutes "
    "before the current time."
)
MSG_TIMESTAMP_FUTURE = (
    "Invalid timestamp. The value of the `timestamp` query parameter must not exceed the current time by "
    "more than 30 seconds."
)
MSG_TIMESTAMP_FORMAT = "Invalid timestamp. The `timestamp` query parameter must be Unix seconds."
MSG_INVALID_SIGN = "Invalid credentials. The `sign` query parameter is invalid."
MSG_INVALID_TOKEN = "Invalid credentials. The `x-tts-access-token` header is invalid."
MSG_EXPIRED_TOKEN = "Expired credentials. The `access_token` or `x-tts-access-token` header has expired."
MSG_MISSING_CIPHER = (
    "Missing identifier. The `shop_cipher` query parameter is required to identify the target shop."
)
MSG_UNEXPECTED_CIPHER = (
    "Unexpected identifier. The `shop_cipher` query parameter is not required for this request."
)
MSG_INVALID_PATH = "Invalid path. The specified path does not match any available endpoint."
MSG_INVALID_METHOD = "Invalid method. The HTTP method used is not supported by this endpoint."
MSG_INVALID_VERSION = "Invalid API version. The `version` value is invalid or unsupported."
MSG_BODY_FORMAT = (
    "Invalid request format. The request body format must be `application/json` for structured data or "
    "`multipart/form-data` for binary files."
)
MSG_MULTIPART = (
    "Invalid request format. The value of the `content-type` header must be `multipart/form-data`."
)
MSG_TOO_MANY = "Too many requests. You've made too many requests in a short period of time."


def param_error(detail: str) -> ApiError:
    """The platform's generic parameter refusal, `invalid param error`, with what was wrong."""
    return ApiError(PARAM_ERROR, f"invalid param error: {detail}")


def parse_query(raw_query: str) -> dict[str, str]:
    """The query's parameters, one value per key (decoded); a key given twice is refused."""
    params: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        if key in params:
            raise param_error(
                f"query parameter `{key}` is given more than once; send it once (a list comma-separated)"
            )
        params[key] = value
    return params


def decode_body(raw: bytes) -> str:
    """The body as the text that is signed and parsed; bytes that are not UTF-8 are refused."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise param_error(f"the request body is not UTF-8 (byte {exc.start})") from None


# ---------------------------------------------------------------------------- field rules of writes
@dataclass(frozen=True)
class Text:
    """A JSON string, optionally at most `max_length` characters and one of `choices`."""

    max_length: int | None = None
    choices: tuple[str, ...] = ()


STRING = Text()
_MONEY = {"amount": STRING, "currency": STRING}
PRODUCT_WRITE: dict[str, Any] = {
    "skus": [{"price": _MONEY, "list_price": _MONEY}],
    "package_weight": {"value": STRING, "unit": STRING},
    "package_dimensions": {"length": STRING, "width": STRING, "height": STRING, "unit": STRING},
    "idempotency_key": Text(max_length=128),
    "save_mode": Text(choices=("AS_DRAFT", "LISTING")),
}
PRICE_UPDATE: dict[str, Any] = {"skus": [{"price": {**_MONEY, "sale_price": STRING}, "list_price": _MONEY}]}


def check_fields(body: Any, rules: Mapping[str, Any]) -> None:
    """Refuses the first field of `body` that breaks `rules` (fields the rules do not name are not checked
    here, and an absent field is the endpoint's business)."""
    if isinstance(body, Mapping):
        _check(body, rules, "")


def _check(value: Any, rule: Any, where: str) -> None:
    if value is None:
        return
    if isinstance(rule, Mapping):
        if not isinstance(value, Mapping):
            raise param_error(f"`{where}` must be an object, got {_kind(value)}")
        for key, sub in rule.items():
            if key in value:
                _check(value[key], sub, f"{where}.{key}" if where else key)
    elif isinstance(rule, list):
        if not isinstance(value, list):
            raise param_error(f"`{where}` must be an array, got {_kind(value)}")
        for i, item in enumerate(value):
            _check(item, rule[0], f"{where}[{i}]")
    elif isinstance(rule, Text):
        if not isinstance(value, str):
            raise param_error(f"`{where}` must be a string, got {_kind(value)}")
        if rule.max_length is not None and len(value) > rule.max_length:
            raise param_error(f"`{where}` must be at most {rule.max_length} characters, got {len(value)}")
        if rule.choices and value not in rule.choices:
            raise param_error(f"`{where}` must be one of {', '.join(rule.choices)}, got {value!r}")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
