"""Headlines: the outlet's name and desk kickers come off; a lede sentence is not taken for a headline."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storyline.domain.enrichment import StoryArticle, choose_headline
from storyline.domain.features import DocumentFrequencies
from storyline.domain.headlines import clean_title, headline_rank, lede_headline, outlet_names


@pytest.mark.parametrize(
    ("title", "source", "url", "expected"),
    [
        ("Erdoğan meets Putin in Sochi | NTV Haber", "NTV", "https://www.ntv.com.tr/a", "Erdoğan meets Putin in Sochi"),
        (
            "BBC News - Floods hit northern England",
            "BBC",
            "https://www.bbc.co.uk/news/1",
            "Floods hit northern England",
        ),
        (
            "Floods hit northern England - The Guardian",
            "Guardian",
            "https://www.theguardian.com/x",
            "Floods hit northern England",
        ),
        (
            "UPDATE: Ram - raiders hit Paris jewellery store",
            "Capital Ledger",
            "http://x.test/a",
            "Ram - raiders hit Paris jewellery store",
        ),
        (
            "BREAKING NEWS - 3 dead after march turns violent",
            "Ledger",
            "http://x.test/a",
            "3 dead after march turns violent",
        ),
        # A hyphen inside a name, or a segment that does not name the outlet, stays.
        (
            "T - Mobile USA announces BlackBerry availability",
            "Capital Ledger",
            "http://capital.test/a",
            "T - Mobile USA announces BlackBerry availability",
        ),
        (
            "Apple unveils iPhone - analysts shrug",
            "AP",
            "https://apnews.com/a",
            "Apple unveils iPhone - analysts shrug",
        ),
        # Never strip a title down to nothing.
        ("NTV Haber", "NTV", "https://www.ntv.com.tr/a", "NTV Haber"),
    ],
)
def test_clean_title_strips_the_outlet_and_kickers(title: str, source: str, url: str, expected: str) -> None:
    assert clean_title(title, outlet_names(source, url)) == expected


@pytest.mark.parametrize(
    ("title", "rank"),
    [
        ("Man charged with killing mother and sister", 0),
        ("Millom double murder: man charged.", 0),
        # A whole lede sentence standing in for a headline.
        ("A fire that ripped through a Waitrose store in Surrey is being treated as suspicious, police said.", 1),
        # Cut off with an ellipsis, a timestamp line, too long.
        ("After weeks of speculation about what would be introduced at Macworld, Apple took the wraps off...", 2),
        ("18 September 2013 Last updated at 13: 59 GMT", 2),
        ("x" * 30 + " " + "y" * 90, 2),
    ],
)
def test_headline_rank(title: str, rank: int) -> None:
    assert headline_rank(title) == rank


def _article(aid: str, title: str, text: str, hour: int) -> StoryArticle:
    return StoryArticle(
        article_id=aid,
        source_id=aid,
        source_name=f"Outlet {aid}",
        url=f"http://{aid}.test/story",
        title=title,
        text=text,
        published_at=datetime(2024, 1, 1, hour, tzinfo=UTC),
        duplicate_of=None,
    )


def test_a_real_headline_wins_over_a_more_central_lede() -> None:
    text = "A man has been charged with murdering his mother and sister in Millom, police said. He appears today."
    lede = _article("a", "A man has been charged with murdering his mother and sister in Millom, police said.", text, 1)
    real = _article("b", "Millom double murder: man charged | Outlet b", "Police in Cumbria charged a man. " + text, 2)
    dfs = DocumentFrequencies()
    headline, head = choose_headline([lede, real], dfs)
    assert head is real
    assert headline == "Millom double murder: man charged"
    # Among ledes only, a whole sentence beats one cut off with an ellipsis.
    cut = _article("c", "A man has been charged with murdering his mother and sister in Millom, police...", text, 0)
    assert choose_headline([cut, lede], dfs)[1] is lede


@pytest.mark.parametrize(
    ("lede", "headline"),
    [
        (
            "A fire that ripped through a Waitrose store in Surrey is being treated as suspicious, police said.",
            "A fire that ripped through a Waitrose store in Surrey is being treated as suspicious",
        ),
        (
            "The Los Angeles Angels made an eight-year offer to first baseman Mark Teixeira during winter meetings "
            "in Las Vegas.",
            "The Los Angeles Angels made an eight-year offer to first baseman Mark Teixeira",
        ),
        (
            "T-Mobile today announced the BlackBerry Curve 8900, the thinnest and lightest full-QWERTY BlackBerry "
            "smartphone.",
            "T-Mobile today announced the BlackBerry Curve 8900",
        ),
    ],
)
def test_a_lede_is_shortened_to_a_prefix_that_reads_as_a_headline(lede: str, headline: str) -> None:
    assert lede_headline(lede) == headline
    assert lede.startswith(headline) and len(headline) <= 110
