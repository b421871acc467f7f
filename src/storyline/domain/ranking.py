"""Front-page ranking: how significant a story is now, from its breadth, its growth and its age (pure)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

# A story's weight halves for every day since its last article: yesterday's biggest story gives way to today's.
HALF_LIFE = timedelta(hours=24)
# Coverage that grows fast (articles per hour of the story's life) counts, but never outweighs breadth.
GROWTH_CAP = 2.0


@dataclass(frozen=True)
class StoryStats:
    story_id: str
    outlets: int
    articles: int
    first_seen: datetime
    last_seen: datetime


def significance(story: StoryStats, now: datetime) -> float:
    """Independent outlets weigh most (each is a newsroom that judged the event worth covering), then articles,
    then how fast they came; all decayed by the time since the last article (event time: `now` is the newest
    story's last article, so a replayed corpus ranks as it did when live)."""
    breadth = 2.0 * math.log2(1 + story.outlets) + math.log2(1 + story.articles)
    hours = max(1.0, (story.last_seen - story.first_seen).total_seconds() / 3600)
    growth = min(GROWTH_CAP, story.articles / hours)
    age = max(0.0, (now - story.last_seen).total_seconds())
    return (breadth + growth) * math.pow(0.5, age / HALF_LIFE.total_seconds())


def rank(stories: list[StoryStats], now: datetime) -> list[str]:
    """Story ids, most significant first; a story from two or more outlets always before a single-outlet one
    (what several newsrooms reported is the news; one outlet's story is a lead). Ties: newer, then id."""
    return [
        s.story_id
        for s in sorted(
            stories,
            key=lambda s: (s.outlets < 2, -significance(s, now), -s.last_seen.timestamp(), s.story_id),
        )
    ]
