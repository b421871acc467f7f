"""Secrets out of text bound for a log line or an error message: bearer tokens, key=value secrets, known keys."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
# A known secret is masked from its first characters on, so a copy cut short elsewhere leaks no piece of it.
_PREFIX_CHARS = 8
_VALUE_CHAR = r"[^\s\"'&,;<>(){}\[\]\\]"  # what ends a token in a header, a query string or JSON
_SCHEME = r"(?:Bearer|Basic|Token|Digest)"
_CREDENTIAL = re.compile(rf"\b({_SCHEME}\s+)[A-Za-z0-9._~+/=:-]+", re.IGNORECASE)
# `name=value`, `name: value` and JSON's `"name": "value"`, for field names that end in a secret's name.
_SECRET_FIELD = re.compile(
    rf"""(["']?[\w-]*(?:api[_-]?key|apikey|token|secret|password|passwd|pwd|authorization|credentials?|signature)
         ["']?\s*[:=]\s*["']?(?:{_SCHEME}\s+)?)
         (?!\*\*\*|{_SCHEME}\s){_VALUE_CHAR}+""",
    re.IGNORECASE | re.VERBOSE,
)
_PARTIAL_TOKEN = re.compile(r"\S*\Z")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask every known secret (and any cut-short start of it), every Authorization-style credential and the
    value of every field named like a secret."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
            text = re.sub(re.escape(secret[:_PREFIX_CHARS]) + _VALUE_CHAR + "*", MASK, text)
    text = _CREDENTIAL.sub(lambda m: f"{m[1]}{MASK}", text)
    return _SECRET_FIELD.sub(lambda m: f"{m[1]}{MASK}", text)


def excerpt(text: str, limit: int, secrets: Iterable[str] = ()) -> str:
    """A redacted glimpse of text, at most `limit` characters and an ellipsis. It is masked before it is cut
    (a cut can hide a secret from the patterns), on a window that ends between words (nor can its own end)."""
    window = text[: limit * 4]
    if len(window) < len(text):
        window = _PARTIAL_TOKEN.sub("", window)
    masked = redact(window, secrets)
    return masked if len(masked) <= limit and len(window) == len(text) else masked[:limit] + "…"
