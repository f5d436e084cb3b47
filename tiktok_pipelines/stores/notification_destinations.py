"""Where a client's notifications go: named destinations, each an Apprise URL kept encrypted (it carries
the destination's credentials: an SMTP password, a webhook's token), the kinds it wants, its quiet hours
and an on/off toggle. A URL is shown only as `label` (its scheme, and its host when that is a host name
or an address rather than a token), never whole.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa

from tiktok_pipelines.core.notifications import NotificationKind, QuietHours
from tiktok_pipelines.stores.db import StateDB, UTCDateTime, metadata, utcnow

DEFAULT_TIMEZONE = "America/Sao_Paulo"


def client_column() -> sa.Column:
    """The client a notification row belongs to; its rows go with the client."""
    return sa.Column(
        "client_id", sa.String(63), sa.ForeignKey("clients.client_id", ondelete="CASCADE"), nullable=False
    )


destinations_table = sa.Table(
    "notification_destinations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    client_column(),
    sa.Column("name", sa.String(63), nullable=False),
    sa.Column("url_enc", sa.Text, nullable=False),
    sa.Column("label", sa.String(200), nullable=False),  # the URL as it may be shown
    sa.Column("kinds", sa.Text, nullable=False, default=""),  # comma-separated kinds; empty: every kind
    sa.Column("quiet_hours", sa.String(11)),  # HH:MM-HH:MM, local time
    sa.Column("timezone", sa.String(60), nullable=False, default=DEFAULT_TIMEZONE),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("client_id", "name", name="uq_notification_destinations_client_name"),
)


class DestinationError(ValueError):
    """A destination that cannot be added or changed as asked; `exit_code` for the CLI."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


def wants(kinds: str, kind: NotificationKind | str) -> bool:
    """Whether a destination whose kinds are `kinds` (comma-separated; empty: all) wants `kind`."""
    chosen = {k for k in kinds.split(",") if k}
    return not chosen or str(kind) in chosen


def url_label(url: str) -> str:
    """What may be shown of an Apprise URL: its scheme, and its host when the host is a host name or an
    IP address (for chat services the host is often a token: then only the scheme)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "<unreadable url>"
    scheme = parts.scheme or "?"
    try:
        ipaddress.ip_address(host)
        shown = True
    except ValueError:
        shown = host == "localhost" or ("." in host and not any(c.isdigit() for c in host.split(".")[0][:1]))
    if not shown:
        return f"{scheme}://…"
    return f"{scheme}://{host}" + (f":{port}" if port else "")


@dataclass(frozen=True)
class Destination:
    id: int
    client_id: str
    name: str
    label: str
    kinds: str
    quiet_hours: str | None
    timezone: str
    enabled: bool
    created_at: datetime
    updated_at: datetime

    @property
    def quiet(self) -> QuietHours | None:
        return QuietHours.parse(self.quiet_hours, self.timezone) if self.quiet_hours else None


_SHOWN = [c for c in destinations_table.c if c.name != "url_enc"]


class NotificationDestinations:
    """The destinations of every client."""

    def __init__(self, db: StateDB):
        self.db = db

    def add(
        self,
        client_id: str,
        name: str,
        url: str,
        kinds: list[str] | None = None,
        quiet_hours: str | None = None,
        timezone: str = DEFAULT_TIMEZONE,
        replace: bool = False,
    ) -> Destination:
        """Adds a destination (or, with `replace`, changes the one of that name)."""
        chosen = [str(NotificationKind(k)) for k in kinds or []] if kinds else []
        if quiet_hours:
            quiet_hours = str(QuietHours.parse(quiet_hours, timezone))
        now = utcnow()
        values = dict(
            url_enc=self.db.secrets.encrypt(url),
            label=url_label(url),
            kinds=",".join(chosen),
            quiet_hours=quiet_hours or None,
            timezone=timezone,
            updated_at=now,
        )
        t = destinations_table
        where = sa.and_(t.c.client_id == client_id, t.c.name == name)
        with self.db.begin() as conn:
            exists = conn.execute(sa.select(t.c.id).where(where)).first() is not None
            if exists and not replace:
                raise DestinationError(
                    f"{client_id} has a destination named {name} (--replace changes it)", 4
                )
            if exists:
                conn.execute(t.update().where(where).values(**values))
            else:
                conn.execute(
                    t.insert().values(client_id=client_id, name=name, enabled=True, created_at=now, **values)
                )
        found = self.find(client_id, name)
        assert found is not None
        return found

    def find(self, client_id: str, name: str) -> Destination | None:
        t = destinations_table
        with self.db.read() as conn:
            row = conn.execute(sa.select(*_SHOWN).where(t.c.client_id == client_id, t.c.name == name)).first()
        return Destination(**row._mapping) if row else None

    def get(self, destination_id: int) -> Destination | None:
        with self.db.read() as conn:
            row = conn.execute(sa.select(*_SHOWN).where(destinations_table.c.id == destination_id)).first()
        return Destination(**row._mapping) if row else None

    def list(self, client_id: str | None = None) -> list[Destination]:
        t = destinations_table
        query = sa.select(*_SHOWN).order_by(t.c.client_id, t.c.name)
        if client_id:
            query = query.where(t.c.client_id == client_id)
        with self.db.read() as conn:
            return [Destination(**r._mapping) for r in conn.execute(query).all()]

    def url(self, destination_id: int) -> str:
        """The destination's URL, decrypted: for the transport only, never to be shown or logged."""
        with self.db.read() as conn:
            enc = conn.execute(
                sa.select(destinations_table.c.url_enc).where(destinations_table.c.id == destination_id)
            ).scalar_one()
        return self.db.secrets.decrypt(enc)

    def remove(self, client_id: str, name: str) -> bool:
        """Removes a destination and its deliveries (sent or not)."""
        t = destinations_table
        with self.db.begin() as conn:
            return conn.execute(t.delete().where(t.c.client_id == client_id, t.c.name == name)).rowcount > 0

    def set_enabled(self, client_id: str, name: str, enabled: bool) -> bool:
        """Turns a destination on or off; off, what waited for it is skipped (not sent when it is
        turned on again) and it gets nothing new."""
        from tiktok_pipelines.stores.notifications import deliveries_table

        t, d = destinations_table, deliveries_table
        with self.db.begin() as conn:
            row = conn.execute(sa.select(t.c.id).where(t.c.client_id == client_id, t.c.name == name)).first()
            if row is None:
                return False
            conn.execute(t.update().where(t.c.id == row.id).values(enabled=enabled, updated_at=utcnow()))
            if not enabled:
                conn.execute(
                    d.update()
                    .where(d.c.destination_id == row.id, d.c.state == "pending")
                    .values(state="skipped", claimed_by=None, claim_expires_at=None)
                )
        return True
