"""The cluster stage over a real warehouse: dormant stories leave the in-memory index (cost stays flat as
history grows) and still take late wire copies of their articles."""

from __future__ import annotations

from datetime import datetime, timedelta

from daily_topics import T0, TOPICS, topic_event
from store_steps import assignment_of, upsert_article
from storyline.adapters.warehouse import SqlWarehouse
from storyline.events import ArticleBody, ArticleDeduplicated
from storyline.services.maintenance import plan_consolidation
from storyline.services.stages import ClusterStage


def test_dormant_stories_leave_the_index_and_still_take_late_copies(warehouse: SqlWarehouse) -> None:
    stage = ClusterStage(warehouse)
    sizes = []
    for day in range(40):
        for i in range(len(TOPICS)):
            event = topic_event(i, day)
            upsert_article(warehouse, event.article)  # stored before clustering, as every run does
            stage.handle_batch([(event, None)])
        sizes.append(len(stage.index))
    stage.flush()
    # Only the stories of the last active window (7 days, dropped once per event-time day) stay in memory.
    assert sizes[9] >= 8 * len(TOPICS)
    assert max(sizes[10:]) <= 9 * len(TOPICS) and sizes[-1] == sizes[20]
    assert sizes[-1] == 8 * len(TOPICS)
    # A wire copy of a 30-day-old article joins that article's story, read back from the warehouse.
    original = assignment_of(warehouse, "a005-0")
    assert original is not None
    copy = topic_event(0, 35, duplicate_of="a005-0").model_copy(
        update={"article": topic_event(0, 35).article.model_copy(update={"article_id": "copy-1"})}
    )
    upsert_article(warehouse, copy.article)
    (assigned,) = stage.handle_batch([(copy, None)])[0]
    assert assigned.story_id == original[0] and not assigned.is_new_story
    assert original[0] not in stage.index.stories  # it was not pulled back into the active index


WIRE = (
    "The harbour authority closed the northern ferry terminal on Monday after a storm tore the roof from the "
    "waiting hall, leaving some four hundred passengers stranded overnight in the town hall of Kelport."
)


def _article(article_id: str, outlet: str, at: datetime, title: str, text: str) -> ArticleDeduplicated:
    body = ArticleBody(
        article_id=article_id,
        url=f"https://{outlet}.example/{article_id}",
        canonical_url=f"https://{outlet}.example/{article_id}",
        source_id=outlet,
        source_name=outlet,
        title=title,
        text=text,
        published_at=at,
        fetched_at=at,
        content_hash=article_id.ljust(32, "0"),
        raw_object_key=f"raw/{article_id}",
    )
    return ArticleDeduplicated(event_time=at, article=body, verdict="new")


def test_a_later_rewrite_of_the_same_source_merges_into_the_quiet_story_while_live(warehouse: SqlWarehouse) -> None:
    stage = ClusterStage(warehouse)
    first = [
        _article(f"w{i}", "wire", T0 + timedelta(hours=i), "Storm closes Kelport ferry terminal", WIRE + " More soon.")
        for i in range(3)
    ]
    for e in first:
        upsert_article(warehouse, e.article)  # stored before clustering, as every run does
    (opened,) = stage.handle_batch([(e, None) for e in first])[0]
    # Nine quiet days later, a paper rewrites the agency's lead (its own opening, the source's words after it); an
    # unrelated story arrives in the same batch.
    later = T0 + timedelta(days=9)
    rewrite = _article(
        "p1", "paper", later, "Kelport passengers stranded as storm shuts terminal", "Chaos at the port. " + WIRE
    )
    other = _article(
        "p2", "paper", later, "Council delays budget vote", "Councillors dispute the library funding plan again."
    )
    warehouse.upsert_articles([(rewrite.article, None), (other.article, None)])
    (moved,), (apart,) = stage.handle_batch([(rewrite, None), (other, None)])
    assert moved.story_id == opened.story_id and moved.is_new_story  # it opened a story, which merged at once
    assert apart.story_id != opened.story_id
    (merge,) = warehouse.merge_log()
    assert merge["survivor"] == opened.story_id
    assert warehouse.resolve_story(merge["loser"]) == opened.story_id
    assert merge["loser"] not in stage.index.stories
    # The daily pass finds nothing left to do.
    assert plan_consolidation(warehouse)[1] == []
