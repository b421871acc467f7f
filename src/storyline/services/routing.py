"""Error routing shared by every runner: permanent → dead letter, transient → retry, unknown → breaker."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from storyline.domain.errors import PermanentError, TransientError
from storyline.domain.records import DeadLetter, InRecord
from storyline.ports import Clock, DeadLetterSink, Metrics, Sleeper

log = logging.getLogger(__name__)
T = TypeVar("T")


class BreakerOpen(RuntimeError):
    """Too many unexpected errors in a row: stop rather than dead-letter a whole stream."""


@dataclass
class RetryPolicy:
    """Transient errors: `attempts` tries in all, sleeping first_backoff_s, then twice as long each time, at
    most max_backoff_s (0.5, 1, 2 s by default)."""

    attempts: int = 4
    first_backoff_s: float = 0.5
    max_backoff_s: float = 10.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"RetryPolicy.attempts must be at least 1, not {self.attempts}")


class Router:
    def __init__(
        self,
        dead_letters: DeadLetterSink,
        clock: Clock,
        sleep: Sleeper,
        retry: RetryPolicy | None = None,
        breaker_limit: int = 25,
        metrics: Metrics | None = None,
    ) -> None:
        self.dead_letters, self.clock, self.sleep = dead_letters, clock, sleep
        self.metrics = metrics
        self.retry = retry or RetryPolicy()
        self.breaker_limit = breaker_limit
        self._unexpected_streak = 0
        self.dead_lettered = 0

    def run(
        self, stage: str, subject: str, payload: str, fn: Callable[[], T], origin: InRecord | None = None
    ) -> T | None:
        """Run one item through a stage. Returns None when the item was dead-lettered.

        Transient errors are retried with exponential backoff and then re-raised: an outage stops the run
        (to be resumed) instead of emptying the input into the dead-letter store.
        """
        retrying = Retrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=wait_exponential(multiplier=self.retry.first_backoff_s, max=self.retry.max_backoff_s),
            retry=retry_if_exception_type(TransientError),
            sleep=self.sleep,
            before_sleep=lambda state: self._retrying(stage, subject, state),
            reraise=True,  # the last TransientError itself, not tenacity's RetryError
        )
        try:
            result = retrying(fn)
        except TransientError:
            raise
        except PermanentError as exc:
            attempt = retrying.statistics["attempt_number"]
            self._dead_letter(stage, subject, payload, exc.kind, str(exc), attempt, origin)
            self._unexpected_streak = 0
            return None
        except Exception as exc:
            log.exception("%s %s: unexpected error", stage, subject)
            kind = f"unexpected:{exc.__class__.__name__}"
            attempt = retrying.statistics["attempt_number"]
            self._dead_letter(stage, subject, payload, kind, str(exc), attempt, origin)
            self._unexpected_streak += 1
            if self._unexpected_streak >= self.breaker_limit:
                raise BreakerOpen(f"{stage}: {self._unexpected_streak} unexpected errors in a row; stopping") from exc
            return None
        self._unexpected_streak = 0
        return result

    def succeeded(self) -> None:
        """An item done without `run` (in a batch that succeeded): it breaks the streak of unexpected errors, as
        a success in `run` does, so the breaker counts errors in a row however the items were batched."""
        self._unexpected_streak = 0

    def _retrying(self, stage: str, subject: str, state: RetryCallState) -> None:
        """Before each back-off: the failed attempt on record (log line and retry counter)."""
        exc = state.outcome.exception() if state.outcome is not None else None
        log.warning("%s %s: transient error (attempt %d): %s", stage, subject, state.attempt_number, exc)
        if self.metrics is not None:
            self.metrics.retry(stage)

    def _dead_letter(
        self,
        stage: str,
        subject: str,
        payload: str,
        kind: str,
        message: str,
        attempts: int,
        origin: InRecord | None,
    ) -> None:
        where = f" {origin.topic}[{origin.partition}]@{origin.offset}" if origin else ""
        log.warning("%s%s %s: dead-lettered (%s): %s", stage, where, subject, kind, message)
        self.dead_letters.record_dead_letter(
            DeadLetter(stage, subject, kind, message[:4000], payload, self.clock.now(), attempts, origin)
        )
        self.dead_lettered += 1
