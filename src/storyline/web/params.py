"""Parameters of the read API: what each accepts is stated in the OpenAPI schema and enforced, so a request the
schema allows is answered and any other gets a 422 saying which parameter is wrong and why."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import AfterValidator, BeforeValidator

from storyline.ports import MAX_OFFSET, MAX_PAGE

# No stored text can hold NUL (PostgreSQL refuses it), so a parameter holding one is malformed, not a miss.
_NO_NUL: dict[str, Any] = {"pattern": "^[^\\x00]*$"}


def _no_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError("must not contain a NUL character (\\x00)")
    return value


# RFC 3339 (the schema's `date-time`), and the same without its zone, to say what is missing.
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)")
_ZONELESS = re.compile(r"\d{4}-\d\d-\d\d(?:[Tt ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)?")
_TIME_EXAMPLE = "e.g. 2026-03-01T09:00:00Z or 2026-03-01T10:00:00+01:00"


def _rfc3339(value: object) -> object:
    """Only what the schema states: pydantic alone would also take a number (as Unix time) or a date."""
    if value is None or (isinstance(value, str) and _RFC3339.fullmatch(value)):
        return value
    if isinstance(value, str) and _ZONELESS.fullmatch(value):
        # Refused rather than guessed: 09:00 is a different instant in every zone, and a wrong guess would
        # silently shift the window.
        raise ValueError(f"needs a time zone, {_TIME_EXAMPLE}")
    raise ValueError(f"must be an RFC 3339 date-time with its zone, {_TIME_EXAMPLE}")


def _utc(value: datetime | None) -> datetime | None:
    """The instant in UTC, if it has one within the calendar."""
    if value is None:
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must fall within the years 1 to 9999 once converted to UTC") from None


_TIME_DOC = "RFC 3339 date-time with its zone (`Z` or `±hh:mm`); a time without a zone is refused (422)"

Since = Annotated[
    datetime | None,
    BeforeValidator(_rfc3339),
    AfterValidator(_utc),
    Query(description=f"stories still running at or after this time. {_TIME_DOC}"),
]
Until = Annotated[
    datetime | None,
    BeforeValidator(_rfc3339),
    AfterValidator(_utc),
    Query(description=f"stories that had started by this time. {_TIME_DOC}"),
]


NoNul = AfterValidator(_no_nul)


def _nul_free(where: Callable[..., Any], description: str) -> Any:
    """`Query` or `Path` metadata of a text parameter: its schema states what NoNul enforces."""
    return where(description=description, json_schema_extra=_NO_NUL)


Source = Annotated[str | None, NoNul, _nul_free(Query, "stories with an article from this source id")]
Entity = Annotated[str | None, NoNul, _nul_free(Query, "entity name (case-insensitive) or entity id")]
StoryText = Annotated[
    str | None, NoNul, _nul_free(Query, "text in a headline or member article title, as typed (no wildcards)")
]
EntityText = Annotated[str | None, NoNul, _nul_free(Query, "text in the entity's name, as typed (no wildcards)")]
Kind = Annotated[str | None, NoNul, _nul_free(Query, "person, organisation, place, group, event or product")]
StoryId = Annotated[str, NoNul, _nul_free(Path, "a story id; a merged story's id answers with its survivor")]
ArticleId = Annotated[str, NoNul, _nul_free(Path, "an article id")]
Language = Annotated[
    str | None,
    Query(
        pattern="^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
        description="stories with an article in this language (ISO 639 code, e.g. en, de, pt-BR)",
    ),
]
Sort = Annotated[
    Literal["recent", "significance"],
    Query(
        description="recent: last updated first; significance: the front page's ranking (stories from two or "
        "more outlets first, then by outlets, articles and how fast they came, decayed by age)",
    ),
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"page size, at most {MAX_PAGE}")]
Offset = Annotated[
    int,
    Query(
        ge=0,
        le=MAX_OFFSET,
        description=f"items to skip; past the last one the page is empty. At most {MAX_OFFSET} (the largest "
        "offset the SQL engines take), else 422",
    ),
]
