"""The router's retries (tenacity since ADR 0023): attempt counts, back-offs, log lines, dead-letter attempts."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from storyline.domain.errors import PermanentError, TransientError
from storyline.domain.records import DeadLetter
from storyline.services.routing import BreakerOpen, RetryPolicy, Router

T0 = datetime(2026, 3, 1, tzinfo=UTC)


class Fakes:
    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []
        self.slept: list[float] = []
        self.retries: list[str] = []

    def now(self) -> datetime:
        return T0

    def record_dead_letter(self, letter: DeadLetter) -> None:
        self.letters.append(letter)

    def sleep(self, seconds: float) -> None:
        self.slept.append(float(seconds))

    # Metrics
    def record(self, stage: str, outcome: str, seconds: float) -> None:
        pass

    def retry(self, stage: str) -> None:
        self.retries.append(stage)

    def lag(self, stage: str, value: int) -> None:
        pass


def _router(fakes: Fakes, policy: RetryPolicy | None = None, breaker_limit: int = 25) -> Router:
    return Router(fakes, fakes, fakes.sleep, policy, breaker_limit=breaker_limit, metrics=fakes)


def _failing(errors: list[Exception], result: str = "done") -> tuple[Callable[[], str], list[int]]:
    """A call that raises `errors` one by one, then returns `result`; the list counts calls."""
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return result

    return fn, calls


def test_success_runs_once_without_sleeping() -> None:
    fakes = Fakes()
    fn, calls = _failing([])
    assert _router(fakes).run("extract", "u1", "{}", fn) == "done"
    assert (len(calls), fakes.slept, fakes.letters, fakes.retries) == (1, [], [], [])


def test_transient_errors_are_retried_with_doubling_back_off(caplog: pytest.LogCaptureFixture) -> None:
    fakes = Fakes()
    fn, calls = _failing([TransientError("db down"), TransientError("db down"), TransientError("db down")])
    with caplog.at_level(logging.WARNING, logger="storyline.services.routing"):
        assert _router(fakes).run("dedup", "u1", "{}", fn) == "done"
    assert len(calls) == 4
    assert fakes.slept == [0.5, 1.0, 2.0]
    assert fakes.retries == ["dedup"] * 3
    assert [r.getMessage() for r in caplog.records] == [
        f"dedup u1: transient error (attempt {n}): db down" for n in (1, 2, 3)
    ]
    assert fakes.letters == []


def test_an_outage_is_re_raised_after_the_last_attempt_never_dead_lettered() -> None:
    fakes = Fakes()
    last = TransientError("still down")
    fn, calls = _failing([TransientError("down")] * 3 + [last])
    with pytest.raises(TransientError) as raised:
        _router(fakes).run("dedup", "u1", "{}", fn)
    assert raised.value is last
    assert len(calls) == 4
    assert fakes.slept == [0.5, 1.0, 2.0]  # no sleep after the last attempt
    assert fakes.letters == []


def test_back_off_is_capped() -> None:
    fakes = Fakes()
    fn, _ = _failing([TransientError("down")] * 5)
    policy = RetryPolicy(attempts=6, first_backoff_s=1.0, max_backoff_s=3.0)
    assert _router(fakes, policy).run("s", "u", "{}", fn) == "done"
    assert fakes.slept == [1.0, 2.0, 3.0, 3.0, 3.0]


def test_a_permanent_error_is_dead_lettered_at_once_with_its_attempt_number() -> None:
    fakes = Fakes()
    fn, calls = _failing([TransientError("blip"), PermanentError("bad page", kind="no_text")])
    assert _router(fakes).run("extract", "u1", '{"a": 1}', fn) is None
    assert len(calls) == 2
    assert fakes.slept == [0.5]
    [letter] = fakes.letters
    assert (letter.stage, letter.subject, letter.error_kind, letter.attempts) == ("extract", "u1", "no_text", 2)
    assert letter.payload == '{"a": 1}'


def test_unexpected_errors_are_dead_lettered_and_open_the_breaker() -> None:
    fakes = Fakes()
    router = _router(fakes, breaker_limit=2)
    fn, _ = _failing([KeyError("x")])
    assert router.run("cluster", "a1", "{}", fn) is None
    assert fakes.letters[-1].error_kind == "unexpected:KeyError"
    assert fakes.letters[-1].attempts == 1
    ok, _ = _failing([])
    router.run("cluster", "a2", "{}", ok)  # a success resets the streak
    fn, _ = _failing([ValueError("y")])
    assert router.run("cluster", "a3", "{}", fn) is None
    fn, _ = _failing([ValueError("z")])
    with pytest.raises(BreakerOpen, match="2 unexpected errors in a row"):
        router.run("cluster", "a4", "{}", fn)
    assert router.dead_lettered == 3


def test_a_policy_without_attempts_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RetryPolicy(attempts=0)
