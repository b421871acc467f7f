"""The warehouse's engine and unit of work: every repository call runs in a typed transaction, its own or the one
a `unit_of_work()` block opened; a database outage surfaces as TransientError."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from storyline.adapters.warehouse.tables import Base, TermFrequencyRow
from storyline.domain.batches import chunked
from storyline.domain.errors import TransientError
from storyline.domain.ids import digest

CHUNK = 500  # the longest IN-list one statement binds (drivers cap a statement's bound parameters)


def in_lists(values: Iterable[str]) -> Iterator[list[str]]:
    """Distinct values, sorted, in IN-lists of at most CHUNK."""
    return chunked(sorted(set(values)), CHUNK)


def json_digest(data: object) -> str:
    return digest(json.dumps(data, sort_keys=True, separators=(",", ":"), default=str))


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers (the read API, exports) run while the pipeline writes.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # A ping before each checkout finds a server connection that died while pooled (PostgreSQL restarted); a
    # SQLite file has no server, and the ping cost ~170 us per transaction there, half of a one-row lookup.
    engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Tx:
    """An open transaction: its session, and the dialect-aware statements the repositories write with."""

    def __init__(self, session: Session, dialect: str) -> None:
        self.session = session
        self.dialect = dialect

    def insert(self, model: type[Base]) -> Any:
        """The dialect's INSERT, which takes ON CONFLICT clauses (the warehouse runs on PostgreSQL or SQLite)."""
        table: Any = model.__table__
        return postgresql.insert(table) if self.dialect == "postgresql" else sqlite.insert(table)

    def upsert(
        self, model: type[Base], rows: Sequence[dict[str, Any]], keys: Sequence[str], update_cols: Sequence[str] = ()
    ) -> None:
        """Insert rows; on a key conflict update `update_cols` (none: keep the stored row)."""
        if not rows:
            return
        if self.dialect not in ("postgresql", "sqlite"):  # pragma: no cover - other dialects: merge row by row
            for row in rows:
                self.session.merge(model(**row))
            return
        ins = self.insert(model)
        # executemany of one compiled statement: compiling a multi-row VALUES per call costs more than the write.
        if update_cols:
            stmt = ins.on_conflict_do_update(
                index_elements=list(keys), set_={c: getattr(ins.excluded, c) for c in update_cols}
            )
        else:
            stmt = ins.on_conflict_do_nothing(index_elements=list(keys))
        self.session.execute(stmt, list(rows))

    def present(self, column: Any, values: Iterable[str], *conditions: Any) -> set[str]:
        """Which of `values` occur in `column` (rows also matching `conditions`), in IN-lists of bounded size."""
        found: set[str] = set()
        for chunk in in_lists(values):
            found.update(self.session.scalars(select(column).where(column.in_(chunk), *conditions)))
        return found

    def lock(self, name: str) -> None:
        """Take a database-wide lock named `name` until this transaction ends, so concurrent workers take turns."""
        if self.dialect == "postgresql":
            key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
            self.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        elif self.dialect == "sqlite":
            # Any write statement makes SQLite take its single writer lock for the rest of the transaction.
            self.session.execute(update(TermFrequencyRow).where(TermFrequencyRow.term == "\x00lock").values(df=0))


class Database:
    """One warehouse's engine and its sessions; knows the unit of work open on each thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._open = threading.local()

    def session(self) -> Session:
        """A session outside any unit of work (tests and tools that query the tables directly)."""
        return self._sessions()

    @property
    def current(self) -> Tx | None:
        """The transaction open on this thread, if any."""
        tx: Tx | None = getattr(self._open, "tx", None)
        return tx

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A transaction: committed when the block ends, rolled back on an error. Inside another on this thread it
        is that one (the outermost block commits), so the calls of a unit of work are written all or none."""
        if self.current is not None:
            yield self.current
            return
        try:
            with self._sessions() as s, s.begin():
                self._open.tx = Tx(s, self.engine.dialect.name)
                try:
                    yield self._open.tx
                finally:
                    self._open.tx = None
        except (OperationalError, InterfaceError) as exc:
            raise TransientError(f"warehouse unavailable: {exc.__class__.__name__}: {exc.orig}") from exc

    def after_fork(self) -> None:
        """In a forked child: new connections on first use. `close=False` leaves the pooled connections to the
        parent, which owns them (SQLAlchemy's pattern for engines crossing a fork)."""
        self.engine.dispose(close=False)


class Repository:
    """One aggregate's reads and writes; each call is a transaction, or part of the unit of work it is made in."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """The calls made inside, on any repository of this database and thread, share one transaction."""
        with self.db.transaction():
            yield
