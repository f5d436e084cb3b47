"""The client registry: one row per merchant, secrets encrypted at rest."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from tiktok_pipelines.core.client_options import ClientOptionsError, check_options, option_value
from tiktok_pipelines.core.notifications import Notice
from tiktok_pipelines.logs import redact_url
from tiktok_pipelines.stores.db import StateDB, UTCDateTime, metadata, utcnow
from tiktok_pipelines.stores.notifications import record_notices

CLIENT_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
VTEX_ACCOUNT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# A channel's grant that ended is marked on that channel alone (`stores/grants.py`), not on the client.
CLIENT_STATUSES = ("active", "paused")
SECRET_FIELDS = ("vtex_app_key", "vtex_app_token", "tiktok_shop_cipher")

clients_table = sa.Table(
    "clients",
    metadata,
    sa.Column("client_id", sa.String(63), primary_key=True),
    sa.Column("display_name", sa.String(200)),
    sa.Column("feed_url", sa.Text, nullable=False),
    sa.Column("vtex_account", sa.String(100), nullable=False),
    sa.Column("vtex_environment", sa.String(100), nullable=False),
    sa.Column("vtex_app_key_enc", sa.Text, nullable=False),
    sa.Column("vtex_app_token_enc", sa.Text, nullable=False),
    sa.Column("vtex_warehouse_ids", sa.Text, nullable=False),
    sa.Column("vtex_trade_policy", sa.String(20), nullable=False),
    sa.Column("vtex_affiliate_id", sa.String(20)),
    sa.Column("tiktok_shop_code", sa.String(100)),
    sa.Column("tiktok_shop_id", sa.String(40)),
    sa.Column("tiktok_shop_cipher_enc", sa.Text),
    sa.Column("tiktok_warehouse_ids", sa.Text, nullable=False),
    sa.Column("options", sa.Text, nullable=False),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_clients_tiktok_shop_id", "tiktok_shop_id"),
    sa.Index("ix_clients_tiktok_shop_code", "tiktok_shop_code"),
)


_DECLARED = object()


T = TypeVar("T")


class RegistryError(Exception):
    """Base of the registry's errors; `exit_code` is what the CLI returns for it."""

    exit_code = 1


class InvalidClientError(RegistryError):
    exit_code = 2


class ClientNotFoundError(RegistryError):
    exit_code = 3


class ClientExistsError(RegistryError):
    exit_code = 4


def _check_http_url(value: str, what: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} must be an http(s) URL with a host, got {redact_url(value)!r}")
    if any(c.isspace() for c in value):
        raise ValueError(f"{what} must not contain spaces")
    return value


class Client(BaseModel):
    """A merchant: its feed, its VTEX store and its TikTok shop."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str
    display_name: str | None = None
    feed_url: str
    vtex_account: str
    vtex_environment: str = "vtexcommercestable"
    vtex_app_key: SecretStr
    vtex_app_token: SecretStr
    vtex_warehouse_ids: tuple[str, ...] = Field(min_length=1)
    vtex_trade_policy: str = "1"
    vtex_affiliate_id: str | None = None
    tiktok_shop_code: str | None = None
    tiktok_shop_id: str | None = None
    tiktok_shop_cipher: SecretStr | None = None
    tiktok_warehouse_ids: tuple[str, ...] = ()
    options: dict[str, Any] = Field(default_factory=dict)
    status: Literal["active", "paused"] = "active"
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @field_validator("client_id")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not CLIENT_ID_PATTERN.match(v) or len(v) > 63:
            raise ValueError(
                f"client_id {v!r} is not a slug: lowercase letters, digits, '-' and '_', starting with a "
                "letter or digit, at most 63 characters"
            )
        return v

    @field_validator("feed_url")
    @classmethod
    def _feed_url(cls, v: str) -> str:
        return _check_http_url(v, "feed_url")

    @field_validator("vtex_account")
    @classmethod
    def _account(cls, v: str) -> str:
        if not VTEX_ACCOUNT_PATTERN.match(v):
            raise ValueError(f"vtex_account {v!r} must be the store's account name (lowercase, digits, '-')")
        return v

    @field_validator("vtex_warehouse_ids", "tiktok_warehouse_ids", mode="before")
    @classmethod
    def _ids(cls, v: Any) -> tuple[str, ...]:
        if isinstance(v, str):
            v = [part for part in v.split(",")]
        ids = tuple(str(x).strip() for x in v if str(x).strip())
        if len(set(ids)) != len(ids):
            raise ValueError("warehouse ids must not repeat")
        return ids

    @field_validator("vtex_trade_policy")
    @classmethod
    def _trade_policy(cls, v: str) -> str:
        v = str(v).strip()
        if not v.isdigit():
            raise ValueError(f"vtex_trade_policy is the sales channel number, got {v!r}")
        return v

    @field_validator("vtex_affiliate_id")
    @classmethod
    def _affiliate(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9-]{3,40}", v):
            raise ValueError(f"vtex_affiliate_id {v!r} must be the VTEX affiliate id (e.g. 'TTS')")
        return v

    @field_validator("vtex_app_key", "vtex_app_token")
    @classmethod
    def _not_blank(cls, v: SecretStr) -> SecretStr:
        if not v.get_secret_value().strip():
            raise ValueError("must not be empty")
        return v

    @field_validator("options")
    @classmethod
    def _options(cls, v: dict[str, Any]) -> dict[str, Any]:
        check_options(v)
        return v

    def __repr_args__(self):
        # Feed URLs sometimes carry an access token in their query string.
        for name, value in super().__repr_args__():
            yield name, (redact_url(value) if name == "feed_url" else value)

    def option(self, name: str, default: Any = _DECLARED) -> Any:
        """The client's option `name` (see `domain.client_options`): the stored value, validated, or the
        declared default when it is unset. A `default` given must be the declared one."""
        try:
            value = option_value(self.options, name)
        except ClientOptionsError as exc:
            raise InvalidClientError(
                f"client {self.client_id}: {exc}; fix it with `tiktok-pipelines clients set {self.client_id} "
                f"--option {name}=...` or `--unset-option {name}`"
            ) from None
        if default is not _DECLARED and name not in self.options and default != value:
            raise ClientOptionsError(f"option {name} is declared with the default {value!r}, not {default!r}")
        return value

    def public_dict(self) -> dict[str, Any]:
        """Every field, secrets replaced by whether they are set: safe to print or log."""
        out = self.model_dump(mode="json")
        for name in SECRET_FIELDS:
            out[name] = "<set>" if getattr(self, name) is not None else None
        out["feed_url"] = redact_url(self.feed_url)
        return out


def format_validation_error(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "client"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "is required"
        lines.append(f"{field}: {msg}")
    return "; ".join(lines)


def build_client(**fields: Any) -> Client:
    """Validates fields into a Client, raising InvalidClientError with a readable message."""
    try:
        return Client(**fields)
    except ValidationError as exc:
        raise InvalidClientError(format_validation_error(exc)) from None


class KeyedRegistry(Generic[T]):
    """A table of things keyed by one id column (`key`): their ids, all of them, one by its id. A subclass
    reads a row as its model (`_from_row`) and says how a missing one is named (`missing`)."""

    table: sa.Table
    key: str
    missing: str  # the not-found message, `{}` standing for the id

    def __init__(self, db: StateDB):
        self.db = db

    def _from_row(self, row: Any) -> T:
        raise NotImplementedError

    def not_found(self, id_: str) -> ClientNotFoundError:
        return ClientNotFoundError(self.missing.format(id_))

    def ids(self) -> list[str]:
        key = self.table.c[self.key]
        with self.db.read() as conn:
            return list(conn.execute(sa.select(key).order_by(key)).scalars())

    def list(self) -> list[T]:
        with self.db.read() as conn:
            rows = conn.execute(sa.select(self.table).order_by(self.table.c[self.key])).all()
        return [self._from_row(r) for r in rows]

    def find(self, id_: str) -> T | None:
        row = self.db.find_row(self.table, **{self.key: id_})
        return self._from_row(row) if row else None

    def get(self, id_: str) -> T:
        found = self.find(id_)
        if found is None:
            raise self.not_found(id_)
        return found


class ClientRegistry(KeyedRegistry[Client]):
    """CRUD over the `clients` table."""

    table = clients_table
    key = "client_id"
    missing = "no client {!r} in the registry"

    # -- mapping between rows and models
    def _to_row(self, client: Client) -> dict[str, Any]:
        enc = self.db.secrets.encrypt
        return {
            "client_id": client.client_id,
            "display_name": client.display_name,
            "feed_url": client.feed_url,
            "vtex_account": client.vtex_account,
            "vtex_environment": client.vtex_environment,
            "vtex_app_key_enc": enc(client.vtex_app_key.get_secret_value()),
            "vtex_app_token_enc": enc(client.vtex_app_token.get_secret_value()),
            "vtex_warehouse_ids": json.dumps(list(client.vtex_warehouse_ids)),
            "vtex_trade_policy": client.vtex_trade_policy,
            "vtex_affiliate_id": client.vtex_affiliate_id,
            "tiktok_shop_code": client.tiktok_shop_code,
            "tiktok_shop_id": client.tiktok_shop_id,
            "tiktok_shop_cipher_enc": (
                enc(client.tiktok_shop_cipher.get_secret_value()) if client.tiktok_shop_cipher else None
            ),
            "tiktok_warehouse_ids": json.dumps(list(client.tiktok_warehouse_ids)),
            "options": json.dumps(client.options, sort_keys=True),
            "status": client.status,
        }

    def _from_row(self, row: Any) -> Client:
        dec = self.db.secrets.decrypt
        return Client.model_construct(
            client_id=row.client_id,
            display_name=row.display_name,
            feed_url=row.feed_url,
            vtex_account=row.vtex_account,
            vtex_environment=row.vtex_environment,
            vtex_app_key=SecretStr(dec(row.vtex_app_key_enc)),
            vtex_app_token=SecretStr(dec(row.vtex_app_token_enc)),
            vtex_warehouse_ids=tuple(json.loads(row.vtex_warehouse_ids)),
            vtex_trade_policy=row.vtex_trade_policy,
            vtex_affiliate_id=row.vtex_affiliate_id,
            tiktok_shop_code=row.tiktok_shop_code,
            tiktok_shop_id=row.tiktok_shop_id,
            tiktok_shop_cipher=SecretStr(dec(row.tiktok_shop_cipher_enc))
            if row.tiktok_shop_cipher_enc
            else None,
            tiktok_warehouse_ids=tuple(json.loads(row.tiktok_warehouse_ids)),
            options=json.loads(row.options),
            status=row.status,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    # -- queries
    def find_by(self, **criteria: str) -> Client | None:
        """The client whose `tiktok_shop_id` / `tiktok_shop_code` / ... equals the value given."""
        ((column, value),) = criteria.items()
        row = self.db.find_row(clients_table, **{column: value})
        return self._from_row(row) if row else None

    # -- changes
    def add(self, client: Client) -> Client:
        now = utcnow()
        with self.db.begin() as conn:
            exists = conn.execute(
                sa.select(clients_table.c.client_id).where(clients_table.c.client_id == client.client_id)
            ).first()
            if exists:
                raise ClientExistsError(f"client {client.client_id!r} is already registered")
            conn.execute(
                clients_table.insert().values(**self._to_row(client), created_at=now, updated_at=now)
            )
        return self.get(client.client_id)

    def update(self, client_id: str, **changes: Any) -> Client:
        """Applies field changes (validated as a whole) and returns the new client."""
        current = self.get(client_id)
        if "client_id" in changes and changes["client_id"] != client_id:
            raise InvalidClientError("client_id cannot be changed; add a new client and remove this one")
        options = changes.pop("options", None)
        merged = {
            name: getattr(current, name)
            for name in Client.model_fields
            if name not in ("created_at", "updated_at")
        }
        merged.update(changes)
        if options is not None:
            merged["options"] = options
            updated = build_client(**merged)
        else:
            # The stored options are kept as they are: one that a newer release refuses must not block an
            # unrelated change (onboarding storing the shop's tokens); it is refused where it is read.
            updated = build_client(**{**merged, "options": {}}).model_copy(
                update={"options": current.options}
            )
        with self.db.begin() as conn:
            conn.execute(
                clients_table.update()
                .where(clients_table.c.client_id == client_id)
                .values(**self._to_row(updated), updated_at=utcnow())
            )
        return self.get(client_id)

    def set_status(self, client_id: str, status: str, notices: Sequence[Notice] = ()) -> None:
        """Sets the client's status, and records `notices` about it in the same transaction."""
        if status not in CLIENT_STATUSES:
            raise InvalidClientError(f"status must be one of {', '.join(CLIENT_STATUSES)}")
        with self.db.begin() as conn:
            result = conn.execute(
                clients_table.update()
                .where(clients_table.c.client_id == client_id)
                .values(status=status, updated_at=utcnow())
            )
            if result.rowcount:
                record_notices(conn, notices)
        if result.rowcount == 0:
            raise self.not_found(client_id)

    def remove(self, client_id: str) -> None:
        with self.db.begin() as conn:
            result = conn.execute(clients_table.delete().where(clients_table.c.client_id == client_id))
        if result.rowcount == 0:
            raise self.not_found(client_id)
