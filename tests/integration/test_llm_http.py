"""The LLM prose writer against a local stand-in chat-completions server: request shape, verification, key hygiene."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest

from store_steps import save_cluster_step, upsert_article
from storyline.adapters.blobstore import LocalBlobStore
from storyline.adapters.llm_http import OpenAICompatibleWriter
from storyline.adapters.warehouse import SqlWarehouse
from storyline.domain.enrichment import StoryArticle
from storyline.domain.errors import LlmUnavailable
from storyline.domain.llm import build_messages
from storyline.events import ArticleBody
from storyline.ports import StoredStory
from storyline.services.stages import EnrichStage
from storyline.settings import Settings

API_KEY = "sk-standin-7f3a9c2e51d04b8b"  # a made-up key; the tests look for it wherever it must not be
MODEL = "stand-in-model"
HEADLINE = "Ferry service to Marrow Island resumes after storm"
T0 = datetime(2026, 2, 3, 8, 0, tzinfo=UTC)

GAZETTE = StoryArticle(
    article_id="a-gazette",
    source_id="harbour-gazette",
    source_name="Harbour Gazette",
    url="https://gazette.example/ferry",
    title=HEADLINE,
    text=(
        "Ferries between Port Ellis and Marrow Island resumed on Tuesday morning after two days of cancellations. "
        "The first sailing left at seven o'clock with about 80 passengers on board. "
        "Repairs to the northern pier will cost $2.6 million, the harbour authority said."
    ),
    published_at=T0,
    duplicate_of=None,
)
WIRE = StoryArticle(
    article_id="a-wire",
    source_id="civic-wire",
    source_name="Civic Wire",
    url="https://wire.example/marrow-ferry",
    title="Marrow Island ferries sail again as storm clears",
    text="Analysts said the two-day halt had exposed how much the island depends on a single operator.",
    published_at=T0,
    duplicate_of=None,
)
ARTICLES = [GAZETTE, WIRE]

SUPPORTED = "Ferries between Port Ellis and Marrow Island resumed after two days of cancellations."
BEHIND = "Analysts said the halt exposed how much the island depends on a single operator."
INVENTED = "The storm killed 40 islanders and the mayor resigned over the ferry chaos."


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class _StandInHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:
        server = cast("LocalStandInChatServer", self.server)
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            body: Any = json.loads(raw)
        except json.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        server.requests.append(RecordedRequest("POST", self.path, dict(self.headers.items()), body))
        if self.path != "/v1/chat/completions":
            self._send(404, b'{"error": {"message": "not found"}}')
            return
        if server.delay_s:
            server.release.wait(server.delay_s)
        self._send(server.status, server.body)

    def _send(self, status: int, data: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test): nothing left to answer


class LocalStandInChatServer(ThreadingHTTPServer):
    """A local stand-in for an OpenAI-compatible chat-completions server, NOT a real model.

    It records every request and answers POST /v1/chat/completions with whatever completion the test chose
    (`answer_with`), or with a raw status and body (`answer_raw`), optionally after a delay.
    """

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _StandInHandler)
        self.requests: list[RecordedRequest] = []
        self.status = 200
        self.body = b""
        self.delay_s = 0.0
        self.release = threading.Event()  # set on teardown, so a delayed answer does not outlive the test

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def answer_with(self, content: str) -> None:
        completion = {
            "id": "chatcmpl-standin",
            "object": "chat.completion",
            "model": MODEL,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        }
        self.answer_raw(200, json.dumps(completion).encode())

    def answer_raw(self, status: int, body: bytes, delay_s: float = 0.0) -> None:
        self.status, self.body, self.delay_s = status, body, delay_s


@pytest.fixture
def stand_in_chat_server() -> Iterator[LocalStandInChatServer]:
    server = LocalStandInChatServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def writer(stand_in_chat_server: LocalStandInChatServer) -> Iterator[OpenAICompatibleWriter]:
    # The trailing slash is deliberate: the writer must not post to "/v1//chat/completions".
    w = OpenAICompatibleWriter(stand_in_chat_server.base_url + "/", MODEL, API_KEY, timeout_s=5.0)
    yield w
    w.close()


def _answer(what_happened: list[tuple[str, list[str]]], behind: list[tuple[str, list[str]]]) -> str:
    return json.dumps(
        {
            "what_happened": [{"text": t, "cite": c} for t, c in what_happened],
            "behind": [{"text": t, "cite": c} for t, c in behind],
        }
    )


def _assert_key_absent(caplog: pytest.LogCaptureFixture) -> None:
    assert caplog.records, "nothing was logged: the check below would prove nothing"
    assert API_KEY not in caplog.text
    for record in caplog.records:
        assert API_KEY not in record.getMessage()
        assert API_KEY not in repr(record.args)


def test_writer_sends_model_messages_and_bearer_key(
    stand_in_chat_server: LocalStandInChatServer, writer: OpenAICompatibleWriter
) -> None:
    stand_in_chat_server.answer_with(_answer([(SUPPORTED, ["a-gazette"])], []))
    writer.write(HEADLINE, ARTICLES)
    assert len(stand_in_chat_server.requests) == 1
    request = stand_in_chat_server.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.body["model"] == MODEL
    assert request.body["temperature"] == 0
    assert request.body["messages"] == build_messages(HEADLINE, ARTICLES)
    assert "[a-gazette]" in request.body["messages"][1]["content"]


def test_no_authorization_header_without_a_key(stand_in_chat_server: LocalStandInChatServer) -> None:
    stand_in_chat_server.answer_with(_answer([(SUPPORTED, ["a-gazette"])], []))
    with OpenAICompatibleWriter(stand_in_chat_server.base_url, MODEL, None) as keyless:
        keyless.write(HEADLINE, ARTICLES)
        assert "api_key=None" in repr(keyless)
    assert "Authorization" not in stand_in_chat_server.requests[0].headers


def test_supported_sentences_come_back_with_their_ids_and_an_unsupported_one_is_dropped(
    stand_in_chat_server: LocalStandInChatServer, writer: OpenAICompatibleWriter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    content = _answer(
        [(SUPPORTED, ["a-gazette"]), (INVENTED, ["a-gazette"])],
        [(BEHIND, ["a-wire"]), (SUPPORTED, ["a-missing"])],
    )
    # Fenced, with a preamble, as chat models often answer.
    stand_in_chat_server.answer_with("Here you go:\n```json\n" + content + "\n```")
    prose = writer.write(HEADLINE, ARTICLES)
    assert [(s.text, s.article_ids) for s in prose.what_happened] == [(SUPPORTED, ("a-gazette",))]
    assert [(s.text, s.article_ids) for s in prose.behind] == [(BEHIND, ("a-wire",))]
    assert all(s.support >= 0.6 for s in (*prose.what_happened, *prose.behind))
    assert prose.dropped == 2
    assert prose.dropped_reasons[0].startswith("support ")
    assert prose.dropped_reasons[1] == "unknown article id 'a-missing'"
    summary = [r for r in caplog.records if r.name == "storyline.llm" and r.levelno == logging.INFO]
    assert len(summary) == 1
    assert "dropped 2" in summary[0].getMessage()
    assert "unknown article id 'a-missing'" in summary[0].getMessage()
    _assert_key_absent(caplog)


def test_repr_masks_the_key(writer: OpenAICompatibleWriter) -> None:
    text = repr(writer)
    assert API_KEY not in text
    assert "api_key='***'" in text
    assert MODEL in text


def test_server_error_is_llm_unavailable_without_the_key(
    stand_in_chat_server: LocalStandInChatServer, writer: OpenAICompatibleWriter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # A hostile body: some servers echo the key they were given.
    echo = {"error": {"message": f"internal error while serving key {API_KEY}", "type": "server_error"}}
    stand_in_chat_server.answer_raw(500, json.dumps(echo).encode())
    with pytest.raises(LlmUnavailable, match="HTTP 500") as info:
        writer.write(HEADLINE, ARTICLES)
    assert info.value.status == 500
    assert API_KEY not in str(info.value)
    assert API_KEY not in repr(info.value)
    assert "***" in str(info.value)  # the echo was masked, not just cut off
    _assert_key_absent(caplog)


def test_timeout_is_llm_unavailable_without_the_key(
    stand_in_chat_server: LocalStandInChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    stand_in_chat_server.answer_raw(200, b"{}", delay_s=5.0)
    with (
        OpenAICompatibleWriter(stand_in_chat_server.base_url, MODEL, API_KEY, timeout_s=0.2) as impatient,
        pytest.raises(LlmUnavailable, match="timed out") as info,
    ):
        impatient.write(HEADLINE, ARTICLES)
    assert API_KEY not in str(info.value)
    assert API_KEY not in str(info.value.__cause__)
    _assert_key_absent(caplog)


def test_unreachable_endpoint_is_llm_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port once the probe is closed: the connection is refused.
    with (
        OpenAICompatibleWriter(f"http://127.0.0.1:{port}/v1", MODEL, API_KEY, timeout_s=2.0) as lost,
        pytest.raises(LlmUnavailable, match="unreachable") as info,
    ):
        lost.write(HEADLINE, ARTICLES)
    assert API_KEY not in str(info.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>502 Bad Gateway</html>", "not JSON"),
        (b'{"object": "chat.completion", "choices": []}', r"choices\[0\]\.message\.content"),
        (b'{"choices": [{"message": {"role": "assistant", "content": null}}]}', "not text"),
    ],
)
def test_malformed_completion_body_is_a_value_error(
    stand_in_chat_server: LocalStandInChatServer, writer: OpenAICompatibleWriter, body: bytes, message: str
) -> None:
    stand_in_chat_server.answer_raw(200, body)
    with pytest.raises(ValueError, match=message):
        writer.write(HEADLINE, ARTICLES)


def test_malformed_answer_content_is_a_value_error(
    stand_in_chat_server: LocalStandInChatServer, writer: OpenAICompatibleWriter
) -> None:
    stand_in_chat_server.answer_with("I'm sorry, I can only summarise in plain prose: ferries resumed.")
    with pytest.raises(ValueError, match="no JSON object"):
        writer.write(HEADLINE, ARTICLES)
    stand_in_chat_server.answer_with('{"what_happened": "ferries resumed", "behind": []}')
    with pytest.raises(ValueError, match="must be a list"):
        writer.write(HEADLINE, ARTICLES)


def _story_warehouse(tmp_path: Path) -> SqlWarehouse:
    """Two member articles of one story in a real SQLite warehouse, ready to enrich."""
    wh = SqlWarehouse(f"sqlite:///{tmp_path / 'llm.db'}")
    wh.upgrade()
    for i, art in enumerate(ARTICLES):
        upsert_article(
            wh,
            ArticleBody(
                article_id=art.article_id,
                url=art.url,
                canonical_url=art.url,
                source_id=art.source_id,
                source_name=art.source_name,
                title=art.title,
                text=art.text,
                published_at=art.published_at + timedelta(hours=i),
                fetched_at=art.published_at + timedelta(hours=i, minutes=5),
                content_hash=f"h{i}",
                raw_object_key="raw/x",
            ),
        )
        state = StoredStory("st_ferry", T0, T0 + timedelta(hours=i), {"article_count": i + 1})
        save_cluster_step(wh, state, art.article_id, 1.0, i == 0)
    return wh


@pytest.fixture
def enrich_stages() -> Iterator[list[EnrichStage]]:
    """Enrich stages a test builds, closed after it (each may have started its question parser's process)."""
    stages: list[EnrichStage] = []
    yield stages
    for stage in stages:
        stage.close()


def _enrich_stage(
    server: LocalStandInChatServer, wh: SqlWarehouse, tmp_path: Path, built: list[EnrichStage]
) -> EnrichStage:
    """The enrich stage as the composition root wires it when the LLM settings point at the stand-in."""
    from storyline.bootstrap import build_stages

    settings = Settings.model_validate(
        {"data_dir": tmp_path, "llm_base_url": server.base_url, "llm_model": MODEL, "llm_api_key": API_KEY}
    )
    built.append(build_stages(settings, wh, LocalBlobStore(tmp_path / "raw")).enrich)
    return built[-1]


def test_enrichment_stores_verified_prose_beside_the_extractive_sections(
    stand_in_chat_server: LocalStandInChatServer, tmp_path: Path, enrich_stages: list[EnrichStage]
) -> None:
    """Through the composition root (settings → writer → EnrichStage): kept sentences are stored with their
    citations and the drop count; the extractive sections are still there; the page shows the model's prose."""
    from fastapi.testclient import TestClient

    from storyline.adapters.warehouse import SqlReader
    from storyline.web.app import create_app

    wh = _story_warehouse(tmp_path)
    enrich = _enrich_stage(stand_in_chat_server, wh, tmp_path, enrich_stages)
    stand_in_chat_server.answer_with(
        _answer([(SUPPORTED, ["a-gazette"]), (INVENTED, ["a-gazette"])], [(BEHIND, ["a-wire"])])
    )
    enrich.mark("st_ferry")
    assert len(enrich.flush()) == 1
    sections = wh.story_snapshot("st_ferry")["sections"]
    generated = sections["generated"]
    assert generated["model"] == MODEL and generated["dropped"] == 1
    assert [(g["text"], g["article_ids"]) for g in generated["what_happened"]] == [(SUPPORTED, ["a-gazette"])]
    assert sections["what_happened"], "the extractive summary is stored too"
    assert enrich.generated_dropped == 1
    reader = SqlReader(wh.url)
    with TestClient(create_app(reader)) as client:
        html = client.get("/stories/st_ferry").text
        assert client.get("/api/stories/st_ferry").json()["sections"]["generated"]["dropped"] == 1
    reader.close()
    assert SUPPORTED in html and INVENTED not in html and f"Written by {MODEL}" in html
    wh.engine.dispose()


def test_enrichment_falls_back_to_extractive_when_the_model_fails(
    stand_in_chat_server: LocalStandInChatServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    enrich_stages: list[EnrichStage],
) -> None:
    caplog.set_level(logging.DEBUG)
    wh = _story_warehouse(tmp_path)
    enrich = _enrich_stage(stand_in_chat_server, wh, tmp_path, enrich_stages)
    stand_in_chat_server.answer_raw(503, b'{"error": "overloaded"}')
    enrich.mark("st_ferry")
    assert len(enrich.flush()) == 1, "the story is still enriched"
    sections = wh.story_snapshot("st_ferry")["sections"]
    assert "generated" not in sections and sections["what_happened"]
    assert any("prose model skipped" in r.getMessage() for r in caplog.records)
    _assert_key_absent(caplog)
    wh.engine.dispose()
