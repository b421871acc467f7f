"""The entity page: name, kind, the cited description, its stories newest first; cards link to it and the API."""

from __future__ import annotations

from typing import Any, cast

from fastapi.testclient import TestClient

from storyline.adapters.warehouse import SqlReader
from storyline.domain.entities import entity_id
from storyline.ports import StoryFilter
from storyline.web.app import create_app

HURD = entity_id("person", "Mark Hurd")
CARD = {
    "entity_id": HURD,
    "name": "Mark Hurd",
    "kind": "person",
    "salience": 0.8,
    "article_count": 2,
    "first_mentioned": "2026-03-01T09:00:00+00:00",
    "description": {"text": "HP's chief executive", "article_id": "a1", "start": 0, "end": 20},
}


def _story(sid: str, last: str, cards: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "story_id": sid,
        "headline": f"Story {sid}",
        "first_seen": "2026-03-01T09:00:00+00:00",
        "last_seen": last,
        "article_count": 2,
        "outlet_count": 2,
        "outlets": ["Wire"],
        "sections": {"entities": cards},
    }


class FakeReader:
    """The three reads the entity page makes, over two stories (the newer one's card has no description)."""

    def __init__(self) -> None:
        bare = {**CARD, "description": None}
        old_card = {k: v for k, v in CARD.items() if k != "entity_id"}  # stored before cards carried their id
        self.stories = {
            "st_new": _story("st_new", "2026-03-03T09:00:00+00:00", [bare]),
            "st_old": _story("st_old", "2026-03-02T09:00:00+00:00", [old_card]),
        }
        self.filters: list[StoryFilter] = []

    def list_stories(self, f: StoryFilter) -> tuple[int, list[dict[str, Any]]]:
        self.filters.append(f)
        found = [s for s in self.stories.values() if f.entity == HURD]
        found.sort(key=lambda s: s["last_seen"], reverse=True)
        return len(found), found

    def story(self, story_id: str) -> dict[str, Any] | None:
        return self.stories.get(story_id)

    def articles(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        ref = {"url": "https://wire.example/a1", "source_name": "Wire", "published_at": "2026-03-01T09:00:00+00:00"}
        return {i: ref for i in ids if i == "a1"}


def test_the_entity_page_shows_the_cited_description_and_stories_newest_first() -> None:
    reader = FakeReader()
    client = TestClient(create_app(cast(SqlReader, reader)))
    page = client.get(f"/entities/{HURD}")
    assert page.status_code == 200
    html = page.text
    assert "Mark Hurd" in html and "person" in html
    assert "HP&#39;s chief executive" in html and 'data-span="0-20"' in html and "https://wire.example/a1" in html
    assert html.index("/stories/st_new") < html.index("/stories/st_old")
    assert f"/api/stories?entity={HURD}" in html
    assert reader.filters[0].entity == HURD and reader.filters[0].sort == "recent"


def test_an_unknown_entity_is_a_404() -> None:
    client = TestClient(create_app(cast(SqlReader, FakeReader())))
    assert client.get("/entities/000000000000000000000000").status_code == 404
