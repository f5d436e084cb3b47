"""Column sets that tables of more than one revision are made of. A revision is frozen once released, and
so is every set here that one uses: a table made of other columns gets a set of its own."""

from __future__ import annotations

import sqlalchemy as sa


def event_key() -> list[sa.Column]:
    """An event as the receiver keyed it: its row id, its source and id there, its type and the routing
    key that sends it to a lane (the event log, its queue and its dead letters)."""
    return [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("routing_key", sa.String(length=100), nullable=False),
    ]


def client_oauth_states() -> list[sa.SchemaItem]:
    """A channel's authorization states of a client: the hash of the state sent to the channel, for whom,
    when it was made, expires and was used (once), gone with the client."""
    return [
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("state_hash"),
    ]
