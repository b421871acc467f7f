"""End-to-end fixtures: the project's demo news site, served on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storyline.adapters.static_site import StaticSite
from storyline.demo.site import build_site


@pytest.fixture
def demo_site(tmp_path: Path) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """The demo site built and served for one test: (base URL, its sources as a JSON-able list)."""
    root = tmp_path / "site"
    root.mkdir()
    with StaticSite(root) as server:
        site = build_site(root, server.base_url)
        yield server.base_url, site.sources
