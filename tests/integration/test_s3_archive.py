"""The raw archive on a real S3-compatible server (MinIO from infra/s3/s3.sh), through the same port."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storyline.adapters.s3 import S3BlobStore
from storyline.adapters.static_site import StaticSite
from storyline.bootstrap import App
from storyline.demo.site import build_site, gold_rows
from storyline.domain.errors import PermanentError, TransientError
from storyline.domain.ids import object_key
from storyline.services.maintenance import expire_raw_objects
from storyline.sources.registry import parse_sources


def _store(s3: dict[str, str], bucket: str | None = None) -> S3BlobStore:
    return S3BlobStore(
        bucket or f"t-{uuid.uuid4().hex[:12]}",
        endpoint_url=s3["endpoint"],
        access_key=s3["access_key"],
        secret_key=s3["secret_key"],
        region=s3["region"],
        create_bucket=True,
    )


def test_put_get_exists_and_missing(s3_server: dict[str, str]) -> None:
    store = _store(s3_server)
    page = b"<html><body><p>Ferries resume after the storm.</p></body></html>" * 100
    key = object_key(page)
    assert not store.exists(key)
    store.put(key, page)
    store.put(key, page)  # content-addressed: a second put is a no-op
    assert store.exists(key) and store.get(key) == page
    raw = store.client.get_object(Bucket=store.bucket, Key=key)["Body"].read()
    assert raw[:2] == b"\x1f\x8b" and len(raw) < len(page)  # stored gzip-compressed
    with pytest.raises(PermanentError) as missing:
        store.get("raw/00/00/nope.html.gz")
    assert missing.value.kind == "missing_object"


def test_unreachable_store_is_a_transient_error() -> None:
    store = S3BlobStore("b", endpoint_url="http://127.0.0.1:9", access_key="k", secret_key="s")
    with pytest.raises(TransientError):
        store.get("raw/x.html.gz")


def test_demo_pipeline_archives_to_s3_and_rebuilds_from_it(
    s3_server: dict[str, str], app_factory: Callable[..., App], tmp_path: Path
) -> None:
    bucket = f"raw-{uuid.uuid4().hex[:12]}"
    s3 = {
        "s3_bucket": bucket,
        "s3_endpoint": s3_server["endpoint"],
        "s3_access_key": s3_server["access_key"],
        "s3_secret_key": s3_server["secret_key"],
    }
    root = tmp_path / "site"
    root.mkdir()
    with StaticSite(root) as server:
        site = build_site(root, server.base_url)
        first = app_factory(**s3)
        summary = first.pipeline.run(parse_sources(json.dumps(site.sources), "demo"))
    store = _store(s3_server, bucket)
    keys = [o["Key"] for o in store.client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == summary.pages_fetched and all(k.startswith("raw/") for k in keys)

    # Re-extract everything from the archive, with the site gone (no network): same articles, same stories.
    second = app_factory(database_url=f"sqlite:///{tmp_path / 'rebuilt.db'}", **s3)
    events = first.warehouse.archived_pages()
    rebuilt = second.pipeline.reextract(events)
    assert rebuilt.articles_new + rebuilt.articles_duplicate == len(gold_rows(server.base_url))
    assert second.warehouse.assignments() == first.warehouse.assignments()

    # Retention on S3: nothing is young enough to keep with a cutoff in the future; every object goes, the
    # warehouse records them as expired, and re-extraction no longer offers their pages. A re-run is a no-op.
    now = datetime.now(UTC)
    assert expire_raw_objects(first.warehouse, store, now - timedelta(days=1), now) == 0
    assert expire_raw_objects(first.warehouse, store, now + timedelta(days=1), now) == len(keys)
    assert store.client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    assert first.warehouse.archived_pages() == []
    assert expire_raw_objects(first.warehouse, store, now + timedelta(days=1), now) == 0
    store.delete(keys[0])  # deleting what is gone is not an error
