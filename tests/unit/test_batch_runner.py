"""The one batch path (`services.batches`): a batch in one transaction, else each item alone through the router,
with its own retries, dead letter and origin; the breaker counts in order across both; one event-time order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from storyline.domain.errors import PermanentError, TransientError
from storyline.domain.records import DeadLetter, InRecord
from storyline.events import StoryAssigned
from storyline.services.batches import AHEAD_CHUNK, Item, event_order, mapped_ahead, run_batch
from storyline.services.routing import BreakerOpen, Router

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _event(n: int, at: datetime = T0, story: str | None = None) -> StoryAssigned:
    return StoryAssigned(
        event_time=at, story_id=story or f"st_{n}", article_id=f"a{n}", source_id="s", is_new_story=True, score=0.0
    )


class Fakes:
    """Dead-letter sink, clock and sleeper of the router."""

    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []
        self.slept: list[float] = []

    def now(self) -> datetime:
        return T0

    def record_dead_letter(self, letter: DeadLetter) -> None:
        self.letters.append(letter)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


class Stage:
    """Echoes each input as its output; `fail(batch)` says what a call raises (None: nothing), `skip` which
    inputs a batch of several leaves to be redone alone. Records every call's inputs."""

    name = "cluster"

    def __init__(
        self,
        fail: Callable[[list[StoryAssigned]], Exception | None] = lambda _: None,
        skip: frozenset[str] = frozenset(),
    ) -> None:
        self.fail, self.skip = fail, skip
        self.calls: list[list[str]] = []

    def ahead(self, events: Iterable[StoryAssigned]) -> Iterator[tuple[StoryAssigned, None]]:
        return ((e, None) for e in events)

    def handle_batch(self, items: Sequence[tuple[StoryAssigned, int | None]]) -> list[list[StoryAssigned] | None]:
        events = [e for e, _ in items]
        self.calls.append([e.article_id for e in events])
        error = self.fail(events)
        if error is not None:
            raise error
        if len(events) > 1:
            return [None if e.article_id in self.skip else [e] for e in events]
        if events[0].article_id in self.skip:
            raise PermanentError(f"{events[0].article_id}: no text", kind="no_text")
        return [[e] for e in events]

    def flush(self) -> list[StoryAssigned]:
        return []

    def reset(self) -> None:
        return None


def _items(n: int) -> list[Item[StoryAssigned, int]]:
    return [
        Item(_event(i), f"a{i}", origin=InRecord("story.assigned", 0, i, f"a{i}".encode(), b"{}", 0, (("h", b"v"),)))
        for i in range(n)
    ]


def _ids(outputs: Sequence[Sequence[StoryAssigned] | None]) -> list[str | None]:
    return [out[0].article_id if out else None for out in outputs]


def test_a_batch_that_succeeds_is_one_call_and_never_reaches_the_router() -> None:
    fakes = Fakes()
    stage = Stage()
    out = run_batch(stage, _items(3), Router(fakes, fakes, fakes.sleep))
    assert _ids(out) == ["a0", "a1", "a2"]
    assert stage.calls == [["a0", "a1", "a2"]]
    assert fakes.letters == []


def test_a_failed_batch_is_redone_item_by_item_and_only_the_bad_one_is_dead_lettered_with_its_origin() -> None:
    fakes = Fakes()

    def fail(events: list[StoryAssigned]) -> Exception | None:
        if len(events) > 1:
            return TransientError("connection lost mid-batch")
        return PermanentError("bad story", kind="bad") if events[0].article_id == "a1" else None

    stage = Stage(fail)
    router = Router(fakes, fakes, fakes.sleep)
    out = run_batch(stage, _items(3), router)
    assert _ids(out) == ["a0", None, "a2"]
    assert stage.calls == [["a0", "a1", "a2"], ["a0"], ["a1"], ["a2"]]
    [letter] = fakes.letters
    assert (letter.stage, letter.subject, letter.error_kind) == ("cluster", "a1", "bad")
    assert letter.origin is not None and (letter.origin.offset, letter.origin.headers) == (1, (("h", b"v"),))
    assert router.dead_lettered == 1


def test_an_item_the_batch_left_out_is_redone_alone_with_its_own_error() -> None:
    fakes = Fakes()
    stage = Stage(skip=frozenset({"a1"}))
    items = [Item(_event(i), f"a{i}") for i in range(3)]
    out = run_batch(stage, items, Router(fakes, fakes, fakes.sleep))
    assert _ids(out) == ["a0", None, "a2"]
    assert stage.calls == [["a0", "a1", "a2"], ["a1"]]
    [letter] = fakes.letters
    assert letter.error_kind == "no_text"
    assert letter.payload == items[1].event.model_dump_json()  # no payload given: the event itself
    assert letter.origin is None


def test_an_item_alone_is_retried_while_transient_then_the_outage_is_raised() -> None:
    fakes = Fakes()
    stage = Stage(lambda _: TransientError("database down"))
    with pytest.raises(TransientError):
        run_batch(stage, _items(2), Router(fakes, fakes, fakes.sleep))
    assert stage.calls == [["a0", "a1"]] + [["a0"]] * 4  # the batch, then the first item's four attempts
    assert fakes.slept == [0.5, 1.0, 2.0]
    assert fakes.letters == []


def test_a_single_item_goes_straight_through_the_router() -> None:
    fakes = Fakes()
    stage = Stage(skip=frozenset({"a0"}))
    assert run_batch(stage, _items(1), Router(fakes, fakes, fakes.sleep)) == [None]
    assert stage.calls == [["a0"]]


def test_items_done_in_a_batch_break_the_breakers_streak() -> None:
    fakes = Fakes()

    def fail(events: list[StoryAssigned]) -> Exception | None:
        return KeyError("bug") if len(events) == 1 and events[0].article_id in {"a1", "a3"} else None

    router = Router(fakes, fakes, fakes.sleep, breaker_limit=2)
    # Alone, each unexpected error follows a success done in the batch: never two in a row.
    stage = Stage(fail, skip=frozenset({"a1", "a3"}))
    out = run_batch(stage, _items(4), router)
    assert _ids(out) == ["a0", None, "a2", None]
    # Two in a row (the batch does neither): the breaker opens.
    with pytest.raises(BreakerOpen, match="2 unexpected errors in a row"):
        run_batch(Stage(fail, skip=frozenset({"a1", "a3"})), [_items(4)[i] for i in (1, 3)], router)


def test_one_event_time_order_ties_by_key() -> None:
    late, early = _event(1, T0 + timedelta(hours=1)), _event(2, T0)
    tie_b, tie_a = _event(3, T0, story="st_b"), _event(4, T0, story="st_a")
    ordered = sorted([late, tie_b, early, tie_a], key=event_order)
    assert [e.story_id for e in ordered] == ["st_2", "st_a", "st_b", "st_1"]


class Pool:
    """A task pool that logs when each map is submitted and when its results are waited for."""

    def __init__(self) -> None:
        self.log: list[tuple[str, int]] = []
        self.maps = 0

    def map(self, fn: Callable[[int], int], items: Sequence[int]) -> list[int]:
        return [fn(x) for x in items]

    def map_async(self, fn: Callable[[int], int], items: Sequence[int]) -> Callable[[], list[int]]:
        n = self.maps
        self.maps += 1
        self.log.append(("submit", n))

        def wait() -> list[int]:
            self.log.append(("wait", n))
            return [fn(x) for x in items]

        return wait

    def imap(self, fn: Callable[[int], int], items: Sequence[int]) -> Iterator[int]:
        return (fn(x) for x in items)


def _double(x: int) -> int:
    return 2 * x


def test_work_ahead_keeps_order_and_submits_the_next_chunk_before_waiting() -> None:
    pool = Pool()
    events = [_event(i) for i in range(2 * AHEAD_CHUNK + 1)]
    ahead = mapped_ahead(pool, _double, lambda e: int(e.article_id[1:]), events)
    first = next(ahead)
    assert pool.log == [("submit", 0), ("submit", 1), ("wait", 0)]  # chunk 1 runs while chunk 0 is handled
    rest = list(ahead)
    assert [(e.article_id, w) for e, w in [first, *rest]] == [(f"a{i}", 2 * i) for i in range(len(events))]
    assert pool.log[3:] == [("submit", 2), ("wait", 1), ("wait", 2)]
    assert list(mapped_ahead(pool, _double, lambda e: 0, [])) == []
