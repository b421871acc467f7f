"""The read API and the story page: FastAPI routes over the read side's port, HTML through autoescaped Jinja2."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from storyline.domain.entities import entity_id as card_entity_id
from storyline.domain.pages import PageLinks
from storyline.ports import StoryFilter, StoryReader
from storyline.services.editorial import story_links
from storyline.web.citations import text_fragment
from storyline.web.models import (
    ArticleDetail,
    EntityPage,
    ErrorOut,
    SourceOut,
    StoryDetail,
    StoryPage,
)
from storyline.web.params import (
    ArticleId,
    Entity,
    EntityText,
    Kind,
    Language,
    Limit,
    Offset,
    Since,
    Sort,
    Source,
    StoryId,
    StoryText,
    Until,
)

TEMPLATES = Path(__file__).parent / "templates"
FRONT_PAGE = 50  # stories per front page


def _env() -> Environment:
    # Autoescape everything: titles and bodies are whatever outlets published, hostile markup included.
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True))
    env.filters["day"] = lambda v: (datetime.fromisoformat(v) if isinstance(v, str) else v).strftime("%-d %B %Y")
    # A query string of the parameters that are set (paging links keep the search and the language).
    env.filters["fragment"] = text_fragment
    env.filters["pairs"] = lambda params: urlencode({k: v for k, v in params.items() if v not in ("", None)})
    return env


def _not_found(what: str) -> dict[int | str, dict[str, Any]]:
    """The schema's answer of an endpoint that looks one item up by its id, when none has it."""
    return {404: {"model": ErrorOut, "description": f"No {what} has this id."}}


def _detail(reader: StoryReader, story_id: str) -> tuple[dict[str, Any], PageLinks, dict[str, dict[str, Any]]]:
    story = reader.story(story_id)
    if story is None:
        raise HTTPException(status_code=404, detail=f"no story {story_id!r}")
    links = story_links(reader, story)
    cited: set[str] = {a["article_id"] for a in story["articles"]}
    cited |= {b.headline_article_id for b in links.how_we_got_here if b.headline_article_id}
    cited |= {str(b.sentence["article_id"]) for b in links.how_we_got_here if b.sentence}
    cited |= {str(q.answer["article_id"]) for q in links.go_deeper}
    # A card may cite a description another story's coverage wrote (SqlReader._described).
    cited |= {str(e["description"]["article_id"]) for e in story["sections"]["entities"] if e.get("description")}
    # Generated prose cites member articles only, which are already in `cited`.
    return story, links, reader.articles(sorted(cited))


def create_app(reader: StoryReader) -> FastAPI:
    """The app over `reader` (the composition root gives the warehouse's read-only reader; tests may give a fake)."""
    app = FastAPI(
        title="Storyline read API",
        version="1",
        description="Stories clustered from many outlets, with every sentence cited to the article it came from.",
    )
    env = _env()

    @app.get("/api/stories", response_model=StoryPage, tags=["stories"])
    def list_stories(
        since: Since = None,
        until: Until = None,
        source: Source = None,
        entity: Entity = None,
        q: StoryText = None,
        language: Language = None,
        sort: Sort = "recent",
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        total, items = reader.list_stories(
            StoryFilter(since, until, source, entity, q, limit, offset, language=language, sort=sort)
        )
        return {"total": total, "limit": limit, "offset": offset, "items": items}

    @app.get(
        "/api/stories/{story_id}",
        response_model=StoryDetail,
        tags=["stories"],
        responses=_not_found("story"),
    )
    def story_detail(story_id: StoryId) -> dict[str, Any]:
        story, links, _ = _detail(reader, story_id)
        return {
            **story,
            "how_we_got_here": [asdict(b) for b in links.how_we_got_here],
            "go_deeper": [{"question": q.text, "story_id": q.story_id, "answer": q.answer} for q in links.go_deeper],
        }

    @app.get(
        "/api/articles/{article_id}",
        response_model=ArticleDetail,
        tags=["articles"],
        responses=_not_found("article"),
    )
    def article(article_id: ArticleId) -> dict[str, Any]:
        found = reader.article(article_id)
        if found is None:
            raise HTTPException(status_code=404, detail=f"no article {article_id!r}")
        return found

    @app.get("/api/entities", response_model=EntityPage, tags=["entities"])
    def entities(q: EntityText = None, kind: Kind = None, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
        total, items = reader.entities(q, kind, limit, offset)
        return {"total": total, "limit": limit, "offset": offset, "items": items}

    @app.get("/api/sources", response_model=list[SourceOut], tags=["sources"])
    def sources() -> list[dict[str, Any]]:
        return reader.sources()

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(q: StoryText = None, language: Language = None, offset: Offset = 0) -> str:
        page = StoryFilter(query=q, limit=FRONT_PAGE, offset=offset, language=language, sort="significance")
        total, items = reader.list_stories(page)
        return env.get_template("index.html").render(
            stories=items, total=total, q=q or "", language=language or "", offset=offset, size=FRONT_PAGE
        )

    @app.get("/stories/{story_id}", response_class=HTMLResponse, include_in_schema=False, response_model=None)
    def story_page(story_id: StoryId, request: Request) -> HTMLResponse | RedirectResponse:
        story, links, articles = _detail(reader, story_id)
        if story["story_id"] != story_id:
            # A merged story's page moved to its survivor's; the old address keeps working.
            return RedirectResponse(url=str(request.url_for("story_page", story_id=story["story_id"])), status_code=301)
        html = env.get_template("story.html").render(story=story, s=story["sections"], links=links, art=articles)
        return HTMLResponse(html)

    @app.get("/entities/{entity_id}", response_class=HTMLResponse, include_in_schema=False)
    def entity_page(entity_id: str) -> HTMLResponse:
        card, stories, articles = _entity(reader, entity_id)
        return HTMLResponse(env.get_template("entity.html").render(e=card, stories=stories, art=articles))

    return app


ENTITY_STORIES = 100  # stories listed on an entity's page, newest first
_CARDS_READ = 5  # newest stories whose cards are read for the entity's description


def _entity(
    reader: StoryReader, entity_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """An entity's card (name, kind, the cited description of its newest story that has one) and its stories."""
    _, stories = reader.list_stories(StoryFilter(entity=entity_id, limit=ENTITY_STORIES, sort="recent"))
    card: dict[str, Any] | None = None
    for brief in stories[:_CARDS_READ]:
        story = reader.story(brief["story_id"])
        for c in (story or {}).get("sections", {}).get("entities", []):
            # Cards stored before cards carried their id are matched by the id their kind and name give.
            if (c.get("entity_id") or card_entity_id(c["kind"], c["name"])) == entity_id:
                card = c if card is None or (c.get("description") and not card.get("description")) else card
        if card is not None and card.get("description"):
            break
    if card is None:
        raise HTTPException(status_code=404, detail=f"no entity {entity_id!r}")
    cited = [card["description"]["article_id"]] if card.get("description") else []
    return {**card, "entity_id": entity_id}, stories, reader.articles(cited)
