"""Story headlines: a real title rather than a lede sentence, without the outlet's name or site cruft."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_HEADLINE_CHARS = 110
MIN_HEADLINE_WORDS = 3
# Segments of a <title> are separated by a spaced bar, dash, colon-pair or guillemet ("… | NTV Haber",
# "BBC News - …"); an unspaced hyphen ("T-Mobile") is part of a word.
_SEPARATOR = re.compile(r"\s+(?:\||-|–|—|::|»|·)\s+")
# Desk labels a page puts before the headline: not the event's words.
_KICKER = re.compile(
    r"^(?:update[d]?|breaking(?: news)?|report|watch|video|live|exclusive|photos?|opinion|analysis|just in)"
    r"\s*(?::|-|–|—)\s+",
    re.IGNORECASE,
)
_GENERIC = frozenset(
    {"news", "latest news", "breaking news", "home", "homepage", "online", "live", "the latest", "world news"}
)
_TIMESTAMP = re.compile(r"\b(?:last updated|updated at|published at)\b", re.IGNORECASE)
_TRUNCATED = re.compile(r"(?:\.\.\.|…)\s*$")
_WORD = re.compile(r"[^\W_]+")
# Host labels that say nothing about the outlet ("www.ntv.com.tr" is "ntv").
_HOST_NOISE = frozenset({"www", "m", "amp", "mobile", "edition", "news", "com", "co", "org", "net", "gov"})


def outlet_names(source_name: str, url: str) -> frozenset[str]:
    """What a title may call the outlet, as compact lowercase keys: the registry's name and the site's host."""
    names = {_key(source_name)} if len(_key(source_name)) >= 3 else set()
    labels = (urlsplit(url).hostname or "").split(".")
    names |= {label for label in labels[:-1] if len(label) >= 2 and label not in _HOST_NOISE}
    return frozenset(names)


def _key(text: str) -> str:
    return "".join(_WORD.findall(text.casefold()))


def _names_outlet(segment: str, outlets: frozenset[str]) -> bool:
    tokens = _WORD.findall(segment.casefold())
    if not tokens or len(tokens) > 5:
        return False
    joined = "".join(tokens)
    if " ".join(tokens) in _GENERIC:
        return True
    return any(name in tokens or joined == name or (joined.startswith(name) and len(name) >= 3) for name in outlets)


def clean_title(title: str, outlets: frozenset[str]) -> str:
    """The title without a desk kicker ("UPDATE:") and without leading or trailing segments that only name the
    outlet ("… | NTV Haber", "BBC News - …"); unchanged when nothing of the kind is there."""
    text = " ".join(title.split())
    text = _KICKER.sub("", text, count=1)
    parts = _SEPARATOR.split(text)
    seps = _SEPARATOR.findall(text)
    # Trim from both ends while an end segment names the outlet and a headline of some length remains.
    lo, hi = 0, len(parts)
    while hi - lo > 1 and _names_outlet(parts[hi - 1], outlets):
        hi -= 1
    while hi - lo > 1 and _names_outlet(parts[lo], outlets):
        lo += 1
    kept = parts[lo:hi]
    out = kept[0] + "".join(sep + part for sep, part in zip(seps[lo : hi - 1], kept[1:], strict=True))
    return out.strip() if len(out.split()) >= MIN_HEADLINE_WORDS else text


def headline_rank(title: str) -> int:
    """0 for a real headline; 1 for a whole lede sentence standing in for one (titleless corpora, feeds that put
    the first sentence in <title>); 2 for one cut off with an ellipsis, too long, or a timestamp line."""
    words = title.split()
    if len(words) < MIN_HEADLINE_WORDS or len(title) > MAX_HEADLINE_CHARS:
        return 2
    if _TRUNCATED.search(title) or _TIMESTAMP.search(title):
        return 2
    # Headlines carry no full stop; a long sentence that ends in one is a lede.
    return 1 if title.rstrip(" \"'”’").endswith(".") and len(words) > 8 else 0


# ", police said." / ", officials said on Friday." closing a lede: who said it, not what happened.
_ATTRIBUTION_TAIL = re.compile(
    r",\s+(?:[\w'’.-]+\s){0,5}(?:said|says|reported|reports|announced)(?:\s[\w'’-]+){0,3}\.?$"
)
# Where a long lede may be cut and still read as a headline: before a clause or a trailing circumstance.
_CUT_BEFORE = re.compile(r",\s|\s(?:after|during|as|while|amid|when|because|following|despite|before|in|at|on)\s")
MIN_CUT_WORDS = 6
MIN_CUT_CHARS = 60


def lede_headline(title: str) -> str:
    """A lede sentence standing in for a headline, shortened to read as one: its attribution tail and full stop
    dropped and, when still too long, cut before a clause or circumstance. Always a prefix of
    the title, so the headline stays the outlet's own words."""
    text = _ATTRIBUTION_TAIL.sub("", title.rstrip()).rstrip(" .")
    if len(text) <= MAX_HEADLINE_CHARS:
        return text
    cuts = [m.start() for m in _CUT_BEFORE.finditer(text, 0, MAX_HEADLINE_CHARS + 1)]
    cuts = [c for c in cuts if len(text[:c].split()) >= MIN_CUT_WORDS]
    if not cuts:
        return title
    # The first cut that keeps a headline's worth (who did what to whom), else the longest that fits.
    at = next((c for c in cuts if c >= MIN_CUT_CHARS), cuts[-1])
    return text[:at].rstrip(" ,;:")
