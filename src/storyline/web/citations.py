"""Citation links that land: a URL text fragment that opens the article at the cited sentence."""

from __future__ import annotations

from urllib.parse import quote

# A few words from each end are enough for the browser to find the sentence, and survive small differences in how
# the outlet's page lays the sentence out (a link inside it, a line break) better than the whole sentence.
EDGE_WORDS = 4


def _encode(words: list[str]) -> str:
    # The fragment's own syntax uses "-", "," and "&": they are escaped inside the text (WICG Text Fragments).
    return quote(" ".join(words), safe="").replace("-", "%2D")


def text_fragment(text: str) -> str:
    """`#:~:text=start,end` for a sentence (the whole of a short one), to append to the article's URL."""
    words = text.split()
    if not words:
        return ""
    if len(words) <= 2 * EDGE_WORDS:
        return "#:~:text=" + _encode(words)
    return "#:~:text=" + _encode(words[:EDGE_WORDS]) + "," + _encode(words[-EDGE_WORDS:])
