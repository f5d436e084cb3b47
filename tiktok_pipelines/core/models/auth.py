"""A client's authorization on a channel: the tokens a grant holds, and the shops it covers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import SecretStr


@dataclass(frozen=True)
class Grant:
    """What a channel's token host grants: tokens (secret, printed as `**********`) with absolute expiry
    times, and who granted them."""

    access_token: SecretStr
    access_token_expires_at: datetime
    refresh_token: SecretStr
    refresh_token_expires_at: datetime
    open_id: str | None = None
    seller_name: str | None = None
    seller_base_region: str | None = None
    granted_scopes: tuple[str, ...] = ()
    shop_ids: tuple[str, ...] = ()  # every shop a main account's grant covers (Shopee), `open_id`'s first


@dataclass(frozen=True)
class AuthorizedShop:
    """A shop a grant covers: its id on the channel, its code (what the client's registry names it by),
    and whatever else the channel needs to address it (TikTok Shop: its cipher), kept secret."""

    shop_id: str
    code: str | None = None
    name: str | None = None
    region: str | None = None
    secret: str | None = field(default=None, repr=False)
