"""Sentence boundaries as a reader sees them, for the editorial self-check: independent of the pipeline's
segmenter, so that it can check it (a cited span must start and end where a sentence does)."""

from __future__ import annotations

import re

_CLOSERS = "\"'”’»)]"
_OPENERS = "\"'“‘«(["
_HSPACE = " \t\u00a0"
# Abbreviations that are followed by more of the same sentence (titles, states, months). Ones that often end a
# sentence (Inc., Co., Corp., Jr.) are left out: counting them would call real sentence ends fragments.
# fmt: off
ABBREVIATIONS = frozenset([
    "Calif", "Const", "Rep", "Reps", "Gen", "Sen", "Sens", "Gov", "Lt", "Col", "Maj", "Capt", "Sgt", "Cmdr", "Adm",
    "Mr", "Mrs", "Ms", "Dr", "Prof", "Rev", "Hon", "Pres", "Supt", "Det", "Insp", "Atty", "Dept", "Univ",
    "Mt", "St", "Ft", "No", "Nos", "vs", "Fla", "Ariz", "Ark", "Colo", "Conn", "Ga", "Ill", "Ind", "Kan", "Ky",
    "La", "Md", "Mass", "Mich", "Minn", "Miss", "Mo", "Mont", "Neb", "Nev", "Okla", "Ore", "Pa", "Penn", "Tenn",
    "Tex", "Va", "Vt", "Wash", "Wis", "Wyo", "Jan", "Feb", "Aug", "Sept", "Sep", "Oct", "Nov", "Dec", "approx",
    "est", "e.g", "i.e",
])
# fmt: on
# Capitals with full stops (U.S., F.B.I., an initial "F."); "a.m." and "p.m." end sentences too often to count.
_DOTTED = re.compile(r"(?:^|[^\w.])((?:[A-Z]\.){2,}|[A-Z]\.)$")


# Full stops, exclamation and question marks, the ideographic ones included (Chinese and Japanese text).
_TERMINAL = ".!?。！？"


def is_abbreviation(before: str) -> bool:
    """Whether the text up to and including a full stop ends with a known abbreviation or an initial."""
    if not before.endswith("."):
        return False
    if _DOTTED.search(before):
        return True
    word = before[:-1].rsplit(None, 1)[-1] if before[:-1].strip() else ""
    return word.lstrip(_OPENERS) in ABBREVIATIONS


def starts_sentence(text: str, start: int) -> bool:
    """A span starts a sentence when it opens the text or a line, or follows terminal punctuation (closing quotes
    or brackets after it allowed; not an abbreviation's full stop), and does not start lowercase. A digit may open
    a line ("14 May …", "26-year-old …") but not follow a full stop on it: that is a cut number ("$57. 5 million")."""
    head = text[start:].lstrip(_OPENERS)
    if not head or head[0].islower():
        return False
    i = start
    while i > 0 and text[i - 1] in _HSPACE:
        i -= 1
    if i == 0 or text[i - 1] in "\n\r":
        return True
    if head[0].isdigit():
        return False
    before = text[:i].rstrip(_CLOSERS)
    if not before or before[-1] not in _TERMINAL:
        return False  # after a comma, a word, a quote that ends no sentence ("“It’s over,” Smith said")
    glued_to_word = len(before) > 1 and (before[-2].islower() or before[-2].isdigit())
    if i == start and before[-1] in ".!?" and not glued_to_word:
        # Glued to a full stop: a sentence when a word ends before it ("years.A series …", a lost space); not
        # after capitals ("BS.CK2", "U.S.-based"). Ideographic stops are never followed by a space.
        return False
    return not (before[-1] == "." and is_abbreviation(before))


def ends_sentence(text: str, start: int, end: int) -> bool:
    """A span ends a sentence when it ends with . ! or ? (closing quotes allowed, spaced or not), not on an
    abbreviation with more text on its line, and the article does not go on with a lowercase letter or a digit."""
    core = re.sub(rf"[\s{re.escape(_CLOSERS)}]+$", "", text[start:end])
    if not core or core[-1] not in _TERMINAL:
        return False
    j = end
    while j < len(text) and text[j] in _HSPACE:
        j += 1
    if j >= len(text) or text[j] in "\n\r":
        return True
    if text[j].islower() or text[j].isdigit():
        return False
    return not is_abbreviation(core)
