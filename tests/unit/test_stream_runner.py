"""The stream runner with fakes at its ports: a poll's records are handled as batches through the one batch path;
commits and event-time releases follow the injected clock; offsets are committed only after the batch's outputs
are delivered; a failing record is dead-lettered with its origin; an outage rewinds and replays."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

from storyline.domain.errors import PermanentError, TransientError
from storyline.domain.records import DeadLetter
from storyline.events import TOPIC_ASSIGNED, TOPIC_UPDATED, StoryAssigned, StoryUpdated, story_merged
from storyline.ports import InRecord
from storyline.services.routing import Router
from storyline.services.streaming import StreamPolicy, StreamRunner

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class Bus:
    """Consumer and publisher in one, with one log of what happened in order (sends, flushes, commits)."""

    def __init__(self, polls: Sequence[Sequence[InRecord]] = ()) -> None:
        self.polls = list(polls)
        self.log: list[tuple[str, object]] = []
        self.sent: list[tuple[str, str | None]] = []
        self.committed: dict[tuple[str, int], int] = {}
        self.rewound: list[dict[tuple[str, int], int]] = []

    def poll(self, max_records: int, timeout_s: float) -> list[InRecord]:
        return list(self.polls.pop(0)) if self.polls else []

    def commit(self, next_offsets: dict[tuple[str, int], int]) -> None:
        self.log.append(("commit", dict(next_offsets)))
        self.committed.update(next_offsets)

    def rewind(self, offsets: dict[tuple[str, int], int]) -> None:
        self.rewound.append(dict(offsets))

    def lag(self) -> int:
        return 0

    def end_offsets(self) -> dict[tuple[str, int], int]:
        return {}

    def close(self) -> None:
        pass

    def send(self, topic: str, key: str | None, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        self.log.append(("send", key))
        self.sent.append((topic, key))

    def flush(self) -> None:
        self.log.append(("flush", None))


class Letters:
    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    def record_dead_letter(self, letter: DeadLetter) -> None:
        self.letters.append(letter)


class Stage:
    """Like enrich: marks each assignment's story, emits one update per story at the flush. `bad`: stories whose
    assignment fails alone (a batch holding one fails whole); `down`: calls before the warehouse answers."""

    name = "enrich"

    def __init__(self, bad: frozenset[str] = frozenset(), down: int = 0) -> None:
        self.bad, self.down = bad, down
        self.batches: list[list[str]] = []
        self.dirty: list[str] = []
        self.resets = 0

    def ahead(self, events: Iterable[StoryAssigned]) -> Iterator[tuple[StoryAssigned, None]]:
        return ((e, None) for e in events)

    def handle_batch(self, items: Sequence[tuple[StoryAssigned, None]]) -> list[list[StoryUpdated]]:
        if self.down:
            self.down -= 1
            raise TransientError("warehouse unavailable")
        stories = [e.story_id for e, _ in items]
        self.batches.append(stories)
        if self.bad & set(stories):
            raise PermanentError(f"cannot enrich {sorted(self.bad & set(stories))}", kind="bad_story")
        self.dirty.extend(stories)
        return [[] for _ in items]

    def flush(self) -> list[StoryUpdated]:
        out = [story_merged(s, "st_survivor", s, T0, T0) for s in dict.fromkeys(self.dirty)]
        self.dirty.clear()
        return out

    def reset(self) -> None:
        self.resets += 1


def _record(offset: int, story: str, minutes: int = 0, partition: int = 0, stamped: int = 0) -> InRecord:
    ev = StoryAssigned(
        event_time=T0 + timedelta(minutes=minutes),
        story_id=story,
        article_id=f"a_{story}",
        source_id="s",
        is_new_story=True,
        score=0.0,
    )
    return InRecord(TOPIC_ASSIGNED, partition, offset, ev.key().encode(), ev.to_bytes(), stamped, (("trace", b"t1"),))


def _runner(
    stage: Stage, bus: Bus, clock: Clock, letters: Letters | None = None, **policy: float
) -> tuple[StreamRunner, list[float]]:
    slept: list[float] = []
    router = Router(letters or Letters(), clock, slept.append)
    settings = {"batch_records": 2, "commit_every_records": 1000, "commit_every_s": 2.0, **policy}
    runner = StreamRunner(stage, TOPIC_UPDATED, bus, bus, router, clock, slept.append, StreamPolicy(**settings))
    return runner, slept


def test_a_poll_is_handled_in_batches_and_committed_after_its_outputs_are_delivered() -> None:
    bus, clock, stage = Bus(), Clock(), Stage()
    runner, _ = _runner(stage, bus, clock)
    runner.process_all([_record(o, f"st_{o}") for o in range(5)])
    assert stage.batches == [["st_0", "st_1"], ["st_2", "st_3"], ["st_4"]]
    runner.checkpoint()
    assert bus.log[-2:] == [("flush", None), ("commit", {(TOPIC_ASSIGNED, 0): 5})]
    assert [k for k, _ in bus.log[:-2]] == ["send"] * 5  # the flush's updates, sent before delivery is checked
    assert runner.processed == 5


def test_commits_follow_the_injected_clock() -> None:
    bus, clock = Bus(), Clock()
    runner, _ = _runner(Stage(), bus, clock, commit_every_s=2.0)
    assert not runner.due()  # nothing to commit
    runner.process_all([_record(0, "st_0")])
    clock.advance(1.9)
    assert not runner.due()
    clock.advance(0.1)
    assert runner.due()
    runner.checkpoint()
    runner.process_all([_record(1, "st_1")])
    assert not runner.due(), "the interval restarts at the commit"
    clock.advance(-60)  # the clock stepped back: the interval cannot be trusted, so commit now
    assert runner.due()


def test_held_records_are_released_when_the_input_goes_quiet_or_the_window_ends() -> None:
    bus, clock = Bus(), Clock()
    runner, _ = _runner(Stage(), bus, clock, reorder_window_s=10.0, reorder_quiet_s=2.0)
    runner.hold([_record(0, "st_0")])
    clock.advance(1.5)
    runner.hold([_record(1, "st_1")])
    clock.advance(1.9)
    runner.hold([])  # an empty poll is not an arrival
    assert not runner.release_due()
    clock.advance(0.1)
    assert runner.release_due(), "quiet for 2 s"
    runner.release()
    assert not runner.release_due()
    for n in range(10):  # a record every second: never quiet, so the window ends it
        runner.hold([_record(2 + n, f"st_{2 + n}")])
        assert not runner.release_due()
        clock.advance(1.0)
    assert runner.release_due(), "held 10 s"


def test_held_records_are_released_as_soon_as_nothing_is_in_flight_upstream() -> None:
    bus, clock = Bus(), Clock()
    runner, _ = _runner(Stage(), bus, clock, reorder_window_s=10.0, reorder_quiet_s=2.0, upstream_quiet_s=0.25)
    idle = [False]
    asked: list[bool] = []

    def upstream() -> bool:
        asked.append(idle[0])
        return idle[0]

    runner.upstream = upstream
    runner.hold([_record(0, "st_0")])
    assert not runner.release_due() and not asked, "not asked before the short quiet"
    clock.advance(0.3)
    assert not runner.release_due(), "an earlier stage is still at work: the timed rule decides"
    idle[0] = True
    assert runner.release_due(), "nothing can come: no need to wait out the 2 s"
    runner.release()
    assert not runner.release_due()


def test_records_that_came_while_the_runner_was_busy_count_from_when_they_were_made() -> None:
    bus, clock = Bus(), Clock()
    runner, _ = _runner(Stage(), bus, clock, reorder_window_s=60.0, reorder_quiet_s=2.0)
    runner.hold([])  # the last poll before a busy spell (a release, a flush) of 10 s
    clock.advance(10)
    made = int((clock.now() - timedelta(seconds=7)).timestamp() * 1000)  # upstream went quiet 7 s ago
    runner.hold([_record(0, "st_0", stamped=made)])
    assert runner.release_due(), "upstream has been quiet for longer than 2 s"
    runner.release()
    # Never earlier than the previous poll, whatever a producer's clock says.
    runner.hold([])
    clock.advance(1)
    runner.hold([_record(1, "st_1", stamped=int((clock.now() - timedelta(hours=1)).timestamp() * 1000))])
    assert not runner.release_due()
    clock.advance(1)
    assert runner.release_due()


def test_released_records_are_handled_in_event_time_order_ties_by_key() -> None:
    bus, clock, stage = Bus(), Clock(), Stage()
    runner, _ = _runner(stage, bus, clock, reorder_window_s=10.0, batch_records=3)
    runner.hold([_record(0, "st_c", minutes=5), _record(1, "st_b", minutes=0), _record(2, "st_z", minutes=9)])
    runner.hold([_record(3, "st_a", minutes=0, partition=1), _record(4, "st_y", minutes=1)])
    runner.release()
    assert stage.batches == [["st_a", "st_b", "st_y"], ["st_c", "st_z"]]
    runner.checkpoint()
    assert bus.committed == {(TOPIC_ASSIGNED, 0): 5, (TOPIC_ASSIGNED, 1): 4}


def test_a_failing_record_is_dead_lettered_with_its_origin_and_the_rest_of_its_batch_goes_on() -> None:
    bus, clock, letters, stage = Bus(), Clock(), Letters(), Stage(bad=frozenset({"st_1"}))
    runner, _ = _runner(stage, bus, clock, letters)
    runner.process_all([_record(o, f"st_{o}") for o in range(3)])
    # The batch of st_0 and st_1 failed whole, so each was redone alone; st_2 was a batch of its own.
    assert stage.batches == [["st_0", "st_1"], ["st_0"], ["st_1"], ["st_2"]]
    [letter] = letters.letters
    assert (letter.stage, letter.subject, letter.error_kind) == ("enrich", "st_1", "bad_story")
    origin = letter.origin
    assert origin is not None
    assert (origin.topic, origin.offset, origin.headers) == (TOPIC_ASSIGNED, 1, (("trace", b"t1"),))
    runner.checkpoint()
    assert sorted(key for _, key in bus.sent) == ["st_0", "st_2"]
    assert bus.committed == {(TOPIC_ASSIGNED, 0): 3}, "a dead-lettered record is done too"


def test_an_undecodable_record_is_dead_lettered_as_it_was_read() -> None:
    bus, clock, letters, stage = Bus(), Clock(), Letters(), Stage()
    runner, _ = _runner(stage, bus, clock, letters)
    garbage = InRecord(TOPIC_ASSIGNED, 0, 1, b"k", b"not json", 0, (("trace", b"t9"),))
    runner.process_all([_record(0, "st_0"), garbage, _record(2, "st_2")])
    assert stage.batches == [["st_0", "st_2"]]
    [letter] = letters.letters
    assert (letter.subject, letter.error_kind, letter.payload) == ("k", "bad_payload", "not json")
    origin = letter.origin
    assert origin is not None and (origin.value, origin.headers) == (b"not json", (("trace", b"t9"),))
    runner.checkpoint()
    assert bus.committed == {(TOPIC_ASSIGNED, 0): 3}


def test_an_outage_rewinds_to_the_first_uncommitted_record_and_replays_it() -> None:
    first = [_record(0, "st_0"), _record(1, "st_1")]
    second = [_record(2, "st_2")]
    # st_0 and st_1 are committed; then the warehouse is down through st_2's batch and its four attempts alone.
    bus, clock, stage = Bus([first, second, [], second, []]), Clock(), Stage()
    runner, slept = _runner(stage, bus, clock, commit_every_records=2)
    polls = iter(range(5))
    stage_down = {"at": 1}

    def should_stop() -> bool:
        n = next(polls, None)
        if n == stage_down["at"]:
            stage.down = 4
        return n is None

    runner.run(should_stop)
    assert bus.rewound == [{(TOPIC_ASSIGNED, 0): 2}]
    assert stage.resets == 1
    assert slept == [0.5, 1.0, 2.0, 1.0]  # the router's retries, then the runner's back-off before replaying
    assert stage.batches == [["st_0", "st_1"], ["st_2"]]
    assert bus.committed == {(TOPIC_ASSIGNED, 0): 3}
    assert sorted(key for _, key in bus.sent) == ["st_0", "st_1", "st_2"]


class FailingAhead(Stage):
    """Its look-ahead serves `works` events, then fails (a task pool that broke midway)."""

    def __init__(self, works: int) -> None:
        super().__init__()
        self.works = works
        self.given: list[object] = []

    def ahead(self, events: Iterable[StoryAssigned]) -> Iterator[tuple[StoryAssigned, None]]:
        for i, e in enumerate(events):
            if i == self.works:
                raise RuntimeError("task pool broken")
            yield e, None

    def handle_batch(self, items: Sequence[tuple[StoryAssigned, None]]) -> list[list[StoryUpdated]]:
        self.given.extend(work for _, work in items)
        return super().handle_batch(items)


def test_one_look_ahead_serves_every_batch_and_its_failure_loses_only_the_head_start() -> None:
    bus, clock, stage = Bus(), Clock(), FailingAhead(works=3)
    runner, _ = _runner(stage, bus, clock)
    runner.process_all([_record(o, f"st_{o}") for o in range(5)])
    # The batches past the failure get their events without work ahead, and do it themselves: nothing is lost.
    assert stage.batches == [["st_0", "st_1"], ["st_2", "st_3"], ["st_4"]]
    assert runner.processed == 5
    runner.checkpoint()
    assert bus.committed == {(TOPIC_ASSIGNED, 0): 5}
