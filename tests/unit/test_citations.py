"""Citation links open the article at the cited sentence (URL text fragments)."""

from __future__ import annotations

from storyline.web.citations import text_fragment


def test_a_long_sentence_is_found_by_its_first_and_last_words() -> None:
    sentence = "Armed robbers stole diamonds valued at 85 million euros from the Paris branch of Harry Winston."
    assert text_fragment(sentence) == "#:~:text=Armed%20robbers%20stole%20diamonds,branch%20of%20Harry%20Winston."


def test_a_short_sentence_is_quoted_whole_and_the_fragment_syntax_is_escaped() -> None:
    # "-", "," and "&" are the fragment's own syntax: inside the text they are percent-encoded.
    assert text_fragment("T-Mobile, AT&T agree.") == "#:~:text=T%2DMobile%2C%20AT%26T%20agree."
    assert text_fragment("") == ""
