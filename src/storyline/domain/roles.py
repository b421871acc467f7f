"""What a sentence does on a story page: states a fact on its own, gives context, quotes someone (and whom).

Pure patterns over English news sentences; other languages get no role cues (their sections fall back to the
central sentences), which is why every function here takes the text alone and never guesses a language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from storyline.domain.text import STOPWORDS, numbers, sentence_terms, words
from storyline.domain.vocabulary import SUBORDINATORS, WHEN_WORDS

# An opener that leans on an earlier sentence: a pronoun with no antecedent on the page, a connective, a teaser.
_LEANS_BACK = re.compile(
    r"^[\"“‘'(]*(?:he|she|it|they|this|that|these|those|his|her|its|their|we|i|you|there|but|and|or|so|also|"
    r"meanwhile|however|still|yet|then|instead|nevertheless|now|here|such|both|neither|the two|the pair|"
    r"the latter|the former|another|other|others|similarly|likewise|in addition|as well)\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(r"\?[\"”’']?$")
_QUOTE = re.compile(r"[\"“”«»]|(?:^|\s)‘")
_ATTRIBUTION = re.compile(r"\b(?:said|says|told|added|according to|stated|warned|explained|insisted|argued)\b")

# Cues of context rather than of the event itself. "said" alone is every news sentence, so it is not one.
CONTEXT_CUES: dict[str, re.Pattern[str]] = {
    "cause": re.compile(
        r"\b(?:because|due to|as a result of|in response to|prompted by|caused by|stemm\w* from|amid|after years)\b",
        re.IGNORECASE,
    ),
    "consequence": re.compile(
        r"\b(?:could|would|may|might|expected to|likely to|is set to|are set to|will face|means that|"
        r"as a result|consequences?|impact|implications?|lead to|paves? the way)\b",
        re.IGNORECASE,
    ),
    "background": re.compile(
        r"\b(?:last year|previously|earlier this|in (?:19|20)\d\d|since (?:19|20)\d\d|for years|for decades|"
        r"history|first time since|has long|had long|was founded|the latest in|years ago|months ago|record)\b",
        re.IGNORECASE,
    ),
    "stakes": re.compile(
        r"\b(?:risk\w*|threat\w*|concerns?|fears?|warn\w*|crisis|at stake|critics?|controvers\w*|debate|"
        r"pressure|challenge\w*|uncertain\w*)\b",
        re.IGNORECASE,
    ),
}
# All cues in one pattern, a named group per kind: one pass over a sentence instead of one per kind. Matched
# against the lowercased sentence, case-sensitively: the same matches at half the cost of IGNORECASE.
_ANY_CUE = re.compile("|".join(f"(?P<{kind}>{cue.pattern})" for kind, cue in CONTEXT_CUES.items()))
# Whose words count as an informed statement: officials, experts, spokespeople, named authorities.
_OFFICIAL = re.compile(
    r"\b(?:officials?|spokes(?:man|woman|person)|minister|president|police|prosecutors?|analysts?|experts?|"
    r"professor|chief|director|executive|ceo|chairman|secretary|governor|mayor|senator|lawyer|attorney|"
    r"economists?|researchers?|manager|commissioner|judge|sheriff|coach|union|agency|department|ministry)\b",
    re.IGNORECASE,
)
# "…," said John Smith, the chief executive of Acme. / said Vancouver police spokesman Tim Fanning. / John Smith, a
# police spokesman, said … / … according to X. A title before the name ("police spokesman") is its role.
_NAME = r"((?:[A-Z][\w'’.-]+\s){0,3}[A-Z][\w'’-]+)"
# Possessive runs (never given back): the capitalised words must be followed by a lowercase one and the lowercase
# words by the name's capital, so giving a word back can never make a match; without them the pattern backtracked
# through every run of words in a sentence (about 200 µs a quote). Matches start at a word's start for the same
# reason: a start inside a word ("pokesman") only ever repeats a match from that word's start.
_TITLE = r"((?:[A-Z][\w'’.-]*\s)*+(?:[a-z][\w'’-]*\s)++)?"
# After "said" the name ends the clause ("…," said Tim Fanning.): in "said Microsoft went…" it is what was said.
_SAID_NAME = re.compile(
    r"\b(?:said|says|added)\s+" + _TITLE + _NAME + r"(?:,\s+((?:the|a|an)\s[^,.;:\"”]+))?(?=[,.;:!?\"”]|$)"
)
_NAME_SAID = re.compile(
    r"(?<![\w'’.-])" + _TITLE + _NAME + r"(?:,\s+((?:the|a|an|who)\s[^,;:\"”]+),)?\s+(?:said|says|told|added)\b"
)
_ACCORDING = re.compile(r"\baccording to\s+(?:the\s)?" + _NAME + r"(?:,\s+((?:the|a|an)\s[^,.;:\"”]+))?")
_PRONOUNS = frozenset({"He", "She", "They", "It", "We", "I", "The", "This", "That", "But", "And"})


def stands_alone(text: str) -> bool:
    """A sentence a page can open with: no pronoun or connective leaning on an earlier one, not a question,
    not a quotation."""
    stripped = text.lstrip()
    return not (_LEANS_BACK.match(stripped) or _QUESTION.search(stripped) or _QUOTE.match(stripped[:1]))


def reads_alone(text: str) -> bool:
    """A sentence that makes sense out of its article: no pronoun or connective leaning on an earlier sentence,
    not a question (a quotation may open it)."""
    stripped = text.lstrip()
    return not (_LEANS_BACK.match(stripped) or _QUESTION.search(stripped))


def context_kinds(text: str) -> frozenset[str]:
    """Which kinds of context a sentence gives (cause, consequence, background, stakes, statement)."""
    kinds = {m.lastgroup for m in _ANY_CUE.finditer(text.lower()) if m.lastgroup}
    if is_statement(text):
        kinds.add("statement")
    return frozenset(kinds)


def is_quote(text: str) -> bool:
    return bool(_QUOTE.search(text)) and bool(_ATTRIBUTION.search(text))


def is_statement(text: str) -> bool:
    """An attributed statement of an official or expert: someone's words, marked as theirs, in a role that
    makes them informed."""
    return bool(_ATTRIBUTION.search(text)) and bool(_OFFICIAL.search(text))


@dataclass(frozen=True)
class Speaker:
    """Who is quoted, as the sentence itself names them: a name and, when given, the role beside it."""

    name: str
    role: str | None

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "role": self.role}


def speaker(text: str) -> Speaker | None:
    """The speaker a quoting sentence attributes its words to, from the attribution in the text: "X said" before
    "said X" (in "Reavey said Microsoft went…" the speaker is Reavey); a role after the name or a short title
    before it."""
    # Both patterns capture (title before, name, role after).
    for found in (m for pattern in (_NAME_SAID, _SAID_NAME) for m in pattern.finditer(text)):
        who = _speaker(found.group(2), found.group(1), found.group(3))
        if who is not None:
            return who
    for found in _ACCORDING.finditer(text):
        who = _speaker(found.group(1), None, found.group(2))
        if who is not None:
            return who
    return None


def _speaker(name: str, title: str | None, after: str | None) -> Speaker | None:
    words = name.split()
    # A word opening the sentence before the name ("While Mueller says …") is not part of it.
    while words and words[0].casefold() in SUBORDINATORS:
        words = words[1:]
    name = " ".join(words)
    if not words or words[0] in _PRONOUNS or len(name) < 3 or name.endswith(("'s", "’s")):
        return None
    if all(w.rstrip(".,").casefold() in WHEN_WORDS for w in words):
        return None  # "…," he said Thursday: the day is when, not who
    # A long run of words before the name is the sentence, not a title.
    role = after or (title if title is not None and len(title.split()) <= 4 else None)
    return Speaker(name, (role or "").strip() or None)


def facts(text: str) -> frozenset[str]:
    """The content a sentence states, as comparable keys: its content words and its numbers."""
    return frozenset(sentence_terms(text)) | frozenset(numbers(text))


def adds_facts(text: str, seen: Iterable[frozenset[str]], minimum: int = 3) -> bool:
    """Whether a sentence states at least `minimum` things (content words, numbers) that none of the sentences
    already shown does, and at least half of what it states is new: a restatement in other words of the same
    event adds names and numbers already there, a new fact brings its own."""
    mine = facts(text)
    if not mine:
        return False
    known: set[str] = set()
    for other in seen:
        known |= other
    new = mine - known
    return len(new) >= minimum and len(new) >= len(mine) / 2


def anchors(text: str) -> frozenset[str]:
    """Who, where and how much: the names (capitalised words after the first) and figures a sentence states.
    Two outlets' restatements of one fact share them whatever words they choose ("snatched $108 million worth
    of diamonds" and "stole diamonds valued at 85 million euros ($108 million)" both name the jeweller, Paris
    and 108), which shared words alone do not show."""
    toks = words(text)
    names = {t.casefold() for t in toks[1:] if t[:1].isupper() and t.casefold() not in STOPWORDS}
    figures = {t for t in toks if t.isdigit()}
    return frozenset(names | figures)


def restates(text: str, seen: Iterable[frozenset[str]]) -> bool:
    """A sentence that names at least two of the people, places and figures already shown and at most one new
    one: the same fact again, told by another outlet."""
    mine = anchors(text)
    known: set[str] = set()
    for other in seen:
        known |= other
    return len(mine & known) >= 2 and len(mine - known) <= 1
