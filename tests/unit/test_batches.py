"""Chunking a stream: lazily, in order, the last chunk shorter; a size below one is refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storyline.domain.batches import chunked


def test_chunks_keep_order_and_the_last_is_shorter() -> None:
    assert list(chunked(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunked([], 3)) == []


def test_a_stream_is_pulled_one_chunk_at_a_time() -> None:
    pulled: list[int] = []

    def stream() -> Iterator[int]:
        for i in range(10):
            pulled.append(i)
            yield i

    chunks = chunked(stream(), 4)
    assert next(chunks) == [0, 1, 2, 3]
    assert pulled == [0, 1, 2, 3]


def test_a_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        list(chunked([1], 0))
