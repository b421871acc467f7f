"""Unit tests of the demo news site: content counts, gold rows, feeds, robots.txt and deterministic builds."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from urllib.robotparser import RobotFileParser

import pytest

from storyline.demo.content import WIRE_NAME, WIRE_OUTLET
from storyline.demo.site import DemoSite, build_site, expected_failures, gold_rows

BASE = "http://127.0.0.1:8765"
ATOM = "{http://www.w3.org/2005/Atom}"
GOLD_KEYS = {
    "url",
    "outlet",
    "outlet_name",
    "story",
    "duplicate_of",
    "near_copies",
    "corpus",
    "title",
    "published_at",
    "text",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    return build_site(tmp_path_factory.mktemp("demo-site"), BASE)


@pytest.fixture(scope="module")
def gold() -> list[dict[str, object]]:
    return gold_rows(BASE)


def _local(site: DemoSite, url: str) -> Path:
    assert url.startswith(BASE + "/"), url
    return site.root / url.removeprefix(BASE + "/")


def _feed_links(path: Path) -> list[str]:
    """Item links of an RSS 2.0 or Atom feed (raises ParseError when the XML is broken)."""
    root = ET.parse(path).getroot()
    if root.tag == "rss":
        return [item.findtext("link", "") for item in root.iter("item")]
    assert root.tag == f"{ATOM}feed", root.tag
    return [
        link.get("href", "")
        for entry in root.iter(f"{ATOM}entry")
        for link in entry.iter(f"{ATOM}link")
        if link.get("rel", "alternate") == "alternate"
    ]


def _working_feeds(site: DemoSite) -> dict[str, list[str]]:
    """Outlet id -> item links, for every feed that parses."""
    out: dict[str, list[str]] = {}
    for source in site.sources:
        try:
            out[source["id"]] = _feed_links(_local(site, source["feed"]))
        except ET.ParseError:
            continue
    return out


def _str(row: dict[str, object], key: str) -> str:
    value = row[key]
    assert isinstance(value, str), (key, value)
    return value


def test_counts(site: DemoSite, gold: list[dict[str, object]]) -> None:
    working = _working_feeds(site)
    assert len({s["id"] for s in site.sources}) == len(site.sources) >= 7
    assert len([o for o, links in working.items() if links]) >= 6
    assert len(gold) >= 34
    assert len({row["url"] for row in gold}) == len(gold)

    outlets_per_story: dict[str, set[str]] = defaultdict(set)
    for row in gold:
        outlets_per_story[_str(row, "story")].add(_str(row, "outlet"))
    assert len(outlets_per_story) >= 7
    assert all(len(outlets) >= 3 for outlets in outlets_per_story.values()), outlets_per_story
    # The two similar-but-different events are separate stories.
    assert {"demo-warehouse-fire-tanner-street", "demo-warehouse-fire-quarry-road"} <= set(outlets_per_story)

    gold_urls = {row["url"] for row in gold}
    duplicates = [row for row in gold if row["duplicate_of"] is not None]
    assert len(duplicates) >= 4
    for row in duplicates:
        original = _str(row, "duplicate_of")
        assert original in gold_urls
        assert original.startswith(f"{BASE}/{WIRE_OUTLET}/")
        assert row["outlet"] != WIRE_OUTLET

    kinds = sorted(expected_failures(BASE).values())
    assert kinds == ["disallowed", "malformed_feed", "no_text"]


def test_gold_row_shape(site: DemoSite, gold: list[dict[str, object]]) -> None:
    names = {s["id"]: s["name"] for s in site.sources}
    for row in gold:
        assert set(row) == GOLD_KEYS
        assert row["corpus"] == "demo"
        assert row["near_copies"] == []
        assert row["outlet_name"] == names[_str(row, "outlet")]
        assert _str(row, "story").startswith("demo-")
        published = datetime.fromisoformat(_str(row, "published_at"))
        assert published.utcoffset() == timedelta(0)
        assert _str(row, "published_at").endswith("+00:00")
        assert published.year == 2026
        words = len(_str(row, "text").split())
        assert 180 <= words <= 400, (row["url"], words)
        assert len(_str(row, "text").split("\n\n")) >= 4


def test_publication_times_spread_over_weeks(gold: list[dict[str, object]]) -> None:
    times = sorted(datetime.fromisoformat(_str(row, "published_at")) for row in gold)
    assert times[-1] - times[0] >= timedelta(days=18)
    assert [row["published_at"] for row in gold] == sorted(_str(row, "published_at") for row in gold)


def test_gold_pages_exist_are_linked_and_hold_the_text(site: DemoSite, gold: list[dict[str, object]]) -> None:
    working = _working_feeds(site)
    for row in gold:
        url = _str(row, "url")
        page = _local(site, url)
        assert page.is_file(), url
        assert url in working[_str(row, "outlet")], url
        source = page.read_text(encoding="utf-8")
        paragraphs = [html.unescape(p) for p in re.findall(r"<p(?: [^>]*)?>(.*?)</p>", source)]
        body = _str(row, "text").split("\n\n")
        # The gold text is exactly the page's article paragraphs, in order.
        start = paragraphs.index(body[0])
        assert paragraphs[start : start + len(body)] == body, url
        assert f'<link rel="canonical" href="{url}">' in source
        assert f'<meta name="pubdate" content="{row["published_at"]}">' in source
        assert '<html lang="en">' in source
        ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', source, re.DOTALL)
        assert ld is not None
        assert _str(row, "title") in json.dumps(json.loads(ld.group(1)), ensure_ascii=False)


def test_feeds_parse_except_the_malformed_one(site: DemoSite) -> None:
    malformed = {url for url, kind in expected_failures(BASE).items() if kind == "malformed_feed"}
    assert len(malformed) == 1
    for source in site.sources:
        path = _local(site, source["feed"])
        if source["feed"] in malformed:
            with pytest.raises(ET.ParseError):
                ET.parse(path)
        else:
            links = _feed_links(path)
            assert links, source["id"]
            assert all(link.startswith(f"{BASE}/{source['id']}/") for link in links)


def test_expected_failures_are_real_and_not_gold(site: DemoSite, gold: list[dict[str, object]]) -> None:
    failures = expected_failures(BASE)
    gold_urls = {row["url"] for row in gold}
    working = _working_feeds(site)
    linked = {link for links in working.values() for link in links}
    assert not set(failures) & gold_urls
    robots = RobotFileParser()
    robots.parse((site.root / "robots.txt").read_text(encoding="utf-8").splitlines())
    for url, kind in failures.items():
        if kind == "malformed_feed":
            assert url in {s["feed"] for s in site.sources}
            continue
        assert url in linked, url
        assert _local(site, url).is_file()
        if kind == "disallowed":
            outlet = url.removeprefix(BASE + "/").split("/")[0]
            outlet_robots = RobotFileParser()
            outlet_robots.parse((site.root / outlet / "robots.txt").read_text(encoding="utf-8").splitlines())
            assert "/private/" in url
            assert not robots.can_fetch("storyline", url)
            assert not outlet_robots.can_fetch("storyline", url)
        else:
            assert kind == "no_text"
            assert "<p" not in _local(site, url).read_text(encoding="utf-8").split("<body", 1)[1]
    for row in gold:
        assert robots.can_fetch("storyline", _str(row, "url"))


def test_robots_files(site: DemoSite) -> None:
    texts = {s["id"]: (site.root / s["id"] / "robots.txt").read_text(encoding="utf-8") for s in site.sources}
    assert all(text.startswith("User-agent: *\n") for text in texts.values())
    disallowing = [o for o, text in texts.items() if f"Disallow: /{o}/private/" in text]
    assert len(disallowing) == 1
    assert all(text == "User-agent: *\nDisallow:\n" for o, text in texts.items() if o not in disallowing)


def test_wire_copies_repeat_the_original_text(gold: list[dict[str, object]]) -> None:
    by_url = {row["url"]: row for row in gold}
    for row in gold:
        if row["duplicate_of"] is None:
            continue
        original = by_url[row["duplicate_of"]]
        assert row["story"] == original["story"]
        assert row["title"] != original["title"]
        assert _str(row, "published_at") > _str(original, "published_at")
        copy_paras = _str(row, "text").split("\n\n")
        original_paras = _str(original, "text").split("\n\n")
        first = re.match(rf"^[A-Z ]+ \({WIRE_NAME}\) \u2014 (.*)$", copy_paras[0])
        assert first is not None, copy_paras[0]
        assert first.group(1) == original_paras[0]
        rest = [p for p in copy_paras[1:] if not p.startswith("Additional reporting by ")]
        assert rest == original_paras[1 : 1 + len(rest)]
        assert len(original_paras) - 1 - len(rest) in (0, 1)  # at most the last paragraph trimmed


def test_sources_json_and_links_are_absolute(site: DemoSite) -> None:
    written = json.loads((site.root / "sources.json").read_text(encoding="utf-8"))
    assert written == site.sources
    for source in site.sources:
        assert set(source) == {"id", "name", "feed", "home"}
        assert source["feed"] == f"{BASE}/{source['id']}/feed.xml"
        assert source["home"] == f"{BASE}/{source['id']}/"
        assert (site.root / source["id"] / "index.html").is_file()
    for path in site.root.rglob("*.html"):
        for link in re.findall(r'(?:href|src)="([^"]*)"', path.read_text(encoding="utf-8")):
            assert link.startswith(BASE + "/"), (path, link)


def test_no_file_contains_the_placeholder(site: DemoSite) -> None:
    files = [p for p in site.root.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert "{{BASE}}" not in path.read_text(encoding="utf-8"), path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_build_is_deterministic(tmp_path: Path) -> None:
    first = build_site(tmp_path / "a", BASE)
    second = build_site(tmp_path / "b", BASE)
    assert first.sources == second.sources
    assert _snapshot(first.root) == _snapshot(second.root)
    assert gold_rows(BASE) == gold_rows(BASE)


def test_other_base_url(tmp_path: Path) -> None:
    other = "http://localhost:9001/"
    built = build_site(tmp_path, other)
    assert built.sources[0]["feed"].startswith("http://localhost:9001/")
    assert "//" not in built.sources[0]["feed"].removeprefix("http://")
    rows = gold_rows(other)
    assert all(_str(row, "url").startswith("http://localhost:9001/") for row in rows)
    assert BASE not in "".join(p.read_text(encoding="utf-8") for p in tmp_path.rglob("*") if p.is_file())
