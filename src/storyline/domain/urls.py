"""URL canonicalisation: one spelling per article, so ids and exact-URL dedup are stable."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

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


def _normalise_path(path: str) -> str:
    # Decode then re-encode so '%7E' and '~' (and any case of escapes) collapse to one spelling.
    segments = [quote(unquote(seg), safe=_PATH_SAFE.replace("/", "").replace("%", "")) for seg in path.split("/")]
    out: list[str] = []
    for seg in segments:
        if seg == ".":
            continue
        if seg == "..":
            if len(out) > 1:
                out.pop()
            continue
        out.append(seg)
    normalised = "/".join(out)
    return normalised if normalised.startswith("/") else "/" + normalised


def canonicalize(url: str) -> str:
    """Lower-case scheme and host, drop default port, fragment and tracking parameters, sort the query."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise PermanentError(f"invalid URL {url!r}: {exc}", kind="invalid_url") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise PermanentError(f"invalid URL {url!r}: need an absolute http(s) URL", kind="invalid_url")
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    query_pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    query = urlencode(sorted(query_pairs), doseq=True)
    return urlunsplit((scheme, netloc, _normalise_path(parts.path), query, ""))


def host_of(url: str) -> str:
    """The host (and non-default port) a URL points at: the unit of politeness."""
    return urlsplit(canonicalize(url)).netloc
