"""resumable runs and dates on record: owed sections, each fetched page's event, why a date was passed over

Create Date: 2026-12-05 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    # Set with a story's membership, in the same transaction; cleared when its sections are written. A run that
    # dies in between leaves it set, so the next run builds those sections (ADR 0013).
    with op.batch_alter_table("stories") as batch:
        batch.add_column(sa.Column("sections_pending", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_index("ix_stories_sections_pending", ["sections_pending"])
    # The fetched event of a page (claim check with the feed's title and date): a page archived by a run that
    # died before storing it is resumed from here, as the feed announced it, without fetching it again.
    with op.batch_alter_table("fetches") as batch:
        batch.add_column(sa.Column("event", sa.JSON(), nullable=True))
    # Why an article's published_at is not the date its page or feed claimed (year 9999, year 1 passed over).
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("published_at_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("published_at_note")
    with op.batch_alter_table("fetches") as batch:
        batch.drop_column("event")
    with op.batch_alter_table("stories") as batch:
        batch.drop_index("ix_stories_sections_pending")
        batch.drop_column("sections_pending")
