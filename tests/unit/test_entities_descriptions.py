"""Descriptions from the coverage's own words: titles before a name, appositives, relative clauses; verbatim."""

from __future__ import annotations

import pytest

from storyline.domain.descriptions import describe, describe_elsewhere, description_rank, valid_description
from storyline.domain.entities import Mention
from storyline.domain.places import PLACE_LABELS


def _described(text: str, name: str, label: str = "PERSON") -> list[str]:
    start = text.index(name)
    found = describe(text, [Mention(name, label, start, start + len(name))])
    for d in found:
        assert text[d.start : d.end] == d.text  # cited verbatim
    return [d.text for d in found if valid_description(d.text, d.name, label in PLACE_LABELS)]


@pytest.mark.parametrize(
    ("text", "name", "description"),
    [
        # A title in front of the name; a rank next to the name is left out.
        ("The man was named by police spokesman Constable Tim Fanning on Monday.", "Tim Fanning", "police spokesman"),
        ('"Would we?" Colts interim coach Bruce Arians asked.', "Bruce Arians", "Colts interim coach"),
        (
            "said House Oversight Committee Chairman Rep. Trey Gowdy on Monday",
            "Trey Gowdy",
            "House Oversight Committee Chairman",
        ),
        (
            "Capt. Tom Tennant and Oregon State Police bomb technician Bill Hakim died",
            "Bill Hakim",
            "Oregon State Police bomb technician",
        ),
        (
            "the seat vacated by newly confirmed Secretary of State John Kerry. Cowan will",
            "John Kerry",
            "Secretary of State",
        ),
        ("Earlier Monday, Connecticut Gov. Dan Malloy took a stand", "Dan Malloy", "Connecticut Gov."),
        ("The deal was hailed by President Donald Trump on Friday.", "Donald Trump", "President"),
        # "Y's chief executive X": cited as written, never rewritten as "chief executive of Y".
        ("HP's chief executive Mark Hurd said the deal was done.", "Mark Hurd", "HP's chief executive"),
        ("the Chinese telecoms giant Huawei said", "Huawei", "the Chinese telecoms giant"),
        # Set off by commas, before or after the name.
        (
            "Mike Sommers, and his policy director, Brett Loper, were also in attendance.",
            "Brett Loper",
            "his policy director",
        ),
        ("Mark Hurd, the chief executive of HP, said the deal was done.", "Mark Hurd", "the chief executive of HP"),
        ("Tim Cook, Apple's chief executive, said so.", "Tim Cook", "Apple's chief executive"),
        ("Tim Cook, chief executive of Apple, said so.", "Tim Cook", "chief executive of Apple"),
        ("Benjamin David Banky, 40, a father of two, was shot", "Benjamin David Banky", "a father of two"),
        (
            "wrote Josh Blackman, a Houston law professor who writes about the court, on Monday.",
            "Josh Blackman",
            "a Houston law professor",
        ),
        # Relative clauses: "who is …" cites the noun phrase; a role verb cites the clause.
        (
            "Sundar Pichai, who is the chief executive of Google, spoke.",
            "Sundar Pichai",
            "the chief executive of Google",
        ),
        ("Sundar Pichai, who leads Google, spoke on Monday.", "Sundar Pichai", "who leads Google"),
        # A lawmaker's party and state, as US papers give them.
        ("Asked about it, Mitch McConnell, R-Ky., said", "Mitch McConnell", "R-Ky."),
        ("Rep. Zoe Lofgren (D-Calif.) said", "Zoe Lofgren", "D-Calif."),
        ("Michael Conaway, R-Texas, attacked Schiff", "Michael Conaway", "R-Texas"),
        # Honorifics next to the name are ranks: the title before them describes.
        ("travels of Prime Minister Datuk Seri Anwar Ibrahim abroad", "Anwar Ibrahim", "Prime Minister"),
        (
            "Catherine Connolly, a former mayor of Galway who’s spent nine years in the Dáil, won",
            "Catherine Connolly",
            "a former mayor of Galway",
        ),
        # A person's relative clause says their part in the story.
        (
            "the death of Michael Brown, who was shot by Ferguson Police Officer Darren Wilson.",
            "Michael Brown",
            "who was shot by Ferguson Police Officer Darren Wilson",
        ),
        (
            "charges against Robert McCulloch, the prosecutor for St. Louis County, were",
            "Robert McCulloch",
            "the prosecutor for St. Louis County",
        ),
        # A person named after a preposition is still the one the appositive is about.
        (
            "the older of two daughters to Donald Harris, a Jamaican-American economist, and",
            "Donald Harris",
            "a Jamaican-American economist",
        ),
        # Who someone is, as a common noun before the name: a nationality, what they were doing, what they are
        # accused of.
        ("Australian teenager Holly Bowles has become the sixth", "Holly Bowles", "Australian teenager"),
        ("an interview with suspected killer Brian Kohberger about", "Brian Kohberger", "suspected killer"),
        ("a three-set victory over fiery Frenchman Corentin Moutet. The", "Corentin Moutet", "Frenchman"),
        # The party and state as the New York Times writes them.
        ("When Gov. Asa Hutchinson, Republican of Arkansas, spoke", "Asa Hutchinson", "Republican of Arkansas"),
        ("Chuck Schumer, Democrat of New York.", "Chuck Schumer", "Democrat of New York"),
        # A parenthesised initialism ends the appositive.
        (
            "says Viktoriya Voropayeva, a systems engineer and vice-rector at the Donetsk National Technology "
            "University (DonNTU). In 2014",
            "Viktoriya Voropayeva",
            "a systems engineer and vice-rector at the Donetsk National Technology University",
        ),
    ],
)
def test_descriptions_found_next_to_mentions(text: str, name: str, description: str) -> None:
    assert _described(text, name) == [description]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Trump, who spoke on Monday, left.", "Trump"),  # what he did that day, not who he is
        ("Trump, who told reporters he would win, left.", "Trump"),  # reported speech
        ("He met John Smith, a teacher from the U.S. Then he left.", "John Smith"),  # an initial's stop ends it
        ("He met Trump last summer Trump went", "Trump"),
        ("told police Smith was home", "Smith"),
        ("Hunter, becomes the second Republican congressman to be indicted", "Hunter"),
        ("opposition to Neil Gorsuch, the Senate Democratic leader, Chuck Schumer, said", "Neil Gorsuch"),
        ("WASHINGTON -- Real estate tycoon Donald Trump said", "Real estate tycoon"),
        ("Edward Magee, a spokesman for Robert P. McCulloch, said", "Edward Magee"),
        ("Chuck Schumer, 'Worst Negotiator', said", "Chuck Schumer"),
        # A verb and an article before the role noun: a clause, not a title.
        ("Australian Holly Bowles, 19, became the sixth traveller to die", "Holly Bowles"),
        ("Chuck Schumer, Republican of Foo Bar, said", "Chuck Schumer"),  # not a state
    ],
)
def test_no_description_from_verbs_other_names_or_other_lines(text: str, name: str) -> None:
    assert _described(text, name) == []


def test_a_title_ends_at_a_dash_a_line_break_or_a_verb() -> None:
    assert _described("WASHINGTON -- Real estate tycoon Donald Trump said", "Donald Trump") == ["Real estate tycoon"]
    assert _described("DUI\nWide receiver Vincent Jackson was arrested", "Vincent Jackson") == ["Wide receiver"]
    assert _described("they had to request Secretary Clinton appear", "Clinton") == ["Secretary"]


def test_one_word_is_a_description_only_when_it_is_a_whole_role() -> None:
    assert valid_description("President", "Donald Trump")
    assert valid_description("actor", "Matt Smith")
    assert not valid_description("Sen.", "Chuck Schumer")
    assert not valid_description("police", "John Smith")
    assert not valid_description("himself", "Trump")


@pytest.mark.parametrize(
    ("text", "name", "label", "description"),
    [
        # After "in", an appositive naming a kind of place describes the place, not an earlier noun.
        ("Police in Millom, a town in Cumbria, said a man was arrested.", "Millom", "GPE", "a town in Cumbria"),
        # What an organisation is, as a title before its name.
        ("Robbers hit the Paris branch of jeweler Harry Winston on Thursday.", "Harry Winston", "ORG", "jeweler"),
        ("A fire destroyed a store of the supermarket chain Waitrose.", "Waitrose", "ORG", "the supermarket chain"),
    ],
)
def test_places_and_organisations_described_by_their_kind(text: str, name: str, label: str, description: str) -> None:
    start = text.index(name)
    found = describe(text, [Mention(name, label, start, start + len(name))])
    assert [d.text for d in found if valid_description(d.text, d.name)] == [description]
    assert all(text[d.start : d.end] == d.text for d in found)


def test_a_place_after_a_preposition_lends_the_appositive_to_the_noun_before() -> None:
    assert _described("Chuck Schumer of New York, the Democratic leader, spoke", "New York", "GPE") == []
    # A qualifier's too: the suburb is Dearborn.
    assert _described("in Dearborn, Michigan, a suburb of Detroit, police said", "Michigan", "GPE") == []
    assert _described("In Dearborn, Michigan, a suburb of Detroit, police said", "Michigan", "GPE") == []


@pytest.mark.parametrize(
    ("text", "name", "label", "description"),
    [
        # Mid-sentence after a preposition other than "of", a phrase saying what a thing is describes the thing.
        (
            "The 49-year-old teaches at Randolph-Macon College, a small liberal arts school north of Richmond. He",
            "Randolph-Macon College",
            "ORG",
            "a small liberal arts school north of Richmond",
        ),
        (
            "does not charge Stone with conspiring with WikiLeaks, the anti-secrecy website that published the emails,",
            "WikiLeaks",
            "ORG",
            "the anti-secrecy website",
        ),
        (
            "and a floating Tardis, a time machine shaped like an old police box, was introduced",
            "Tardis",
            "ORG",
            "a time machine shaped like an old police box",
        ),
        # An organisation's relative clause with a role verb.
        (
            "scientists at the U.S. Fish and Wildlife Service, which enforces the Endangered Species Act.",
            "U.S. Fish and Wildlife Service",
            "ORG",
            "which enforces the Endangered Species Act",
        ),
        # An organisation's own clause, and a group's, after a comma or between dashes.
        (
            "The Academy of Motion Picture Arts and Sciences, which hands out the world's top film honors, said",
            "Academy of Motion Picture Arts and Sciences",
            "ORG",
            "which hands out the world's top film honors",
        ),
        (
            "That's a high bar for Republicans, who have just 52 members in the Senate.",
            "Republicans",
            "NORP",
            "who have just 52 members in the Senate",
        ),
        (
            "shift pressure to Democrats — who have repeatedly refused to give Mr. Trump any money — to end it",
            "Democrats",
            "NORP",
            "who have repeatedly refused to give Mr. Trump any money",
        ),
        # After a sentence's opening phrase of time, the name is the subject.
        (
            "In 2024, Athena Advisers - a real estate consultancy specializing in the Alps - opened an office.",
            "Athena Advisers",
            "ORG",
            "a real estate consultancy",
        ),
        # What the thing is, right after its name.
        (
            "to launch the BlackBerry Curve 8900 smartphone in mid-February",
            "BlackBerry Curve 8900",
            "ORG",
            "smartphone",
        ),
        ("weighed in to defend the Tea Party movement on Monday", "Tea Party", "ORG", "movement"),
        ("the unofficial capital of Ukraine’s Donbas region, Voropayeva", "Donbas", "GPE", "region"),
        # Who holds it, or where it is based, as a compound before the name.
        ("a bill passed by the Republican-controlled Congress last year", "Congress", "ORG", "Republican-controlled"),
        ("Police in Indian-controlled Kashmir said", "Kashmir", "GPE", "Indian-controlled"),
        ("Palo Alto-based HP said on Monday", "HP", "ORG", "Palo Alto-based"),
        # A kind of place that names the place.
        ("the agricultural town of Woodburn, about 30 miles south", "Woodburn", "GPE", "agricultural town"),
        ("voters in the key battleground state of Florida.", "Florida", "GPE", "key battleground state"),
        ("a municipal worker in the Athens suburb of Piraeus who earns", "Piraeus", "GPE", "the Athens suburb"),
        # A kind right before the name, without "of".
        ("fire bombs in the center of the capital Athens and", "Athens", "GPE", "the capital"),
        # After a verb's "to", the title starts at the next word.
        (
            "AMD intends to acquire graphics chipmaker ATI Technologies for",
            "ATI Technologies",
            "ORG",
            "graphics chipmaker",
        ),
        ("an offer to free agent first baseman Mark Teixeira", "Mark Teixeira", "PERSON", "free agent first baseman"),
        # A place's appositive without its relative clause.
        (
            "led us to believe that America, a country that was built on compromise -- that",
            "America",
            "GPE",
            "a country",
        ),
        # A parenthesised initialism between the name and its appositive.
        (
            "Israel banned UN Relief and Works Agency (UNRWA), the main UN agency that helps Palestinians, from",
            "UN Relief and Works Agency",
            "ORG",
            "the main UN agency",
        ),
        # An appositive set off by dashes, headed by what the thing is; a participle's clause is left out.
        (
            "Last year Athena Advisers - a real estate consultancy specializing in the Alps - opened an office.",
            "Athena Advisers",
            "ORG",
            "a real estate consultancy",
        ),
    ],
)
def test_things_described_after_a_preposition_by_a_clause_or_by_who_holds_them(
    text: str, name: str, label: str, description: str
) -> None:
    assert _described(text, name, label) == [description]


@pytest.mark.parametrize(
    ("text", "name", "label"),
    [
        ("the main city of Pakistan, Karachi, flooded", "Pakistan", "GPE"),  # a part of it, not a kind
        ("the largest town of Cumbria flooded", "Cumbria", "GPE"),
        ("In Paris, the attacker fled on foot.", "Paris", "GPE"),  # a sentence's opening phrase
        ("Late on Monday at Apple, the deal was signed.", "Apple", "ORG"),  # not what Apple is
        ("He met them at Apple, the deal fell through.", "Apple", "ORG"),
        ("Microsoft, which makes it harder to patch, said", "Microsoft", "ORG"),  # an event, not a role
        ("the Act, which he signed into law in 2010, was", "Act", "ORG"),  # what someone did with it
        ("Trump — who spoke on Monday — said", "Trump", "PERSON"),
        # A word after a name that is something it has, or a compound's part, is not what it is.
        ("available from the Microsoft website. When", "Microsoft", "ORG"),
        ("an American flag and a Texas state flag, he added", "Texas", "GPE"),
        ("the first AMD Opteron processor - based servers", "Opteron", "ORG"),
        ("Intel shares fell as the Apple laptop sold out", "Apple", "ORG"),  # a maker's product, not the maker
        ("queued outside an Apple store in London", "Apple", "ORG"),
        ("announced that the BlackBerry Q10 smartphone device will be", "BlackBerry Q10", "ORG"),
        ("the Chiefs, who ultimately claimed victory at the Super Bowl, won", "Chiefs", "ORG"),  # a team's: an event
        ("the Hungarian-born US financier George Soros", "US", "GPE"),  # describes the financier
        ("AMD agreed to buy Markham, Ont-based ATI", "ATI", "ORG"),  # a place's qualifier, not a compound
        ("The Alps, which represents a growth of 110% over 2023, drew", "Alps", "LOC"),  # an event of a place
        # A sentence's opening clause ends at its comma: what follows is the main clause, not an appositive.
        (
            "Since the first day of protests in Ferguson, the authorities shifted their response daily.",
            "Ferguson",
            "GPE",
        ),
        ("When the Rams moved to Los Angeles, the Coliseum Commission made it part of the deal.", "Los Angeles", "GPE"),
        ("When police arrested John Smith, the suspect's mother called.", "John Smith", "PERSON"),
        ("He said it to Los Angeles, the Coliseum Commission made it part of the deal.", "Los Angeles", "GPE"),
        # The initialism's appositive, not the place's that ends the longer name.
        ("the Relief Agency for Palestine (UNRWA), the main UN agency, said", "Palestine", "GPE"),
        # A dash opens an aside or a clause as often: only a role or a thing as head describes.
        ("Then came Trump - the moment everyone had waited for - and", "Trump", "PERSON"),
        # After "to", a lowercase word is a verb ("officers assigned to guard Epstein").
        ("Overworked officers assigned to guard Jeffrey Epstein had failed", "Jeffrey Epstein", "PERSON"),
        # A person's title before an organisation's name belongs to a longer phrase.
        ("it took a freshman House Democrat's exuberant", "House", "ORG"),
        ("Ellen DeGeneres to Host Oscars in February", "Oscars", "ORG"),
        # An appositive about the sentence, one ending in its verb, a list going on.
        ("a ceremony at the White House, a move intended to underscore the idea", "White House", "ORG"),
        ("said Barack Obama, a White House aide confirmed.", "Barack Obama", "PERSON"),
        ("Oregon State Police, the FBI and Woodburn police responded to the call.", "Oregon State Police", "ORG"),
    ],
)
def test_no_description_from_parts_opening_phrases_events_or_others_compounds(text: str, name: str, label: str) -> None:
    assert _described(text, name, label) == []


@pytest.mark.parametrize(
    ("text", "name", "where"),
    [
        ("A bomb exploded at a bank in Woodburn, Ore., police said.", "Woodburn", "Ore."),
        ("He lives in Beaumont, Texas.", "Beaumont", "Texas"),  # the full stop is the sentence's
        ("the shooting in Ferguson, Missouri, last year", "Ferguson", "Missouri"),
        ("The university moved to Lutsk in northwestern Ukraine, to a building", "Lutsk", "in northwestern Ukraine"),
        ("in Washington, D.C. on Monday", "Washington", "D.C."),
        ("a business in Vancouver, B.C. on Friday", "Vancouver", "B.C."),  # a Canadian province's abbreviation
        ("the terrace in Millom, Cumbria, with her son", "Millom", "Cumbria"),  # an English county
    ],
)
def test_a_place_is_described_by_the_region_the_text_places_it_in(text: str, name: str, where: str) -> None:
    assert _described(text, name, "GPE") == [where]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("storms hit Texas, Oklahoma and Kansas on Monday.", "Texas"),  # a list, not a qualifier
        ("In Washington, Obama said he would act.", "Washington"),  # not a known region
        ("aid to Rwanda, Mozambique, and Malawi", "Rwanda"),  # a country is not placed in another
        ("students at the University of Central Arkansas said", "Arkansas"),  # part of a longer name
    ],
)
def test_no_region_from_lists_clauses_or_longer_names(text: str, name: str) -> None:
    assert _described(text, name, "GPE") == []


def test_descriptions_at_the_mentions_the_recogniser_did_not_read() -> None:
    text = "Bill Hakim died. Later that night, police named the victim as Bill Hakim, a bomb technician, and others."
    lead = [(0, 10)]  # the recogniser read the first mention
    found = describe_elsewhere(text, ["Bill Hakim"], "PERSON", lead)
    assert [(d.text, text[d.start : d.end]) for d in found] == [("a bomb technician", "a bomb technician")]
    assert describe_elsewhere("Bill Hakimson, a bomb technician, said", ["Bill Hakim"], "PERSON", []) == ()


def test_a_party_and_state_reads_after_a_noun_phrase_and_a_relative_clause_last() -> None:
    # Cards compare normalised (casefolded) phrases: "republican of arkansas" says where, like "r-ky.".
    assert description_rank("a former congressman") == 0
    assert description_rank("president") == 1
    assert description_rank("republican of arkansas") == description_rank("r-ky.") == 2
    assert description_rank("who was shot by a police officer") == 3
