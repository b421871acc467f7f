"""The cluster stage on in-memory stores: the index, the statistics and the writes, with no database."""

from __future__ import annotations

from daily_topics import TOPICS, topic_event
from fakes import InMemoryArticles, InMemoryStories
from storyline.services.stages import ClusterStage


def _stores() -> tuple[InMemoryArticles, InMemoryStories]:
    articles = InMemoryArticles()
    return articles, InMemoryStories(articles)


def test_a_batch_writes_its_steps_once_and_its_statistics_with_them() -> None:
    articles, stories = _stores()
    stage = ClusterStage(stories)
    events = [topic_event(i, 0) for i in range(len(TOPICS))]
    articles.upsert_articles([(e.article, None) for e in events])
    (assigned,) = zip(*stage.handle_batch([(e, None) for e in events]), strict=True)
    assert stories.saves == 1, "one transaction for the whole batch"
    assert {a.story_id for a in assigned} == {stories.members[e.article.article_id][0] for e in events}
    assert all(a.is_new_story for a in assigned) and len(stories.stories) == len(TOPICS)
    assert stories.n_docs == len(TOPICS) and stories.df  # the batch's document frequencies, written with it
    # A replayed batch changes nothing: its articles are assigned already.
    again = stage.handle_batch([(e, None) for e in events])
    assert [a.story_id for (a,) in again] == [a.story_id for a in assigned]
    assert stories.n_docs == len(TOPICS)


def test_dormant_stories_leave_the_index_and_still_take_late_copies() -> None:
    articles, stories = _stores()
    stage = ClusterStage(stories)
    sizes = []
    for day in range(20):
        for i in range(len(TOPICS)):
            event = topic_event(i, day)
            articles.upsert_articles([(event.article, None)])
            stage.handle_batch([(event, None)])
        sizes.append(len(stage.index))
    # Only the stories of the last active window (7 days, dropped once per event-time day) stay in memory.
    assert sizes[-1] == 8 * len(TOPICS) and max(sizes[10:]) <= 9 * len(TOPICS)
    # A wire copy of a 15-day-old article joins that article's story, read back from the store.
    original = stories.members["a002-0"][0]
    copy = topic_event(0, 17, duplicate_of="a002-0", article_id="copy-1")
    articles.upsert_articles([(copy.article, None)])
    ((assigned,),) = stage.handle_batch([(copy, None)])
    assert assigned.story_id == original and not assigned.is_new_story
    assert original not in stage.index.stories  # it was not pulled back into the active index
