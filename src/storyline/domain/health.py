"""Pipeline health for `storyline status`: which readings need an on-call engineer, and what to do about each.

Pure judgement over readings the adapters took (warehouse, broker); the command only prints the result and exits
with `exit_code` (0 healthy, 1 needs attention), so cron and monitoring can act on it.

What needs attention (exit 1):
- Kafka unreachable (when it was asked for): nothing about the stream can be told.
- Dead letters: the live size of each worker group's input DLQ (what its replay group has not replayed yet). The
  warehouse's dead-letter table counts only without Kafka (`--no-kafka`, embedded mode, where `storyline replay`
  clears it); in streaming mode it is an index that keeps replayed letters, so it would alarm forever.
- A dead stage: a stage's consumer group without members, i.e. its workers are gone, even with nothing waiting
  (the next crawl would pile up unseen). The backfill group runs on demand, so it is dead only while records
  wait for it.
- Stale sources: enabled sources not crawled within `Thresholds.stale_after` (or never).

Told but not failing (a warning): lag that grew between two samples taken seconds apart, by a group that has
workers. Workers commit every couple of seconds, so a healthy busy group's committed lag is a sawtooth and two
close samples cannot tell a trend from a tooth; failing cron on it would page people for nothing. Two samples
(not the previous run's figures) keep the command stateless: nothing to store, nothing stale across hosts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

Kind = Literal["kafka", "dead_letters", "dead_stage", "stale_sources", "lag_growing"]
_SHOWN_SOURCES = 5  # a crawl outage makes every source stale: name a few, count the rest, keep one line


@dataclass(frozen=True)
class StreamInput:
    """What one consumer group of workers reads: a stage's input topic (or the backfill topic), and its DLQ."""

    stage: str
    topic: str
    group: str
    dlq: str
    replay_group: str  # its committed offset on `dlq` is where the live dead letters start
    backfill: bool = False  # run on demand: no workers is normal while nothing waits

    @property
    def name(self) -> str:
        return f"{self.stage}-backfill" if self.backfill else self.stage

    @property
    def worker_command(self) -> str:
        return f"storyline worker {self.stage}" + (" --backfill" if self.backfill else "")


@dataclass(frozen=True)
class GroupReading:
    """One consumer group as the broker reported it: members, lag sampled twice, and its input's live DLQ size."""

    input: StreamInput
    members: int
    lag_before: int
    lag: int  # the later sample (equal to lag_before when sampled once)
    dead_letters: int
    interval_s: float = 0.0  # between the two lag samples; 0: sampled once, no trend

    @property
    def lag_change(self) -> int:
        return self.lag - self.lag_before


@dataclass(frozen=True)
class SourceReading:
    source_id: str
    last_crawl: datetime | None
    enabled: bool = True


@dataclass(frozen=True)
class Readings:
    """Everything `status` read. `stream` is None when Kafka was not asked (`--no-kafka`) or did not answer
    (`kafka_error` then says why)."""

    checked_at: datetime
    sources: Sequence[SourceReading]
    warehouse_dead_letters: Mapping[str, int]
    stream: Sequence[GroupReading] | None = None
    kafka_error: str | None = None


@dataclass(frozen=True)
class Thresholds:
    stale_after: timedelta = timedelta(hours=6)  # crawls run every 15 min: 6 h is many missed runs, not one slow


@dataclass(frozen=True)
class Problem:
    kind: Kind
    subject: str
    message: str  # one line: what is wrong and what to do
    needs_attention: bool = True  # False: a warning, told but not failing the exit code


def problems(readings: Readings, thresholds: Thresholds) -> list[Problem]:
    """Every problem, most urgent first: the broker, dead stages, dead letters, stale sources, then warnings."""
    found = [*_stream_problems(readings), *_stale_sources(readings, thresholds)]
    order: list[Kind] = ["kafka", "dead_stage", "dead_letters", "stale_sources", "lag_growing"]
    return sorted(found, key=lambda p: (not p.needs_attention, order.index(p.kind)))


def exit_code(found: Sequence[Problem]) -> int:
    return 1 if any(p.needs_attention for p in found) else 0


def _stream_problems(readings: Readings) -> list[Problem]:
    if readings.kafka_error is not None:
        return [Problem("kafka", "kafka", f"kafka unreachable: {readings.kafka_error}")]
    if readings.stream is None:  # Kafka not asked: embedded mode, whose dead letters are the warehouse's
        return [_warehouse_dead_letters(stage, n) for stage, n in sorted(readings.warehouse_dead_letters.items()) if n]
    found: list[Problem] = []
    for group in readings.stream:
        found += [p for p in (_dead_stage(group), _dead_letters(group), _lag_growing(group)) if p is not None]
    return found


def _dead_stage(g: GroupReading) -> Problem | None:
    if g.members or (g.input.backfill and not g.lag):
        return None
    waiting = f"{g.lag} records waiting in {g.input.topic}" if g.lag else "nothing waiting yet"
    return Problem(
        "dead_stage",
        g.input.group,
        f"dead stage: {g.input.name} has no workers (consumer group {g.input.group} has no members; {waiting}): "
        f"start `{g.input.worker_command}`",
    )


def _dead_letters(g: GroupReading) -> Problem | None:
    if not g.dead_letters:
        return None
    return Problem(
        "dead_letters",
        g.input.dlq,
        f"dead letters: {g.dead_letters} in {g.input.dlq} (stage {g.input.name}): read their dlq.* headers, fix "
        f"the cause, then replay with `{g.input.worker_command} --from-dlq`",
    )


def _lag_growing(g: GroupReading) -> Problem | None:
    if not g.members or g.interval_s <= 0 or g.lag_change <= 0:
        return None  # without workers the dead stage says it; sampled once, there is no trend to tell
    return Problem(
        "lag_growing",
        g.input.group,
        f"warning: lag growing: {g.input.name} {g.lag_before} → {g.lag} in {g.interval_s:g} s with {g.members} "
        f"workers: if it keeps growing, add workers (up to {g.input.topic}'s partitions) or check their logs",
        needs_attention=False,
    )


def _warehouse_dead_letters(stage: str, count: int) -> Problem:
    # Embedded mode re-runs only extraction from its dead letters; later stages recover by running again.
    fix = "replay with `storyline replay`" if stage == "extract" else "run `storyline run` again"
    return Problem(
        "dead_letters",
        stage,
        f"dead letters: {count} at stage {stage} (the warehouse's dead_letters table says why): fix the cause, "
        f"then {fix}",
    )


def _stale_sources(readings: Readings, thresholds: Thresholds) -> list[Problem]:
    cutoff = readings.checked_at - thresholds.stale_after
    stale = [s for s in readings.sources if s.enabled and (s.last_crawl is None or s.last_crawl < cutoff)]
    if not stale:
        return []
    named = ", ".join(f"{s.source_id} ({_since(readings.checked_at, s.last_crawl)})" for s in stale[:_SHOWN_SOURCES])
    more = f" and {len(stale) - _SHOWN_SOURCES} more" if len(stale) > _SHOWN_SOURCES else ""
    hours = thresholds.stale_after.total_seconds() / 3600
    return [
        Problem(
            "stale_sources",
            ",".join(s.source_id for s in stale),
            f"stale sources: {len(stale)} not crawled in {hours:g} h: {named}{more}: check the crawl_sources DAG "
            "in Airflow (or run `storyline run --sources …`)",
        )
    ]


def _since(now: datetime, at: datetime | None) -> str:
    if at is None:
        return "never crawled"
    return f"last crawl {(now - at).total_seconds() / 3600:.1f} h ago"


def stream_report(groups: Sequence[GroupReading]) -> dict[str, Any]:
    """The stream part of `status --json`: each group, and the lag per input and live size per DLQ topic."""
    return {
        "groups": {
            g.input.group: {
                "stage": g.input.stage,
                "backfill": g.input.backfill,
                "topic": g.input.topic,
                "members": g.members,
                "lag": g.lag,
                "lag_change": g.lag_change,
                "sampled_over_s": g.interval_s,
                "dlq_topic": g.input.dlq,
                "dead_letters": g.dead_letters,
            }
            for g in groups
        },
        "lag": {g.input.name: g.lag for g in groups},
        "dlq": {g.input.dlq: g.dead_letters for g in groups},
    }
