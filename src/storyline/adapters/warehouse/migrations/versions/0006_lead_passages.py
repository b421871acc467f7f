"""lead passages: hashed 8-word runs of each clustered article's lead, looked up by passage (ADR 0015)

Create Date: 2026-12-05 21:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "article_passages",
        sa.Column("article_id", sa.String(64), primary_key=True),
        sa.Column("passage", sa.BigInteger(), primary_key=True, autoincrement=False),
    )
    op.create_index("ix_article_passages_passage", "article_passages", ["passage"])


def downgrade() -> None:
    op.drop_index("ix_article_passages_passage", table_name="article_passages")
    op.drop_table("article_passages")
