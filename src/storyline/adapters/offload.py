"""The Offload port on a forked child process: an embedded run's crawl fetches and archives beside its analysis."""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
from collections.abc import Callable, Generator, Iterable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from typing import Any, TypeVar

from storyline.adapters.lifetime import exit_with_parent

log = logging.getLogger(__name__)

T = TypeVar("T")

# How often a stopping parent looks at the pipe while it waits for the child to finish.
POLL_S = 0.5
# How long a stopped child gets to finish its current item and run its `finally` blocks (record what it did).
STOP_GRACE_S = 30.0

_ITEM, _DONE, _ERROR = "item", "done", "error"


class OffloadError(RuntimeError):
    """The child process died (killed, out of memory) before its producer finished."""


def fork_available() -> bool:
    # A daemonic process (a pool's worker) may not start children.
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


class ForkedStream:
    """Each `stream` forks one child that runs the producer and sends its items back through a pipe.

    fork, not spawn: the child starts with the caller's state as it is (a crawler's robots.txt cache, its per-host
    pacing, an injected fetcher), so it runs the same code on the same state. What cannot be shared across a fork
    is reset in the child by `after_fork` (database pools, HTTP and S3 connection pools: the child makes its own
    and leaves the parent's untouched). Sends are synchronous: an item the child has sent is in the pipe even if
    the child dies next, and a child never runs more than a pipe's buffer ahead of its consumer."""

    def __init__(self, after_fork: Sequence[Callable[[], None]] = ()) -> None:
        if not fork_available():
            raise OffloadError("this platform cannot fork; run without offloading")
        self.after_fork = tuple(after_fork)

    def stream(self, produce: Callable[[], Iterable[T]]) -> Generator[T]:
        ctx = multiprocessing.get_context("fork")
        reader, writer = ctx.Pipe(duplex=False)
        stop = ctx.Event()
        child = ctx.Process(
            target=_run_child,
            args=(produce, reader, writer, stop, self.after_fork, os.getpid()),
            name="storyline-offload",
            daemon=True,
        )
        child.start()
        # Only the child writes: with this end closed here, the child's exit is an end of file on the pipe.
        writer.close()
        try:
            while True:
                try:
                    kind, payload = reader.recv()
                except EOFError:
                    child.join()
                    raise OffloadError(
                        f"the {child.name} process (pid {child.pid}) ended with exit code {child.exitcode} before "
                        "its work was done; what it had sent was processed, the rest was not (a re-run does it)"
                    ) from None
                if kind == _ITEM:
                    yield payload
                elif kind == _ERROR:
                    raise payload
                else:
                    return
        finally:
            stop.set()
            _wind_down(reader, child)


def _wind_down(reader: Connection, child: BaseProcess) -> None:
    """Let a stopped child finish (draining what it still sends, so it never blocks on a full pipe), then reap it."""
    waited = 0.0
    while child.is_alive() and waited < STOP_GRACE_S:
        try:
            if reader.poll(POLL_S):
                reader.recv()
            else:
                waited += POLL_S
        except EOFError:
            break
    child.join(max(STOP_GRACE_S - waited, POLL_S))  # past the end of its pipe, a child is only exiting
    if child.is_alive():
        log.warning("%s did not stop within %.0f s; terminating it", child.name, STOP_GRACE_S)
        child.terminate()
        child.join(5)
    reader.close()


def _run_child(
    produce: Callable[[], Iterable[Any]],
    reader: Connection,
    writer: Connection,
    stop: Event,
    after_fork: Sequence[Callable[[], None]],
    parent_pid: int,
) -> None:
    exit_with_parent(parent_pid)  # a killed run leaves no crawl process behind
    reader.close()
    for reset in after_fork:
        reset()
    items = iter(produce())
    try:
        for item in items:
            writer.send((_ITEM, item))
            if stop.is_set():
                break
        else:
            writer.send((_DONE, None))
    except BaseException as exc:  # noqa: BLE001 - sent to the parent, which raises it where the work was asked for
        if not stop.is_set():
            writer.send((_ERROR, _picklable(exc)))
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()  # a stopped producer's `finally` blocks run here, in the child
        writer.close()


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, made on the line itself
    except Exception:  # noqa: BLE001 - an exception type that cannot cross processes: keep its words
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
