"""Articles on a few topics, with words of their own every day: each day opens new stories and older ones go
dormant (the cluster stage's tests, on the warehouse and on the in-memory stores)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storyline.events import ArticleBody, ArticleDeduplicated

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
TOPICS = [
    ("Harbour", "ferry crossings resumed after the storm damaged the northern pier"),
    ("Council", "budget vote delayed as councillors dispute the library funding plan"),
    ("Stadium", "football club unveils plans for a larger riverside stadium"),
    ("Vaccine", "clinic extends opening hours for the seasonal flu vaccination drive"),
    ("Rail", "commuter trains cancelled after signal failure near the central station"),
]


def topic_event(
    i: int, day: int, duplicate_of: str | None = None, article_id: str | None = None
) -> ArticleDeduplicated:
    """Topic `i`'s article of `day` (a wire copy of `duplicate_of` when given)."""
    name, words = TOPICS[i % len(TOPICS)]
    words = " ".join(f"{w}x{day}y{i}" for w in words.split())
    name = f"{name}x{day}y{i}"
    at = T0 + timedelta(days=day, minutes=i)
    body = ArticleBody(
        article_id=article_id or f"a{day:03d}-{i}",
        url=f"https://t.example/{day}/{i}",
        canonical_url=f"https://t.example/{day}/{i}",
        source_id=f"outlet{i}",
        source_name="T",
        title=f"{name}: {words[:40]}",
        text=f"{name} reported that {words}. " * 6,
        published_at=at,
        fetched_at=at,
        content_hash=f"{day:016x}{i:016x}",
        raw_object_key=f"raw/{day}/{i}",
    )
    verdict = "duplicate" if duplicate_of else "new"
    return ArticleDeduplicated(event_time=at, article=body, verdict=verdict, duplicate_of=duplicate_of)
