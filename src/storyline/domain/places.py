"""Places as news writes them: the regions a town is qualified by ("Woodburn, Ore."), and kinds of place."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from babel import Locale

from storyline.domain.vocabulary import word_set

if TYPE_CHECKING:
    from storyline.domain.entities import Mention


# The recogniser's labels of places (spaCy: countries and cities, other locations, facilities).
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
# An appositive that says what kind of place a place is ("a town in Cumbria", "the capital of Oregon").
PLACE_KIND = re.compile(
    r"(?:a|an|the)\s(?:[\w'’-]+\s){0,3}(?:town|city|village|suburb|county|state|country|region|province|district|"
    r"area|neighbou?rhood|island|capital|port|community|borough|municipality|resort|territory|nation|enclave|"
    r"street|avenue|square|park|hamlet|parish|superpower|power|kingdom|republic|emirate|monarchy|democracy|"
    r"federation|archipelago|ally|neighbou?r|member)\b"
)
# "the agricultural town of Woodburn", "the key battleground state of Florida", "the Athens suburb of Piraeus": a
# kind of place naming the place. A city's kind before a country or state is a part of it instead ("the main city
# of Pakistan"), as is a region's.
_KIND_OF = re.compile(
    r"\b(?:the|a|an)\s+((?:[A-Z][\w’'-]*\s+)?(?:[a-z][\w’'-]*\s+){0,3}(city|town|village|suburb|borough|hamlet|"
    r"state|country|nation|kingdom|republic|emirate|island|enclave|territory))\s+of\s+$"
)
# "the capital Athens", "the port city Hodeidah": a kind written right before the name, without "of".
_KIND_BEFORE = re.compile(r"\b((?:the|a)\s+(?:[a-z][\w’'-]*\s+){0,2}(capital|city|town|village|port))\s+$")
_TOWN_KINDS = word_set("city town village suburb borough hamlet")
_COUNTRY_KINDS = word_set("country nation kingdom republic emirate")
# A superlative or an ordinal before the kind picks one of several: a part ("the second city of", "the largest").
_PART_OF = re.compile(r"(?!\w*west$)\w+est|main|principal|only|capital|chief|first|second|third|\d\w*")


def _names(names: str) -> frozenset[str]:
    """A list of names written as text, comma-separated (names have spaces)."""
    return frozenset(n.strip() for n in names.split(",") if n.strip())


# What a place is qualified by in the news ("Woodburn, Ore.", "Lutsk in northwestern Ukraine"): a country (Babel's
# English names, a maintained list), a US state or its AP abbreviation, a nation or an English county of the UK, a
# Canadian province, an Australian or an Indian state: the places news qualifies a town with.
COUNTRIES = frozenset(name for code, name in Locale("en").territories.items() if len(code) == 2 and code.isalpha())
REGIONS = COUNTRIES | _names(
    """
    U.S., US, UK, U.K., Britain, England, Scotland, Wales, Northern Ireland, D.C.,
    Alabama, Alaska, Arizona, Arkansas, California, Colorado, Connecticut, Delaware, Florida, Georgia, Hawaii, Idaho,
    Illinois, Indiana, Iowa, Kansas, Kentucky, Louisiana, Maine, Maryland, Massachusetts, Michigan, Minnesota,
    Mississippi, Missouri, Montana, Nebraska, Nevada, New Hampshire, New Jersey, New Mexico, New York, North Carolina,
    North Dakota, Ohio, Oklahoma, Oregon, Pennsylvania, Rhode Island, South Carolina, South Dakota, Tennessee, Texas,
    Utah, Vermont, Virginia, Washington, West Virginia, Wisconsin, Wyoming,
    Ala., Ariz., Ark., Calif., Colo., Conn., Del., Fla., Ga., Ill., Ind., Kan., Ky., La., Md., Mass., Mich., Minn.,
    Miss., Mo., Mont., Neb., Nev., N.H., N.J., N.M., N.Y., N.C., N.D., Okla., Ore., Pa., R.I., S.C., S.D., Tenn., Vt.,
    Va., Wash., W.Va., Wis., Wyo.,
    Alberta, British Columbia, Manitoba, New Brunswick, Newfoundland, Nova Scotia, Ontario, Quebec, Saskatchewan,
    B.C., Alta., Ont., Que., Sask., N.S., N.B., P.E.I., Prince Edward Island,
    New South Wales, NSW, Queensland, Tasmania, Western Australia, South Australia, Northern Territory,
    Bedfordshire, Berkshire, Buckinghamshire, Cambridgeshire, Cheshire, Cornwall, Cumbria, Derbyshire,
    Devon, Dorset, East Sussex, Essex, Gloucestershire, Greater London, Greater Manchester, Hampshire,
    Herefordshire, Hertfordshire, Kent, Lancashire, Leicestershire, Lincolnshire, Merseyside, Norfolk,
    North Yorkshire, Northamptonshire, Northumberland, Nottinghamshire, Oxfordshire, Rutland, Shropshire, Somerset,
    South Yorkshire, Staffordshire, Suffolk, Surrey, Tyne and Wear, Warwickshire, West Midlands, West Sussex,
    West Yorkshire, Wiltshire, Worcestershire,
    Andhra Pradesh, Assam, Bihar, Gujarat, Haryana, Karnataka, Kerala, Madhya Pradesh, Maharashtra, Odisha, Punjab,
    Rajasthan, Tamil Nadu, Telangana, Uttar Pradesh, West Bengal
    """
)
_REGION_WORDS = r"(?:[A-Z][\w.’'&-]*)(?:\s[A-Z][\w.’'&-]*){0,2}"
# "Woodburn, Ore., police said" / "in Beaumont, Texas." / "Lutsk in northwestern Ukraine": the region, and what may
# follow it (not another capitalised item: "Paris, London and Berlin" is a list).
_NOT_LIST = r"(?!and\b|or\b|&)"
_QUALIFIED = re.compile(
    r",\s(" + _REGION_WORDS + r")(?=,\s" + _NOT_LIST + r"[a-z]|[.;:!?)](?:\s|$)|\s" + _NOT_LIST + r"[a-z]|$)"
)
_QUALIFIED_IN = re.compile(
    r"\s(in\s(?:(?:north|south|east|west|central|northern|southern|eastern|western|"
    r"north-?(?:east|west)(?:ern)?|south-?(?:east|west)(?:ern)?)\s)?(" + _REGION_WORDS + r"))(?=[\s,.;:!?)]|$)"
)


def region(text: str, m: Mention) -> tuple[int, int] | None:
    """Where a place is, as the text qualifies it: "Woodburn, Ore." cites "Ore."; "Lutsk in northwestern Ukraine"
    cites "in northwestern Ukraine". Only a known region counts ("In Washington, Obama said" is no qualifier)."""
    found = _QUALIFIED.match(text, m.end) or _QUALIFIED_IN.match(text, m.end)
    if found is None:
        return None
    start, end = found.span(1)
    if text[start:end] not in REGIONS and text[start:end].endswith("."):
        end -= 1  # the sentence's full stop, not an abbreviation's ("in Beaumont, Texas.")
    return (start, end) if is_region(text[start:end]) else None


def is_region(text: str) -> bool:
    """A place's qualifier: a known region, alone or after "in" and a direction ("in northwestern Ukraine")."""
    words = text.split()
    if words[:1] == ["in"]:
        words = words[2:] if len(words) > 2 and words[1][:1].islower() else words[1:]
    return " ".join(words) in REGIONS


def kind_of_place(text: str, start: int, name: str) -> tuple[int, int] | None:
    """The span of a kind of place that names the place ending right before `start` ("the agricultural town of
    Woodburn", "the capital Athens"), or None."""
    window = max(0, start - 80)
    found = _KIND_OF.search(text, window, start) or _KIND_BEFORE.search(text, window, start)
    if found is None or not _kind_fits(found.group(1), found.group(2), name):
        return None
    # "the Athens suburb": with a name in front, the article keeps it a phrase rather than another name.
    return (found.start(), found.end(1)) if found.group(1)[:1].isupper() else found.span(1)


def _kind_fits(phrase: str, kind: str, name: str) -> bool:
    """Whether "the <kind> of <name>" names the place rather than a part of it ("the main city of Pakistan", "the
    largest town of Cumbria")."""
    if any(_PART_OF.fullmatch(w) for w in phrase.split()[:-1]):
        return False
    if kind in _TOWN_KINDS:
        return name not in REGIONS
    return name in COUNTRIES if kind in _COUNTRY_KINDS else True
