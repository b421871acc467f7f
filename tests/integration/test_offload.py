"""The Offload port on a forked child: order, backpressure, errors raised where asked, a dying child, early stop."""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest

from storyline.adapters.offload import ForkedStream, OffloadError, fork_available

pytestmark = pytest.mark.skipif(not fork_available(), reason="needs fork (Linux)")


def test_items_arrive_in_order_past_a_full_queue_and_the_child_is_reaped() -> None:
    def produce() -> Iterator[tuple[int, bytes]]:
        for i in range(2000):
            yield i, b"x" * (i % 500)

    before = set(multiprocessing.active_children())  # other tests' long-lived workers are not this stream's
    got = list(ForkedStream().stream(produce))
    assert got == [(i, b"x" * (i % 500)) for i in range(2000)]
    assert set(multiprocessing.active_children()) <= before


def test_after_fork_resets_run_in_the_child_only(tmp_path: Path) -> None:
    marks = tmp_path / "resets"

    def reset() -> None:
        with marks.open("a") as fh:
            fh.write(f"{os.getpid()}\n")

    def produce() -> Iterator[int]:
        yield os.getpid()

    (child_pid,) = ForkedStream([reset, reset]).stream(produce)
    assert child_pid != os.getpid()
    assert marks.read_text().split() == [str(child_pid)] * 2


class Unpicklable(Exception):
    def __reduce__(self) -> str | tuple[object, ...]:
        raise pickle.PicklingError("not across processes")


@pytest.mark.parametrize(
    ("error", "raised", "words"),
    [
        (ValueError("bad feed item 3"), ValueError, "bad feed item 3"),
        (Unpicklable("a socket in it"), RuntimeError, "Unpicklable: a socket in it"),
    ],
)
def test_the_producers_error_is_raised_here_after_what_it_produced(
    error: Exception, raised: type[Exception], words: str
) -> None:
    def produce() -> Iterator[int]:
        yield 1
        yield 2
        raise error

    got: list[int] = []
    with pytest.raises(raised, match=words):
        for item in ForkedStream().stream(produce):
            got.append(item)
    assert got == [1, 2]


def test_a_child_that_dies_is_a_clear_error_and_what_it_sent_is_kept() -> None:
    def produce() -> Iterator[int]:
        yield from range(5)
        os._exit(3)  # killed mid-way: no exception, no message

    got: list[int] = []
    with pytest.raises(OffloadError, match="exit code 3 before its work was done"):
        for item in ForkedStream().stream(produce):
            got.append(item)
    assert got == [0, 1, 2, 3, 4]


def test_stopping_early_stops_the_child_and_its_finally_runs_there(tmp_path: Path) -> None:
    done = tmp_path / "finally"

    def produce() -> Iterator[int]:
        try:
            i = 0
            while True:  # would never end on its own
                yield i
                i += 1
        finally:
            done.write_text(str(os.getpid()))

    before = set(multiprocessing.active_children())
    stream = ForkedStream().stream(produce)
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    stream.close()
    assert set(multiprocessing.active_children()) <= before
    assert done.read_text() != str(os.getpid())  # the producer's cleanup ran, in the child
