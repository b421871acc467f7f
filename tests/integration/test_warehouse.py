"""Warehouse adapter on SQLite and PostgreSQL: migrations, idempotent upserts, dedup lookups, sections."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from store_steps import add_document_frequencies, save_cluster_step, save_sections, story_articles, upsert_article
from storyline.adapters.ner_spacy import SpacyRecognizer
from storyline.adapters.warehouse import SqlReader, SqlWarehouse
from storyline.adapters.warehouse.schema import alembic_config, current_revision
from storyline.adapters.warehouse.tables import ArticleRow, StoryRow
from storyline.bootstrap import App
from storyline.domain.consolidation import Merge
from storyline.domain.dedup import Decision, Verdict, fingerprint
from storyline.domain.dedup_batch import DedupItem, Ruling
from storyline.domain.enrichment import StoryArticle, build_sections
from storyline.domain.entities import ArticleMentions, Mention
from storyline.domain.features import DocumentFrequencies
from storyline.domain.links import Link
from storyline.domain.records import DeadLetter, FetchDecision, FetchOutcome, Source
from storyline.events import ArticleBody
from storyline.ports import ClusterSteps, StoredStory
from storyline.services.stages import EnrichStage
from storyline.sources.registry import parse_sources

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
TEXT = (
    "The harbour authority in Port Ellis closed the north channel on Monday after a cargo ship lost power. "
    "Officials said the closure would last until tugs could move the vessel. "
    "No injuries were reported, according to the coast guard."
)


def body(article_id: str, url: str, text: str = TEXT, when: datetime = T0) -> ArticleBody:
    return ArticleBody(
        article_id=article_id,
        url=url,
        canonical_url=url,
        source_id="herald",
        source_name="The Herald",
        title="Channel closed after ship loses power",
        text=text,
        published_at=when,
        fetched_at=when + timedelta(minutes=5),
        content_hash="h-" + article_id,
        raw_object_key="raw/x",
    )


def test_upgrade_reaches_head_and_is_repeatable(warehouse: SqlWarehouse) -> None:
    assert current_revision(warehouse.engine) == "0008"
    warehouse.upgrade()
    assert current_revision(warehouse.engine) == "0008"


def test_upserts_are_idempotent(warehouse: SqlWarehouse) -> None:
    src = Source("herald", "The Herald", ("http://h.example/feed.xml",))
    warehouse.upsert_sources([src])
    upsert_article(warehouse, body("a1", "http://h.example/a1"))
    before = warehouse.table_digest()
    warehouse.upsert_sources([src])
    upsert_article(warehouse, body("a1", "http://h.example/a1"))
    assert warehouse.table_digest() == before
    assert warehouse.known_urls(["http://h.example/a1", "http://h.example/zz"]) == {"http://h.example/a1"}


def test_datetimes_come_back_aware_utc(warehouse: SqlWarehouse) -> None:
    upsert_article(warehouse, body("a1", "http://h.example/a1"))
    save_cluster_step(warehouse, StoredStory("st_1", T0, T0, {"terms": {}, "article_count": 1}), "a1", 0.0, True)
    (story,) = warehouse.active_stories(T0 - timedelta(days=1))
    assert story.first_seen == T0 and story.first_seen.tzinfo is not None


def _item(article_id: str, content_hash: str, url: str, bands: list[str]) -> DedupItem:
    return DedupItem(article_id, content_hash, url, tuple(bands), frozenset(), T0.isoformat())


def _candidates(warehouse: SqlWarehouse, item: DedupItem) -> list[str]:
    """The stored articles the warehouse puts forward for one item (those its keys found)."""
    with warehouse.unit_of_work():
        held = warehouse.dedup_candidates([item])
    return sorted({aid for found in (held.by_hash, held.by_url, held.by_band) for ids in found.values() for aid in ids})


def test_dedup_candidates_by_band_and_hash(warehouse: SqlWarehouse) -> None:
    upsert_article(warehouse, body("a1", "http://h.example/a1"))
    fp = fingerprint("h-a1", TEXT)
    warehouse.store_verdicts([Ruling(_item("a1", "h-a1", "http://h.example/a1", fp.bands), Decision(Verdict.NEW))])
    copy = "PORT ELLIS (Civic Wire) — " + TEXT + " Additional reporting by A. Writer."
    fp2 = fingerprint("h-a2", copy)
    assert _candidates(warehouse, _item("a2", "h-a2", "http://other.example/a2", fp2.bands)) == ["a1"]
    assert _candidates(warehouse, _item("a3", "nope", "http://other.example/a3", [])) == []


def test_dedup_candidates_hold_the_dedup_lock_until_the_unit_of_work_ends(warehouse: SqlWarehouse) -> None:
    """Two workers deciding at once take turns (ADR 0004): the second reads its candidates only after the first
    stored its verdicts; and reading candidates outside a unit of work, where the lock would end at once, fails."""
    with pytest.raises(RuntimeError, match="unit of work"):
        warehouse.dedup_candidates([_item("a1", "h-a1", "http://h.example/a1", [])])
    other = SqlWarehouse(warehouse.url)  # another worker: its own engine and connections
    events: list[str] = []
    locked = threading.Event()

    def first() -> None:
        with warehouse.unit_of_work():
            warehouse.dedup_candidates([_item("a1", "h-a1", "http://h.example/a1", [])])
            locked.set()
            time.sleep(0.3)
            events.append("first stored")

    worker = threading.Thread(target=first)
    worker.start()
    assert locked.wait(10)
    with other.unit_of_work():
        other.dedup_candidates([_item("a2", "h-a2", "http://h.example/a2", [])])
        events.append("second read")
    worker.join()
    other.engine.dispose()
    assert events == ["first stored", "second read"]


def test_a_unit_of_work_writes_all_or_nothing(warehouse: SqlWarehouse) -> None:
    with pytest.raises(ValueError, match="boom"), warehouse.unit_of_work():
        upsert_article(warehouse, body("a1", "http://h.example/a1"))
        warehouse.record_dead_letter(DeadLetter("cluster", "a0", "boom", "boom", "{}", T0, 1))
        raise ValueError("boom")
    assert warehouse.known_urls(["http://h.example/a1"]) == set()
    assert warehouse.dead_letters() == []
    with warehouse.unit_of_work():
        upsert_article(warehouse, body("a1", "http://h.example/a1"))
        assert warehouse.known_urls(["http://h.example/a1"]) == {"http://h.example/a1"}  # its own writes
    assert warehouse.known_urls(["http://h.example/a1"]) == {"http://h.example/a1"}


def test_fetch_log_and_validators(warehouse: SqlWarehouse) -> None:
    warehouse.record_fetches(
        [
            FetchDecision(
                "http://h/feed",
                "herald",
                "feed",
                FetchOutcome.FETCHED,
                "3 items",
                T0,
                200,
                10,
                None,
                '"etag1"',
                "Sun, 01 Mar 2026 12:00:00 GMT",
            ),
            FetchDecision("http://h/p", "herald", "page", FetchOutcome.DISALLOWED, "disallowed by robots.txt", T0),
        ]
    )
    assert warehouse.validators("http://h/feed") == ('"etag1"', "Sun, 01 Mar 2026 12:00:00 GMT")
    assert warehouse.validators("http://h/other") == (None, None)


def test_document_frequencies_accumulate(warehouse: SqlWarehouse) -> None:
    add_document_frequencies(warehouse, 2, {"harbour": 2, "e:port ellis": 1})
    add_document_frequencies(warehouse, 1, {"harbour": 1})
    dfs = warehouse.load_document_frequencies()
    assert dfs.n_docs == 3 and dfs.df == {"harbour": 3, "e:port ellis": 1}


def test_sections_write_once_per_version(warehouse: SqlWarehouse) -> None:
    upsert_article(warehouse, body("a1", "http://h.example/a1"))
    save_cluster_step(
        warehouse, StoredStory("st_1", T0, T0, {"terms": {"harbour": 1.0}, "article_count": 1}), "a1", 0, True
    )
    arts = story_articles(warehouse, "st_1")
    assert [a.article_id for a in arts] == ["a1"] and isinstance(arts[0], StoryArticle)
    sections = build_sections(arts, DocumentFrequencies(), SpacyRecognizer().mentions(arts))
    assert save_sections(warehouse, "st_1", sections, []) is True
    assert save_sections(warehouse, "st_1", sections, []) is False
    snap = warehouse.story_snapshot("st_1")
    assert snap["headline"] == "Channel closed after ship loses power"
    assert snap["article_ids"] == ["a1"] and snap["outlet_count"] == 1


def test_enrichment_uses_stored_entities_and_recognises_older_rows(warehouse: SqlWarehouse) -> None:
    """Entities stored at extraction are used as stored; a row from before that (none stored) is read by the
    recogniser at enrichment, so upgrading never leaves a story without cards."""
    # Named in the body too: an entity named only in headlines gets no card.
    mentions = (Mention("Zorblax Holdings", "ORG", 0, 16), Mention("Zorblax Holdings", "ORG", 0, 0, in_title=True))
    stored = ArticleMentions("a1", mentions, ())
    upsert_article(warehouse, body("a1", "http://h.example/a1"), stored)
    # Huawei named twice: in a story of two articles, one passing mention is no topic.
    older = body("a2", "http://k.example/a2", "Huawei said on Monday that Port Ellis was closed, Huawei added. " + TEXT)
    upsert_article(warehouse, older.model_copy(update={"source_id": "other"}))
    for i, aid in enumerate(["a1", "a2"]):
        save_cluster_step(
            warehouse,
            StoredStory("st_e", T0, T0, {"terms": {"harbour": 1.0}, "article_count": i + 1}),
            aid,
            1.0,
            i == 0,
        )
    arts = {a.article_id: a for a in story_articles(warehouse, "st_e")}
    assert arts["a1"].entities == stored and arts["a2"].entities is None
    enrich = EnrichStage(warehouse, SpacyRecognizer())
    enrich.mark("st_e")
    assert enrich.flush()
    names = {e["name"] for e in warehouse.story_snapshot("st_e")["sections"]["entities"]}
    assert {"Zorblax Holdings", "Huawei"} <= names


def test_host_slots_are_handed_out_atomically(warehouse: SqlWarehouse) -> None:
    """Crawler processes share a host's pace through the warehouse: concurrent reservations never overlap."""
    from concurrent.futures import ThreadPoolExecutor

    def take(_: int) -> list[float]:
        return [warehouse.reserve_host_slot("news.example", 1000.0, 2.0) for _ in range(10)]

    with ThreadPoolExecutor(4) as pool:
        starts = sorted(s for batch in pool.map(take, range(4)) for s in batch)
    assert starts == [1000.0 + 2.0 * i for i in range(40)]
    # Retry-After pushes the next slot out for everyone; a slot in the past is never handed out.
    warehouse.push_back_host("news.example", 5000.0)
    assert warehouse.reserve_host_slot("news.example", 1200.0, 2.0) == 5000.0
    assert warehouse.reserve_host_slot("other.example", 1200.0, 2.0) == 1200.0


def test_articles_of_many_stories_include_merged_families(warehouse: SqlWarehouse) -> None:
    """Read in one transaction, as each story alone would be: a survivor covers the stories merged into it, a
    merged story still reads its own articles, an unknown story has none."""
    for i, (aid, sid) in enumerate([("a1", "st_a"), ("a2", "st_b"), ("a3", "st_a"), ("a4", "st_c")]):
        when = T0 + timedelta(hours=i)
        upsert_article(warehouse, body(aid, f"http://h.example/{aid}", when=when))
        save_cluster_step(warehouse, StoredStory(sid, T0, when, {"terms": {"harbour": 1.0}}), aid, 1.0, True)
    with warehouse.engine.begin() as conn:
        conn.execute(update(StoryRow).where(StoryRow.story_id == "st_b").values(merged_into="st_a"))
    got = warehouse.story_articles_many(["st_a", "st_b", "st_none", "st_a"])
    assert {sid: [a.article_id for a in arts] for sid, arts in got.items()} == {
        "st_a": ["a1", "a2", "a3"],
        "st_b": ["a2"],
        "st_none": [],
    }
    assert [a.article_id for a in story_articles(warehouse, "st_a")] == ["a1", "a2", "a3"]


def test_a_family_lookup_finds_merged_members_through_indexes(warehouse: SqlWarehouse) -> None:
    """Live merges read a family's source passages and holders per article: a survivor's family includes the
    stories merged into it, a merged story is no family root, and on SQLite the lookup starts from the stories'
    indexes, never a scan of every stored passage (which grew with the warehouse: 47 ms a call on replay-dev)."""
    from sqlalchemy.dialects import sqlite

    from storyline.adapters.warehouse.queries import in_families, passage_rows

    for i, (aid, sid) in enumerate([("a1", "st_a"), ("a2", "st_b"), ("a3", "st_c")]):
        when = T0 + timedelta(hours=i)
        upsert_article(warehouse, body(aid, f"http://h.example/{aid}", when=when))
        warehouse.save_cluster_steps(
            ClusterSteps(
                [StoredStory(sid, T0, when, {"terms": {"harbour": 1.0}})],
                [(aid, sid, 1.0, True)],
                passages=[(aid, 100 + i), (aid, 7)],
            )
        )
    warehouse.record_merges([Merge("st_b", "st_a", 0.9)], T0)
    assert sorted(warehouse.family_passages(["st_a"])) == [
        (7, "st_a", "herald"),
        (7, "st_a", "herald"),
        (100, "st_a", "herald"),
        (101, "st_a", "herald"),
    ]
    assert warehouse.family_passages(["st_b"]) == []  # merged away: no longer a root
    assert sorted(warehouse.family_passages(["st_c", "st_a"]))[-1] == (102, "st_c", "herald")
    assert sorted(r[1] for r in warehouse.passage_holders([7])) == ["st_a", "st_a", "st_c"]
    if warehouse.engine.dialect.name == "sqlite":
        query = passage_rows().where(in_families(["st_a", "st_c"]))
        compiled = query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
        with warehouse.engine.connect() as conn:
            plan = " | ".join(row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "SCAN" not in plan, plan


def test_a_page_never_links_its_own_event_and_names_each_linked_event_once(warehouse: SqlWarehouse) -> None:
    """Links written before a merge: one now points into this story's own family (that is the same event, not its
    background), two now point at one survivor. Readers get each other event once, by its survivor's id."""
    for i, sid in enumerate(["st_a", "st_b", "st_c", "st_d"]):
        # st_c and st_d a month later: an earlier, distinct event (one outlet's story during this one's coverage
        # would read as a split of it, domain/links.same_event).
        when = T0 + timedelta(hours=i) + (timedelta(days=30) if sid in ("st_c", "st_d") else timedelta(0))
        upsert_article(warehouse, body(f"a{i}", f"http://h.example/a{i}", when=when))
        save_cluster_step(warehouse, StoredStory(sid, when, when, {"terms": {"harbour": 1.0}}), f"a{i}", 1.0, True)
    arts = story_articles(warehouse, "st_a")
    sections = build_sections(arts, DocumentFrequencies(), SpacyRecognizer().mentions(arts))
    links = [Link("st_a", "st_b", "related", 0.9), Link("st_a", "st_d", "related", 0.5)]
    links.append(Link("st_a", "st_c", "related", 0.4))
    assert save_sections(warehouse, "st_a", sections, links)
    warehouse.record_merges([Merge("st_b", "st_a", 0.9), Merge("st_d", "st_c", 0.8)], T0)
    reader = SqlReader(warehouse.url)
    try:
        page = reader.story("st_a")
        assert page is not None
        assert page["links"] == [{"story_id": "st_c", "kind": "related", "score": 0.5}]
        # The survivor's extent now spans the story merged into it.
        assert (page["first_seen"], page["last_seen"]) == (T0.isoformat(), (T0 + timedelta(hours=1)).isoformat())
    finally:
        reader.close()


def test_a_card_without_a_description_borrows_the_one_another_story_cited(warehouse: SqlWarehouse) -> None:
    """An entity described in one story's coverage is described, cited to that article, on a story that only names
    it; a lone surname is never given another story's description (it may be another person)."""
    from dataclasses import replace

    from storyline.domain.entities import EntityCard
    from storyline.domain.text import Cited

    for i, sid in enumerate(["st_a", "st_b"]):
        when = T0 + timedelta(days=20 * i)
        upsert_article(warehouse, body(f"a{i}", f"http://h.example/a{i}", when=when))
        save_cluster_step(warehouse, StoredStory(sid, when, when, {"terms": {"harbour": 1.0}}), f"a{i}", 1.0, True)
    said = Cited("The harbour authority", "a0", 0, 21)
    assert TEXT[said.start : said.end] == said.text
    described = EntityCard("Port Ellis", "place", 1.0, 1, T0, said)
    surname = EntityCard("Ellis", "person", 1.0, 1, T0, said)
    for sid, aid, desc in (("st_a", "a0", said), ("st_b", "a1", None)):
        arts = story_articles(warehouse, sid)
        built = build_sections(arts, DocumentFrequencies(), {a.article_id: ArticleMentions(aid, (), ()) for a in arts})
        cards = (replace(described, description=desc), replace(surname, description=desc))
        assert save_sections(warehouse, sid, replace(built, entities=cards), [])
    reader = SqlReader(warehouse.url)
    try:
        page = reader.story("st_b")
        assert page is not None
        port, ellis = page["sections"]["entities"]
        assert port["description"] == said.to_json() and port["description_from"] == "st_a"
        assert ellis["description"] is None
    finally:
        reader.close()


def test_upgrade_from_0006_keeps_the_data_and_repairs_what_would_break_a_key(
    demo_site: tuple[str, list[dict[str, str]]], app_factory: Callable[..., App], database_url: str
) -> None:
    """A warehouse the pipeline filled, taken back to 0006 (with rows older versions could leave: a legacy entity
    kind, rows whose parent is missing, dangling pointers) and upgraded in place: its data kept, the broken rows
    repaired as migration 0007 says, its keys and enumerations enforced after; downgrade and upgrade again work;
    and the pipeline's re-run finds nothing to change."""
    sources = parse_sources(json.dumps(demo_site[1]), "demo")
    app = app_factory(database_url)
    app.pipeline.run(sources)
    wh, cfg = app.warehouse, alembic_config(app.warehouse.engine)
    filled = wh.table_digest()
    command.downgrade(cfg, "0006")
    assert current_revision(wh.engine) == "0006"
    with wh.engine.begin() as conn:
        story = conn.scalar(select(StoryRow.story_id).where(StoryRow.merged_into.is_(None)).limit(1))
        original = conn.scalar(select(ArticleRow.article_id).where(ArticleRow.duplicate_of.is_(None)).limit(1))
        for sql in (
            # Kept: an entity of the kind every entity had before entity recognition, on a live story's card.
            "INSERT INTO entities VALUES ('legacy-e', 'Kelport', 'proper_noun', NULL)",
            f"INSERT INTO story_entities VALUES ('{story}', 'legacy-e', 0.5, 1)",
            # Deleted: child rows whose parent is not there.
            f"INSERT INTO story_articles VALUES ('ghost-article', '{story}', 0.5, false)",
            "INSERT INTO article_bands VALUES ('00:ghost', 'ghost-article')",
            f"INSERT INTO story_entities VALUES ('{story}', 'ghost-entity', 0.5, 1)",
            f"INSERT INTO story_links VALUES ('{story}', 'st_ghost', 'related', 0.5)",
            # Set to NULL: pointers at rows that are not there.
            f"UPDATE articles SET duplicate_of = 'ghost-article' WHERE article_id = '{original}'",
            f"UPDATE stories SET merged_into = 'st_ghost' WHERE story_id = '{story}'",
        ):
            conn.execute(text(sql))

    command.upgrade(cfg, "head")
    assert current_revision(wh.engine) == "0008"
    with wh.engine.begin() as conn:
        assert conn.scalar(text("SELECT kind FROM entities WHERE entity_id = 'legacy-e'")) == "proper_noun"
        conn.execute(text("DELETE FROM story_entities WHERE entity_id = 'legacy-e'"))
        conn.execute(text("DELETE FROM entities WHERE entity_id = 'legacy-e'"))
    assert wh.table_digest() == filled
    broken = {  # an article that does not exist cannot join a story, nor can a fetch have an unknown outcome
        f"INSERT INTO story_articles VALUES ('ghost-article', '{story}', 0.5, false)": {},
        "INSERT INTO fetches (url, source_id, kind, outcome, reason, at) VALUES ('u', 's', 'page', 'x', '', :at)": {
            "at": T0
        },
    }
    for sql, params in broken.items():
        with pytest.raises(IntegrityError), wh.engine.begin() as conn:
            conn.execute(text(sql), params)
    # The upgraded warehouse takes the pipeline's re-run (upserts, dedup, clustering, merges, sections) unchanged.
    app.pipeline.run(sources)
    assert wh.table_digest() == filled

    # A value no version wrote stops the upgrade, names it, and changes nothing.
    command.downgrade(cfg, "0006")
    with wh.engine.begin() as conn:
        conn.execute(text("INSERT INTO entities VALUES ('odd-e', 'Kelport', 'planet', NULL)"))
        conn.execute(text("INSERT INTO dead_letters VALUES ('crawl', 'u', 'x', '', '', :at, 1)"), {"at": T0})
    with pytest.raises(RuntimeError) as refused:
        command.upgrade(cfg, "head")
    assert "entities.kind = 'planet': 1 rows" in str(refused.value)
    assert "dead_letters.stage = 'crawl': 1 rows" in str(refused.value)
    assert current_revision(wh.engine) == "0006"
    with wh.engine.begin() as conn:
        conn.execute(text("DELETE FROM entities WHERE entity_id = 'odd-e'"))
        conn.execute(text("DELETE FROM dead_letters WHERE stage = 'crawl'"))
    command.upgrade(cfg, "head")
    assert current_revision(wh.engine) == "0008"


def test_a_borrowed_description_is_never_another_storys_relative_clause(warehouse: SqlWarehouse) -> None:
    """A relative clause tells an entity's part in its own story ("which closed the channel"), not what it is: a
    story that only names the entity borrows the phrase an older story cited instead of the newest story's clause,
    and nothing when only a clause was written."""
    from dataclasses import replace

    from storyline.domain.entities import EntityCard
    from storyline.domain.text import Cited

    clause_text = "Port Ellis, which closed the north channel on Monday, is quiet again."
    texts = {"a0": TEXT, "a1": TEXT, "a2": clause_text}
    for i, sid in enumerate(["st_a", "st_b", "st_c"]):
        when = T0 + timedelta(days=20 * i)
        upsert_article(warehouse, body(f"a{i}", f"http://h.example/a{i}", texts[f"a{i}"], when=when))
        save_cluster_step(warehouse, StoredStory(sid, when, when, {"terms": {"harbour": 1.0}}), f"a{i}", 1.0, True)
    phrase = Cited("The harbour authority", "a0", 0, 21)
    clause = Cited("which closed the north channel on Monday", "a2", 12, 52)
    assert clause_text[clause.start : clause.end] == clause.text
    card = EntityCard("Port Ellis", "place", 1.0, 1, T0, None)
    built = {}
    for sid, desc in (("st_a", phrase), ("st_b", None), ("st_c", clause)):
        arts = story_articles(warehouse, sid)
        built[sid] = build_sections(
            arts, DocumentFrequencies(), {a.article_id: ArticleMentions(a.article_id, (), ()) for a in arts}
        )
        assert save_sections(warehouse, sid, replace(built[sid], entities=(replace(card, description=desc),)), [])
    reader = SqlReader(warehouse.url)
    try:
        page = reader.story("st_b")
        assert page is not None
        (port,) = page["sections"]["entities"]
        assert port["description"] == phrase.to_json() and port["description_from"] == "st_a"
        save_sections(warehouse, "st_a", replace(built["st_a"], entities=(card,)), [])  # now only the clause is written
        page = reader.story("st_b")
        assert page is not None
        assert page["sections"]["entities"][0]["description"] is None
    finally:
        reader.close()
