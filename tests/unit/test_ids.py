"""Deterministic identifiers: article, story, content and event ids, including event models' ids."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

from storyline.domain.ids import article_id, content_hash, event_id, object_key, story_id
from storyline.events import (
    TOPIC_DEDUPLICATED,
    TOPIC_FETCHED,
    ArticleBody,
    ArticleDeduplicated,
    ArticleExtracted,
    ArticleFetched,
    StoryAssigned,
    decode,
)

HEX32 = re.compile(r"^[0-9a-f]{32}$")
T0 = datetime(2026, 2, 3, 8, 0, tzinfo=UTC)


def test_article_id_is_stable_32_hex() -> None:
    url = "https://example.com/news/ferry-resumes"
    a = article_id(url)
    assert HEX32.match(a)
    assert a == article_id("https://example.com/news/" + "ferry-resumes")
    assert article_id(url + "?page=2") != a


def test_article_id_is_pinned() -> None:
    # A change of hash function would re-key every stored article.
    url = "https://example.com/a"
    assert article_id(url) == hashlib.blake2b(url.encode(), digest_size=16).hexdigest()


def test_story_id_prefix_and_stability() -> None:
    seed = article_id("https://example.com/a")
    sid = story_id(seed)
    assert sid.startswith("st_")
    assert re.fullmatch(r"st_[0-9a-f]{16}", sid)
    assert sid == story_id(seed)
    assert sid != story_id(article_id("https://example.com/b"))


def test_content_hash_and_object_key() -> None:
    assert content_hash("same text") == content_hash("same text")
    assert content_hash("same text") != content_hash("other text")
    key = object_key(b"<html></html>")
    assert key == object_key(b"<html></html>")
    assert re.fullmatch(r"raw/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{40}\.html\.gz", key)
    digest = key.rsplit("/", 1)[1]
    assert key.startswith(f"raw/{digest[:2]}/{digest[2:4]}/")


def test_event_id_helper_is_deterministic_and_sensitive_to_each_part() -> None:
    base = event_id("article.fetched", "a1", "h1")
    assert base == event_id("article.fetched", "a1", "h1")
    assert base != event_id("article.extracted", "a1", "h1")
    assert base != event_id("article.fetched", "a2", "h1")
    assert base != event_id("article.fetched", "a1", "h2")
    # The separator keeps parts from bleeding into each other.
    assert event_id("a", "bc", "d") != event_id("ab", "c", "d")


def _fetched(**overrides: object) -> ArticleFetched:
    values: dict[str, object] = {
        "event_time": T0,
        "article_id": article_id("https://example.com/a"),
        "url": "https://example.com/a?utm_source=rss",
        "canonical_url": "https://example.com/a",
        "source_id": "example",
        "source_name": "Example News",
        "raw_object_key": object_key(b"<html>a</html>"),
        "content_type": "text/html",
        "http_status": 200,
        "byte_size": 14,
        "fetched_at": T0 + timedelta(minutes=5),
    }
    values.update(overrides)
    return ArticleFetched.model_validate(values)


def _body(**overrides: object) -> ArticleBody:
    values: dict[str, object] = {
        "article_id": article_id("https://example.com/a"),
        "url": "https://example.com/a",
        "canonical_url": "https://example.com/a",
        "source_id": "example",
        "source_name": "Example News",
        "title": "Ferry service resumes",
        "text": "Ferries resumed on Tuesday after the storm.",
        "published_at": T0,
        "fetched_at": T0 + timedelta(minutes=5),
        "content_hash": content_hash("ferries resumed on tuesday after the storm."),
        "raw_object_key": object_key(b"<html>a</html>"),
    }
    values.update(overrides)
    return ArticleBody.model_validate(values)


def test_same_event_built_twice_has_same_id() -> None:
    a, b = _fetched(), _fetched()
    assert a.event_id
    assert a.event_id == b.event_id
    e1 = ArticleExtracted(event_time=T0, article=_body())
    e2 = ArticleExtracted(event_time=T0, article=_body())
    assert e1.event_id == e2.event_id


def test_different_content_gives_different_event_id() -> None:
    assert _fetched().event_id != _fetched(raw_object_key=object_key(b"<html>b</html>")).event_id
    assert _fetched().event_id != _fetched(article_id=article_id("https://example.com/b")).event_id
    e1 = ArticleExtracted(event_time=T0, article=_body())
    e2 = ArticleExtracted(event_time=T0, article=_body(text="Ferries stayed in port on Tuesday."))
    assert e1.event_id != e2.event_id


def test_event_types_with_same_subject_get_different_ids() -> None:
    body = _body()
    extracted = ArticleExtracted(event_time=T0, article=body)
    dedup = ArticleDeduplicated(event_time=T0, article=body, verdict="new")
    assert extracted.event_id != dedup.event_id


def test_article_fetched_id_ignores_fetched_at() -> None:
    first = _fetched(fetched_at=T0 + timedelta(minutes=5))
    later = _fetched(fetched_at=T0 + timedelta(days=2))
    assert first.event_id == later.event_id


def test_article_fetched_key_is_article_id() -> None:
    ev = _fetched()
    assert ev.key() == ev.article_id


def test_story_assigned_id_depends_on_story_and_article_only() -> None:
    a = StoryAssigned(event_time=T0, story_id="st_1", article_id="a1", source_id="s", is_new_story=True, score=0.0)
    b = StoryAssigned(
        event_time=T0 + timedelta(hours=1),
        story_id="st_1",
        article_id="a1",
        source_id="s",
        is_new_story=False,
        score=0.4,
    )
    c = StoryAssigned(event_time=T0, story_id="st_2", article_id="a1", source_id="s", is_new_story=True, score=0.0)
    assert a.event_id == b.event_id
    assert a.event_id != c.event_id
    assert a.key() == "st_1"


def test_event_id_survives_a_roundtrip_through_bytes() -> None:
    ev = _fetched()
    back = decode(TOPIC_FETCHED, ev.to_bytes())
    assert back == ev
    assert back.event_id == ev.event_id
    dedup = ArticleDeduplicated(event_time=T0, article=_body(), verdict="duplicate", duplicate_of="x", similarity=0.9)
    assert decode(TOPIC_DEDUPLICATED, dedup.to_bytes()).event_id == dedup.event_id
