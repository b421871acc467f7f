"""The read API on odd but well-formed input, on SQLite and PostgreSQL: times without a zone, offsets past any
row count, LIKE wildcards and NUL characters in search text. Each is an answer or a documented 4xx, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from store_steps import save_cluster_step, upsert_article
from storyline.adapters.ner_spacy import SpacyRecognizer
from storyline.adapters.warehouse import SqlReader, SqlWarehouse
from storyline.events import ArticleBody
from storyline.ports import StoredStory
from storyline.services.stages import EnrichStage

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
# Three stories, a day apart; two titles hold the characters SQL LIKE treats as wildcards.
TITLES = {
    "st_ferry": "Ferry service to Marrow Island resumes after the storm",
    "st_rates": "Port Ellis council raises harbour fees by 50% for cargo ships",
    "st_snake": "Dredging firm renames its survey tool survey_v2 after the audit",
}
TEXT = (
    "{title}. Officials in Port Ellis said on Monday that the change had been agreed by the council. "
    "The harbour authority, which runs the port, said more details would follow next week."
)


@pytest.fixture
def client(warehouse: SqlWarehouse) -> Iterator[TestClient]:
    """The read API over a warehouse holding three enriched stories, through the read-only reader."""
    from storyline.web.app import create_app

    for day, (story_id, title) in enumerate(TITLES.items()):
        when = T0 + timedelta(days=day)
        for i in range(2):
            article_id = f"{story_id}-{i}"
            upsert_article(
                warehouse,
                ArticleBody(
                    article_id=article_id,
                    url=f"https://outlet{i}.example/{story_id}",
                    canonical_url=f"https://outlet{i}.example/{story_id}",
                    source_id=f"outlet-{i}",
                    source_name=f"Outlet {i}",
                    title=title,
                    text=TEXT.format(title=title),
                    published_at=when + timedelta(hours=i),
                    fetched_at=when + timedelta(hours=i, minutes=5),
                    content_hash=f"{article_id}-h",
                    raw_object_key=f"raw/{article_id}",
                ),
            )
            state = StoredStory(story_id, when, when + timedelta(hours=i), {"article_count": i + 1})
            save_cluster_step(warehouse, state, article_id, 1.0, i == 0)
    enrich = EnrichStage(warehouse, SpacyRecognizer())
    for story_id in TITLES:
        enrich.mark(story_id)
    assert len(enrich.flush()) == len(TITLES)
    reader = SqlReader(warehouse.url)
    with TestClient(create_app(reader)) as c:
        yield c
    reader.close()


def _ids(page: dict[str, object]) -> set[str]:
    items = page["items"]
    assert isinstance(items, list)
    return {str(s["story_id"]) for s in items}


def test_search_text_is_literal_not_a_like_pattern(client: TestClient) -> None:
    assert _ids(client.get("/api/stories", params={"q": "%"}).json()) == {"st_rates"}
    assert _ids(client.get("/api/stories", params={"q": "_"}).json()) == {"st_snake"}
    assert _ids(client.get("/api/stories", params={"q": "50%"}).json()) == {"st_rates"}
    assert _ids(client.get("/api/stories", params={"q": "y_v"}).json()) == {"st_snake"}
    assert _ids(client.get("/api/stories", params={"q": "\\"}).json()) == set()
    assert client.get("/api/stories", params={"q": "%%"}).json()["total"] == 0
    assert client.get("/api/entities", params={"q": "%"}).json()["total"] == 0
    assert client.get("/api/entities", params={"q": "_"}).json()["total"] == 0
    assert client.get("/api/entities", params={"q": "port"}).json()["total"] >= 1
    page = client.get("/", params={"q": "%"}).text
    assert TITLES["st_rates"].replace("%", "") in page.replace("%", "")
    assert "Marrow Island" not in page and "survey_v2" not in page


def test_a_time_without_a_zone_is_refused_with_a_422_that_says_so(client: TestClient) -> None:
    for naive in ("2026-03-02T12:00:00", "2026-03-02"):
        for bound in ("since", "until"):
            got = client.get("/api/stories", params={bound: naive})
            assert got.status_code == 422, got.text
            assert "needs a time zone" in got.text and bound in got.text
    assert _ids(client.get("/api/stories", params={"since": "2026-03-02T09:30:00Z"}).json()) == {"st_rates", "st_snake"}
    assert _ids(client.get("/api/stories", params={"until": "2026-03-02T09:30:00+00:00"}).json()) == {
        "st_ferry",
        "st_rates",
    }
    # The zone counts: 09:00 in UTC+05:00 is 04:00 UTC, before the second story starts.
    assert _ids(client.get("/api/stories", params={"until": "2026-03-02T09:00:00+05:00"}).json()) == {"st_ferry"}


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_time_beyond_the_calendar_in_utc_is_a_clear_422(client: TestClient, moment: str) -> None:
    got = client.get("/api/stories", params={"since": moment})
    assert got.status_code == 422
    assert "UTC" in got.text


def test_offsets_past_any_row_count(client: TestClient) -> None:
    largest = 2**63 - 1
    for path, key in [("/api/stories", "items"), ("/api/entities", "items")]:
        page = client.get(path, params={"offset": largest})
        assert page.status_code == 200, page.text
        assert page.json()[key] == [] and page.json()["total"] >= len(TITLES)
        for beyond in (2**63, 2**64 + 5, 10**40):
            refused = client.get(path, params={"offset": beyond})
            assert refused.status_code == 422
            assert str(largest) in refused.text, "the bound is stated"
    assert client.get("/", params={"offset": largest}).status_code == 200
    assert client.get("/", params={"offset": 2**63}).status_code == 422
    assert client.get("/", params={"offset": 3}).status_code == 200


NUL_REQUESTS: list[tuple[str, dict[str, str]]] = [
    ("/api/stories", {"q": "a\x00b"}),
    ("/api/stories", {"source": "\x00"}),
    ("/api/stories", {"entity": "x\x00"}),
    ("/api/entities", {"q": "\x00"}),
    ("/api/entities", {"kind": "person\x00"}),
    ("/api/stories/st_%00ferry", {}),
    ("/api/articles/%00", {}),
    ("/stories/%00", {}),
    ("/", {"q": "\x00"}),
]


def test_a_nul_character_is_a_422_not_a_database_error(client: TestClient) -> None:
    # PostgreSQL text cannot hold NUL, so no stored value can contain one: such a request is malformed.
    for path, params in NUL_REQUESTS:
        got = client.get(path, params=params)
        assert got.status_code == 422, (path, params, got.text)
        assert "NUL" in got.text
