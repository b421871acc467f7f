"""Titles written in front of a name ("police spokesman Constable Tim Fanning", "Apple's chief executive Tim Cook"),
found by walking back from the name word by word: what `descriptions` cites, and which words are roles."""

from __future__ import annotations

import re

from storyline.domain.vocabulary import (
    ABBREVIATED,
    DETERMINERS,
    MODIFIERS,
    ORGANISATION_ROLES,
    PARTICIPLE_TITLES,
    PLURALS,
    RANKS,
    ROLE_ENDINGS,
    ROLES,
    STOP,
)

# A title in front of a name ("Oregon State Police bomb technician Bill Hakim") is rarely longer than this.
MAX_TITLE_WORDS = 7
# "intends to acquire …": a verb's "to", after which a lowercase word is a verb.
_VERB_TO = re.compile(r"\b(?:\w+(?:s|ed|ing)|want|plan|need|agree|try|able|going|set)\s+to\s+$")
# A word of a title in front of a name, as written ("Gov.", "U.S.", "Apple's", "co-founder", "Hewlett-Packard"), and
# the spaces after it, matched on a reversed window (`_word_before`).
_WORD_BEFORE_REVERSED = re.compile(r"[ \t\u00a0]*([\w.&’'-]+)")
# A possessive owner that opens a title ("Apple's", "New York's").
POSSESSIVE = re.compile(r"^[A-Z].*(?:'s|’s|s'|s’)$")


def bare_word(word: str) -> str:
    """A word as the word lists hold it: case-folded, no full stop or apostrophe at either end."""
    return word.casefold().strip(".’'")


def is_role(word: str) -> bool:
    """A noun that says what someone or something is ("spokesman", "Gov.", "giant", "economist", "jeweler")."""
    bare = bare_word(word)
    if (
        bare in ROLES or bare in ORGANISATION_ROLES or bare.split("-")[0] in ROLES - {"co", "vice"}
    ):  # "President-elect", "ex-wife" no
        return True
    return word[:1].islower() and len(bare) > 4 and bare.endswith(ROLE_ENDINGS)


def _word_before(text: str, at: int) -> tuple[int, int, str] | None:
    """(start, end, word) of the word before `at` within 40 characters, only spaces or tabs between (not across a
    line: another paragraph). Read backwards: a search for a word at the window's end tried every start in it."""
    found = _WORD_BEFORE_REVERSED.match(text[max(0, at - 40) : at][::-1])
    if found is None:
        return None
    start, end = at - found.end(1), at - found.start(1)
    return start, end, text[start:end]


def _walk_back(text: str, end: int) -> list[tuple[int, str]]:
    """The words right before `end` that may belong to a title, nearest first, each with its start."""
    words: list[tuple[int, str]] = []
    at = end
    capitalised = False
    while len(words) <= MAX_TITLE_WORDS:
        found = _word_before(text, at)
        # Words are apart; only the first may touch `end` (a title set off by a comma: "his director, X").
        if found is None or (words and found[1] == at):
            break
        start, _, word = found
        bare = bare_word(word)
        lower = word[:1].islower()
        # A full stop that is not an abbreviation's ends the previous sentence ("… the blast. Woodburn Chief").
        if word.endswith(".") and bare not in ABBREVIATED and "." not in word[:-1]:
            break
        if not any(ch.isalpha() for ch in word) or any(ch.isdigit() for ch in word):
            break  # "--", "2010": punctuation and numbers end a title
        if bare in STOP or (lower and not title_word(bare)):
            break
        # Before a capitalised part ("Secretary of State"), only a modifier or a determiner is still the title:
        # in "to request Secretary Clinton", "request" is the verb.
        if lower and capitalised and bare not in MODIFIERS | DETERMINERS and bare != "of":
            break
        words.append((start, word))
        at = start
        # A rank next to the name ("police spokesman Constable Tim Fanning") is not yet the capitalised title.
        ranks_only = all(bare_word(w) in RANKS and not is_role(w) for _, w in words)
        capitalised = capitalised or not (lower or ranks_only)
        if bare in DETERMINERS:
            break
        if POSSESSIVE.match(word):
            # The owner may be several capitalised words ("New York's"); the title starts with them.
            while True:
                more = _word_before(text, at)
                if more is None or not more[2][:1].isupper() or bare_word(more[2]) in STOP or more[2].endswith("."):
                    break
                words.append((more[0], more[2]))
                at = more[0]
            break
    return words


def title_word(bare: str) -> bool:
    """A lowercase word that can sit in a title: not a verb by its ending (-ing, -ed, a third-person -s)."""
    if bare in MODIFIERS or bare in DETERMINERS or bare in ROLES or bare == "of":
        return True
    if bare.endswith(("ing", "ed")):
        return bare in PARTICIPLE_TITLES
    return not (bare.endswith("s") and not bare.endswith(("ss", "us", "is", "ics")) and bare not in PLURALS)


def title_before(text: str, end: int) -> tuple[int, int] | None:
    """The span of a title that ends right before `end` and is headed by a role noun, e.g. "police spokesman" in
    "police spokesman Constable Tim Fanning" (a rank next to the name is left out), "Apple's chief executive"."""
    words = _walk_back(text, end)
    # Ranks next to the name ("Constable", "Dr.") are skipped when a title stands before them.
    lead = 0
    while lead < len(words) and bare_word(words[lead][1]) in RANKS and not is_role(words[lead][1]):
        lead += 1
    # An abbreviated rank after a title ("Committee Chairman Rep. Trey Gowdy") is left out like a rank: the title
    # reads as "Committee Chairman".
    while lead + 1 < len(words) and words[lead][1].endswith(".") and is_role(words[lead + 1][1]):
        lead += 1
    words = words[lead:]
    # The head is the word next to the name, or the title before "of" ("Secretary of State John Kerry").
    joined = len(words) > 2 and words[1][1] == "of" and words[0][1][:1].isupper()
    if not words or not (is_role(words[0][1]) or (joined and is_role(words[2][1]))):
        return None
    # "of" joins capitalised titles only ("Secretary of State"); elsewhere it belongs to another phrase.
    for i, (_, w) in enumerate(words):
        joins_capitals = 0 < i < len(words) - 1 and words[i - 1][1][:1].isupper() and words[i + 1][1][:1].isupper()
        if w.casefold() == "of" and not joins_capitals:
            words = words[:i]
            break
    if len(words) > MAX_TITLE_WORDS:
        return None
    # "officers assigned to guard Epstein", "intends to acquire graphics chipmaker ATI": a lowercase word after
    # "to" is a verb, not a title's.
    first = words[-1][1]
    # Only after a verb's "to" ("intends to", "assigned to"): "an offer to free agent first baseman" keeps "free".
    after_to = _VERB_TO.search(text, max(0, words[-1][0] - 30), words[-1][0]) is not None
    if after_to and first[:1].islower() and bare_word(first) not in DETERMINERS | MODIFIERS:
        words = words[:-1]
        if not words or not is_role(words[0][1]):
            return None
    first_start, last = words[-1][0], words[0]
    return first_start, last[0] + len(last[1])
