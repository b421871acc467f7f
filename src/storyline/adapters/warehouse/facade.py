"""SqlWarehouse: every warehouse repository over one database, as the composition root and the tests use it."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from storyline.adapters.warehouse.articles import SqlArticles
from storyline.adapters.warehouse.crawl_log import SqlCrawlLog
from storyline.adapters.warehouse.dead_letters import SqlDeadLetters
from storyline.adapters.warehouse.engine import Database
from storyline.adapters.warehouse.maintenance import SqlMaintenance
from storyline.adapters.warehouse.reports import SqlReports
from storyline.adapters.warehouse.sections import SqlSections
from storyline.adapters.warehouse.stories import SqlStories
from storyline.adapters.warehouse.tables import Base


class SqlWarehouse(SqlArticles, SqlStories, SqlSections, SqlCrawlLog, SqlDeadLetters, SqlMaintenance, SqlReports):
    """Implements every warehouse port: each repository's methods, sharing one engine and one unit of work per
    thread. Database outages surface as TransientError."""

    def __init__(self, url: str) -> None:
        super().__init__(Database(url))

    @property
    def url(self) -> str:
        return self.db.url

    @property
    def engine(self) -> Engine:
        return self.db.engine

    def session(self) -> Session:
        return self.db.session()

    def after_fork(self) -> None:
        self.db.after_fork()

    def upgrade(self) -> None:
        # Alembic takes about 0.2 s to import: only the commands that migrate load it.
        from storyline.adapters.warehouse.schema import upgrade_to_head

        upgrade_to_head(self.engine)

    def grant_reader(self, role: str, password: str) -> None:
        from storyline.adapters.warehouse.schema import grant_reader

        grant_reader(self.engine, role, password)

    def create_all(self) -> None:
        """Schema without Alembic (tests only; production uses `storyline db upgrade`)."""
        Base.metadata.create_all(self.engine)
