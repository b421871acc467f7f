"""URL canonicalisation (case, ports, fragments, tracking params, query order, dot segments, escapes) and host_of."""

from __future__ import annotations

import pytest

from storyline.domain.errors import PermanentError
from storyline.domain.urls import canonicalize, host_of


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.COM/a/b", "http://example.com/a/b"),
        ("HtTpS://NEWS.Example.org/Story", "https://news.example.org/Story"),  # path case is kept
        ("https://example.com.", "https://example.com/"),  # trailing root dot
        ("  https://example.com/x  ", "https://example.com/x"),  # surrounding whitespace
    ],
)
def test_scheme_and_host_are_lower_cased_path_case_kept(raw: str, expected: str) -> None:
    assert canonicalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),  # 443 is only default for https
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("https://example.com:/a", "https://example.com/a"),  # empty port
    ],
)
def test_default_port_is_dropped_other_ports_kept(raw: str, expected: str) -> None:
    assert canonicalize(raw) == expected


def test_empty_path_becomes_slash() -> None:
    assert canonicalize("https://example.com") == "https://example.com/"
    assert canonicalize("https://example.com?b=1") == "https://example.com/?b=1"


def test_fragment_is_dropped() -> None:
    assert canonicalize("https://example.com/story#comments") == "https://example.com/story"
    assert canonicalize("https://example.com/story?id=1#top") == "https://example.com/story?id=1"


@pytest.mark.parametrize(
    "tracking",
    [
        "utm_source=feed",
        "utm_medium=rss",
        "utm_campaign=spring",
        "UTM_Content=x",
        "fbclid=IwAR0abc",
        "gclid=xyz",
        "mc_cid=1",
        "ref=homepage",
    ],
)
def test_tracking_parameters_are_removed(tracking: str) -> None:
    assert canonicalize(f"https://example.com/story?{tracking}&id=7") == "https://example.com/story?id=7"
    assert canonicalize(f"https://example.com/story?{tracking}") == "https://example.com/story"


def test_all_tracking_and_real_params_mix() -> None:
    url = "https://example.com/s?utm_source=a&page=2&fbclid=b&utm_medium=c&id=9"
    assert canonicalize(url) == "https://example.com/s?id=9&page=2"


def test_query_is_sorted_so_order_does_not_matter() -> None:
    a = canonicalize("https://example.com/s?b=2&a=1&c=3")
    b = canonicalize("https://example.com/s?c=3&a=1&b=2")
    assert a == b == "https://example.com/s?a=1&b=2&c=3"


def test_repeated_keys_and_blank_values_are_kept() -> None:
    assert canonicalize("https://example.com/s?tag=z&tag=a") == "https://example.com/s?tag=a&tag=z"
    assert canonicalize("https://example.com/s?flag") == "https://example.com/s?flag="
    assert canonicalize("https://example.com/s?") == "https://example.com/s"


def test_query_escapes_are_normalised() -> None:
    assert canonicalize("https://example.com/s?q=a%20b") == canonicalize("https://example.com/s?q=a+b")
    # An escaped separator stays escaped: it is data, not syntax.
    assert canonicalize("https://example.com/s?a=%26&b=1") == "https://example.com/s?a=%26&b=1"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://example.com/a/./b", "https://example.com/a/b"),
        ("https://example.com/a/b/../c", "https://example.com/a/c"),
        ("https://example.com/a/b/../../c", "https://example.com/c"),
        ("https://example.com/../../c", "https://example.com/c"),  # cannot climb above the root
        ("https://example.com/a/..", "https://example.com/"),
        ("https://example.com/a/b/../", "https://example.com/a/"),
        ("https://example.com/%2e%2e/a", "https://example.com/a"),  # escaped dots are dots
    ],
)
def test_dot_segments_are_removed(raw: str, expected: str) -> None:
    assert canonicalize(raw) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.com/%7Euser", "https://example.com/~user"),
        ("https://example.com/%7euser", "https://example.com/~user"),
        ("https://example.com/%41bc", "https://example.com/Abc"),
        ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
        ("https://example.com/café", "https://example.com/caf%C3%A9"),
        ("https://example.com/a b", "https://example.com/a%20b"),
    ],
)
def test_percent_encoding_collapses_to_one_spelling(a: str, b: str) -> None:
    assert canonicalize(a) == canonicalize(b)


def test_percent_encoded_reserved_characters_stay_encoded() -> None:
    # %2F inside a segment is not a path separator; %3F is not a query start.
    assert canonicalize("https://example.com/a%2fb") == "https://example.com/a%2Fb"
    assert canonicalize("https://example.com/what%3F") == "https://example.com/what%3F"
    assert canonicalize("https://example.com/100%25") == "https://example.com/100%25"


def test_distinct_non_utf8_escapes_stay_distinct() -> None:
    assert canonicalize("https://example.com/caf%E9") != canonicalize("https://example.com/caf%E8")


def test_distinct_non_utf8_query_escapes_stay_distinct() -> None:
    assert canonicalize("https://example.com/s?q=%E9") != canonicalize("https://example.com/s?q=%E8")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://[2001:DB8::1]/p", "http://[2001:db8::1]/p"),
        ("http://[2001:db8::1]:80/p", "http://[2001:db8::1]/p"),
        ("https://[2001:db8::1]:8443/p", "https://[2001:db8::1]:8443/p"),
        ("http://[::1]/", "http://[::1]/"),
    ],
)
def test_ipv6_literals_keep_brackets(raw: str, expected: str) -> None:
    assert canonicalize(raw) == expected


def test_userinfo_is_not_part_of_the_canonical_url() -> None:
    assert canonicalize("https://user:secret@example.com/x") == "https://example.com/x"


def test_canonicalize_is_idempotent_on_examples() -> None:
    for raw in [
        "HTTP://Example.COM:80/a/./b/../c?utm_source=x&b=2&a=1#f",
        "http://[2001:DB8::1]:8080/%7Ex?q=a%20b",
        "https://example.com/caf%C3%A9/100%25",
    ]:
        once = canonicalize(raw)
        assert canonicalize(once) == once


@pytest.mark.parametrize(
    "raw",
    [
        "/relative/path",
        "relative/path",
        "//example.com/no-scheme",
        "ftp://example.com/file.txt",
        "mailto:desk@example.com",
        "file:///etc/hosts",
        "javascript:alert(1)",
        "garbage",
        "",
        "   ",
        "http://",
        "https:///path-only",
        "https://example.com:99999/",
        "https://example.com:port/",
        "http://[::1/",
    ],
)
def test_invalid_urls_raise_permanent_error(raw: str) -> None:
    with pytest.raises(PermanentError) as info:
        canonicalize(raw)
    assert info.value.kind == "invalid_url"


def test_host_with_whitespace_is_invalid() -> None:
    with pytest.raises(PermanentError):
        canonicalize("https://exa mple.com/")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://News.Example.org/a/b?x=1", "news.example.org"),
        ("https://example.com:443/a", "example.com"),
        ("http://example.com:8080/a", "example.com:8080"),
        ("http://[2001:DB8::1]:8080/p", "[2001:db8::1]:8080"),
        ("http://[2001:db8::1]/p", "[2001:db8::1]"),
    ],
)
def test_host_of(raw: str, expected: str) -> None:
    assert host_of(raw) == expected


def test_host_of_rejects_invalid_url() -> None:
    with pytest.raises(PermanentError) as info:
        host_of("ftp://example.com/")
    assert info.value.kind == "invalid_url"
