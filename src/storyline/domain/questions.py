"""*Go deeper* questions from a story's own lead sentence: a subject wh-question over its dependency parse.

"A man has been charged with murdering his mother in Millom." asks "Who has been charged with murdering his
mother in Millom?", and the cited sentence is the answer (over-generate-and-filter in the manner of Heilman & Smith,
"Good Question!", 2010, reduced to the one transformation that keeps the sentence's own words). A sentence that
gives no clean question — no finite verb, a pronoun subject nobody names, a headline in capitals, too long — gives
none: the page then shows no question rather than a template.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from storyline.domain.enrichment import Sections

MAX_WORDS = 20
MIN_WORDS = 5  # "Who appeared in court?" names nothing a reader could tell the story by
_SUBJECTS = frozenset({"nsubj", "nsubjpass", "csubj"})
# "X said (that) Y happened" / "Y happened, police said": the reported clause is the event, not the saying.
_REPORTING = frozenset(
    {"say", "tell", "announce", "report", "confirm", "state", "add", "claim", "reveal", "disclose", "insist", "warn"}
)
_FINITE = frozenset({"VBD", "VBZ", "VBP", "MD"})
# Verb-group tokens that may sit between the subject and the verb ("has also been charged").
_VERB_GROUP = frozenset({"aux", "auxpass", "neg", "advmod", "ROOT", "ccomp"})
_DROPPED = frozenset({"parataxis"})
_PREVERBAL = frozenset({"prep", "npadvmod", "advcl", "punct"})  # "…, police said", "— he added": asides, not the event
_PRONOUN_WHO = frozenset({"he", "she", "they", "we", "i", "you", "who"})
_DEMONSTRATIVES = frozenset({"this", "that", "these", "those", "it", "there", "here"})
_WHO_ENTITIES = frozenset({"PERSON", "NORP", "ORG"})
_WHEN = frozenset({"DATE", "TIME"})
# Nouns for people the recogniser does not tag (no name): "a man", "police", "two gang members".
_PERSON_NOUNS = frozenset(
    [
        "man",
        "men",
        "woman",
        "women",
        "boy",
        "girl",
        "child",
        "children",
        "person",
        "people",
        "police",
        "officer",
        "official",
        "minister",
        "president",
        "leader",
        "member",
        "family",
        "mother",
        "father",
        "son",
        "daughter",
        "wife",
        "husband",
        "brother",
        "sister",
        "victim",
        "suspect",
        "student",
        "teacher",
        "doctor",
        "nurse",
        "worker",
        "employee",
        "resident",
        "citizen",
        "protester",
        "soldier",
        "troop",
        "driver",
        "passenger",
        "pilot",
        "judge",
        "jury",
        "lawyer",
        "prosecutor",
        "senator",
        "governor",
        "mayor",
        "lawmaker",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "chief",
        "executive",
        "director",
        "manager",
        "owner",
        "founder",
        "investor",
        "analyst",
        "expert",
        "scientist",
        "researcher",
        "author",
        "actor",
        "actress",
        "singer",
        "star",
        "player",
        "coach",
        "fan",
        "team",
        "couple",
        "teen",
        "teenager",
        "baby",
        "patient",
        "official",
        "authorities",
        "authority",
        "agent",
        "detective",
        "sheriff",
        "deputy",
        "trooper",
        "candidate",
        "voter",
        "immigrant",
        "migrant",
        "refugee",
        "inmate",
        "gunman",
    ]
)
_PERSON_SUFFIXES = ("er", "or", "ist", "ian")
_NOT_PEOPLE = frozenset(
    [
        "order",
        "water",
        "paper",
        "power",
        "number",
        "computer",
        "center",
        "centre",
        "matter",
        "letter",
        "weather",
        "error",
        "sector",
        "factor",
        "meter",
        "monitor",
        "border",
        "corridor",
        "motor",
        "tractor",
        "reactor",
        "vapor",
        "floor",
        "door",
        "river",
        "tower",
        "quarter",
        "chapter",
        "register",
    ]
)
# "Who" takes the singular; a contraction left at the front reads as a typo ("Who 's running …").
_AGREEMENT = {"were": "was", "are": "is", "have": "has", "do": "does", "'s": "is", "'re": "is", "'ve": "has"}
_OPENING_QUOTES = "\"“‘«'"
_CLOSING_QUOTES = "\"”’»'"


@dataclass(frozen=True)
class Token:
    """What question generation needs of a parsed token (spaCy's names: dep_, tag_, lemma_, ent_type_)."""

    i: int
    text: str
    whitespace: str
    dep: str
    head: int
    tag: str
    lemma: str
    ent_type: str = ""


@dataclass(frozen=True)
class ParsedSentence:
    tokens: tuple[Token, ...]
    children: dict[int, list[int]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for t in self.tokens:
            if t.head != t.i:
                self.children.setdefault(t.head, []).append(t.i)

    def subtree(self, i: int) -> set[int]:
        out, todo = set(), [i]
        while todo:
            j = todo.pop()
            out.add(j)
            todo.extend(self.children.get(j, []))
        return out

    def child(self, i: int, deps: frozenset[str]) -> int | None:
        return next((c for c in self.children.get(i, []) if self.tokens[c].dep in deps), None)


class SentenceParser(Protocol):
    """Dependency parses of sentences; None for a sentence it does not parse (not English, say)."""

    def prepare(self) -> None:
        """Start loading the model in the background: the first parse then does not wait for it."""

    def parse(self, sentences: Sequence[str], languages: Sequence[str | None]) -> list[ParsedSentence | None]:
        """Parses of `sentences`; `languages`: each one's article language (None: unknown, detected)."""

    def close(self) -> None:
        """Release what the parser holds (a process of its own, say)."""


def _is_pronoun(sent: ParsedSentence, i: int) -> bool:
    t = sent.tokens[i]
    return t.tag in {"PRP", "EX", "WP"} or (t.lemma.casefold() in _DEMONSTRATIVES and not sent.children.get(i))


def _wh(sent: ParsedSentence, i: int) -> str:
    """Who for people and organisations (the recogniser's kinds, pronouns, nouns for people), What otherwise."""
    head = sent.tokens[i]
    # The noun phrase's own names ("Trooper William Hakim and Capt. Tom Tennant"), not names inside its modifiers
    # ("Harry Winston's Paris store" is a what).
    names = [j for j in sent.children.get(i, []) if sent.tokens[j].dep in {"compound", "conj", "appos"}]
    if head.ent_type in _WHO_ENTITIES or any(sent.tokens[j].ent_type == "PERSON" for j in names):
        return "Who"
    if head.ent_type:
        return "What"
    lemma = head.lemma.casefold()
    if lemma in _PRONOUN_WHO or lemma in _PERSON_NOUNS:
        return "Who"
    if head.tag.startswith("NN") and lemma.endswith(_PERSON_SUFFIXES) and lemma not in _NOT_PEOPLE:
        return "Who"
    return "What"


def _text(sent: ParsedSentence, keep: Sequence[int]) -> str:
    parts = [sent.tokens[j].text + (sent.tokens[j].whitespace if j != keep[-1] else "") for j in keep]
    return "".join(parts).strip()


def _balanced(text: str) -> bool:
    straight = text.count('"') % 2 == 0
    curly = text.count("“") == text.count("”")
    return straight and curly and text.count("(") == text.count(")")


def _asides(sent: ParsedSentence, pred: int, after: int) -> set[int]:
    """What a question can leave out and still be answered by the sentence: when (the answer says it), modifiers
    set off by a comma (", the chief executive", ", saying …", ", which …"), and a second clause with a subject of
    its own ("… and demonstrators tried to storm parliament")."""
    toks = sent.tokens
    out: set[int] = set()
    for j in sorted(sent.subtree(pred)):
        if j <= after or j in out or j == pred:
            continue
        t = toks[j]
        words = sent.subtree(j)
        comma = j > 0 and toks[min(words) - 1].text in {",", "—", "–", "--"}
        if t.ent_type in _WHEN and t.dep in {"npadvmod", "pobj", "tmod"} and t.head == pred:
            out |= words
        elif t.dep == "prep" and t.head == pred and all(toks[k].ent_type in _WHEN or k == j for k in words):
            out |= words  # "on Tuesday", "last night"
        elif comma and t.dep in {"relcl", "appos", "advcl", "acl"}:
            out |= words | {min(words) - 1}
        elif t.dep == "conj" and t.head == pred and sent.child(j, _SUBJECTS) is not None:
            out |= words | {c for c in sent.children.get(pred, []) if toks[c].dep == "cc" and c < j}
            out |= {k for k in range(min(words) - 1, min(words)) if toks[k].text == ","}
    return out


def subject_question(sent: ParsedSentence) -> str | None:
    """The subject wh-question the sentence answers, in its own words; None when it gives no clean one."""
    toks = sent.tokens
    if toks and toks[-1].text in {"...", "…"}:
        return None  # a teaser cut mid-sentence ("… stormed by as many as four robbers on...")
    roots = [t.i for t in toks if t.dep == "ROOT"]
    if len(roots) != 1 or not toks or toks[-1].text == "?":
        return None
    pred = roots[0]
    reporter: int | None = None
    if toks[pred].lemma.casefold() in _REPORTING:
        comp = sent.child(pred, frozenset({"ccomp"}))
        if comp is not None:
            reporter = sent.child(pred, _SUBJECTS)
            pred = comp
    subj = sent.child(pred, _SUBJECTS)
    if subj is None or not toks[pred].tag.startswith(("VB", "MD")):
        return None
    asker = subj
    if _is_pronoun(sent, subj):
        # "Hewlett-Packard said it has agreed to buy EYP": the reporter names who "it" is, and the answer says so.
        # A bare "He was arrested" names nobody: no question.
        named = reporter is not None and not _is_pronoun(sent, reporter)
        if reporter is None or not named or toks[subj].lemma.casefold() not in {"it", "they", "he", "she"}:
            return None
        asker = reporter
    if toks[pred].lemma == "be" and sent.child(pred, frozenset({"ccomp", "csubj"})) is not None:
        return None  # "One complaint is that users cheat": no one did anything to ask about
    finite = [j for j in [*sent.children.get(pred, []), pred] if toks[j].dep in {"aux", "auxpass", "ROOT", "ccomp"}]
    if not any(toks[j].tag in _FINITE for j in finite):
        return None  # no tensed verb: a headline fragment or a participle clause
    skip = sent.subtree(subj)
    for c in sent.children.get(pred, []):
        if toks[c].dep in _DROPPED or (toks[c].dep == "mark" and c < subj):
            skip |= sent.subtree(c)
        elif subj < c < pred and toks[c].dep in _PREVERBAL:
            skip |= sent.subtree(c)  # "The administration on Thursday eliminated …": the time goes with the subject
    after = max(skip & sent.subtree(subj))  # leading adverbials ("On Friday,") go with everything before
    skip |= _asides(sent, pred, after)
    keep = sorted(j for j in sent.subtree(pred) - skip if j > after)
    while keep and toks[keep[0]].tag in {",", ":", "HYPH", "``", "''"} | {"-LRB-", "-RRB-"}:
        keep.pop(0)
    while keep and (toks[keep[-1]].dep == "punct" or toks[keep[-1]].text in _CLOSING_QUOTES + _OPENING_QUOTES):
        keep.pop()
    if not keep or toks[keep[0]].dep not in _VERB_GROUP or toks[keep[0]].head not in {pred, keep[0]}:
        return None
    if toks[keep[-1]].tag in {"IN", "TO", "DT", "CC", "WDT"}:
        return None  # ends on a word that needs what follows it
    first = toks[keep[0]]
    if first.tag == "VBP" and first.i == pred:
        return None  # "Protesters storm …" would ask "Who storm …?"
    body = _text(sent, keep)
    lowered = first.text.casefold().replace("’", "'")
    if lowered in _AGREEMENT and first.text.islower():
        body = _AGREEMENT[lowered] + body[len(first.text) :]
    question = f"{_wh(sent, asker)} {body}?"
    words = question.split()
    shouting = sum(1 for t in toks if len(t.text) >= 3 and t.text.isupper() and not t.ent_type)
    if not MIN_WORDS <= len(words) <= MAX_WORDS or shouting >= 2 or not _balanced(question):
        return None
    return question


def ask(sections: Sections, parsed: ParsedSentence | None) -> Sections:
    """The sections with the question their first *What's happened* sentence answers, when it gives one."""
    question = subject_question(parsed) if parsed is not None else None
    return replace(sections, question=question) if question is not None else sections
