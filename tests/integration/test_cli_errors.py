"""User errors through the real `storyline` CLI: one clear line on stderr, a non-zero exit, no traceback, no secret."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from storyline.bootstrap import App
from storyline.services.pipeline import NoProgress, RunSummary

PASSWORD = "hunter2-not-to-be-printed"  # a test value that must never reach the output
T0 = datetime(2026, 2, 3, 8, 0, tzinfo=UTC)


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The installed CLI's entry point in a fresh process, as a user runs it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STORYLINE_")}
    return subprocess.run(
        [str(Path(sys.executable).parent / "storyline"), *args],
        # Wide enough that no title is wrapped across lines.
        env={**clean, "COLUMNS": "400", **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_error_line(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """The run failed with exactly one stderr line holding every word, and nothing a debugger would show."""
    assert done.returncode != 0, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr and PASSWORD not in done.stderr + done.stdout
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.fixture
def closed_postgres_url() -> Iterator[str]:
    """A PostgreSQL URL with a password, to a loopback port bound but not listening (connections are refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    yield f"postgresql+psycopg://storyline:{PASSWORD}@127.0.0.1:{port}/storyline"
    sock.close()


def test_reading_commands_refuse_a_data_dir_without_a_warehouse(tmp_path: Path) -> None:
    empty = tmp_path / "nothing-here"
    for command in (["stories"], ["export", "assignments"], ["serve", "--port", "9"]):
        line = one_error_line(cli(*command, "--data-dir", str(empty)), "no warehouse", str(empty), ".storyline/demo")
        assert "storyline run" in line
    assert not empty.exists(), "looking must not create an empty warehouse"


SOURCES = '[{"id": "gazette", "name": "Gazette", "feed": "http://127.0.0.1:9/feed.xml"}]'
GOLD = '{"url": "http://127.0.0.1:9/a", "story": "s1", "title": "A"}\n'


@pytest.mark.parametrize(
    "command",
    [
        ["run", "--sources", "{sources}"],
        ["stories"],
        ["db", "upgrade"],
        ["export", "assignments"],
        ["eval", "--gold", "{gold}"],
        ["replay"],
        ["reextract", "--into", "sqlite:///{tmp}/new.db"],
        ["status", "--no-kafka"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_an_unreachable_postgresql_is_one_line_naming_the_host_not_the_password(
    command: list[str], closed_postgres_url: str, tmp_path: Path
) -> None:
    (tmp_path / "sources.json").write_text(SOURCES)
    (tmp_path / "gold.jsonl").write_text(GOLD)
    args = [a.format(sources=tmp_path / "sources.json", gold=tmp_path / "gold.jsonl", tmp=tmp_path) for a in command]
    port = closed_postgres_url.rsplit(":", 1)[1].split("/", maxsplit=1)[0]
    done = cli(*args, env={"STORYLINE_DATABASE_URL": closed_postgres_url}, cwd=tmp_path)
    one_error_line(done, "127.0.0.1", port, "STORYLINE_DATABASE_URL")


def test_an_unreachable_target_of_reextract_is_one_line(closed_postgres_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli("db", "upgrade", "--data-dir", str(data)).returncode == 0
    done = cli("reextract", "--into", closed_postgres_url, "--data-dir", str(data))
    one_error_line(done, "127.0.0.1", "--into")


@pytest.mark.parametrize(
    ("name", "value"),
    [("STORYLINE_MIN_HOST_DELAY_S", "abc"), ("STORYLINE_MAX_PAGE_BYTES", "-5"), ("STORYLINE_LOG_LEVEL", "bogus")],
)
def test_an_invalid_setting_is_one_line_naming_it(name: str, value: str, tmp_path: Path) -> None:
    done = cli("stories", "--data-dir", str(tmp_path), env={name: value})
    one_error_line(done, name, repr(value))


def test_the_debug_flag_shows_the_traceback(tmp_path: Path) -> None:
    env = {"STORYLINE_MAX_PAGE_BYTES": "-5"}
    assert "Traceback" in cli("--debug", "stories", "--data-dir", str(tmp_path), env=env).stderr
    assert "Traceback" in cli("stories", "--data-dir", str(tmp_path), env={**env, "STORYLINE_DEBUG": "1"}).stderr


@pytest.mark.parametrize(
    "content",
    [bytes(range(256)), "id: café\n".encode("latin-1"), "\ufeffx".encode("utf-16")],
    ids=["binary", "latin-1", "utf-16"],
)
def test_a_binary_or_non_utf8_input_file_is_one_line(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "input.dat"
    path.write_bytes(content)
    for command in (["run", "--sources", str(path)], ["eval", "--gold", str(path)]):
        one_error_line(cli(*command, "--data-dir", str(tmp_path / "d")), str(path), "UTF-8")


@pytest.mark.parametrize("option", ["--raw-days", "--fetch-log-days"])
def test_expire_refuses_a_negative_age(option: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli("db", "upgrade", "--data-dir", str(data)).returncode == 0
    one_error_line(cli("expire", option, "-1", "--data-dir", str(data)), option, "greater than or equal to 0")


# -- titles are text, never rich markup ------------------------------------------------------------------
ARTICLE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head><body>
<article><h1>{title}</h1>
<p>Ferries between Port Ellis and Marrow Island resumed on Tuesday morning after two days of cancellations
caused by the storm that swept the coast over the weekend, the operator Bluewater Lines said.</p>
<p>The first sailing left at seven o'clock with about eighty passengers on board, and extra crossings will run
through Wednesday to clear the backlog of travellers and freight, {n} spokespeople said.</p>
<p>Harbour master Ines Okafor said the channel had been surveyed overnight and was safe for traffic.</p>
</article></body></html>"""
TITLES = ["Ferry [/bold] resumes [/] after storm", "Ferry [link=http://evil.test]resumes[/link] [bold]now"]


@pytest.fixture
def markup_story(app_factory: Callable[..., App], archived_page: Any) -> App:
    """A warehouse with one story of two articles whose titles are rich markup (through the real stages)."""
    app = app_factory(None)
    events = [
        archived_page(app.blobs, f"a{n}", f"raw/{n}", ARTICLE.format(title=t, n=n + 2), T0)
        for n, t in enumerate(TITLES)
    ]
    app.pipeline.process_fetched(events, RunSummary(), NoProgress())
    assert len(app.warehouse.stories_overview()) == 1
    return app


def test_stories_prints_markup_in_titles_as_text(markup_story: App) -> None:
    done = cli("stories", "--data-dir", str(markup_story.settings.data_dir))
    assert done.returncode == 0, done.stderr
    headline = markup_story.warehouse.stories_overview()[0]["headline"]
    assert headline in TITLES and headline in done.stdout.replace("\n", " ")


def test_eval_prints_markup_in_titles_as_text(markup_story: App, tmp_path: Path) -> None:
    # The gold file puts the two articles in two stories: the one predicted story is a merge, shown by title.
    gold = tmp_path / "gold.jsonl"
    rows = markup_story.warehouse.assignments()
    gold.write_text(
        "".join(json.dumps({"url": r["url"], "story": f"s{n}", "title": TITLES[n]}) + "\n" for n, r in enumerate(rows))
    )
    done = cli("eval", "--gold", str(gold), "--data-dir", str(markup_story.settings.data_dir))
    assert done.returncode == 0, done.stderr
    for title in TITLES:
        assert repr(title) in done.stdout
