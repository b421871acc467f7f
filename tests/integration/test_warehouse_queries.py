"""The example queries of docs/warehouse.md, read from the page itself, on a warehouse the pipeline filled (SQLite
and PostgreSQL): each returns what the same question asked of the rows in Python returns."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select, text

from storyline.adapters.warehouse import SqlWarehouse
from storyline.adapters.warehouse.tables import (
    ArticleRow,
    EntityRow,
    StoryArticleRow,
    StoryEntityRow,
    StoryRow,
    UtcDateTime,
)
from storyline.bootstrap import App
from storyline.sources.registry import parse_sources

DOC = Path(__file__).resolve().parents[2] / "docs" / "warehouse.md"
_QUERY = re.compile(r"<!-- query: (?P<name>[\w-]+)(?: (?P<dialect>\w+))? -->\s*```sql\n(?P<sql>.*?)```", re.S)


def doc_queries() -> dict[tuple[str, str | None], str]:
    """(name, dialect or None for every dialect) -> SQL, as the page prints it."""
    return {(m["name"], m["dialect"]): m["sql"] for m in _QUERY.finditer(DOC.read_text())}


def doc_query(name: str, dialect: str) -> str:
    queries = doc_queries()
    return queries.get((name, dialect)) or queries[(name, None)]


def run(wh: SqlWarehouse, query: str, **params: Any) -> list[Any]:
    # Datetimes bound as the warehouse stores them (SQLite keeps text in one format); the SQL is the page's.
    binds = [bindparam(k, type_=UtcDateTime()) for k, v in params.items() if isinstance(v, datetime)]
    stmt = text(doc_query(query, wh.engine.dialect.name)).bindparams(*binds)
    with wh.engine.connect() as conn:
        return list(conn.execute(stmt, params))


def test_the_page_has_the_three_queries_for_both_dialects() -> None:
    names = set(doc_queries())
    assert names == {
        ("days-stories", None),
        ("entity-stories", None),
        ("articles-per-source-per-hour", "postgresql"),
        ("articles-per-source-per-hour", "sqlite"),
    }


def test_the_pages_queries_answer_on_a_pipeline_warehouse(
    demo_site: tuple[str, list[dict[str, str]]], app_factory: Callable[..., App], database_url: str
) -> None:
    _base, sources_json = demo_site
    app = app_factory(database_url)
    app.pipeline.run(parse_sources(json.dumps(sources_json), "demo"))
    wh = app.warehouse
    with wh.session() as s:
        articles = list(s.scalars(select(ArticleRow)))
        stories = list(s.scalars(select(StoryRow)))
        members: dict[str, str] = dict(s.execute(select(StoryArticleRow.article_id, StoryArticleRow.story_id)).all())
        cards = [(sid, n) for sid, n in s.execute(select(StoryEntityRow.story_id, EntityRow.name).join(EntityRow))]
    assert articles and stories and cards

    # The day's stories: the busiest publication day, each live story's family counted in Python.
    day = Counter(a.published_at.date() for a in articles).most_common(1)[0][0]
    start = min(a.published_at for a in articles if a.published_at.date() == day).replace(hour=0, minute=0)
    start = start.replace(second=0, microsecond=0)
    end = start + timedelta(days=1)
    root = {st.story_id: st.merged_into or st.story_id for st in stories}
    by_story: dict[str, list[ArticleRow]] = {}
    for a in articles:
        if a.article_id in members and start <= a.published_at < end:
            by_story.setdefault(root[members[a.article_id]], []).append(a)
    expected = sorted(
        ((sid, len({a.source_id for a in arts}), len(arts)) for sid, arts in by_story.items()),
        key=lambda r: (-r[1], -r[2], r[0]),
    )
    rows = run(wh, "days-stories", day_start=start, day_end=end)
    assert [(r.story_id, r.outlets, r.articles) for r in rows] == expected
    assert rows[0].outlets >= 2 and rows[0].headline

    # An entity's stories: the name on the most cards of live stories.
    live = {st.story_id for st in stories if st.merged_into is None}
    name = Counter(n for sid, n in cards if sid in live).most_common(1)[0][0]
    rows = run(wh, "entity-stories", name=name.upper())
    assert {r.story_id for r in rows} == {sid for sid, n in cards if sid in live and n.lower() == name.lower()}
    assert rows and [r.last_seen for r in rows] == sorted((r.last_seen for r in rows), reverse=True)

    # Articles per source per hour of arrival, since the first article's hour.
    since = min(a.fetched_at for a in articles).replace(minute=0, second=0, microsecond=0)
    per_hour = Counter((a.source_id, a.fetched_at.strftime("%Y-%m-%d %H")) for a in articles)
    rows = run(wh, "articles-per-source-per-hour", since=since)
    got = [(r.source_id, _hour(r.hour_utc), r.articles) for r in rows]
    assert got == sorted(((s, h, n) for (s, h), n in per_hour.items()), key=lambda r: (r[1], r[0]))


def _hour(value: str | datetime) -> str:
    """PostgreSQL's date_trunc gives a timestamp, SQLite's strftime the text itself."""
    return value.strftime("%Y-%m-%d %H") if isinstance(value, datetime) else value
