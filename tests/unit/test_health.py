"""`storyline status`'s verdict: what needs attention (exit 1), what is only told, and what each line says to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storyline.domain.health import (
    GroupReading,
    Problem,
    Readings,
    SourceReading,
    StreamInput,
    Thresholds,
    exit_code,
    problems,
    stream_report,
)

NOW = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
EXTRACT = StreamInput(
    "extract",
    "storyline.articles.fetched",
    "storyline-extract",
    "storyline.articles.fetched.dlq",
    "storyline-extract-dlq-replay",
)
BACKFILL = StreamInput(
    "extract",
    "storyline.articles.backfill",
    "storyline-extract-backfill",
    "storyline.articles.backfill.dlq",
    "storyline-extract-dlq-replay",
    backfill=True,
)
FRESH = SourceReading("gazette", NOW - timedelta(minutes=20))


def group(
    inp: StreamInput = EXTRACT, members: int = 1, lag: int = 0, before: int | None = None, dlq: int = 0
) -> GroupReading:
    return GroupReading(inp, members, lag if before is None else before, lag, dlq, 2.0 if before is not None else 0.0)


def verdict(
    *groups: GroupReading,
    sources: tuple[SourceReading, ...] = (FRESH,),
    warehouse: dict[str, int] | None = None,
    stream: bool = True,
    kafka_error: str | None = None,
    stale_after: timedelta = timedelta(hours=6),
) -> list[Problem]:
    readings = Readings(NOW, sources, warehouse or {}, list(groups) if stream else None, kafka_error)
    return problems(readings, Thresholds(stale_after))


def test_a_healthy_pipeline_has_no_problems_and_exits_0() -> None:
    found = verdict(group(members=2, lag=5), group(BACKFILL, members=0, lag=0))
    assert found == [] and exit_code(found) == 0


def test_a_stage_without_workers_is_dead_even_with_nothing_waiting() -> None:
    (waiting,) = verdict(group(members=0, lag=3))
    assert waiting.kind == "dead_stage" and waiting.subject == "storyline-extract"
    assert "3 records waiting in storyline.articles.fetched" in waiting.message
    assert waiting.message.endswith("start `storyline worker extract`")
    (idle,) = verdict(group(members=0, lag=0))
    assert idle.kind == "dead_stage" and "nothing waiting yet" in idle.message
    assert exit_code([idle]) == 1


def test_the_backfill_group_is_dead_only_while_records_wait_for_it() -> None:
    assert verdict(group(BACKFILL, members=0, lag=0)) == []
    (stalled,) = verdict(group(BACKFILL, members=0, lag=7))
    assert stalled.kind == "dead_stage" and "extract-backfill has no workers" in stalled.message
    assert "`storyline worker extract --backfill`" in stalled.message


def test_live_dead_letters_need_attention_and_say_how_to_replay() -> None:
    (fetched,) = verdict(group(dlq=2))
    assert fetched.kind == "dead_letters" and fetched.subject == "storyline.articles.fetched.dlq"
    assert "2 in storyline.articles.fetched.dlq" in fetched.message
    assert "`storyline worker extract --from-dlq`" in fetched.message
    (backfill,) = verdict(group(BACKFILL, dlq=1))
    assert "`storyline worker extract --backfill --from-dlq`" in backfill.message
    assert exit_code([backfill]) == 1


def test_warehouse_dead_letters_count_only_without_kafka() -> None:
    # Streaming mode: the warehouse table is an index that keeps replayed letters; the live DLQ says what is open.
    assert verdict(group(), warehouse={"extract": 4}) == []
    (embedded,) = verdict(warehouse={"extract": 4, "cluster": 0}, stream=False)
    assert embedded.kind == "dead_letters" and "4 at stage extract" in embedded.message
    assert "`storyline replay`" in embedded.message


def test_kafka_unreachable_needs_attention_and_stops_stream_judgement() -> None:
    (down,) = verdict(kafka_error="no Kafka broker at 127.0.0.1:1 (timeout)", stream=False, warehouse={"x": 1})
    assert down.kind == "kafka" and down.message == "kafka unreachable: no Kafka broker at 127.0.0.1:1 (timeout)"
    assert exit_code([down]) == 1


def test_growing_lag_with_workers_is_a_warning_that_does_not_fail() -> None:
    (growing,) = verdict(group(members=2, lag=180, before=120))
    assert growing.kind == "lag_growing" and not growing.needs_attention
    assert "extract 120 → 180 in 2 s with 2 workers" in growing.message
    assert exit_code([growing]) == 0
    assert verdict(group(members=2, lag=100, before=120)) == []  # catching up
    assert verdict(group(members=2, lag=180)) == []  # sampled once: no trend to tell


def test_stale_sources_are_one_line_naming_a_few() -> None:
    old = [SourceReading(f"s{i}", NOW - timedelta(hours=7 + i)) for i in range(7)]
    never = SourceReading("new-one", None)
    disabled = SourceReading("retired", NOW - timedelta(days=30), enabled=False)
    (stale,) = verdict(sources=(FRESH, never, disabled, *old))
    assert stale.kind == "stale_sources" and "8 not crawled in 6 h" in stale.message
    assert "new-one (never crawled)" in stale.message and "s0 (last crawl 7.0 h ago)" in stale.message
    assert stale.message.count("(last crawl") == 4 and "and 3 more" in stale.message
    assert "retired" not in stale.subject and "gazette" not in stale.subject
    assert verdict(sources=(SourceReading("s", NOW - timedelta(hours=7)),), stale_after=timedelta(hours=8)) == []


def test_problems_come_most_urgent_first_and_warnings_last() -> None:
    found = verdict(
        group(members=1, lag=9, before=1, dlq=1),
        group(BACKFILL, members=0, lag=4),
        sources=(SourceReading("s", None),),
    )
    assert [p.kind for p in found] == ["dead_stage", "dead_letters", "stale_sources", "lag_growing"]
    assert exit_code(found) == 1


@pytest.mark.parametrize("members", [0, 3])
def test_stream_report_names_each_group_its_lag_and_dlq(members: int) -> None:
    report = stream_report([group(members=members, lag=5, before=2, dlq=1), group(BACKFILL, members=0)])
    assert report["lag"] == {"extract": 5, "extract-backfill": 0}
    assert report["dlq"] == {"storyline.articles.fetched.dlq": 1, "storyline.articles.backfill.dlq": 0}
    backfill = report["groups"]["storyline-extract-backfill"]
    assert backfill["topic"] == "storyline.articles.backfill" and backfill["backfill"] is True
    assert report["groups"]["storyline-extract"]["members"] == members
    assert report["groups"]["storyline-extract"]["lag_change"] == 3
