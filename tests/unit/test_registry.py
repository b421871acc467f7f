"""Source registry parsing: YAML registry and JSON list forms, and errors naming file, source and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyline.domain.errors import ConfigError
from storyline.domain.records import Source
from storyline.sources.registry import parse_sources

ORIGIN = "conf/sources.yaml"

YAML_REGISTRY = """\
# comment lines are fine
sources:
  - id: harbour-gazette
    name: Harbour Gazette
    feeds:
      - https://gazette.example/rss.xml
      - https://gazette.example/world/rss.xml
    home: https://gazette.example/
    language: en
    country: GB
  - id: civic.wire_2
    feed: http://wire.example/feed
    enabled: false
  - {id: island-times, name: Island Times, feed: "https://times.example/atom", language: fr}
"""


def test_yaml_registry() -> None:
    got = parse_sources(YAML_REGISTRY, ORIGIN)
    assert got == [
        Source(
            id="harbour-gazette",
            name="Harbour Gazette",
            feeds=("https://gazette.example/rss.xml", "https://gazette.example/world/rss.xml"),
            home="https://gazette.example/",
            language="en",
            country="GB",
            enabled=True,
        ),
        Source(id="civic.wire_2", name="civic.wire_2", feeds=("http://wire.example/feed",), enabled=False),
        Source(id="island-times", name="Island Times", feeds=("https://times.example/atom",), language="fr"),
    ]


def test_json_list() -> None:
    text = json.dumps(
        [
            {"id": "gazette", "name": "Harbour Gazette", "feed": "https://gazette.example/rss"},
            {"id": "times", "name": "Island Times", "feed": "https://times.example/rss"},
        ]
    )
    got = parse_sources(text, "sources.json")
    assert [(s.id, s.name, s.feeds, s.enabled) for s in got] == [
        ("gazette", "Harbour Gazette", ("https://gazette.example/rss",), True),
        ("times", "Island Times", ("https://times.example/rss",), True),
    ]


def test_json_object_with_sources_key() -> None:
    text = json.dumps({"sources": [{"id": "a", "feeds": ["https://a.example/rss"]}]})
    assert parse_sources(text, "s.json")[0].feeds == ("https://a.example/rss",)


def test_yaml_block_list_without_sources_key() -> None:
    got = parse_sources("- id: a\n  feed: https://a.example/rss\n", ORIGIN)
    assert [s.id for s in got] == ["a"]


def test_feed_and_feeds_merge_with_feed_first_and_no_repeats() -> None:
    text = "sources:\n  - id: a\n    feed: https://a.example/1\n    feeds: [https://a.example/2, https://a.example/1]\n"
    assert parse_sources(text, ORIGIN)[0].feeds == ("https://a.example/1", "https://a.example/2")


def test_repository_registry_parses() -> None:
    path = Path(__file__).resolve().parents[2] / "sources.yaml"
    if not path.exists():
        pytest.skip("no sources.yaml at the repository root")
    sources = parse_sources(path.read_text(encoding="utf-8"), str(path))
    assert sources
    assert len({s.id for s in sources}) == len(sources)
    assert all(s.feeds for s in sources)


def _error(text: str, origin: str = ORIGIN) -> str:
    with pytest.raises(ConfigError) as info:
        parse_sources(text, origin)
    assert info.value.kind == "config"
    message = str(info.value)
    assert message.startswith(origin + ":"), message
    return message


def test_missing_feed_names_source_and_field() -> None:
    message = _error("sources:\n  - id: gazette\n    name: Harbour Gazette\n")
    assert "source gazette" in message
    assert "feed" in message


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ("feed: ftp://gazette.example/rss", "feed"),
        ("feed: gazette.example/rss", "feed"),
        ("feeds: [https://gazette.example/rss, 'not a url']", "feeds"),
    ],
)
def test_bad_url_names_source_and_field(entry: str, field: str) -> None:
    message = _error(f"sources:\n  - id: gazette\n    {entry}\n")
    assert "source gazette" in message
    assert field in message
    assert "http(s) URL" in message


@pytest.mark.parametrize("bad_id", ["Gazette", "has space", "-leading-dash", "x" * 129, "ünïcode"])
def test_bad_id_names_the_id_field(bad_id: str) -> None:
    message = _error(json.dumps([{"id": bad_id, "feed": "https://a.example/rss"}]))
    assert f"source {bad_id}" in message
    assert "field 'id'" in message


def test_missing_id_names_position_and_field() -> None:
    message = _error(json.dumps([{"id": "a", "feed": "https://a.example/rss"}, {"feed": "https://b.example/rss"}]))
    assert "source #2" in message
    assert "field 'id'" in message


def test_duplicate_id() -> None:
    text = "sources:\n  - {id: a, feed: https://a.example/1}\n  - {id: a, feed: https://a.example/2}\n"
    message = _error(text)
    assert "source a" in message
    assert "field 'id'" in message
    assert "duplicate" in message


def test_unknown_field_is_named() -> None:
    message = _error("sources:\n  - id: a\n    feed: https://a.example/rss\n    colour: red\n")
    assert "source a" in message
    assert "field 'colour'" in message


def test_bad_enabled_value_is_named() -> None:
    message = _error("sources:\n  - id: a\n    feed: https://a.example/rss\n    enabled: sometimes\n")
    assert "field 'enabled'" in message


@pytest.mark.parametrize(
    "text",
    [
        "sources: 3",
        "sources: {id: a}",
        "sources: []",
        "[]",
        "",
        "just a string",
        "42",
    ],
)
def test_not_a_list(text: str) -> None:
    assert "list" in _error(text)


def test_mapping_without_sources_key() -> None:
    assert "'sources'" in _error("outlets:\n  - id: a\n")


def test_entry_that_is_not_a_mapping() -> None:
    message = _error("sources:\n  - id: a\n    feed: https://a.example/rss\n  - [b, c]\n")
    assert "source #2" in message
    assert "mapping" in message


@pytest.mark.parametrize("text", ["sources: [unclosed\n", "sources:\n  - id: a\n   bad: indent\n", '[{"id": "a",]'])
def test_invalid_yaml_or_json(text: str) -> None:
    assert "not valid YAML or JSON" in _error(text, "bad.yaml")


def test_yaml_flow_style_list_is_accepted() -> None:
    got = parse_sources('[{id: a, feed: "https://a.example/rss"}]', ORIGIN)
    assert [s.id for s in got] == ["a"]


def test_feed_url_without_host_is_rejected() -> None:
    _error('sources:\n  - id: a\n    feed: "https://"\n')
