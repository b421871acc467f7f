"""Enrich: a changed story's sections (summary, perspectives, links, questions, cards), built per story."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from storyline.domain.batches import chunked
from storyline.domain.enrichment import Sections, StoryArticle, originals, sections_of
from storyline.domain.entities import ArticleMentions
from storyline.domain.errors import LlmUnavailable
from storyline.domain.links import Link, ProfileIndex
from storyline.domain.llm import Generated
from storyline.domain.questions import ParsedSentence, SentenceParser, ask
from storyline.events import CitedSentence, PerspectiveOut, StoryAssigned, StoryLinkOut, StoryUpdated, story_merged
from storyline.ports import EntityRecognizer, ProseWriter, StoryStore, TaskPool
from storyline.services.stages.common import InProcess

log = logging.getLogger(__name__)

# Stories whose sections are submitted to the task pool at once (bounds a rebuild's memory), and stored in one
# transaction (small enough that the first are stored while the workers build the rest).
_SECTIONS_PER_MAP = 256
_SECTIONS_PER_TRANSACTION = 32


class EnrichStage:
    """Debounced: assignments mark stories dirty; `flush` recomputes each dirty story once."""

    name = "enrich"

    def __init__(
        self,
        stories: StoryStore,
        recognizer: EntityRecognizer,
        writer: ProseWriter | None = None,
        tasks: TaskPool | None = None,
        parser: SentenceParser | None = None,
    ) -> None:
        self.stories = stories
        self.recognizer = recognizer
        self.writer = writer
        self.tasks = tasks or InProcess()
        # Parses each story's first summary sentence for the question it answers (Go deeper); None: no questions.
        self.parser = parser
        self.dirty: set[str] = set()
        self.generated_dropped = 0  # sentences the prose model wrote that their citations did not support

    def ahead(self, events: Iterable[StoryAssigned]) -> Iterator[tuple[StoryAssigned, None]]:
        return ((e, None) for e in events)  # nothing to do ahead: the work is at the flush

    def handle_batch(self, pairs: Sequence[tuple[StoryAssigned, None]]) -> list[list[StoryUpdated]]:
        """Mark each assignment's story dirty; its sections are rebuilt at the flush (once per story)."""
        for event, _ in pairs:
            self.mark(event.story_id)
        return [[] for _ in pairs]

    def close(self) -> None:
        if self.parser is not None:
            self.parser.close()

    def mark(self, story_id: str) -> None:
        if self.parser is not None and not self.dirty:
            # Sections are owed: the question parser starts loading in the background (once), off the flush; at
            # the first story, i.e. during clustering, when only one core is busy.
            self.parser.prepare()
        self.dirty.add(story_id)

    def reset(self) -> None:
        return None  # dirty marks survive: their assignments are already in the warehouse

    def flush(self) -> list[StoryUpdated]:
        # And the sections still owed in the warehouse: marked with each membership, so the ones a process that
        # died never built are built now (ADR 0013).
        self.dirty.update(self.stories.pending_sections())
        if not self.dirty:
            return []
        dfs = self.stories.load_document_frequencies()
        profiles = ProfileIndex(self.stories.story_profiles(exclude=""))
        # A story merged by consolidation is enriched as its survivor (which covers the merged articles).
        into = {d: self.stories.resolve_story(d) for d in sorted(self.dirty)}
        merged: dict[str, list[str]] = {}  # survivor -> the dirty stories merged into it
        for d, survivor in into.items():
            if survivor != d:
                merged.setdefault(survivor, []).append(d)
        members = self.stories.story_articles_many(sorted(set(into.values())))
        # Rows stored before entities were recognised at extraction: one recogniser pass over all of them (the
        # model batches far better than one call per story; it caches by article id for _mentions below).
        self.recognizer.mentions([a for arts in members.values() for a in originals(arts) if a.entities is None])
        stories = [(sid, arts) for sid, arts in members.items() if arts]
        out: list[StoryUpdated] = []
        for at in range(0, len(stories), _SECTIONS_PER_MAP):
            chunk = stories[at : at + _SECTIONS_PER_MAP]
            # Sections are pure and the costly part: built on every core (the pool sends `dfs` once per task). The
            # first ones are parsed and stored here while the workers build the rest.
            built = self.tasks.imap(sections_of, [(arts, dfs, self._mentions(originals(arts))) for _, arts in chunk])
            for part in chunked(zip(chunk, built, strict=True), _SECTIONS_PER_TRANSACTION):
                stories_part = [story for story, _ in part]
                out.extend(self._save(stories_part, [sections for _, sections in part], profiles, merged))
        self.dirty.clear()
        return out

    def _mentions(self, articles: Sequence[StoryArticle]) -> dict[str, ArticleMentions]:
        """Entities as the extract stage stored them; recognised here only for rows that predate that."""
        stored = {a.article_id: a.entities for a in articles if a.entities is not None}
        missing = [a for a in articles if a.entities is None]
        return {**stored, **(self.recognizer.mentions(missing) if missing else {})}

    def _with_prose(self, sections: Sections, articles: Sequence[StoryArticle]) -> Sections:
        """Add model-written prose when the optional backend answers; on any failure keep the extractive sections
        (they are always stored, so a page never depends on the model)."""
        assert self.writer is not None
        try:
            prose = self.writer.write(sections.headline, articles)
        except (LlmUnavailable, ValueError) as exc:
            log.warning("prose model skipped: %s", exc)
            return sections
        self.generated_dropped += prose.dropped
        return replace(sections, generated=Generated(self.writer.model, prose))

    def _save(
        self,
        stories: Sequence[tuple[str, Sequence[StoryArticle]]],
        built: Sequence[Sections],
        profiles: ProfileIndex,
        merged: dict[str, list[str]],
    ) -> list[StoryUpdated]:
        """Write a chunk of stories' sections in one transaction; an update for each story that changed, then a
        record for each story merged into one of them (`merged`: survivor -> merged stories)."""
        items = []
        for (sid, articles), extractive, parsed in zip(stories, built, self._parses(stories, built), strict=True):
            sections = self._with_prose(extractive, articles) if self.writer is not None else extractive
            items.append((sid, ask(sections, parsed), profiles.links(sid)))
        # The merged stories' records are settled in the survivors' transaction: one merged meanwhile (by the cluster
        # worker) keeps its mark for the next flush. The one place merges reach the change feed, for embedded runs,
        # the enrich worker and the maintenance pass alike (ADR 0020).
        settled = [(m, sid) for sid, _ in stories for m in merged.get(sid, ())]
        snapshots = self.stories.save_sections_many(items, [m for m, _ in settled])
        updates = [self._updated(*item, snap) for item, snap in zip(items, snapshots, strict=True) if snap is not None]
        # After the survivors' snapshots: a consumer never drops a story before the one holding its articles is there.
        return updates + [self._merged(m, survivor) for m, survivor in settled]

    def _merged(self, story_id: str, survivor: str) -> StoryUpdated:
        snap = self.stories.story_snapshot(story_id)
        return story_merged(story_id, survivor, snap["headline"], snap["first_seen"], snap["last_seen"])

    def _parses(
        self, stories: Sequence[tuple[str, Sequence[StoryArticle]]], built: Sequence[Sections]
    ) -> list[ParsedSentence | None]:
        """One parse per story from 2+ outlets, of its first summary sentence only (the one its question asks
        about), in one batch for the chunk: the parser's cost stays per story, not per article, and goes where a
        reader is sent (issue 17: NLP per multi-outlet story; a lone outlet's story rarely answers a link's
        question). The sentence's language is its article's."""
        if self.parser is None:
            return [None] * len(built)
        firsts = [b.what_happened[0] if b.what_happened and len(b.outlets) > 1 else None for b in built]
        language = {a.article_id: a.language for _, arts in stories for a in arts}
        cited = [f for f in firsts if f is not None]
        parsed = self.parser.parse([f.text for f in cited], [language.get(f.article_id) for f in cited])
        it = iter(parsed)
        return [next(it) if f is not None else None for f in firsts]

    @staticmethod
    def _updated(sid: str, sections: Sections, links: Sequence[Link], snap: dict[str, Any]) -> StoryUpdated:
        return StoryUpdated(
            event_time=snap["last_seen"],
            story_id=sid,
            headline=sections.headline,
            what_happened=[CitedSentence(**c.to_json()) for c in sections.what_happened],
            behind_the_headline=[CitedSentence(**c.to_json()) for c in sections.behind],
            perspectives=[
                PerspectiveOut(
                    source_id=p.source_id,
                    source_name=p.source_name,
                    article_ids=list(p.article_ids),
                    sentences=[CitedSentence(**c.to_json()) for c in p.sentences],
                )
                for p in sections.perspectives
            ],
            entities=list(snap["sections"].get("entities", [])),
            links=[StoryLinkOut(story_id=lk.other_id, kind=lk.kind, score=lk.score) for lk in links],
            article_ids=list(snap["article_ids"]),
            outlets=list(sections.outlets),
            first_seen=snap["first_seen"],
            last_seen=snap["last_seen"],
            article_count=snap["article_count"],
            outlet_count=len(sections.outlets),
            merged_into=snap["merged_into"],
        )
