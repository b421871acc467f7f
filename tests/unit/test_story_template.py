"""The story page template: a single-article story shows what it has (no empty headings), in its language."""

from __future__ import annotations

import re

from storyline.domain.pages import PageLinks
from storyline.web.app import _env


def test_a_single_article_story_shows_no_empty_headings_and_takes_its_language() -> None:
    sentence = {"text": "Die Polizei ermittelt in Hamburg.", "article_id": "a1", "start": 0, "end": 33}
    article = {
        "article_id": "a1",
        "url": "https://zeitung.example/a1",
        "title": "Polizei ermittelt",
        "source_name": "Zeitung",
        "published_at": "2026-03-01T09:00:00+00:00",
        "duplicate_of": None,
        "language": "de",
    }
    story = {
        "story_id": "st_1",
        "headline": "Polizei ermittelt",
        "outlet_count": 1,
        "article_count": 1,
        "first_seen": "2026-03-01T09:00:00+00:00",
        "last_seen": "2026-03-01T09:00:00+00:00",
        "articles": [article],
    }
    sections = {
        "headline": {"text": "Polizei ermittelt", "article_id": "a1"},
        "what_happened": [sentence],
        "behind_the_headline": [],
        "perspectives": [],
        "entities": [],
    }
    html = (
        _env().get_template("story.html").render(story=story, s=sections, links=PageLinks((), ()), art={"a1": article})
    )
    assert re.findall(r"<h2>(.*?)</h2>", html) == ["What's happened", "Sources"]
    assert '<html lang="de">' in html
    assert "1 outlet · 1 article" in html
    # The citation is the article's number in the sources list and opens it at the sentence.
    assert 'data-source="1">1</a>' in html and "#:~:text=Die%20Polizei%20ermittelt%20in" in html
