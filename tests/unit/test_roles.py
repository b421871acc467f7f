"""Sentence roles on a story page: standing alone, context, quotes and their speakers, new facts."""

from __future__ import annotations

import pytest

from storyline.domain.roles import (
    Speaker,
    adds_facts,
    context_kinds,
    facts,
    is_quote,
    reads_alone,
    speaker,
    stands_alone,
)


@pytest.mark.parametrize(
    ("text", "alone"),
    [
        ("Police charged a 61-year-old man with first-degree murder on Saturday.", True),
        ("He was charged with first-degree murder on Saturday.", False),
        ("But the council said the budget would pass.", False),
        ("This is the third such attack this year.", False),
        ("Who will replace him?", False),
        ('"We are delighted," the harbour master said.', False),
        ("Heather Locklear was arrested on Saturday.", True),  # "He…" inside a name is not a pronoun
    ],
)
def test_stands_alone(text: str, alone: bool) -> None:
    assert stands_alone(text) is alone


def test_a_quotation_may_open_a_context_sentence_but_not_a_pronoun() -> None:
    assert reads_alone('"The fees are fair," said Anna Berg, the harbour master.')
    assert not reads_alone("They said the fees were fair.")


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("The plant closed because demand for coal collapsed.", {"cause"}),
        ("The ruling could force hundreds of firms to pay more tax.", {"consequence"}),
        ("The company was founded in 1998 and listed in 2004.", {"background"}),
        ("Critics warned of a crisis in rural hospitals.", {"stakes"}),
        ("The minister said the talks had ended.", {"statement"}),
        ("The train left at seven with 80 passengers.", set()),
    ],
)
def test_context_kinds(text: str, kinds: set[str]) -> None:
    assert context_kinds(text) == kinds


@pytest.mark.parametrize(
    ("text", "who"),
    [
        (
            '"He shot one man," said Vancouver police spokesperson Tim Fanning.',
            Speaker("Tim Fanning", "Vancouver police spokesperson"),
        ),
        (
            '"The fees are fair," said Anna Berg, the harbour master, after the vote.',
            Speaker("Anna Berg", "the harbour master"),
        ),
        ('"You knew something was wrong," Pigeon told The Canadian Press.', Speaker("Pigeon", None)),
        ('"It is over," he said.', None),
        # After "said", a name with a verb after it is what was said, not who said it.
        ('He called it "a very good night," and said Holder\'s visit had helped.', None),
        ('Reavey said Microsoft went into "emergency response" mode.', Speaker("Reavey", None)),
        # A title is whole words: not "epartment" from inside "Department".
        (
            'The Justice Department Inspector General Michael Horowitz said the review was "thorough".',
            Speaker("Inspector General Michael Horowitz", None),
        ),
        # A day after "said" is when, not who; a word opening the sentence is not part of the name.
        ("“I don’t think it’s OK,” he said Thursday.", None),
        (
            'While Mueller says his report "does not conclude that the President committed a crime," it does not '
            "exonerate him.",
            Speaker("Mueller", None),
        ),
        ('"We will appeal," May said.', Speaker("May", None)),
    ],
)
def test_the_speaker_and_role_come_from_the_attribution(text: str, who: Speaker | None) -> None:
    assert is_quote(text)
    assert speaker(text) == who


def test_a_restatement_adds_no_fact_and_a_new_fact_does() -> None:
    first = "A man has been charged with murdering his mother and sister in Millom, Cumbria."
    seen = [facts(first)]
    assert not adds_facts("The man was charged with the murder of his mother and sister in Millom.", seen)
    assert adds_facts("He will appear before Workington magistrates on Monday, 23 December.", seen)
