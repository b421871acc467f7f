"""an index on stories.merged_into: a story family's members are found by it, not by scanning every story

Create Date: 2026-12-06 23:05:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_index("ix_stories_merged_into", "stories", ["merged_into"])


def downgrade() -> None:
    op.drop_index("ix_stories_merged_into", table_name="stories")
