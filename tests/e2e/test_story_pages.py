"""Story pages end to end over the demo site: provenance of every section sentence, the read API, escaping of
hostile article text, and read-only access (SQLite read-only mode, a PostgreSQL reader role)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from store_steps import save_cluster_step, upsert_article
from storyline.adapters.ner_spacy import SpacyRecognizer
from storyline.adapters.static_site import StaticSite
from storyline.adapters.warehouse import SqlReader, SqlWarehouse
from storyline.bootstrap import build
from storyline.demo.site import build_site
from storyline.domain.errors import ConfigError
from storyline.domain.text import normalise_whitespace
from storyline.events import ArticleBody
from storyline.ports import StoredStory, StoryFilter
from storyline.services.stages import EnrichStage
from storyline.settings import Settings
from storyline.sources.registry import parse_sources

pytestmark = pytest.mark.e2e
POSTGRES_URL = os.environ.get("STORYLINE_TEST_POSTGRES_URL")


@dataclass(frozen=True)
class DemoRun:
    base_url: str
    database_url: str
    warehouse: SqlWarehouse


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    """The demo site crawled once into SQLite; the site stays served so original links resolve."""
    tmp = tmp_path_factory.mktemp("pages")
    root = tmp / "site"
    root.mkdir()
    with StaticSite(root) as server:
        site = build_site(root, server.base_url)
        settings = Settings.model_validate(
            {"data_dir": tmp / "data", "allow_private_addresses": True, "min_host_delay_s": 0.0}
        )
        app = build(settings)
        app.pipeline.run(parse_sources(json.dumps(site.sources), "demo"))
        yield DemoRun(server.base_url, settings.resolved_database_url(), app.warehouse)
        app.close()


@pytest.fixture(scope="module")
def client(demo: DemoRun) -> Iterator[TestClient]:
    from storyline.web.app import create_app

    reader = SqlReader(demo.database_url)
    with TestClient(create_app(reader)) as c:
        yield c
    reader.close()


def _cited(sections: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every stored sentence of a story's sections, with the section it sits in."""
    out = [("what_happened", c) for c in sections["what_happened"]]
    out += [("behind_the_headline", c) for c in sections["behind_the_headline"]]
    out += [(f"perspective:{p['source_id']}", c) for p in sections["perspectives"] for c in p["sentences"]]
    out += [("entity", e["description"]) for e in sections["entities"] if e.get("description")]
    return out


def test_every_section_sentence_is_verbatim_in_its_cited_article(demo: DemoRun, client: TestClient) -> None:
    stories = client.get("/api/stories", params={"limit": 200}).json()["items"]
    assert len(stories) >= 5
    checked = 0
    for st in stories:
        detail = client.get(f"/api/stories/{st['story_id']}").json()
        members = {a["article_id"]: a for a in detail["articles"]}
        for section, c in _cited(detail["sections"]):
            article = client.get(f"/api/articles/{c['article_id']}").json()
            # Found at its span, and verbatim after whitespace normalisation.
            assert normalise_whitespace(article["text"][c["start"] : c["end"]]) == normalise_whitespace(c["text"])
            assert normalise_whitespace(c["text"]) in normalise_whitespace(article["text"])
            assert c["article_id"] in members, f"{section} cites an article outside the story"
            if section.startswith("perspective:"):
                # A paragraph of "What the papers say" cites only that outlet's own articles.
                assert members[c["article_id"]]["source_id"] == section.split(":", 1)[1]
            checked += 1
        for p in detail["sections"]["perspectives"]:
            assert {members[a]["source_id"] for a in p["article_ids"]} == {p["source_id"]}
        head = detail["sections"]["headline"]
        assert members[head["article_id"]]["title"] == head["text"]
    assert checked >= 40


def test_story_list_filters_and_pages(demo: DemoRun, client: TestClient) -> None:
    everything = client.get("/api/stories", params={"limit": 200}).json()
    total = everything["total"]
    assert total == len(everything["items"]) >= 5
    page1 = client.get("/api/stories", params={"limit": 2, "offset": 0}).json()
    page2 = client.get("/api/stories", params={"limit": 2, "offset": 2}).json()
    assert page1["total"] == total and len(page1["items"]) == 2
    assert not {s["story_id"] for s in page1["items"]} & {s["story_id"] for s in page2["items"]}

    some = everything["items"][0]
    outlet = some["outlets"][0]
    by_source = client.get("/api/stories", params={"source": outlet, "limit": 200}).json()["items"]
    assert some["story_id"] in {s["story_id"] for s in by_source}
    assert all(outlet in s["outlets"] for s in by_source)

    word = next(w for w in re.findall(r"[A-Za-z]{6,}", some["headline"]))
    by_text = client.get("/api/stories", params={"q": word.upper()}).json()["items"]
    assert some["story_id"] in {s["story_id"] for s in by_text}

    detail = client.get(f"/api/stories/{some['story_id']}").json()
    name = detail["sections"]["entities"][0]["name"]
    by_entity = client.get("/api/stories", params={"entity": name.lower(), "limit": 200}).json()["items"]
    assert some["story_id"] in {s["story_id"] for s in by_entity}

    last = max(s["last_seen"] for s in everything["items"])
    recent = client.get("/api/stories", params={"since": last, "limit": 200}).json()["items"]
    assert recent and all(s["last_seen"] >= last for s in recent)
    assert client.get("/api/stories", params={"limit": 0}).status_code == 422


def test_the_front_page_ranks_by_significance_and_pages(demo: DemoRun, client: TestClient) -> None:
    ranked = client.get("/api/stories", params={"sort": "significance", "limit": 200}).json()["items"]
    recent = client.get("/api/stories", params={"limit": 200}).json()["items"]
    assert {s["story_id"] for s in ranked} == {s["story_id"] for s in recent}
    several = [s["outlet_count"] >= 2 for s in ranked]
    assert any(several) and several == sorted(several, reverse=True), "a single-outlet story came before a wider one"
    pages = [
        client.get("/api/stories", params={"sort": "significance", "limit": 2, "offset": at}).json()["items"]
        for at in range(0, len(ranked), 2)
    ]
    assert [s["story_id"] for page in pages for s in page] == [s["story_id"] for s in ranked]
    assert client.get("/api/stories", params={"sort": "loudest"}).status_code == 422

    # Language: every demo article is English.
    assert client.get("/api/stories", params={"language": "en"}).json()["total"] == len(ranked)
    assert client.get("/api/stories", params={"language": "de"}).json()["total"] == 0
    assert client.get("/api/stories", params={"language": "english!"}).status_code == 422

    front = client.get("/").text
    assert front.index(str(escape(ranked[0]["headline"]))) < front.index(str(escape(ranked[-1]["headline"])))
    assert not re.search(r"\b1 (outlets|articles|stories)\b", front)
    second = client.get("/", params={"offset": 1, "q": ""}).text
    assert "previous page" in second and "stories 2–" in second


def test_entities_sources_articles_and_schema(demo: DemoRun, client: TestClient) -> None:
    ents = client.get("/api/entities", params={"limit": 5}).json()
    assert ents["total"] >= 5 and all(e["story_count"] >= 1 for e in ents["items"])
    assert {e["kind"] for e in ents["items"]} <= {"person", "organisation", "place", "group", "event", "product"}
    sources = client.get("/api/sources").json()
    assert len(sources) == 7 and sum(s["article_count"] for s in sources) > 30
    assert client.get("/api/articles/no-such-article").status_code == 404
    assert client.get("/api/stories/no-such-story").status_code == 404
    schema = client.get("/openapi.json").json()
    assert {
        "/api/stories",
        "/api/stories/{story_id}",
        "/api/articles/{article_id}",
        "/api/entities",
        "/api/sources",
    } <= set(schema["paths"])


def test_the_page_has_the_six_sections_and_resolves_merged_ids(demo: DemoRun, client: TestClient) -> None:
    stories = client.get("/api/stories", params={"limit": 200}).json()["items"]
    story = max(stories, key=lambda s: s["outlet_count"])
    html = client.get(f"/stories/{story['story_id']}").text
    for section in ("whats-happened", "behind-the-headline", "what-the-papers-say"):
        assert f'id="{section}"' in html
    assert 'id="more-on-these-topics"' in html
    for heading in ("What's happened", "What the papers say", "More on these topics"):
        assert heading.replace("'", "&#39;") in html or heading in html
    # The link sections show when they have something to show, and are left out (no "none yet") when not.
    detail = client.get(f"/api/stories/{story['story_id']}").json()
    for section, key in (("how-we-got-here", "how_we_got_here"), ("go-deeper", "go_deeper")):
        assert (f'id="{section}"' in html) == bool(detail[key]), section
    assert "No related stories yet" not in html and "No earlier coverage found" not in html
    # A merged story's old id keeps working: the API answers with the survivor, the page redirects to it.
    other = next(s for s in stories if s["story_id"] != story["story_id"])
    with demo.warehouse.session() as s, s.begin():
        s.execute(
            text("UPDATE stories SET merged_into = :a WHERE story_id = :b"),
            {"a": story["story_id"], "b": other["story_id"]},
        )
    try:
        moved = client.get(f"/api/stories/{other['story_id']}").json()
        assert moved["story_id"] == story["story_id"] and moved["requested_id"] == other["story_id"]
        redirect = client.get(f"/stories/{other['story_id']}", follow_redirects=False)
        assert redirect.status_code == 301 and redirect.headers["location"].endswith(f"/stories/{story['story_id']}")
    finally:
        with demo.warehouse.session() as s, s.begin():
            s.execute(text("UPDATE stories SET merged_into = NULL WHERE story_id = :b"), {"b": other["story_id"]})


HOSTILE_TITLE = 'Harbour <script>alert("pwned")</script> reopens <img src=x onerror=alert(1)>'
HOSTILE_TEXT = (
    'The harbour reopened on Monday after <script>document.location="http://evil.example"</script> repairs. '
    "Officials said the <b onmouseover=alert(2)>channel</b> was safe for ferries again because dredging ended. "
    "Engineers from Port Ellis Marine, the dredging contractor, finished the work ahead of schedule last week."
)


def test_hostile_article_text_is_escaped_on_the_page(tmp_path: Path) -> None:
    from storyline.web.app import create_app

    url = f"sqlite:///{tmp_path / 'hostile.db'}"
    wh = SqlWarehouse(url)
    wh.upgrade()
    t0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
    for i in range(2):
        upsert_article(
            wh,
            ArticleBody(
                article_id=f"evil-{i}",
                url=f"https://evil{i}.example/a",
                canonical_url=f"https://evil{i}.example/a",
                source_id=f"evil-{i}",
                source_name=f"<i>Evil</i> Daily {i}",
                title=HOSTILE_TITLE,
                text=HOSTILE_TEXT,
                published_at=t0 + timedelta(hours=i),
                fetched_at=t0 + timedelta(hours=i, minutes=5),
                content_hash=f"h{i}",
                raw_object_key="raw/x",
            ),
        )
        save_cluster_step(
            wh, StoredStory("st_evil", t0, t0 + timedelta(hours=i), {"article_count": i + 1}), f"evil-{i}", 1.0, i == 0
        )
    enrich = EnrichStage(wh, SpacyRecognizer())
    enrich.mark("st_evil")
    assert enrich.flush(), "the story was enriched"
    reader = SqlReader(url)
    with TestClient(create_app(reader)) as c:
        html = c.get("/stories/st_evil").text
        index = c.get("/", params={"q": "<script>"}).text
    reader.close()
    for page in (html, index):
        assert "<script>alert" not in page and "<img src=x" not in page and "<b onmouseover" not in page
        assert "<i>Evil</i>" not in page
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in html
    assert "&lt;i&gt;Evil&lt;/i&gt; Daily 0" in html
    wh.engine.dispose()


def test_the_api_cannot_write_to_sqlite(demo: DemoRun) -> None:
    reader = SqlReader(demo.database_url)
    with reader.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM stories")).scalar_one() > 0
        with pytest.raises(DBAPIError, match="readonly"):
            conn.execute(text("DELETE FROM stories"))
    reader.close()


@pytest.mark.postgres
def test_a_postgresql_reader_role_reads_and_cannot_write(tmp_path: Path) -> None:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not started: set STORYLINE_TEST_POSTGRES_URL (.ci/run does)")
    wh = SqlWarehouse(POSTGRES_URL)
    with wh.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    wh.upgrade()
    wh.grant_reader("storyline_test_reader", "s3cret'; DROP TABLE x; --")
    wh.grant_reader("storyline_test_reader", "s3cret'; DROP TABLE x; --")  # idempotent
    with pytest.raises(ConfigError):
        wh.grant_reader("Robert'); DROP TABLE stories;--", "x")
    from sqlalchemy.engine import make_url

    reader_url = (
        make_url(POSTGRES_URL)
        .set(username="storyline_test_reader", password="s3cret'; DROP TABLE x; --")
        .render_as_string(hide_password=False)
    )
    engine = create_engine(reader_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM stories")).scalar_one() == 0
        with pytest.raises(DBAPIError, match="permission denied"):
            conn.execute(text("DELETE FROM stories"))
    engine.dispose()
    reader = SqlReader(reader_url)
    assert reader.list_stories(StoryFilter()) == (0, [])
    reader.close()
    wh.engine.dispose()


def test_citations_are_numbered_sources_that_open_at_the_sentence(demo: DemoRun, client: TestClient) -> None:
    stories = client.get("/api/stories", params={"limit": 200}).json()["items"]
    story = client.get(f"/api/stories/{max(stories, key=lambda s: s['article_count'])['story_id']}").json()
    html = client.get(f"/stories/{story['story_id']}").text
    urls = [a["url"] for a in story["articles"]]
    sups = re.findall(r'<sup><a href="([^"]+)"[^>]*data-source="(\d+)">(\d+)</a></sup>', html)
    assert sups, "member articles are cited by their number in the sources list"
    for href, source, label in sups:
        assert source == label and 1 <= int(source) <= len(urls)
        url, _, fragment = href.partition("#:~:text=")
        assert url == str(escape(urls[int(source) - 1])) and fragment
    # The numbers point into the list at the foot of the page, in the same order.
    assert [f'id="source-{n}"' in html for n in range(1, len(urls) + 1)] == [True] * len(urls)
    lang = next(a for a in story["articles"] if a["article_id"] == story["sections"]["headline"]["article_id"])
    assert f'<html lang="{lang.get("language") or "en"}">' in html


def test_each_outlet_is_shown_by_its_lead_unique_facts_and_quotes(demo: DemoRun, client: TestClient) -> None:
    from storyline.domain.roles import anchors, restates, stands_alone

    items = client.get("/api/stories", params={"limit": 200}).json()["items"]
    for item in items:
        story = client.get(f"/api/stories/{item['story_id']}").json()
        sections, texts = story["sections"], {}
        summary = [c["text"] for c in sections["what_happened"]]
        if summary:
            assert stands_alone(summary[0]), summary[0]
        for i, sentence in enumerate(summary):
            earlier = [anchors(sections["headline"]["text"]), *(anchors(s) for s in summary[:i])]
            assert not restates(sentence, earlier), sentence
        for p in sections["perspectives"]:
            parts = [*([p["lead"]] if p["lead"] else []), *p["unique_facts"], *p["quotes"]]
            assert sorted(c["text"] for c in parts) == sorted(c["text"] for c in p["sentences"])
            for c in parts:
                assert c["article_id"] in p["article_ids"]
                if c["article_id"] not in texts:
                    texts[c["article_id"]] = client.get(f"/api/articles/{c['article_id']}").json()["text"]
                assert texts[c["article_id"]][c["start"] : c["end"]] == c["text"]
            for q in p["quotes"]:
                assert q["speaker"]["name"] in q["text"]
