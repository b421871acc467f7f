"""Chunking of streams, shared by the analysis pool and the embedded pipeline's batched transactions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of `size` items (the last may be shorter), pulled lazily: a stream stays a stream."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, not {size}")
    stream = iter(items)
    while chunk := list(islice(stream, size)):
        yield chunk
