"""A real browser (Debian's headless Chromium, driven by Playwright) loads a demo story page: the six sections are
there, every link on the page resolves, and a screenshot is saved in the test's output directory."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from storyline.adapters.static_site import StaticSite
from storyline.adapters.warehouse import SqlReader
from storyline.bootstrap import build
from storyline.demo.site import build_site
from storyline.settings import Settings
from storyline.sources.registry import parse_sources
from storyline.web.app import create_app

pytestmark = pytest.mark.e2e
SECTIONS = (
    "whats-happened",
    "behind-the-headline",
    "what-the-papers-say",
    "how-we-got-here",
    "go-deeper",
    "more-on-these-topics",
)


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("STORYLINE_REQUIRE_BROWSER"):
            pytest.fail("chromium is required here (STORYLINE_REQUIRE_BROWSER is set): apt-get install chromium")
        pytest.skip("no chromium on this machine (.ci/run installs Debian's chromium and requires it)")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo site crawled into SQLite, the site kept up (originals resolve), the API served by uvicorn."""
    tmp = tmp_path_factory.mktemp("browser")
    (tmp / "site").mkdir()
    with StaticSite(tmp / "site") as site_server:
        site = build_site(tmp / "site", site_server.base_url)
        settings = Settings.model_validate(
            {"data_dir": tmp / "data", "allow_private_addresses": True, "min_host_delay_s": 0.0}
        )
        app = build(settings)
        app.pipeline.run(parse_sources(json.dumps(site.sources), "demo"))
        app.close()
        reader = SqlReader(settings.resolved_database_url())
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(reader), host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
        server.should_exit = True
        thread.join(timeout=10)
        reader.close()


def test_a_story_page_in_chromium(served: str, tmp_path: Path) -> None:
    chromium = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        # The story with the most background and related links shows every section filled.
        stories = page.request.get(f"{served}/api/stories?limit=50").json()["items"]
        details = [page.request.get(f"{served}/api/stories/{s['story_id']}").json() for s in stories]
        best = max(details, key=lambda d: (len(d["how_we_got_here"]) + len(d["go_deeper"]), d["outlet_count"]))
        response = page.goto(f"{served}/stories/{best['story_id']}")
        assert response is not None and response.ok
        for section in SECTIONS:
            block = page.locator(f"section#{section}")
            assert block.count() == 1, section
            assert block.is_visible(), section
        assert page.locator("h1").inner_text() == best["headline"]
        assert page.locator("#what-the-papers-say [data-outlet]").count() == best["outlet_count"]
        assert page.locator("#how-we-got-here li").count() == len(best["how_we_got_here"]) >= 1
        assert page.locator("#go-deeper li").count() == len(best["go_deeper"]) >= 1
        assert page.locator("#more-on-these-topics .card").count() >= 3
        hrefs = sorted(set(page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")))
        assert len(hrefs) >= 5
        for href in hrefs:
            assert page.request.get(href).ok, f"broken link {href}"
        shot = tmp_path / "story-page.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert shot.stat().st_size > 20_000
