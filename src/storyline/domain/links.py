"""Links between stories: candidates by shared terms and entities, and which of them are one event, not two.

*How we got here* and *Go deeper* link a story to *other* events. Online clustering leaves splits — articles of one
event in two stories that consolidation did not merge — and a split is the nearest neighbour a story has; shown as
background it tells the reader the same thing twice. `same_event` recognises the shapes splits take.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from storyline.domain.features import cosine

# One event's follow-ups, recaps and late copies arrive within this gap (consolidation's passage_max_gap): further
# apart, two stories are two events however alike their words.
SPLIT_GAP = timedelta(days=14)
# Distinct source passages two stories share from different outlets: two outlets rewrote one source (a wire lead,
# a statement), which is one event's coverage.
SHARED_PASSAGES = 3
# A story from one outlet this close in content to another story's coverage is, far more often than a distinct
# event only one outlet covered, an article clustering did not attach (replay-dev: 20 of 24 such links); published
# while the other story's coverage ran, any link at all is enough.
LONE_OUTLET_SCORE = 0.2


@dataclass(frozen=True)
class StoryProfile:
    """What linking needs of a story: its id, start and L2-normalised centroid."""

    story_id: str
    first_seen: datetime
    vector: Mapping[str, float]


@dataclass(frozen=True)
class Link:
    story_id: str
    other_id: str
    kind: str  # "background" (older) or "related"
    score: float


@dataclass(frozen=True)
class Coverage:
    """A linked story as the read side knows it: when its coverage ran and how many outlets it has."""

    story_id: str
    first_seen: datetime
    last_seen: datetime
    outlets: int


def related_links(
    story: StoryProfile, others: Sequence[StoryProfile], limit: int = 5, floor: float = 0.12
) -> list[Link]:
    """Stories sharing terms/entities with this one; those that started earlier are its background.

    Profile vectors are L2-normalised by whoever builds them (once, not once per pair).
    """
    scored: list[tuple[float, StoryProfile]] = []
    for other in others:
        if other.story_id == story.story_id:
            continue
        score = cosine(story.vector, other.vector)
        if score >= floor:
            scored.append((score, other))
    scored.sort(key=lambda so: (-so[0], so[1].story_id))
    return [
        Link(
            story_id=story.story_id,
            other_id=o.story_id,
            kind="background" if o.first_seen < story.first_seen else "related",
            score=round(s, 4),
        )
        for s, o in scored[:limit]
    ]


class ProfileIndex:
    """Inverted index over story profiles' heaviest keys: link candidates without comparing every pair."""

    def __init__(self, profiles: Sequence[StoryProfile], keys_per_story: int = 20) -> None:
        self.profiles = {p.story_id: p for p in profiles}
        self.keys_per_story = keys_per_story
        self.postings: dict[str, list[str]] = defaultdict(list)
        for p in profiles:
            for key in self._keys(p):
                self.postings[key].append(p.story_id)

    def _keys(self, profile: StoryProfile) -> list[str]:
        ranked = sorted(profile.vector.items(), key=lambda kv: (-kv[1], kv[0]))
        return [k for k, _ in ranked[: self.keys_per_story]]

    def links(self, story_id: str, limit: int = 5, floor: float = 0.12) -> list[Link]:
        story = self.profiles.get(story_id)
        if story is None:
            return []
        ids = {sid for key in self._keys(story) for sid in self.postings.get(key, [])}
        return related_links(story, [self.profiles[i] for i in sorted(ids)], limit, floor)


def gap(a: Coverage, b: Coverage) -> timedelta:
    """Time between two stories' coverage (zero when it overlaps)."""
    return max(a.first_seen - b.last_seen, b.first_seen - a.last_seen, timedelta(0))


def same_event(a: Coverage, b: Coverage, score: float, shared: int) -> bool:
    """Whether a link joins two pieces of one event rather than two events: close in time and either rewriting
    the same source passages (from different outlets) or one of them a lone outlet's story much like the other,
    or published while the other ran."""
    apart = gap(a, b)
    if apart > SPLIT_GAP:
        return False
    if shared >= SHARED_PASSAGES:
        return True
    lone = min(a.outlets, b.outlets) <= 1
    return lone and (apart == timedelta(0) or score >= LONE_OUTLET_SCORE)
