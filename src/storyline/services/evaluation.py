"""Evaluation use case: join gold labels with the warehouse's assignments and score them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from storyline.domain.errors import ConfigError
from storyline.domain.evaluation import GoldArticle, Predicted, Report, evaluate, worst_errors


def _gold_time(value: object) -> datetime | None:
    """A gold publication time; one without a zone is read as UTC, so any two can be compared."""
    if not value:
        return None
    when = datetime.fromisoformat(str(value))
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def parse_gold(text: str, base_url: str, origin: str) -> list[GoldArticle]:
    """Gold JSON lines; `{{BASE}}` in URLs is replaced by the served base URL."""
    base = base_url.rstrip("/")
    rows: list[GoldArticle] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line.replace("{{BASE}}", base))
            rows.append(
                GoldArticle(
                    url=raw["url"],
                    story=str(raw["story"]),
                    duplicate_of=raw.get("duplicate_of"),
                    near_copies=frozenset(raw.get("near_copies") or []),
                    corpus=str(raw.get("corpus", "all")),
                    title=str(raw.get("title", "")),
                    text=str(raw.get("text", "")),
                    published_at=_gold_time(raw.get("published_at")),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{origin}: line {n}: not a gold article ({exc.__class__.__name__}: {exc})") from exc
    return rows


def predictions(assignments: list[dict[str, Any]], texts: Mapping[str, str]) -> dict[str, Predicted]:
    return {
        a["url"]: Predicted(
            url=a["url"], story_id=a["story_id"], duplicate_of=a["duplicate_of"], text=texts.get(a["url"])
        )
        for a in assignments
    }


def run_eval(
    gold: list[GoldArticle], assignments: list[dict[str, Any]], texts: Mapping[str, str]
) -> tuple[list[Report], dict[str, list[tuple[str, str]]]]:
    pred = predictions(assignments, texts)
    return evaluate(gold, pred), worst_errors(gold, pred)
