"""The LLM writer against a loopback server that echoes the request headers back: no secret reaches a log line
or an exception, whatever the body looks like and wherever the excerpt is cut."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast

import pytest

from store_steps import save_cluster_step, upsert_article
from storyline.adapters.blobstore import LocalBlobStore
from storyline.adapters.llm_http import OpenAICompatibleWriter
from storyline.adapters.warehouse import SqlWarehouse
from storyline.domain.enrichment import StoryArticle
from storyline.domain.errors import LlmUnavailable
from storyline.events import ArticleBody
from storyline.ports import StoredStory
from storyline.services.stages import EnrichStage
from storyline.settings import Settings

API_KEY = "sk-echo-3b8d1f0a9c6e42d7b15a"  # made up; the tests look for any 8 characters of it
MODEL = "echo-model"
T0 = datetime(2026, 2, 3, 8, 0, tzinfo=UTC)
ARTICLE = StoryArticle(
    article_id="a-echo",
    source_id="harbour-gazette",
    source_name="Harbour Gazette",
    url="https://gazette.example/ferry",
    title="Ferry service to Marrow Island resumes after storm",
    text="Ferries between Port Ellis and Marrow Island resumed on Tuesday morning after two days of cancellations.",
    published_at=T0,
    duplicate_of=None,
)


class _EchoHandler(BaseHTTPRequestHandler):
    """Answers every POST with the request's own header block (optionally after padding), as a misconfigured
    proxy or debug endpoint does, with the status and content type the test chose."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:
        server = cast("EchoServer", self.server)
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        lines = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
        body = (server.padding + server.secrets + lines).encode()
        self.send_response(server.status)
        self.send_header("Content-Type", server.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class EchoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _EchoHandler)
        self.status = 200
        self.content_type = "text/plain"
        self.padding = ""
        self.secrets = ""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


@pytest.fixture
def echo_server() -> Iterator[EchoServer]:
    server = EchoServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _pieces_of_the_key(text: str) -> list[str]:
    """Every 8-character piece of the key found in text: a cut-off key is still a leak."""
    return [API_KEY[i : i + 8] for i in range(len(API_KEY) - 7) if API_KEY[i : i + 8] in text]


def _exception_texts(exc: BaseException) -> str:
    """What a traceback or a log line could print of an exception and everything chained to it."""
    out: list[str] = []
    seen: BaseException | None = exc
    while seen is not None:
        out += [str(seen), repr(seen), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(out)


# Paddings move each secret across every point where an excerpt might be cut.
PADDINGS = list(range(0, 260, 9))


@pytest.mark.parametrize("pad", PADDINGS)
@pytest.mark.parametrize("status", [200, 502])
def test_an_echoed_key_is_in_no_exception(echo_server: EchoServer, pad: int, status: int) -> None:
    echo_server.status = status
    echo_server.padding = "x" * pad
    # Secrets in the other shapes a body may hold them: key=value, JSON, a bare key.
    echo_server.secrets = f'api_key={API_KEY}&user=ops {{"password": "hunter2-secret"}} {API_KEY}\r\n'
    expected = LlmUnavailable if status >= 400 else ValueError
    with (
        OpenAICompatibleWriter(echo_server.base_url, MODEL, API_KEY, timeout_s=5.0) as writer,
        pytest.raises(expected) as info,
    ):
        writer.write(ARTICLE.title, [ARTICLE])
    text = _exception_texts(info.value)
    assert _pieces_of_the_key(text) == []
    assert "hunter2-secret" not in text
    # Still useful to an operator: what came back, how big, and a masked glimpse of it.
    assert "text/plain" in str(info.value)
    assert "bytes" in str(info.value)


@pytest.mark.parametrize("pad", [0, 20, 60])
def test_the_enrich_warning_carries_no_key(
    echo_server: EchoServer, tmp_path: Path, pad: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Through the composition root: the warning the stage logs when the model's answer is not JSON."""
    from storyline.bootstrap import build_stages

    caplog.set_level(logging.DEBUG)
    echo_server.padding = "x" * pad
    wh = SqlWarehouse(f"sqlite:///{tmp_path / 'echo.db'}")
    wh.upgrade()
    upsert_article(
        wh,
        ArticleBody(
            article_id=ARTICLE.article_id,
            url=ARTICLE.url,
            canonical_url=ARTICLE.url,
            source_id=ARTICLE.source_id,
            source_name=ARTICLE.source_name,
            title=ARTICLE.title,
            text=ARTICLE.text,
            published_at=T0,
            fetched_at=T0,
            content_hash="h0",
            raw_object_key="raw/x",
        ),
    )
    save_cluster_step(wh, StoredStory("st_echo", T0, T0, {"article_count": 1}), ARTICLE.article_id, 1.0, True)
    settings = Settings.model_validate(
        {"data_dir": tmp_path, "llm_base_url": echo_server.base_url, "llm_model": MODEL, "llm_api_key": API_KEY}
    )
    enrich: EnrichStage = build_stages(settings, wh, LocalBlobStore(tmp_path / "raw")).enrich
    enrich.mark("st_echo")
    try:
        assert len(enrich.flush()) == 1, "the story is still enriched, from its own sentences"
    finally:
        enrich.close()
    warnings = [r for r in caplog.records if "prose model skipped" in r.getMessage()]
    assert len(warnings) == 1, "the failure is reported"
    assert "not JSON" in warnings[0].getMessage()
    assert _pieces_of_the_key(caplog.text) == []
    for record in caplog.records:
        assert _pieces_of_the_key(record.getMessage()) == []
        assert _pieces_of_the_key(repr(record.args)) == []
    wh.engine.dispose()
