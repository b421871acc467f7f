"""Deterministic identifiers: the same input always yields the same article, story and event ids."""

from __future__ import annotations

import hashlib
import uuid

import xxhash

# A fixed namespace so event ids are stable across machines and releases.
_EVENT_NAMESPACE = uuid.UUID("5b0f3c2e-8d1a-4f5e-9a57-2f1c7e0b6d41")


def digest(text: str) -> str:
    """blake2b of the UTF-8 text, 128 bits as hex: the content hash behind article ids and event payloads."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def article_id(canonical_url: str) -> str:
    """The digest of the canonical URL: stable across runs and processes."""
    return digest(canonical_url)


def story_id(seed_article_id: str) -> str:
    """A story is named after the article that opened it; merges record merged_into instead of re-keying."""
    return "st_" + hashlib.blake2b(seed_article_id.encode("ascii"), digest_size=8).hexdigest()


def content_hash(normalised_text: str) -> str:
    """xxh3-64 of normalised text: the exact-duplicate key."""
    return xxhash.xxh3_64_hexdigest(normalised_text.encode("utf-8"))


def event_id(event_type: str, subject_id: str, payload_hash: str) -> str:
    """uuid5 of (type, id, content hash): a replayed event has the same id as the original."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{event_type}\x1f{subject_id}\x1f{payload_hash}"))


def object_key(raw: bytes) -> str:
    """Content-addressed key for a raw page: identical bytes are stored once."""
    hexed = hashlib.blake2b(raw, digest_size=20).hexdigest()
    return f"raw/{hexed[:2]}/{hexed[2:4]}/{hexed}.html.gz"
