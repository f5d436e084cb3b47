"""Which client a Mercado Livre seller is (by the seller id its grant names), and the `state` of the
consent links sent to sellers (random, stored hashed, bound to the client, single use)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tiktok_pipelines.stores.db import StateDB, client_column
from tiktok_pipelines.stores.mercado_livre_auth import mercado_livre_tokens
from tiktok_pipelines.stores.oauth_states import consume_state, issue_state, state_table
from tiktok_pipelines.stores.tiktok_auth import OAuthStateError

mercado_livre_oauth_states = state_table("mercado_livre_oauth_states", client_column(nullable=False))
LINK = "Mercado Livre authorization link"
RENEW = "make a new one with `tiktok-pipelines oauth url <client> --channel mercado_livre`"


def client_of_seller(db: StateDB, seller_id: str) -> str | None:
    """The client whose Mercado Livre grant is the seller's, or None."""
    table = mercado_livre_tokens
    with db.read() as conn:
        return conn.execute(sa.select(table.c.client_id).where(table.c.seller_id == str(seller_id))).scalar()


def connected_clients(db: StateDB) -> set[str]:
    """The clients with a Mercado Livre seller account connected."""
    table = mercado_livre_tokens
    with db.read() as conn:
        return set(conn.execute(sa.select(table.c.client_id).where(table.c.seller_id.is_not(None))).scalars())


def issue_link_state(db: StateDB, client_id: str, ttl: timedelta) -> str:
    return issue_state(db, mercado_livre_oauth_states, ttl, timedelta(days=7), client_id=client_id)


def consume_link_state(db: StateDB, state: str) -> str:
    """The client a link's state was issued for (`OAuthStateError` when unknown, used or expired)."""
    return consume_state(db, mercado_livre_oauth_states, state, OAuthStateError, LINK, RENEW).client_id
