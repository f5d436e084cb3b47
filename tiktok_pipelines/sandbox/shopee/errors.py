"""What the Shopee emulator answers when it refuses a call: the `error` code and `message` of the reference
(§3, §4, §8), and the HTTP status it gives each code. Clients branch on `error`, never on the status: the
statuses per code are UNCONFIRMED (a popular SDK maps 400 to bad requests and 403 to auth errors), so they
are a table of the emulator's config."""

from __future__ import annotations

from dataclasses import dataclass, field

from tiktok_pipelines.sandbox.refusals import Refusal

# The platform's wording (reference §3); clients may show it, so the emulator uses it verbatim.
MSG_NO_PARTNER_ID = "Invalid partner_id."
MSG_NO_TIMESTAMP = "no timestamp"
MSG_BAD_TIMESTAMP = "Invalid timestamp"
MSG_NO_SIGN = "There is no sign in query."
MSG_NO_ACCESS_TOKEN = "There is no access_token in query."
MSG_WRONG_SIGN = "Wrong sign."
MSG_INVALID_TOKEN = "Invalid access_token."
MSG_NO_PERMISSION = "No permission to current api."
MSG_INVALID_SHOP = "shopid is invalid"
MSG_TOO_MANY = "Too many requests, please try again later"
MSG_SYSTEM_ERROR = "System error, please try again later."
MSG_NO_PARTNER_ID_IN_QUERY = "There is no partner_id in query."
MSG_INVALID_CODE = "The code is expired or used or invalid, please check the code."
MSG_INVALID_SHOP_ID = "The code or shop_id is wrong, please check the code or the shop_id."
MSG_INVALID_MAIN_ACCOUNT = (
    "The code or main_accoount_id is wrong, please check the code or the main_account_id."
)
# The refusal of a refresh token that is not the newest of its shop (used, or replaced): UNCONFIRMED wording.
MSG_INVALID_REFRESH_TOKEN = "Invalid refresh_token."

# HTTP status per error code (UNCONFIRMED, reference §3): what the emulator answers unless its config says
# otherwise. Every code not named here is answered with 400.
DEFAULT_HTTP_STATUS: dict[str, int] = {
    "": 200,
    "error_auth": 403,
    "error_sign": 403,
    "error_permission": 403,
    "error_shop": 403,
    "error_not_found": 404,
    "error_server": 500,
    "error_inner": 500,
    "error_network": 500,
}


@dataclass(eq=False)
class ApiError(Refusal):
    """A refusal: the reference's `error` code and `message`. `throttled` marks the "Too many requests"
    answer, whose HTTP status is configured on its own (429 UNCONFIRMED)."""

    error: str
    message: str
    throttled: bool = field(default=False, kw_only=True)


def param_error(detail: str) -> ApiError:
    """The platform's generic parameter refusal, with what was wrong."""
    return ApiError("error_param", f"Wrong parameters, detail: {detail}.")


def not_found(detail: str) -> ApiError:
    return ApiError("error_not_found", f"Wrong parameters, detail: {detail}.")


def too_many_requests() -> ApiError:
    return ApiError("error_server", MSG_TOO_MANY, throttled=True)
