"""URL canonicalisation: one spelling per article, so ids and exact-URL dedup are stable."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote_to_bytes, urlencode, urlsplit, urlunsplit

from storyline.domain.errors import PermanentError

# Query parameters that track the reader, not the resource.
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "_hs")
_TRACKING_KEYS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "ref", "ref_src", "cmpid", "ocid", "smid", "_ga"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left unescaped in paths: RFC 3986 unreserved plus sub-delims, ':' '@' '/' and '%'.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


def _is_tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered in _TRACKING_KEYS or lowered.startswith(_TRACKING_PREFIXES)


# Printable ASCII stays as typed; anything else is percent-encoded as UTF-8 before byte-level normalisation.
_ASCII_PRINTABLE = "".join(chr(c) for c in range(0x21, 0x7F))
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
# "scheme://user:password@" up to the authority's last '@' (as urlsplit reads it); the authority ends at / ? or #.
_USERINFO = re.compile(r"^(\s*[A-Za-z][A-Za-z0-9+.-]*:)?//[^/?#]*@")


def _encode_non_ascii(text: str) -> str:
    return quote(text, safe=_ASCII_PRINTABLE)


def _normalise_path(path: str) -> str:
    # Decode to bytes, then re-encode, so '%7E' and '~' (and any case of escapes) collapse to one spelling,
    # without ever decoding bytes as text: non-UTF-8 escapes stay distinct.
    segments = path.split("/")
    out: list[str] = []
    for i, raw in enumerate(segments):
        seg = quote(unquote_to_bytes(raw), safe=_PATH_SAFE.replace("/", "").replace("%", ""))
        if seg in (".", ".."):
            if seg == ".." and len(out) > 1:
                out.pop()
            if i == len(segments) - 1:
                out.append("")  # "/a/b/.." is "/a/" (RFC 3986 §5.2.4)
            continue
        out.append(seg)
    normalised = "/".join(out)
    return normalised if normalised.startswith("/") else "/" + normalised


def _valid_host(host: str) -> bool:
    if host.startswith("[") and host.endswith("]"):
        return True  # urlsplit already validated the IPv6 literal
    return all(_HOST_LABEL.match(label) for label in host.split("."))


def without_userinfo(url: str) -> str:
    """`url` without `user:password@`: credentials in a link from a feed are never sent, stored or shown. Textual,
    so it also cleans a URL too malformed to parse (which is still recorded as a failed fetch)."""
    return _USERINFO.sub(lambda m: f"{m.group(1) or ''}//", url, count=1)


def canonicalize(url: str) -> str:
    """Lower-case scheme and host, drop default port, fragment and tracking parameters, sort the query. Userinfo
    is dropped too (the netloc is rebuilt from host and port): the article id never depends on credentials."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
        host = (parts.hostname or "").rstrip(".")
        if host and ":" not in host:
            host = host.encode("idna").decode("ascii")  # internationalised names to their ASCII form
    except (ValueError, UnicodeError) as exc:
        raise PermanentError(f"invalid URL {url!r}: {exc}", kind="invalid_url") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not host:
        raise PermanentError(f"invalid URL {url!r}: need an absolute http(s) URL", kind="invalid_url")
    host = host.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if not _valid_host(host):
        raise PermanentError(f"invalid URL {url!r}: {host!r} is not a valid host name", kind="invalid_url")
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    # latin-1 maps bytes one-to-one to characters, so parsing and re-encoding the query keeps every byte.
    raw_query = _encode_non_ascii(parts.query)
    query_pairs = [
        (k, v) for k, v in parse_qsl(raw_query, keep_blank_values=True, encoding="latin-1") if not _is_tracking(k)
    ]
    query = urlencode(sorted(query_pairs), doseq=True, encoding="latin-1")
    return urlunsplit((scheme, netloc, _normalise_path(_encode_non_ascii(parts.path)), query, ""))


def host_of(url: str) -> str:
    """The host (and non-default port) a URL points at: the unit of politeness."""
    return urlsplit(canonicalize(url)).netloc
