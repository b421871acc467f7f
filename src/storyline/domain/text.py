"""Text primitives: normalisation, tokens, sentences with character spans, proper-noun phrases."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import sentencex

_WS = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
# A split before a lowercase letter or a digit is a segmenter's mistake, not a sentence start: "$57. 5 million"
# (tokenised corpora), "The Const. says", "fell 3 pct. to $40".
_CONTINUES = re.compile(r"^[\"'“‘(\[]*[a-z0-9]")
_LANGUAGE = re.compile(r"^[a-z]{2,3}")
_OTHER_SPACE = re.compile(r"[^\S\n ]")
# Ranks and titles that stand before a name and never end a sentence, where the segmenter's lists lack them
# ("police spokesman Const. Tim Fanning").
_TITLE_BEFORE_NAME = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Prof|Gov|Sen|Rep|Gen|Lt|Col|Capt|Const|Cst|Cpl|Pte|Pc|Pvt|Supt|Insp|Det|Sgt|Cmdr|Adm|Maj|"
    r"Atty|Hon|Rev|Ft|Mt)\.$"
)
# The rest of a dotted abbreviation the segmenter cut ("R-S." + "C., made the request").
_INITIAL_AFTER = re.compile(r"^[A-Z]\.[,;:)]")
# An opening quotation mark the segmenter left at the end of the sentence before it.
_OPENING_QUOTE = re.compile(r"\s[“‘\"«(]$")

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "said",
        "says",
        "say",
        "told",
        "according",
        "one",
        "two",
        "three",
        "new",
        "year",
        "years",
        "first",
        "last",
        "also",
        "could",
        "may",
        "might",
        "must",
        "shall",
        "would",
        "like",
        "get",
        "got",
        "make",
        "made",
        "many",
        "much",
        "us",
        "mr",
        "mrs",
        "ms",
        "per",
        "via",
        "since",
        "around",
        "among",
        "however",
        "including",
        "week",
        "weeks",
        "day",
        "days",
        "time",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "today",
        "yesterday",
        "tomorrow",
        "people",
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "ein",
        "eine",
        "mit",
        "von",
        "den",
        "dem",
        "des",
        "auf",
        "für",
        "sich",
        "im",
        "zu",
        "es",
        "le",
        "la",
        "les",
        "et",
        "des",
        "un",
        "une",
        "du",
        "en",
        "est",
        "pour",
        "que",
        "qui",
        "dans",
        "el",
        "los",
        "las",
        "y",
        "del",
        "por",
        "con",
        "para",
        "una",
    ]
)


@dataclass(frozen=True)
class Sentence:
    """A sentence and its [start, end) character span in the text it came from."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Cited:
    """Words shown on a story page (a sentence, a description) and exactly where they came from."""

    text: str
    article_id: str
    start: int
    end: int

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "article_id": self.article_id, "start": self.start, "end": self.end}


def normalise_whitespace(text: str) -> str:
    return _WS.sub(" ", text).strip()


def normalise_for_hash(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed: the form exact-duplicate hashing sees."""
    return normalise_whitespace(unicodedata.normalize("NFKC", text).casefold())


def words(text: str) -> list[str]:
    """Word tokens in their original case."""
    return _WORD.findall(text)


def terms(text: str) -> list[str]:
    """Lower-cased content words: no stopwords, no one-letter tokens."""
    out: list[str] = []
    for w in _WORD.findall(text):
        t = w.casefold().replace("’", "'")
        if len(t) > 1 and t not in STOPWORDS and not t.isdigit():
            out.append(t)
    return out


@lru_cache(maxsize=20_000)
def sentence_terms(sentence: str) -> tuple[str, ...]:
    """`terms` of one sentence, memoised: a story's sections ask them of the same sentence for its vector, its
    facts and whether it is on the event (articles' whole texts are not cached: too big to keep)."""
    return tuple(terms(sentence))


def numbers(text: str) -> list[str]:
    """Numbers of two or more digits, marked with '#': scores, tolls, amounts and dates tell apart two events of
    the same kind ("20-13" against "31-24", "$2.6 million" against "$108 million") where words cannot."""
    return ["#" + w for w in _WORD.findall(text) if w.isdigit() and len(w) > 1]


def sentences(text: str, language: str | None = "en") -> list[Sentence]:
    """Split into sentences with exact spans, so every extract can cite where it came from.

    Paragraphs (line breaks) always end a sentence; inside one, sentencex (Wikimedia's rule-based segmenter: per
    language abbreviation lists, ~300 languages, native code) finds the boundaries. A hand-kept abbreviation list
    cut "Calif.", "Const.", "F.B.I." and URLs mid-sentence on real news (issue 17)."""
    lang = _LANGUAGE.match((language or "en").casefold())
    code = lang.group(0) if lang else "en"
    out: list[Sentence] = []
    for para_start, para in _paragraphs(text):
        for start, end in _pieces(para, _boundaries(code, para)):
            out.extend(_span(para, para_start, start, end))
    return out


def _pieces(para: str, bounds: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The segmenter's pieces of a paragraph with our corrections: an opening quote goes with the sentence it
    opens, and a piece that cannot start a sentence (lowercase, the rest of "R-S.C.", after a rank) joins the one
    before."""
    pieces: list[tuple[int, int]] = []
    for found, end in bounds:
        start = found
        if pieces:
            before = para[pieces[-1][0] : pieces[-1][1]].rstrip(" ")
            if _OPENING_QUOTE.search(before):
                start = pieces[-1][0] + len(before) - 1
                pieces[-1] = (pieces[-1][0], start)
        piece = para[start:end].lstrip()
        if pieces and (
            _CONTINUES.match(piece)
            or _INITIAL_AFTER.match(piece)
            or _TITLE_BEFORE_NAME.search(para[pieces[-1][0] : pieces[-1][1]].rstrip())
        ):
            pieces[-1] = (pieces[-1][0], end)
        else:
            pieces.append((start, end))
    return pieces


def _boundaries(code: str, para: str) -> list[tuple[int, int]]:
    """sentencex's boundaries in a paragraph. Every other whitespace character goes in as a plain space, one for
    one so offsets hold: sentencex 1.0.32 panics on some ("\u00a0" beside a full stop). A panic of its native
    code reaches Python as a BaseException, not an Exception; should another input cause one, the paragraph is
    one sentence rather than the article (and the batch with it) failing."""
    try:
        found = sentencex.get_sentence_boundaries(code, _OTHER_SPACE.sub(" ", para))
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":
            raise
        return [(0, len(para))]
    return [(int(b["start_index"]), int(b["end_index"])) for b in found]


def _paragraphs(text: str) -> Iterator[tuple[int, str]]:
    start = 0
    for match in re.finditer(r"\n+", text):
        yield start, text[start : match.start()]
        start = match.end()
    yield start, text[start:]


def _span(para: str, offset: int, start: int, end: int) -> list[Sentence]:
    chunk = para[start:end]
    stripped = chunk.strip()
    if not stripped:
        return []
    lead = len(chunk) - len(chunk.lstrip())
    s = offset + start + lead
    return [Sentence(stripped, s, s + len(stripped))]


_CAP = re.compile(r"^[A-ZÀ-ÖØ-Þ][\w'’.-]*$")
_CONNECTORS = frozenset({"of", "de", "van", "von", "der", "la", "al", "bin", "da", "del", "du", "le"})


def proper_noun_phrases(text: str) -> list[str]:
    """Runs of capitalised words not opening a sentence: a cheap, language-light stand-in for NER."""
    found: list[str] = []
    for sent in sentences(text):
        toks = words(sent.text)
        run: list[str] = []
        for i, tok in enumerate(toks):
            capital = bool(_CAP.match(tok)) and tok.casefold() not in STOPWORDS
            if (capital and (i > 0 or len(run) > 0)) or (
                run and tok in _CONNECTORS and i + 1 < len(toks) and _CAP.match(toks[i + 1])
            ):
                run.append(tok)
            else:
                if run:
                    found.append(" ".join(run))
                run = []
                # A capitalised sentence opener is ambiguous ("The", "Police"); keep it only if the next word
                # is capitalised too, in which case it starts a multi-word name.
                if capital and i == 0 and len(toks) > 1 and _CAP.match(toks[1]):
                    run = [tok]
        if run:
            found.append(" ".join(run))
    return [p for p in found if len(p) > 2]
