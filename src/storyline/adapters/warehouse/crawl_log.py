"""The crawl log repository: registered sources, every fetch decision, and the request slots per host that every
crawler process shares."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, select

from storyline.adapters.warehouse.engine import Repository, in_lists
from storyline.adapters.warehouse.tables import ExpiredObjectRow, FetchRow, HostSlotRow, SourceRow
from storyline.domain.records import FetchDecision, Source


class SqlCrawlLog(Repository):
    def upsert_sources(self, sources: Sequence[Source]) -> None:
        rows = [
            {
                "id": src.id,
                "name": src.name,
                "home": src.home,
                "feeds": list(src.feeds),
                "language": src.language,
                "country": src.country,
                "enabled": src.enabled,
            }
            for src in sources
        ]
        with self.db.transaction() as tx:
            tx.upsert(SourceRow, rows, ["id"], ["name", "home", "feeds", "language", "country", "enabled"])

    def record_fetches(self, decisions: Sequence[FetchDecision]) -> None:
        rows = [
            {
                "url": d.url,
                "source_id": d.source_id,
                "kind": d.kind,
                "outcome": d.outcome.value,
                "reason": d.reason[:2000],
                "http_status": d.http_status,
                "bytes": d.bytes,
                "object_key": d.object_key,
                "etag": d.etag,
                "last_modified": d.last_modified,
                "at": d.at,
                "event": d.event,
            }
            for d in decisions
        ]
        if not rows:
            return
        with self.db.transaction() as tx:
            tx.session.execute(insert(FetchRow), rows)
            # A page fetched again after retention deleted its object has it back: it is no longer expired.
            for chunk in in_lists(d.object_key for d in decisions if d.object_key):
                tx.session.execute(delete(ExpiredObjectRow).where(ExpiredObjectRow.object_key.in_(chunk)))

    def validators(self, url: str) -> tuple[str | None, str | None]:
        with self.db.transaction() as tx:
            row = tx.session.execute(
                select(FetchRow.etag, FetchRow.last_modified)
                .where(FetchRow.url == url, FetchRow.outcome == "fetched")
                .order_by(FetchRow.id.desc())
                .limit(1)
            ).first()
        return (row[0], row[1]) if row else (None, None)

    def fetched_pages(self, urls: Iterable[str]) -> set[str]:
        """Page URLs already fetched and archived (in streaming mode they may not be extracted yet)."""
        with self.db.transaction() as tx:
            return tx.present(FetchRow.url, urls, FetchRow.kind == "page", FetchRow.outcome == "fetched")

    def poll_history(self, url: str, limit: int = 12) -> list[tuple[str, datetime]]:
        """The newest fetch decisions for a feed: (outcome, time), newest first."""
        with self.db.transaction() as tx:
            rows = tx.session.execute(
                select(FetchRow.outcome, FetchRow.at)
                .where(FetchRow.url == url)
                .order_by(FetchRow.id.desc())
                .limit(limit)
            )
            return [(r.outcome, r.at) for r in rows]

    # -- politeness shared across processes ---------------------------------------------------------
    def reserve_host_slot(self, host: str, earliest: float, spacing: float) -> float:
        """Atomically take the next request slot for `host` at or after `earliest`; returns its start. One row per
        host holds the end of the last slot handed out, so concurrent crawlers queue instead of overlapping."""
        return self._advance_host_slot(host, earliest, spacing) - spacing

    def push_back_host(self, host: str, until: float) -> None:
        """Retry-After: no process sends to `host` before `until`."""
        self._advance_host_slot(host, until, 0.0)

    def _advance_host_slot(self, host: str, floor: float, spacing: float) -> float:
        """next_at = max(next_at, floor) + spacing, in one statement; returns the new next_at."""
        with self.db.transaction() as tx:
            later = func.greatest if tx.dialect == "postgresql" else func.max
            stmt = (
                tx.insert(HostSlotRow)
                .values(host=host, next_at=floor + spacing)
                .on_conflict_do_update(
                    index_elements=["host"], set_={"next_at": later(HostSlotRow.next_at, floor) + spacing}
                )
                .returning(HostSlotRow.next_at)
            )
            end: float = tx.session.execute(stmt).scalar_one()
        return end
