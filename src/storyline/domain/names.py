"""Whether a recognised span is a name, and which entity it names: one key however it is written, the recogniser's
label corrected, and the spans that are no topic (headline fragments, datelines, common words, non-English text)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from storyline.domain.places import is_region
from storyline.domain.titles import is_role
from storyline.domain.vocabulary import word_set

# A possessive ending ("Trump's", "Trump ’s", "Jones'"): the name is the same without it.
POSSESSIVE_END = re.compile(r"\s?['’]\s?s$|(?<=s)['’]$")
_ACRONYM = re.compile(r"(?:[a-z]\.\s?)+[a-z]?")
_HONORIFICS = word_set(
    "mr mrs ms dr sir dame sen rep gov president senator deputy sgt det capt lt col judge constable officer prof rev"
)
_MAX_NAME_WORDS = 7
# A company's legal form at the end of its name ("Inc.", ", Ltd").
LEGAL_FORM = re.compile(r"(?<=\w)[\s,]+(?:inc|corp|corporation|co|ltd|llc|plc|incorporated|limited)\.?$")
# Abbreviations the recogniser takes for organisations or places that are no topic: time zones, offences, job
# titles, common nouns.
_NOT_ENTITIES = word_set(
    "utc gmt est edt pst pdt cst cdt bst cet jst ist dui dwi ceo cfo coo cto gdp ipo tv pc am pm ai dna hiv aids "
    "lgbt lgbtq atm suv faq pdf"
)
# Last words of what the recogniser may take for a person's name but is an organisation or a place (not
# surnames: "Court", "Park" and "Lane" are, so they are not here).
_ORGANISATION_ENDS = word_set(
    "fire police council sheriff service department office hospital college university school club party "
    "committee agency authority board"
)
_PLACE_ENDS = word_set("street road avenue stand station bridge square county")
# Quotes, brackets, dashes between words and line breaks come from headlines and clauses, never from names.
_NOT_IN_NAMES = re.compile(r'["“”„()\[\]{}|…@#/\\\n]|[–—]|\s-\s*$|^-')
# Capitalised function words make a span a headline fragment ("Colts Top Jags To Make Playoffs").
_HEADLINE_WORDS = word_set("to the of and in for on at with by from as is are was be after over says")
_PARTICLES = word_set("de del della der den di da das dos du la le van von bin ibn al el y ter")
_DATELINE_END = re.compile(r"(?:,\s*[A-Z][A-Za-z.]*(?:\s[A-Z][A-Za-z.]*)?)?\s*(?:[—–―:-]|\()")
_WORDS = re.compile(r"[^\W\d_]+")
# Function words of English that German, Dutch, French and Spanish do not share ("in", "was", "a" they do).
_ENGLISH_FUNCTION_WORDS = word_set(
    "the of and to that for on with as by at it from his said are has have this its but not were they who their "
    "been after"
)


@lru_cache(maxsize=50_000)
def entity_key(name: str) -> str:
    """One key per entity however it is written: case, accents, a leading "the" or honorific ("Mr. Trump"), a
    possessive, dots of an acronym ("U.S.", "U. S.", "US") and a spaced hyphen ("T - Mobile") do not matter."""
    key = " ".join(name.split()).casefold()
    key = "".join(ch for ch in unicodedata.normalize("NFKD", key) if not unicodedata.combining(ch))
    key = key.removeprefix("the ")
    key = POSSESSIVE_END.sub("", key)
    # A title in front ("Mr. Trump", "Deputy Ortiz", "NJ Gov Chris Christie") is not part of the name.
    words = key.split()
    titled = [i for i, w in enumerate(words[:3]) if w.rstrip(".") in _HONORIFICS or w == "gen."]
    if titled and titled[-1] < len(words) - 1:
        key = " ".join(words[titled[-1] + 1 :])
    words = key.split()
    if len(words) >= 3 and is_role(words[0]):
        key = " ".join(words[1:])  # "Comedian Ellen DeGeneres": the recogniser took the title opening a sentence
    key = re.sub(r"\s*-\s*", "-", key).strip(" .,")
    # "EYP Mission Critical Facilities Inc." is the company the articles also call without its legal form.
    key = LEGAL_FORM.sub("", key).strip(" .,")
    return key.replace(".", "").replace(" ", "") if _ACRONYM.fullmatch(key) else key


@lru_cache(maxsize=50_000)
def checked_label(name: str, label: str) -> str:
    """The recogniser's label, corrected where the name says otherwise: a "person" that is a country or a state
    is a place, one ending in what an organisation or a place is called ("Surrey Fire", "Lindi Bus Stand") is
    that."""
    if label != "PERSON":
        return label
    clean = POSSESSIVE_END.sub("", " ".join(name.split()))
    last = clean.rsplit(maxsplit=1)[-1].casefold() if clean else ""
    if is_region(clean):
        return "GPE"
    return "ORG" if last in _ORGANISATION_ENDS else "FAC" if last in _PLACE_ENDS else label


@lru_cache(maxsize=50_000)  # asked of every mention of every story, which name the same people again and again
def plausible_name(name: str, label: str) -> bool:
    """Whether a recognised span can be an entity's name at all: headline fragments, quotes and clause pieces
    ("Riot Deaths 'Murder'", "T - Mobile — the only major U") are not; a person's name is capitalised words
    without digits; a group is a plural noun ("Democrats"), not an adjective ("British")."""
    clean = POSSESSIVE_END.sub("", " ".join(name.split())).removeprefix("the ")
    words = clean.split()
    if not words or len(words) > _MAX_NAME_WORDS or _NOT_IN_NAMES.search(clean) or "\n" in name.strip():
        return False
    if any(w[:1] in "'‘’" or (w[-1:] in "'’" and w[-2:-1] not in "sS") for w in words):
        return False
    # A lowercase start is a name only in camel case ("iPhone", "eBay").
    if not (clean[:1].isupper() or clean[:1].isdigit() or any(ch.isupper() for ch in words[0][1:])):
        return False
    if len(words) == 1 and re.fullmatch(r"[A-Z][a-z]{1,5}\.", clean):
        return False  # "Mo.", "Calif.": an abbreviation in a dateline, not a topic
    if entity_key(clean) in _NOT_ENTITIES:
        return False
    if label == "NORP":
        return len(words) > 1 or clean.endswith("s")
    if label != "PERSON":
        return True
    if any(ch.isdigit() for ch in clean) or all(w.isupper() and len(w) > 1 for w in words):
        return False
    if re.search(r"['’]s\s", clean):
        return False  # "Mitt Romney’s Medicare": a possessive inside is a phrase, not a name
    for i, w in enumerate(words):
        if w.casefold() in _HEADLINE_WORDS or not re.fullmatch(r"[\w.'’-]+", w):
            return False
        if not w[:1].isupper() and not (0 < i < len(words) - 1 and w in _PARTICLES):
            return False
    return True


def lowercase_words(text: str) -> frozenset[str]:
    """The words a text writes in lowercase, for `common_word` (one pass over the text for all its mentions)."""
    return frozenset(w for w in _WORDS.findall(text) if w[0].islower())


def common_word(name: str, lowercase: frozenset[str]) -> bool:
    """A one-word name the same text also writes in lowercase ("Defense", "Protests", "Today’s") is a common word
    capitalised, not an organisation or a place. `lowercase` is `lowercase_words` of the text."""
    word = entity_key(name)
    if " " in word or not word.isalpha():
        return False
    return any(f in lowercase for f in (word, word.removesuffix("s"), word + "s") if len(f) > 2)


def dateline(text: str, start: int, end: int) -> bool:
    """Whether the span is a dateline ("WASHINGTON —", "NEW DELHI:"): where the story was filed, not its topic."""
    opens_line = not text[:start].strip() or text[:start].rstrip(" ").endswith("\n")
    return opens_line and text[start:end].isupper() and _DATELINE_END.match(text, end) is not None


def looks_english(text: str) -> bool:
    """English text is full of its function words; a page a detector called English but written in Swahili or
    Zulu is not (measured on replay-dev leads: English 5-35% of words, German, French, Spanish, Dutch, Swahili and
    Zulu under 1%)."""
    words = _WORDS.findall(text[:2000])
    return len(words) < 20 or sum(w.casefold() in _ENGLISH_FUNCTION_WORDS for w in words) >= 0.03 * len(words)
