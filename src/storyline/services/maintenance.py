"""Maintenance use cases: story consolidation (updates on the change feed) and retention, for the DAG and CLI."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from storyline.domain.clustering import ClusterParams, StoryState, state_from_json
from storyline.domain.consolidation import ConsolidationParams, Merge, combine, plan_merges
from storyline.domain.passages import shared_passages
from storyline.events import TOPIC_UPDATED, StoryUpdated
from storyline.ports import BlobStore, Clock, ConsolidationStore, FetchLogRetention, Publisher, RawArchiveIndex
from storyline.services.stages import EnrichStage
from storyline.services.tasks import publish_events

log = logging.getLogger(__name__)
_BATCH = 500


@dataclass(frozen=True)
class ConsolidationReport:
    stories: int  # story families considered
    merges: Sequence[Merge]
    # What the change feed gets, in order: the survivors re-enriched (their sections now cover the merged
    # articles), then a `merged_into` record per merged story (ADR 0020).
    feed: Sequence[StoryUpdated]
    published: int = 0  # records of `feed` delivered to the change feed (0 without one)

    @property
    def updated(self) -> list[StoryUpdated]:
        """The survivors re-enriched."""
        return [u for u in self.feed if u.merged_into is None]


def consolidate(
    store: ConsolidationStore,
    enrich: EnrichStage,
    now: datetime,
    lookback: timedelta | None = None,
    params: ConsolidationParams | None = None,
    cluster: ClusterParams | None = None,
) -> ConsolidationReport:
    """Merge stories the online pass split, among those active within `lookback` of the newest story (event time;
    None: all of them). Idempotent: a second run finds nothing new. Merged ids keep resolving to their survivor."""
    families, planned = plan_consolidation(store, lookback, params, cluster)
    if families == 0:
        return ConsolidationReport(0, [], [])
    applied = store.record_merges(planned, now)
    for m in applied:
        enrich.mark(m.survivor)
    feed = enrich.flush()  # the merged stories are owed their records too: the merges marked them
    log.info("consolidation: %d stories, %d merges", families, len(applied))
    return ConsolidationReport(families, applied, feed)


def plan_consolidation(
    store: ConsolidationStore,
    lookback: timedelta | None = None,
    params: ConsolidationParams | None = None,
    cluster: ClusterParams | None = None,
) -> tuple[int, list[Merge]]:
    """(story families considered, merges to make) among the families active within `lookback` of the newest
    story (event time; None: all of them), on their summed states and the source passages their articles share."""
    latest = store.latest_story_time()
    if latest is None:
        return 0, []
    since = latest - lookback if lookback is not None else datetime.min.replace(tzinfo=UTC)
    members: dict[str, list[StoryState]] = defaultdict(list)
    for root, stored in store.story_families(since):
        members[root].append(state_from_json(stored.story_id, stored.state, stored.first_seen, stored.last_seen))
    families = [combine(root, states) for root, states in sorted(members.items())]
    shared = shared_passages(store.family_passages(sorted(members)))
    return len(families), plan_merges(families, params or ConsolidationParams(), cluster or ClusterParams(), shared)


def expire_raw_objects(index: RawArchiveIndex, blobs: BlobStore, cutoff: datetime, now: datetime) -> int:
    """Delete raw objects not referenced since `cutoff`, then record them as expired (re-extraction skips them).
    Objects go before their record: a crash in between leaves a record-less deleted object, which the next run
    deletes again (idempotent) and records."""
    keys = index.raw_keys_last_used_before(cutoff)
    for start in range(0, len(keys), _BATCH):
        batch = keys[start : start + _BATCH]
        for key in batch:
            blobs.delete(key)
        index.mark_objects_expired(batch, now)
    return len(keys)


@dataclass(frozen=True)
class RetentionReport:
    raw_objects_expired: int | None  # None: raw objects were not asked about
    fetch_rows_deleted: int | None  # None: the fetch log was not asked about


@dataclass
class MaintenancePasses:
    """The maintenance use cases, one wiring for every caller (the `maintenance` DAG, `storyline consolidate` and
    `storyline expire`): a pass does the same whoever starts it. `feed` is the change feed the composition root
    gives; None (embedded mode, no bus) keeps the survivors' updates in the warehouse only (ADR 0022)."""

    stories: ConsolidationStore
    archive: RawArchiveIndex
    fetch_log: FetchLogRetention
    blobs: BlobStore
    enrich: EnrichStage
    cluster: ClusterParams
    clock: Clock
    feed: Publisher | None = None

    def consolidate(
        self, lookback: timedelta | None = None, params: ConsolidationParams | None = None
    ) -> ConsolidationReport:
        """`consolidate`, then the survivors' updates and the merged stories' records on the change feed, in
        order, delivery checked. Raises ValueError for parameters out of range."""
        report = consolidate(self.stories, self.enrich, self.clock.now(), lookback, params, self.cluster)
        if self.feed is None:
            return report
        return replace(report, published=publish_events(TOPIC_UPDATED, report.feed, self.feed))

    def expire(self, raw_after: timedelta | None = None, fetch_log_after: timedelta | None = None) -> RetentionReport:
        """Raw objects not referenced for `raw_after`, and fetch-log rows older than `fetch_log_after` (None: keep)."""
        now = self.clock.now()
        raw = expire_raw_objects(self.archive, self.blobs, now - raw_after, now) if raw_after is not None else None
        rows = self.fetch_log.delete_fetch_rows_before(now - fetch_log_after) if fetch_log_after is not None else None
        return RetentionReport(raw, rows)
