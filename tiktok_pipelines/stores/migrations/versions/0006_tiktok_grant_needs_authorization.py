"""TikTok Shop's grant keeps its own "needs authorization" mark (`needs_authorization_since`, with the
reason), as `channel_tokens` does for the other channels, instead of the client-wide status
`needs_reauthorization`, which stopped the client's every channel. A client of that status becomes
`active` with its TikTok grant marked (since its last change, the reason saying so), so its other
channels run again and TikTok Shop's runs are green "needs authorization" runs until the seller consents
(one with no TikTok tokens left, a grant for another shop having been discarded, has nothing to mark: its
TikTok runs say it has no authorization).
Runs on databases of no version too: each step looks before it acts.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from tiktok_pipelines.stores.migrations import steps

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FORMER = "needs_reauthorization"
REASON = "the client was marked needs_reauthorization before this release"


def upgrade() -> None:
    steps.add_column(
        "tiktok_tokens", sa.Column("needs_authorization_since", sa.DateTime(timezone=True), nullable=True)
    )
    steps.add_column("tiktok_tokens", sa.Column("needs_authorization_reason", sa.Text(), nullable=True))
    clients = sa.table("clients", sa.column("client_id"), sa.column("status"), sa.column("updated_at"))
    tokens = sa.table(
        "tiktok_tokens",
        sa.column("client_id"),
        sa.column("needs_authorization_since"),
        sa.column("needs_authorization_reason"),
    )
    bind = op.get_bind()
    former = bind.execute(
        sa.select(clients.c.client_id, clients.c.updated_at).where(clients.c.status == FORMER)
    ).all()
    for client_id, since in former:
        bind.execute(
            tokens.update()
            .where(tokens.c.client_id == client_id, tokens.c.needs_authorization_since.is_(None))
            .values(needs_authorization_since=since, needs_authorization_reason=REASON)
        )
    bind.execute(clients.update().where(clients.c.status == FORMER).values(status="active"))


def downgrade() -> None:
    raise NotImplementedError("a TikTok grant's mark is not turned back into a client status")
