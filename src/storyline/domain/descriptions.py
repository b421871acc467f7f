"""What the coverage itself says an entity is: verbatim, cited phrases found next to its mentions (no parse)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from storyline.domain.places import COUNTRIES, PLACE_KIND, PLACE_LABELS, REGIONS, is_region, kind_of_place, region
from storyline.domain.titles import POSSESSIVE, bare_word, is_role, title_before, title_word
from storyline.domain.vocabulary import (
    ABBREVIATIONS,
    AFTER_HEAD,
    CLAUSE_WORDS,
    DETERMINERS,
    EVENT_HEADS,
    KIND_AFTER,
    MONTHS,
    NOT_ALONE,
    OPENERS,
    ORGANISATION_HEADS,
    ORGANISATION_ROLES,
    PARTICIPLE_TITLES,
    PARTIES,
    PEOPLE_LABELS,
    PLACE_KIND_AFTER,
    PRODUCT_AFTER,
    PRONOUN_OWNERS,
    PRONOUNS,
    ROLE_VERBS,
    SPEECH,
    STOP,
    SUBJECTS,
    SUBORDINATORS,
    THAT_DAY,
    THING_HEADS,
    THING_LABELS,
)

if TYPE_CHECKING:
    from storyline.domain.entities import Mention


MAX_DESCRIPTION_WORDS = 15
MIN_DESCRIPTION_WORDS = 2


@dataclass(frozen=True)
class Description:
    """Words of the corpus that say what an entity is (an appositive, a title, "X is a …"), with their span."""

    name: str
    text: str
    start: int
    end: int


# Whom an appositive after a mention describes (`_modifies_before`).
Owner = Literal["mention", "preposition", "earlier noun"]
# ", the Chinese telecoms giant," right after a name: an appositive ends at the next comma or sentence end. An
# age may come first ("Banky, 40, a father of two,").
# A parenthesised initialism may stand between ("the UN Relief and Works Agency (UNRWA), the main UN agency").
# The full stop of "St." or "Mt." does not end it ("the prosecuting attorney for St. Louis County"); an initial's
# may end the sentence too ("from the U.S. Then"). A parenthesis ends it too ("vice-rector at the Donetsk National
# Technology University (DonNTU)").
_SHORTS = ("St", "Mt", "Ft", "Dr", "Mr", "Mrs", "Ms", "Sen", "Rep", "Gov", "Gen", "Lt", "Col", "Sgt", "Capt", "Prof")
_SHORT = "|".join(rf"(?<=\b{w})" for w in _SHORTS)
_IN_PHRASE = r"(?:[^,;:.!?\"“”()\[\]]|(?:" + _SHORT + r")\.)"
_NOT_SHORT = "".join(rf"(?<!\b{w})" for w in _SHORTS)
_APPOSITIVE = re.compile(
    r"(?:\s\([A-Z][A-Za-z.]{1,9}\))?,(?:\s+\d{1,3},)?\s+("
    + _IN_PHRASE
    + r"+?)(?=,|"
    + _NOT_SHORT
    + r"[.;!?](?:\s|$)|\s(?:[–—]|--)\s|\s\()"
)
# "Athena Advisers - a real estate consultancy specializing in …": an appositive set off by a dash, when it opens
# with an article (a dash more often opens a clause or an aside, so `_after` also wants a role or a thing as head).
_DASHED = re.compile(r"\s[-–—]\s((?:a|an|the)\s[^,;:.!?\"“”()\[\]–—]+?)(?=\s[-–—]\s|,|[.;!?](?:\s|$)|$)")
# "Democrats — who have repeatedly refused to give Mr. Trump any money for his wall — to end": a relative clause set
# off by dashes.
_DASHED_RELATIVE = re.compile(
    r"\s[–—]\s((?:who|which)\s(?:(?![–—])" + _IN_PHRASE + r")+?)(?=\s[–—]\s|,|" + _NOT_SHORT + r"[.;!?](?:\s|$)|$)"
)
# "Meng Wanzhou is a senior executive at the company." — only when the name opens the sentence (its subject).
_DEFINITION = re.compile(r"\s+(?:is|was)\s+((?:a|an|the)\s[^,;:!?\"“”()\[\]]+?)(?=[,;!?]|\.(?:\s|$)|$)")
# "X, who is the chief executive of Y," cites "the chief executive of Y"; "X, who leads Y," cites the clause.
_WHO_IS = re.compile(r"(?:who|which)\s+(?:is|was|has\s+been)\s+(?=(?:a|an|the)\s)")
# Labels a held-by compound or a kind of place can describe (a person's "Brooklyn-based" is a title, `_before`).
_HELD_LABELS = PLACE_LABELS | {"ORG", "NORP"}
# "the Republican-controlled Senate", "Indian-controlled Kashmir", "Palo Alto-based HP": who holds an organisation
# or a place, or where it is based, written as one compound in front of its name.
_HELD = (
    r"-(?:controlled|led|run|based|owned|backed|held|dominated|ruled|occupied|administered|annexed|funded|financed|"
    r"listed|headquartered)"
)
_HELD_BY = re.compile(r"(?:^|(?<=[\s(“\"]))(?<!,\s)((?:[A-Z][\w.’']*\s){0,2}[\w.’']+" + _HELD + r")\s+$")
_HELD_SUFFIX = re.compile(_HELD + "$")
_MODIFIER_BEFORE = re.compile(
    r"(?:\b(?:of|in|from|at|for|with|to|by|on|near)(?:\s+(?-i:[a-z]+))?|,)\s*$", re.IGNORECASE
)  # also with an adjective between ("in central Paris, a heavily patrolled area")
# "a real estate consultancy specializing in …": a participle's clause after the head is left out.
_PARTICIPLE_TAIL = re.compile(r"\s[a-z]+ing\s.*$", re.DOTALL)
_RELATIVE_TAIL = re.compile(r"\s(?:who|that|which|whose|whom|who[’']s|who[’']d)\s.*$", re.DOTALL)
# "Mitch McConnell, R-Ky., said" / "Zoe Lofgren (D-Calif.)": the party and state US papers give a lawmaker.
_PARTY_STATE = re.compile(r"(?:,\s|\s?\()([RDI]-(?:[A-Z][a-z]*\.?){1,3}(?:\s[A-Z][a-z]*\.?)?)(?=\)|,|\.?\s|\.?$)")
# "Gov. Asa Hutchinson, Republican of Arkansas,": the same as the New York Times writes it (state: `_party_state`).
_PARTY_OF = re.compile(r",\s((?:" + "|".join(PARTIES) + r") of [A-Z][\w.]*(?:\s[A-Z][\w.]*){0,2})")
# The word after a name, then what follows it: "smartphone" of "the BlackBerry Q10 smartphone in February".
_KIND_AFTER = re.compile(r"(?:['’]s)?\s([a-z]+)(?:['’]s)?(?=([\s,.;:!?)\"”]|$))\s*([a-z]*)")


def _noun_phrase(phrase: str) -> bool:
    words = phrase.casefold().split()
    # A phrase cut at the full stop of "Mr." or an initial stops mid-name ("a top adviser to Mr", "… Robert P").
    if not words or words[-1] in ABBREVIATIONS or CLAUSE_WORDS.intersection(words) or len(words[-1]) == 1:
        return False
    if words[0] in DETERMINERS:
        return True
    # Without a determiner: a possessive owner ("Apple's chief executive") or a bare title ("chief executive of
    # HP", "former adviser to the president"), headed by a role noun before any "of"/"at"/"to" complement.
    if POSSESSIVE.match(phrase.split(maxsplit=1)[0]) is None and not phrase[:1].islower():
        return False
    head = _head(phrase).split()
    # Before its head, a bare title has only title words: "becomes the second Republican congressman" is a clause.
    # A verb or an article there ("became the sixth traveller") makes it a clause too.
    return is_role(head[-1]) and all(
        (title_word(bare_word(w)) and bare_word(w) not in STOP | DETERMINERS) or w[:1].isupper() for w in head[:-1]
    )


def _head(phrase: str) -> str:
    """The words before a complement ("chief executive" of "chief executive of HP"); the last is the head noun."""
    return re.split(r"\s(?:of|at|for|to|in|with|from)\s", phrase, maxsplit=1)[0]


def _relative(text: str, at: int, who: bool) -> tuple[int, int] | None:
    """After ", who": "the chief executive of Y" of "who is the chief executive of Y", or "who leads Y"; after ",
    which" (an organisation), "which enforces the Endangered Species Act". `who`: the entity is people (a person,
    a group), whose own clause opens with "who"; an organisation's opens with "which"."""
    if not text.startswith(("who ", "which "), at):
        return None
    found = _APPOSITIVE.match(text, at - 2) or _DASHED_RELATIVE.match(text, at - 3)
    if found is None:
        return None
    phrase = found.group(1).rstrip()
    start = found.start(1)
    who_is = _WHO_IS.match(phrase)
    if who_is is not None:
        start += who_is.end()
        phrase = phrase[who_is.end() :]
        return (start, start + len(phrase)) if _noun_phrase(phrase) else None
    words = phrase.split()
    if (
        len(words) >= 3
        and words[1] in ROLE_VERBS
        and words[2].casefold() not in PRONOUNS
        and not CLAUSE_WORDS.intersection(words)
    ):
        return start, start + len(phrase)
    # A person's part in the story ("Michael Brown, who was shot by Ferguson Police Officer Darren Wilson"; "Rick
    # Santorum, who has pulled ahead of Mitt Romney in polling"): any clause of its own, not one that reports
    # speech or what they did that day ("Trump, who spoke on Monday,"); it ranks after every noun phrase
    # (`description_rank`).
    # An organisation's own clause likewise ("the Academy, which hands out the world's top film honors,"), unless
    # its subject is another ("the bill, which he signed"): then it says what someone did with it.
    lower = {bare_word(w) for w in words}
    # ("which makes it harder to patch": a pronoun object after the verb means an event, as above).
    own = words[0] == ("who" if who else "which") and bare_word(words[1]) not in SUBJECTS
    if own and len(words) >= 4 and words[2].casefold() not in PRONOUNS and not (SPEECH | THAT_DAY) & lower:
        return start, start + len(phrase)
    return None


def _after(text: str, m: Mention) -> tuple[int, int] | None:
    """An appositive or relative clause right after the mention, or a definition when the name opens a sentence."""
    if _in_fronted_clause(text, m.start):
        return None
    owner = _modifies_before(text, m)
    # A qualifier's comma before ("Dearborn, Michigan, a suburb of Detroit") lends the appositive to the town.
    found = _APPOSITIVE.match(text, m.end) if m.label in PLACE_LABELS and owner != "earlier noun" else None
    if found is not None and PLACE_KIND.match(found.group(1)):
        # "in Millom, a town in Cumbria,": after "in", an appositive naming a kind of place describes the place.
        return found.start(1), found.start(1) + len(_RELATIVE_TAIL.sub("", found.group(1)).rstrip())
    if owner != "earlier noun":
        found = _APPOSITIVE.match(text, m.end)
        if found is not None and owner != "mention" and text.startswith(" (", m.end):
            found = None  # "the Agency for Palestine (UNRWA), the main UN agency": the initialism's, not the place's
        # "… Neil Gorsuch, the Senate Democratic leader, Chuck Schumer, said": a phrase followed by a name is
        # that name's title, set off by commas.
        if found is not None and not re.match(r",\s+[A-Z]", text[found.end() : found.end() + 3]):
            if text.startswith(("who ", "which "), found.start(1)):
                # "which" of a place is what happened there ("the Alps, which represents a growth of 110%").
                whose = text.startswith("who ", found.start(1)) or m.label == "ORG"
                return _relative(text, found.start(1), m.label in PEOPLE_LABELS) if whose else None
            # "a Houston law professor who frequently writes about …": the noun phrase before its clause.
            phrase = _RELATIVE_TAIL.sub("", found.group(1)).rstrip()
            # After a preposition, only a phrase headed by what a thing is ("a small liberal arts school").
            if _noun_phrase(phrase) and (owner == "mention" or _headed_by_thing(phrase)):
                return found.start(1), found.start(1) + len(phrase)
    dashed_clause = _DASHED_RELATIVE.match(text, m.end) if owner != "earlier noun" else None
    if dashed_clause is not None:
        return _relative(text, dashed_clause.start(1), m.label in PEOPLE_LABELS)
    dashed = _DASHED.match(text, m.end) if owner == "mention" else None
    if dashed is not None:
        phrase = _RELATIVE_TAIL.sub("", _PARTICIPLE_TAIL.sub("", dashed.group(1))).rstrip()
        if _noun_phrase(phrase) and (role_headed(phrase) or _headed_by_thing(phrase)):
            return dashed.start(1), dashed.start(1) + len(phrase)
    if _opens_sentence(text, m.start):
        found = _DEFINITION.match(text, m.end)
        if found is not None and _noun_phrase(found.group(1).rstrip()):
            return found.start(1), found.start(1) + len(found.group(1).rstrip())
    return None


def _in_fronted_clause(text: str, at: int) -> bool:
    """Whether `at` is in a sentence's opening subordinate clause, before its comma ("When the Rams moved to Los
    Angeles, the Coliseum Commission made …"): that comma ends the clause, and what follows is the main clause."""
    start = max(text.rfind(c, 0, at) for c in ".!?\n") + 1
    opening = text[start:at]
    first = opening.split(maxsplit=1)[:1]
    return bool(first) and first[0].casefold() in SUBORDINATORS and "," not in opening


def _headed_by_thing(phrase: str) -> bool:
    """Whether the phrase is headed by what a thing is ("a small liberal arts school north of Richmond"), the head
    followed by nothing or a complement: a head followed by a verb is a clause ("the Coliseum Commission made it")."""
    words = [bare_word(w) for w in phrase.split()] + ["", ""]
    at = next((i for i, w in enumerate(words) if w in THING_HEADS), None)
    if at is None:
        return False
    after, then = words[at + 1 : at + 3]
    # A participle with its complement still describes ("a time machine shaped like", "a group dedicated to").
    return not after or after in AFTER_HEAD or (after.endswith(("ed", "ing", "wn")) and then in AFTER_HEAD)


def _modifies_before(text: str, m: Mention) -> Owner:
    """Whom an appositive after the mention describes: "earlier noun" when the mention modifies one ("Chuck Schumer
    of New York, the Democratic leader"; a list's or a qualifier's comma, "Dearborn, Michigan, a suburb of
    Detroit"), "mention" when nothing stands before it, and "preposition" when a preposition does mid-sentence:
    a person is still the one described ("daughters to Donald Harris, a Jamaican-American economist"), and so is
    a thing when the phrase says what it is ("teaches at Randolph-Macon College, a small liberal arts school").
    After "of"/"from", or in a sentence's opening phrase ("In Paris, the attacker fled"), it is the earlier noun."""
    found = _MODIFIER_BEFORE.search(text, max(0, m.start - 20), m.start)
    if found is None:
        return "mention"
    if found.group(0).rstrip().endswith(","):
        return "mention" if _after_opening_phrase(text, found.start()) else "earlier noun"
    if m.label == "PERSON":
        return "mention"
    preposition = found.group(0).split()[0].casefold()
    return "earlier noun" if preposition in {"of", "from"} or _opens_sentence(text, found.start()) else "preposition"


def _after_opening_phrase(text: str, comma: int) -> bool:
    """Whether the comma at `comma` ends a sentence's short opening phrase of time or place ("In 2024, Athena
    Advisers - a real estate consultancy …"; "On Monday, …"): the name after it is the subject, not a list's."""
    start = max(text.rfind(c, 0, comma) for c in ".!?\n") + 1
    opening = text[start:comma].split()
    if not 0 < len(opening) <= 4 or opening[0].casefold() not in OPENERS or not _opens_sentence(text, start):
        return False
    # It ends in a time ("In 2024", "On Monday", "Last week"); one ending in a name is a place's, and the comma
    # after it a qualifier's ("In Dearborn, Michigan, a suburb of Detroit").
    last = opening[-1]
    return last.isdigit() or last.islower() or last.casefold() in THAT_DAY | MONTHS


def _kind_or_holder(text: str, m: Mention) -> tuple[int, int] | None:
    """A kind of place that names the place ("the agricultural town of Woodburn"), or a compound before the name
    saying who holds it or where it is based ("the Republican-controlled Senate", "Palo Alto-based HP")."""
    window = max(0, m.start - 80)
    kind = kind_of_place(text, m.start, m.name) if m.label in PLACE_LABELS else None
    if kind is not None:
        return kind
    held = _HELD_BY.search(text, window, m.start)
    return held.span(1) if held is not None else None


def _before(text: str, m: Mention) -> tuple[int, int] | None:
    """A title in front of the name ("Seattle Mayor Ed Murray"), or one set off by a comma when it opens with a
    determiner or an owner ("his policy director, Brett Loper,"). Before an organisation's name only what an
    organisation is counts ("graphics chipmaker ATI"): a person's title there belongs to a longer phrase ("a
    freshman House Democrat", "President Supreme Court nominee")."""
    span = title_before(text, m.start)
    if span is not None and m.label != "PERSON" and not _organisation_head(text[span[0] : span[1]]):
        return None
    if span is not None:
        return span
    comma = re.search(r",\s+$", text[max(0, m.start - 4) : m.start])
    if comma is None or not re.match(r"\s*[,.]", text[m.end : m.end + 2]):
        return None
    span = title_before(text, m.start - len(comma.group(0)))
    if span is None:
        return None
    first = text[span[0] : span[1]].split(maxsplit=1)[0]
    return span if bare_word(first) in DETERMINERS or POSSESSIVE.match(first) else None


def _kind_after(text: str, m: Mention) -> tuple[int, int] | None:
    """What a thing is, as the word right after its name ("the Casty store", "Ukraine's Donbas region"), when no
    other noun follows it (in "the Texas state flag" the state is not Texas's kind): the next word is a function
    word, a verb the lists know, or punctuation."""
    heads = PLACE_KIND_AFTER if m.label in PLACE_LABELS else KIND_AFTER if m.label in THING_LABELS else frozenset()
    if m.label == "PRODUCT" or (m.label in THING_LABELS and any(ch.isdigit() for ch in m.name)):
        heads = heads | PRODUCT_AFTER
    found = _KIND_AFTER.match(text, m.end)
    if found is None or found.group(1) not in heads:
        return None
    if text[found.end(1) :].lstrip()[:1] in {"-", "–"}:
        return None  # "the Opteron processor - based servers": a compound's first part
    after = found.group(3)
    if after and found.group(2).isspace() and after not in STOP | AFTER_HEAD | CLAUSE_WORDS:
        return None
    return found.span(1)


def _organisation_head(title: str) -> bool:
    head = bare_word(title.rsplit(maxsplit=1)[-1])
    return head in ORGANISATION_ROLES or head in ORGANISATION_HEADS or head.endswith("maker")


def _opens_sentence(text: str, at: int) -> bool:
    # Read back from `at` over whitespace (no copy of the text before it: whole articles are searched).
    i = at
    while i > 0 and text[i - 1].isspace():
        i -= 1
    return i == 0 or text[i - 1] in ".!?\u201d" or text[i - 2 : i] == '."'


def describe(text: str, mentions: Sequence[Mention]) -> tuple[Description, ...]:
    """What the text itself says an entity is: a title in front of a mention ("police spokesman Constable Tim
    Fanning", "Apple's chief executive Tim Cook"), an appositive after it ("Huawei, the Chinese telecoms giant,";
    "Cook, chief executive of Apple,"), a relative clause ("X, who leads Y,") or a definition opening a sentence
    ("Meng Wanzhou is a senior executive at the company"). Verbatim: spans index `text`. Patterns over the
    recogniser's spans rather than a dependency parse: a parse of every article cost as much as the recogniser
    itself, and `valid_description` then keeps only short noun phrases anyway."""
    out: list[Description] = []
    for m in mentions:
        if m.in_title or m.end <= m.start:
            continue
        # A place is said to be somewhere, or a kind of place (`_after`); a title before it belongs to a longer
        # name ("the University of Central Arkansas"). A country is not qualified by another: that is a list.
        place = m.label in PLACE_LABELS
        where = region(text, m) if place and m.name not in COUNTRIES else None
        kind = _kind_or_holder(text, m) if m.label in _HELD_LABELS else None
        kind = kind or _kind_after(text, m)
        party = _party(text, m.end) if m.label == "PERSON" else None
        for span in (_after(text, m), None if place else _before(text, m), where, kind, party):
            if span is not None:
                start, end = span
                out.append(Description(m.name, text[start:end], start, end))
    return tuple(out)


def describe_elsewhere(
    text: str, names: Sequence[str], label: str, recognised: Sequence[tuple[int, int]]
) -> tuple[Description, ...]:
    """`describe` at the entity's other mentions in `text`: wherever one of its `names` is written as a whole word
    outside the spans the recogniser found (`recognised`: it reads an article's lead). An article often says who
    someone is at a later mention ("…, said Bill Hakim, a bomb technician")."""
    from storyline.domain.entities import Mention

    found: list[Mention] = []
    # The recognised spans are all in the lead: a mention past the last one needs no look at them.
    past = max((stop for _, stop in recognised), default=0)
    for name in names:
        at = text.find(name)
        while at >= 0:
            end = at + len(name)
            whole = (at == 0 or not text[at - 1].isalnum()) and (end == len(text) or not text[end].isalnum())
            if whole and (at >= past or not any(start <= at < stop for start, stop in recognised)):
                found.append(Mention(name, label, at, end))
            at = text.find(name, end)
    return describe(text, sorted(found, key=lambda m: m.start))


def valid_description(text: str, name: str, place: bool = False) -> bool:
    """A description is a short phrase that is not the name again, nor a quote or a clause fragment; a place's
    may be the region the text places it in ("Ore.", "in northwestern Ukraine")."""
    if place and is_region(text) and text.casefold() != name.casefold():
        return True
    if _party_state(text):
        return True
    words = text.split()
    if len(words) == 1 and text in KIND_AFTER | PLACE_KIND_AFTER | PRODUCT_AFTER:
        return True  # "smartphone" after "the BlackBerry Q10": what the thing is (`_kind_after`)
    if len(words) <= 3 and _HELD_SUFFIX.search(words[-1]):
        return True  # "Republican-controlled", "Palo Alto-based": who holds it, where it is based
    if not MIN_DESCRIPTION_WORDS <= len(words) <= MAX_DESCRIPTION_WORDS:
        # One word is enough when it is a whole role noun ("President Donald Trump", "actor Matt Smith"); an
        # abbreviated one ("Sen.") or any other word is not.
        return len(words) == 1 and is_role(text) and not text.endswith(".") and bare_word(text) not in NOT_ALONE
    # "the special counsel", "a fellow Californian": a description opens with a common word; a phrase opening
    # with a capital is another name ("Sen. Lindsey Graham"), unless it is a title that ends in a role noun
    # ("Seattle Mayor", "Apple's chief executive").
    if not words[0][:1].islower() and not is_role(_head(text).split()[-1]):
        return False
    if _clause_like(words):
        return False
    bare_name = re.sub(r"^the\s+|['’]s?$", "", " ".join(name.split()).casefold())
    if bare_name and bare_name in text.casefold():
        return False
    # Quotes (a nickname, a slur: "'Worst Negotiator'") and line breaks (a heading) are not descriptions.
    return not any(ch in text for ch in '"“”‘()[]:;\n') and not any(w[:1] in "'’" for w in words)


def _clause_like(words: Sequence[str]) -> bool:
    """An appositive that is about the sentence, not the name ("…, a move intended to underscore the idea"), a
    clause ending in its verb ("a White House aide confirmed"), or a list going on ("Oregon State Police, the FBI
    and Woodburn police responded")."""
    lower = [bare_word(w) for w in words]
    if lower[0] in DETERMINERS and any(w in EVENT_HEADS for w in lower[1:3]):
        return True
    clause = lower[0] in {"who", "which"}  # a relative clause may end in its verb ("who was arrested")
    ends_in_verb = lower[-1].endswith("ed") and len(lower[-1]) > 4 and lower[-1] not in PARTICIPLE_TITLES
    if len(lower) > 1 and ends_in_verb and not clause:
        return True
    return len(words) > 3 and lower[0] == "the" and words[1][:1].isupper() and lower[2] == "and"


def role_headed(text: str) -> bool:
    """A phrase of two words or more whose head is a role noun ("the two-time Wimbledon champion", "the sixth prime
    minister in eight years"): what a description at a bare surname must be, since an appositive after a surname is
    as often a list's or a clause's ("Obama and Romney, the second of three debates")."""
    head = _head(text).split()
    return len(text.split()) >= 2 and is_role(head[-1])


def _party(text: str, end: int) -> tuple[int, int] | None:
    """The span of a lawmaker's party and state right after their name ("R-Ky.", "Republican of Arkansas")."""
    short = _PARTY_STATE.match(text, end)
    if short is not None:
        return short.span(1)
    found = _PARTY_OF.match(text, end)
    if found is None:
        return None
    # The state is the longest run of its capitalised words that is a region ("New York" of "New York Monday").
    words = found.group(1).split()
    for stop in range(len(words), 2, -1):
        phrase = " ".join(words[:stop])
        # A full stop is the sentence's ("of New York.") unless the region is written with it ("of Wis.").
        for candidate in (phrase.rstrip("."), phrase):
            if _party_state(candidate):
                return found.start(1), found.start(1) + len(candidate)
    return None


def _party_state(text: str) -> bool:
    """A lawmaker's party and state: "R-Ky.", "D-Calif."."""
    party, _, state = text.partition(" of ")
    if party in PARTIES:
        return state in REGIONS
    return text[:2] in {"R-", "D-", "I-"} and text[2:] in REGIONS


# `description_rank` of a relative clause ("who was shot by …"), the last.
RELATIVE_CLAUSE = 3


def description_rank(text: str) -> int:
    """Lower reads better on its own: a noun phrase, then a bare title ("President"), then one whose owner is a
    pronoun ("his lawyer": whose?) or a held-by compound, then a relative clause."""
    words = text.casefold().split()
    if words[0] in {"who", "which"}:
        return RELATIVE_CLAUSE
    # A held-by compound ("Palo Alto-based") or a party and state ("R-La.") says where, not what: it reads like a
    # pronoun-owned title.
    where = _HELD_SUFFIX.search(words[-1]) or (len(words) == 1 and words[0][:2] in {"r-", "d-", "i-"})
    where = where or (len(words) > 2 and words[1] == "of" and words[0].capitalize() in PARTIES)
    return 2 if words[0] in PRONOUN_OWNERS or where else 1 if len(words) == 1 else 0
