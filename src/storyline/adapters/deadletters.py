"""Dead-letter fan-out: the warehouse table indexes every failure; the Kafka DLQ keeps streamed originals."""

from __future__ import annotations

from collections.abc import Sequence

from storyline.domain.records import DeadLetter
from storyline.ports import DeadLetterSink


class FanoutDeadLetters:
    def __init__(self, sinks: Sequence[DeadLetterSink]) -> None:
        self.sinks = list(sinks)

    def record_dead_letter(self, letter: DeadLetter) -> None:
        for sink in self.sinks:
            sink.record_dead_letter(letter)
