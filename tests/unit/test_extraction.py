"""Extraction: charset decoding and its refusals, article extraction from a page, page metadata."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime, timedelta, timezone

import pytest

from storyline.domain.errors import PermanentError
from storyline.extraction import MIN_TEXT_CHARS, decode_html, extract, page_metadata

PARAGRAPHS = [
    "The last resident keeper of the Skerry Point lighthouse handed over his keys on Friday, ending a family "
    "tradition that began before the first electric lamp was installed on the headland.",
    "Arvid Lund, who is sixty-eight, climbed the one hundred and twelve steps to the lantern room every evening "
    "for four decades, logging the weather and the passing ships in a leather-bound book.",
    "The coastal authority said the light would now be monitored remotely from the harbour office, and that the "
    "keeper's cottage would be restored and opened to visitors next summer.",
    "Neighbours gathered at the foot of the tower to thank him, and a brass band from the village played as he "
    "locked the door for the final time.",
]
TITLE = "Lighthouse keeper retires after forty years"


def _page(json_ld: str | None = None, lang: str = "en", head_extra: str = "") -> str:
    ld = (
        json_ld
        if json_ld is not None
        else (
            '{"@context":"https://schema.org","@type":"NewsArticle",'
            f'"headline":"{TITLE}","datePublished":"2026-03-14T09:30:00+01:00",'
            '"author":{"@type":"Person","name":"Maren Holt"}}'
        )
    )
    body = "\n".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{TITLE} | Northern Courier</title>
<link rel="canonical" href="https://courier.example/news/lighthouse-keeper">
<script type="application/ld+json">{ld}</script>{head_extra}</head>
<body><nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/sport">Sport</a></nav>
<article><h1>{TITLE}</h1>
{body}
</article><footer>Copyright Northern Courier. All rights reserved.</footer></body></html>"""


VIDEO_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Watch: storm hits the coast</title>
</head><body><nav><a href="/">Home</a></nav><div class="player"><video src="/v/storm.mp4" controls></video></div>
<footer>Copyright Northern Courier</footer></body></html>"""


def _latin1_page(head: str = "") -> bytes:
    return f"<html><head>{head}</head><body><p>Caf\u00e9 cr\u00e8me na\u00efve</p></body></html>".encode("latin-1")


def test_decode_latin1_declared_in_header() -> None:
    text = decode_html(_latin1_page(), "text/html; charset=ISO-8859-1")
    assert "Café crème naïve" in text


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="iso-8859-1">',
        "<meta charset=latin-1>",
        '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">',
    ],
)
def test_decode_latin1_declared_in_meta(meta: str) -> None:
    assert "Café crème naïve" in decode_html(_latin1_page(meta), "text/html")


def test_header_charset_wins_over_meta() -> None:
    raw = _latin1_page('<meta charset="utf-8">')
    assert "Café crème naïve" in decode_html(raw, "text/html; charset=latin-1")


def test_utf8_is_the_default() -> None:
    raw = "<html><body><p>Café — “quoted” 東京</p></body></html>".encode()
    assert "Café — “quoted” 東京" in decode_html(raw)
    assert "Café — “quoted” 東京" in decode_html(raw, "text/html")


def test_unknown_declared_charset_falls_back_to_utf8() -> None:
    raw = "<p>Café</p>".encode()
    assert decode_html(raw, "text/html; charset=x-no-such-codec") == "<p>Café</p>"


def test_wrongly_declared_charset_falls_back_to_utf8() -> None:
    raw = "<p>東京</p>".encode()
    assert decode_html(raw, "text/html; charset=ascii") == "<p>東京</p>"


def test_a_few_bad_bytes_are_tolerated() -> None:
    raw = b"<html><body><p>" + b"plain text " * 20 + b"caf\xe9</p></body></html>"
    text = decode_html(raw)
    assert text.count("\ufffd") == 1


def test_mostly_undecodable_bytes_are_refused() -> None:
    raw = b"<html><body>" + bytes(range(0x80, 0x100)) * 8 + b"</body></html>"
    with pytest.raises(PermanentError) as info:
        decode_html(raw)
    assert info.value.kind == "undecodable"


def test_nul_bytes_are_not_html() -> None:
    raw = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
    with pytest.raises(PermanentError) as info:
        decode_html(raw)
    assert info.value.kind == "not_html"


def test_utf16_page_with_bom_is_decoded() -> None:
    raw = "<html><body><p>Café society</p></body></html>".encode("utf-16")  # with a BOM
    assert raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    text = decode_html(raw)
    assert "Café society" in text
    assert "\x00" not in text


def test_utf16_page_with_declared_charset_is_decoded() -> None:
    raw = "<html><body><p>Café society</p></body></html>".encode("utf-16")
    assert "Café society" in decode_html(raw, "text/html; charset=utf-16")


def test_extract_news_page() -> None:
    got = extract(_page().encode(), "https://courier.example/news/lighthouse-keeper?utm_source=rss")
    assert got.title == TITLE
    for paragraph in PARAGRAPHS:
        assert paragraph in got.text
    assert "Copyright" not in got.text
    assert "Sport" not in got.text
    assert got.published_at == datetime(2026, 3, 14, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    assert got.published_at is not None
    assert got.published_at.utcoffset() == timedelta(hours=1)
    assert got.language == "en"
    assert got.canonical_url == "https://courier.example/news/lighthouse-keeper"
    assert got.authors == ("Maren Holt",)
    assert got.paywalled is False


def test_extract_reads_declared_latin1_bytes() -> None:
    page = _page().replace("Neighbours", "Caf\u00e9 owners")
    got = extract(page.encode("latin-1"), "https://courier.example/x", "text/html; charset=iso-8859-1")
    assert "Café owners gathered" in got.text


def test_extract_language_from_lang_attribute_region_dropped() -> None:
    got = extract(_page(lang="en-GB").encode(), "https://courier.example/x")
    assert got.language == "en"


def test_extract_guesses_language_without_lang_attribute() -> None:
    page = _page().replace(' lang="en"', "")
    assert extract(page.encode(), "https://courier.example/x").language == "en"


def test_extract_video_only_page_has_no_text() -> None:
    with pytest.raises(PermanentError) as info:
        extract(VIDEO_PAGE.encode(), "https://courier.example/video/storm")
    assert info.value.kind == "no_text"
    assert str(MIN_TEXT_CHARS) in str(info.value)


def test_extract_plain_text_is_not_html() -> None:
    with pytest.raises(PermanentError) as info:
        extract(b"just some words, no markup at all " * 10, "https://courier.example/x.txt")
    assert info.value.kind == "not_html"


def test_page_metadata_paywall_flag() -> None:
    ld = (
        '{"@type":"NewsArticle","headline":"Paid story","datePublished":"2026-03-14T09:30:00Z",'
        '"isAccessibleForFree":false,"hasPart":{"@type":"WebPageElement","isAccessibleForFree":false}}'
    )
    meta = page_metadata(_page(json_ld=ld))
    assert meta["paywalled"] is True
    assert meta["title"] == "Paid story"
    assert meta["published_at"] == datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    assert extract(_page(json_ld=ld).encode(), "https://courier.example/x").paywalled is True


@pytest.mark.parametrize("value", ['"false"', '"False"'])
def test_page_metadata_paywall_flag_as_string(value: str) -> None:
    meta = page_metadata(_page(json_ld='{"@type":"NewsArticle","isAccessibleForFree":' + value + "}"))
    assert meta["paywalled"] is True


def test_page_metadata_free_article_is_not_paywalled() -> None:
    meta = page_metadata(_page(json_ld='{"@type":"NewsArticle","isAccessibleForFree":true}'))
    assert "paywalled" not in meta


def test_page_metadata_reads_graph_and_naive_dates_as_utc() -> None:
    ld = '{"@graph":[{"@type":"WebSite"},{"@type":"NewsArticle","datePublished":"2026-03-14T09:30:00"}]}'
    meta = page_metadata(_page(json_ld=ld))
    assert meta["published_at"] == datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    assert meta["language"] == "en"


def test_page_metadata_falls_back_to_meta_tags() -> None:
    head = '<meta property="article:published_time" content="2026-03-14T07:00:00-05:00">'
    meta = page_metadata(_page(json_ld="not json", head_extra=head))
    assert meta["published_at"] == datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
    assert meta["published_at"].tzinfo is not None


def test_page_metadata_of_garbage_is_empty() -> None:
    assert page_metadata("") == {}
