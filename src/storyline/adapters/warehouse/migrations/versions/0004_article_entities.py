"""article entities: named entities recognised once at extraction, stored with the article

Create Date: 2026-11-29 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    # Nullable: rows extracted before this revision have none; enrichment recognises those on demand.
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("entities", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("entities")
