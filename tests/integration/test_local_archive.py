"""The local raw archive: content-addressed gzip objects; a key cannot escape the folder; a folder removed under
the store (by an operator) is made again rather than failing every later write."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from storyline.adapters.blobstore import LocalBlobStore
from storyline.domain.errors import PermanentError
from storyline.domain.ids import object_key


def test_put_get_and_a_key_outside_the_archive(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "raw")
    page = b"<html><body><p>Ferries resume after the storm.</p></body></html>"
    key = object_key(page)
    store.put(key, page)
    store.put(key, page)  # content-addressed: a second put is a no-op
    assert store.get(key) == page and store.exists(key)
    with pytest.raises(PermanentError) as err:
        store.put("../outside", page)
    assert err.value.kind == "bad_key"


def test_a_folder_removed_under_the_store_is_made_again(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "raw")
    first, second = b"<p>first page</p>", b"<p>second page</p>"
    store.put("2026/03/02/a.html", first)
    shutil.rmtree(tmp_path / "raw" / "2026")
    store.put("2026/03/02/b.html", second)
    assert store.get("2026/03/02/b.html") == second
    assert not store.exists("2026/03/02/a.html")
