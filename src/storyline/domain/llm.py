"""LLM-written story prose, held to its citations: prompt building, answer parsing and support checks."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from storyline.domain.enrichment import SUMMARY_MAX_SENTENCES, SUMMARY_MAX_WORDS, StoryArticle, originals
from storyline.domain.text import normalise_whitespace, terms

SECTIONS = ("what_happened", "behind")
DEFAULT_MIN_SUPPORT = 0.6
# Thousands separators are dropped so "1,200" and "1200" meet; a decimal point is kept ("2.6" is not "26").
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)

SYSTEM_PROMPT = f"""You write two sections of a news story page from the articles you are given, and nothing else.

Answer ONLY with one JSON object, no prose before or after it, of exactly this form:
{{"what_happened": [{{"text": "<sentence>", "cite": ["<article_id>", ...]}}, ...],
 "behind": [{{"text": "<sentence>", "cite": ["<article_id>", ...]}}, ...]}}

Rules:
- "what_happened": 2 to {SUMMARY_MAX_SENTENCES} sentences, at most {SUMMARY_MAX_WORDS} \
words in total, the lead facts first (who, what, where, when).
- "behind": up to 4 sentences of context and analysis: causes, stakes, what officials or experts said \
(quote them as the articles do).
- Every sentence must cite, in "cite", the ids of the articles that state it, written exactly as given \
between the square brackets (without the brackets).
- A sentence may only state what its cited articles say. Do not add facts, numbers, names, dates or \
opinions that are not in those articles. Reuse the articles' own words for facts and figures.
- If the articles do not support a section, give it as an empty list."""


@dataclass(frozen=True)
class LlmSentence:
    """A written sentence, the articles it cites, and the share of its content terms those articles contain."""

    text: str
    article_ids: tuple[str, ...]
    support: float


@dataclass(frozen=True)
class LlmProse:
    """The sentences that survived verification, and how many were dropped and why."""

    what_happened: tuple[LlmSentence, ...]
    behind: tuple[LlmSentence, ...]
    dropped: int
    dropped_reasons: tuple[str, ...]


@dataclass(frozen=True)
class Generated:
    """Verified prose of one story as stored with its sections: which model wrote it, and what was dropped."""

    model: str
    prose: LlmProse

    def to_json(self) -> dict[str, object]:
        def sent(g: LlmSentence) -> dict[str, object]:
            return {"text": g.text, "article_ids": list(g.article_ids), "support": round(g.support, 4)}

        return {
            "model": self.model,
            "what_happened": [sent(g) for g in self.prose.what_happened],
            "behind_the_headline": [sent(g) for g in self.prose.behind],
            "dropped": self.prose.dropped,
            "dropped_reasons": list(self.prose.dropped_reasons),
        }


def _article_block(article: StoryArticle, max_words: int) -> str:
    body = normalise_whitespace(article.text).split()
    excerpt = " ".join(body[:max_words])
    if len(body) > max_words:
        excerpt += " …"
    return f"[{article.article_id}] {article.source_name} — {normalise_whitespace(article.title)}\n{excerpt}"


def build_messages(
    headline: str, articles: Sequence[StoryArticle], max_words_per_article: int = 250
) -> list[dict[str, str]]:
    """System and user messages for a chat-completions call; wire copies are left out (their words are the
    original's, and citing them would not add an outlet)."""
    if not articles:
        raise ValueError("a story has at least one article")
    blocks = [_article_block(a, max_words_per_article) for a in originals(articles)]
    user = (
        f"Story headline: {normalise_whitespace(headline)}\n\n"
        "Articles (each starts with its id in square brackets, then outlet — title):\n\n"
        + "\n\n".join(blocks)
        + "\n\nWrite the JSON object now."
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def _json_candidates(content: str) -> list[str]:
    # A fenced block is what the model meant as its answer; otherwise fall back to the raw text.
    fenced = [m.group(1) for m in _FENCE.finditer(content)]
    return [*fenced, content]


def _first_object(text: str) -> object | None:
    """The first JSON object in `text`, skipping prose (and stray braces) before it."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, _end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    return None


def _clean_id(raw: str) -> str:
    # The prompt shows ids as "[id]"; a model that copies the brackets still means the id.
    return raw.strip().strip("[]").strip()


def _parse_items(section: str, value: object) -> list[tuple[str, list[str]]]:
    if not isinstance(value, list):
        raise ValueError(f"LLM answer: {section!r} must be a list, got {type(value).__name__}")
    out: list[tuple[str, list[str]]] = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise ValueError(f"LLM answer: {section}[{i}] must be an object, got {type(item).__name__}")
        text = item.get("text")
        if not isinstance(text, str):
            raise ValueError(f"LLM answer: {section}[{i}].text must be a string")
        cite = item.get("cite", [])
        if cite is None:
            cite = []
        elif isinstance(cite, str):
            cite = [cite]
        if not isinstance(cite, list) or not all(isinstance(c, str) for c in cite):
            raise ValueError(f"LLM answer: {section}[{i}].cite must be a list of article id strings")
        # A missing citation is not malformed: verify() drops and counts the sentence.
        out.append((text, [_clean_id(c) for c in cite if _clean_id(c)]))
    return out


def parse_response(content: str) -> dict[str, list[tuple[str, list[str]]]]:
    """The model's answer as {section: [(sentence, [article_id, ...]), ...]}; raises ValueError on any other
    shape. Tolerates a ```json fence and prose around the object."""
    if not isinstance(content, str) or not content.strip():
        raise ValueError("LLM answer is empty")
    obj: object | None = None
    for candidate in _json_candidates(content):
        obj = _first_object(candidate)
        if obj is not None:
            break
    if not isinstance(obj, dict):
        raise ValueError(f"LLM answer holds no JSON object: {content[:80]!r}")
    missing = [s for s in SECTIONS if s not in obj]
    if missing:
        raise ValueError(f"LLM answer lacks {', '.join(repr(m) for m in missing)}; keys were {sorted(obj)!r}")
    return {section: _parse_items(section, obj[section]) for section in SECTIONS}


def _content_tokens(text: str) -> set[str]:
    """Content words plus numbers: an invented figure is as much an unsupported claim as an invented name."""
    nums = {"#" + n.replace(",", "") for n in _NUMBER.findall(text)}
    return set(terms(text)) | nums


def support(sentence: str, cited_texts: Sequence[str]) -> float:
    """Share of the sentence's distinct content terms (numbers included) found in the cited texts."""
    wanted = _content_tokens(sentence)
    if not wanted:
        return 0.0
    have: set[str] = set()
    for text in cited_texts:
        have |= _content_tokens(text)
    return len(wanted & have) / len(wanted)


def verify(
    parsed: Mapping[str, Sequence[tuple[str, Sequence[str]]]],
    articles: Sequence[StoryArticle],
    min_support: float = DEFAULT_MIN_SUPPORT,
) -> LlmProse:
    """Keep a sentence only if it cites member articles that support it; drop and count the rest."""
    by_id = {a.article_id: a for a in articles}
    reasons: list[str] = []
    kept: dict[str, list[LlmSentence]] = {s: [] for s in SECTIONS}
    for section in SECTIONS:
        for raw_text, raw_ids in parsed.get(section, []):
            text = normalise_whitespace(raw_text)
            if not text:
                reasons.append("empty sentence")
                continue
            ids = tuple(dict.fromkeys(i for i in raw_ids if i))  # deduplicated, order kept
            if not ids:
                reasons.append("no citation")
                continue
            unknown = [i for i in ids if i not in by_id]
            if unknown:
                reasons.append(f"unknown article id {unknown[0]!r}")
                continue
            cited_texts = [f"{by_id[i].title}\n{by_id[i].text}" for i in ids]
            score = support(text, cited_texts)
            if score < min_support:
                reasons.append(f"support {score:.2f} < {min_support:.2f}")
                continue
            # A figure no cited article states is an invented claim however well the words around it match
            # ("$26 million" against "$2.6 million" passes on overlap alone).
            stated = {t for c in cited_texts for t in _content_tokens(c) if t.startswith("#")}
            foreign = sorted(t for t in _content_tokens(text) if t.startswith("#") and t not in stated)
            if foreign:
                reasons.append(f"number {foreign[0][1:]} not in the cited articles")
                continue
            kept[section].append(LlmSentence(text, ids, score))
    what_happened: list[LlmSentence] = []
    n_words = 0
    for sent in kept["what_happened"]:
        # Capped after verification, so a dropped sentence does not use up the budget of a supported one.
        if len(what_happened) >= SUMMARY_MAX_SENTENCES:
            reasons.append(f"what_happened over {SUMMARY_MAX_SENTENCES} sentences")
            continue
        n = len(sent.text.split())
        if n_words + n > SUMMARY_MAX_WORDS:
            reasons.append(f"what_happened over {SUMMARY_MAX_WORDS} words")
            continue
        what_happened.append(sent)
        n_words += n
    return LlmProse(
        what_happened=tuple(what_happened),
        behind=tuple(kept["behind"]),
        dropped=len(reasons),
        dropped_reasons=tuple(reasons),
    )
