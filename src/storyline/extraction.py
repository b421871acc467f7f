"""Extraction as a pure function: raw page bytes in, an `Extracted` record (or a PermanentError) out."""

from __future__ import annotations

import codecs
import json
import re
from datetime import UTC, datetime
from typing import Any

import lxml.html
import py3langid
from trafilatura import bare_extraction

from storyline.domain.errors import PermanentError
from storyline.domain.records import Extracted

MIN_TEXT_CHARS = 80  # shorter than a two-line brief: a video, gallery or stub page
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_UTF16 = ("utf-16", "utf-16-le", "utf-16-be")  # codecs.lookup names
_DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "pubdate",
    "publishdate",
    "date",
    "dc.date.issued",
    "datePublished",
    "sailthru.date",
)


def _charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = re.search(r"charset=([\w.:-]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None


def _known(codec: str | None) -> str | None:
    if not codec:
        return None
    try:
        return codecs.lookup(codec.strip("\"'")).name
    except LookupError:
        return None


def _declared_charset(raw: bytes, content_type: str | None) -> str | None:
    """The charset the HTTP header, else the page's <meta>, declares (a codec name Python knows), or None."""
    head = raw[:4096]
    # A UTF-16 page's <meta> is ASCII with a NUL after (or before) each byte: legible once the NULs are out.
    meta = _META_CHARSET.search(head) or _META_CHARSET.search(head.replace(b"\x00", b""))
    return _known(_charset_from_content_type(content_type)) or _known(meta.group(1).decode() if meta else None)


def _utf16_codec(declared: str, raw: bytes) -> str:
    """The byte order of a BOM-less UTF-16 page: as labelled, or for a bare "utf-16" label, as its bytes show.
    Markup is mostly ASCII, whose high byte is NUL: at odd offsets in little-endian text, at even ones in big-endian."""
    if declared != "utf-16":
        return declared
    head = raw[:4096]
    return "utf-16-be" if head[0::2].count(0) > head[1::2].count(0) else "utf-16-le"


def decode_html(raw: bytes, content_type: str | None = None) -> str:
    """Decode with the declared charset (HTTP header, then <meta>), falling back to UTF-8.

    Refuses bytes that are mostly undecodable instead of extracting mojibake.
    """
    # A byte-order mark is the strongest declaration there is (WHATWG encoding sniffing, step 1).
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                break
    declared = _declared_charset(raw, content_type)
    if b"\x00" in raw[:2048]:
        # NUL bytes are binary, unless the page says it is UTF-16, whose ASCII characters all carry a NUL byte.
        if declared not in _UTF16:
            raise PermanentError("page is binary, not HTML (NUL bytes in the first 2 KiB)", kind="not_html")
        declared = _utf16_codec(declared, raw)
    elif declared in _UTF16:
        # A UTF-16 label on bytes without a NUL is wrong (ASCII markup in UTF-16 has NULs): WHATWG reads such a
        # page as UTF-8 too.
        declared = None
    candidates = [c for c in (declared, "utf-8") if c]
    for codec in candidates:
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    text = raw.decode(candidates[0], errors="replace")
    bad = text.count("\ufffd")
    if bad > max(20, len(text) // 50):
        raise PermanentError(
            f"page bytes are not valid {declared or 'utf-8'} ({bad} undecodable sequences)", kind="undecodable"
        )
    return text


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    # A date without a zone is read as UTC: better a few hours off than a naive datetime downstream.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _json_ld_objects(doc: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for node in doc.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(node.text_content())
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                found.append(item)
                if "@graph" in item:
                    stack.append(item["@graph"])
    return found


def page_metadata(html: str) -> dict[str, Any]:
    """Publication time, language, canonical URL and paywall flag from JSON-LD and <meta> tags."""
    try:
        doc = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return {}
    meta: dict[str, Any] = {}
    for obj in _json_ld_objects(doc):
        if "datePublished" in obj and "published_at" not in meta:
            meta["published_at"] = _parse_date(str(obj["datePublished"]))
        if obj.get("isAccessibleForFree") in (False, "false", "False"):
            meta["paywalled"] = True
        if "headline" in obj and "title" not in meta:
            meta["title"] = str(obj["headline"])
    if meta.get("published_at") is None:
        for name in _DATE_META:
            for node in doc.xpath(f'//meta[@property="{name}" or @name="{name}" or @itemprop="{name}"]'):
                parsed = _parse_date(node.get("content"))
                if parsed:
                    meta["published_at"] = parsed
                    break
            if meta.get("published_at"):
                break
    lang = doc.get("lang") or doc.get("xml:lang")
    if lang:
        meta["language"] = lang.split("-")[0].lower()
    canonical = doc.xpath('//link[@rel="canonical"]/@href')
    if canonical:
        meta["canonical_url"] = str(canonical[0]).strip()
    return meta


def extract(raw: bytes, url: str, content_type: str | None = None) -> Extracted:
    """trafilatura (fast mode) for text, title and authors; JSON-LD/meta for precise time and language."""
    html = decode_html(raw, content_type)
    if "<" not in html[:4096]:
        raise PermanentError("response is not HTML (no markup in the first 4 KiB)", kind="not_html")
    doc: Any = bare_extraction(html, url=url, fast=True, with_metadata=True, include_comments=False)
    text = (doc.text or "").strip() if doc is not None else ""
    if len(text) < MIN_TEXT_CHARS:
        raise PermanentError(
            f"no article text found ({len(text)} characters after boilerplate removal; need {MIN_TEXT_CHARS})",
            kind="no_text",
        )
    meta = page_metadata(html)
    title = (doc.title if doc is not None else None) or meta.get("title") or ""
    authors = tuple(a.strip() for a in (doc.author or "").split(";") if a.strip()) if doc is not None else ()
    published = meta.get("published_at") or (_parse_date(doc.date) if doc is not None else None)
    language = meta.get("language") or py3langid.classify(text[:2000])[0]
    return Extracted(
        title=title.strip(),
        text=text,
        authors=authors,
        published_at=published,
        language=language,
        canonical_url=meta.get("canonical_url"),
        paywalled=bool(meta.get("paywalled", False)),
    )
