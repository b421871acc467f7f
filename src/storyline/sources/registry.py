"""Parse and validate a source registry (YAML registry or JSON list), with errors naming file, source, field."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from storyline.domain.errors import ConfigError, PermanentError
from storyline.domain.records import Source
from storyline.domain.urls import canonicalize

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")


def _check_url(url: str) -> None:
    """The same canonicalisation the crawler applies: a feed that cannot be crawled fails at load time."""
    try:
        canonicalize(url)
    except PermanentError as exc:
        raise ValueError(str(exc).removeprefix("invalid URL ")) from None


class SourceSpec(BaseModel):
    """One entry of sources.yaml. `feed` (one URL) is accepted as shorthand for `feeds`."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str | None = None
    feeds: list[str] = Field(default_factory=list)
    feed: str | None = None
    home: str | None = None
    language: str | None = None
    country: str | None = None
    enabled: bool = True
    min_delay_s: float | None = Field(default=None, ge=0, description="Politeness override for this source")
    sitemaps: list[str] = Field(default_factory=list)
    schedule_minutes: int | None = Field(default=None, ge=1, le=24 * 60)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("must be lower-case letters, digits, '.', '_' or '-' (at most 128)")
        return value

    @field_validator("feeds", "sitemaps")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        for url in value:
            _check_url(url)
        return value

    @field_validator("feed")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None:
            _check_url(value)
        return value

    @model_validator(mode="after")
    def _one_feed_at_least(self) -> SourceSpec:
        if self.feed:
            self.feeds = [self.feed, *[f for f in self.feeds if f != self.feed]]
            self.feed = None
        if not self.feeds and not self.sitemaps:
            raise ValueError("needs at least one feed or sitemap URL ('feed', 'feeds' or 'sitemaps')")
        return self


def _parse_document(text: str, origin: str) -> Any:
    if text.lstrip().startswith(("[", "{")):
        try:
            return json.loads(text)
        except ValueError:
            pass  # YAML flow style looks like JSON but is not; let the YAML parser decide
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{origin}: not valid YAML or JSON: {exc}") from exc


def parse_sources(text: str, origin: str) -> list[Source]:
    """A YAML registry (`sources: [...]`) or a JSON/YAML list of `{id, name, feed}`."""
    data = _parse_document(text, origin)
    if isinstance(data, dict):
        entries = data.get("sources")
        if entries is None:
            raise ConfigError(f"{origin}: expected a top-level 'sources' list")
    else:
        entries = data
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{origin}: expected a non-empty list of sources")
    out: list[Source] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        label = entry.get("id", f"#{index + 1}") if isinstance(entry, dict) else f"#{index + 1}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{origin}: source {label}: expected a mapping, got {type(entry).__name__}")
        try:
            spec = SourceSpec.model_validate(entry)
        except ValidationError as exc:
            problems = "; ".join(
                f"field '{'.'.join(str(p) for p in err['loc']) or '(source)'}': {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"{origin}: source {label}: {problems}") from exc
        if spec.id in seen:
            raise ConfigError(f"{origin}: source {spec.id}: field 'id': duplicate id")
        seen.add(spec.id)
        out.append(
            Source(
                id=spec.id,
                name=spec.name or spec.id,
                feeds=tuple(spec.feeds),
                home=spec.home,
                language=spec.language,
                country=spec.country,
                enabled=spec.enabled,
                min_delay_s=spec.min_delay_s,
                sitemaps=tuple(spec.sitemaps),
                schedule_minutes=spec.schedule_minutes,
            )
        )
    return out
