"""End to end over the labelled replay corpus (../shared/data/replay-dev), scored; skipped when it is absent."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storyline.adapters.http import read_text
from storyline.bootstrap import App
from storyline.services.evaluation import parse_gold, run_eval
from storyline.sources.registry import parse_sources

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
CORPUS = SHARED_DATA / "replay-dev"
SERVER = SHARED_DATA.parent / "tools" / "serve_replay.py"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.replay,
    pytest.mark.skipif(
        not (CORPUS / "sources.json").exists() or not SERVER.exists(),
        reason=f"replay corpus not available at {CORPUS} (see ../shared/data/README.md)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def replay_base() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), str(CORPUS), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{base}/sources.json", timeout=1):
                break
        except OSError:
            time.sleep(0.05)
    yield base
    proc.terminate()
    proc.wait()


def test_replay_corpus_scores(replay_base: str, app_factory: Callable[..., App]) -> None:
    app = app_factory()
    sources = parse_sources(read_text(f"{replay_base}/sources.json"), "sources.json")
    summary = app.pipeline.run(sources)
    assert summary.pages_fetched == 802 and summary.feeds_failed == 0

    gold = parse_gold((CORPUS / "gold" / "articles.jsonl").read_text("utf-8"), replay_base, "gold")
    reports, _ = run_eval(gold, app.warehouse.assignments(), app.warehouse.article_texts())
    overall = reports[0]
    # Floors under the measured skeleton (B3 F1 0.906, dup P 1.000 / R 0.986, text F1 0.980): a regression
    # guard, not a target; issue 5 raises them.
    assert overall.stories.f1 >= 0.88
    assert overall.duplicates.precision >= 0.99 and overall.duplicates.recall >= 0.95
    assert overall.extraction_f1 >= 0.95
    assert overall.found >= 795
