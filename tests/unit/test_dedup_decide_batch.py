"""Dedup's batch decision (`decide_batch`, pure): each item sees what the stored articles and the items before it
decided, so a batch gets the verdicts of one article at a time (ADR 0010, 0016); and the dedup stage composes it
with a store's candidates and verdicts in one unit of work (here the in-memory store of tests/fakes.py)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from fakes import InMemoryArticles
from storyline.domain.dedup import Verdict, fingerprint
from storyline.domain.dedup_batch import DedupItem, Held, Ruling, StoredArticle, decide_batch
from storyline.events import ArticleBody, ArticleExtracted
from storyline.services.stages import DedupStage

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
WORDS = [
    "harbour",
    "council",
    "budget",
    "ferry",
    "storm",
    "island",
    "minister",
    "port",
    "vote",
    "fishermen",
    "fees",
    "crossing",
    "weather",
    "coast",
]


def _text(seed: int, n: int = 90) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(n)) + "."


A, B = _text(1), _text(2)


def _item(aid: str, text: str, when: datetime, url: str | None = None) -> DedupItem:
    fp = fingerprint("h-" + text, text)
    url = url or f"https://{aid}.example/"
    return DedupItem(aid, fp.content_hash, url, tuple(fp.bands), fp.shingles, when.isoformat())


def _stored(it: DedupItem, text: str, verdict: str | None, duplicate_of: str | None = None) -> StoredArticle:
    when = datetime.fromisoformat(it.published_at_iso)
    return StoredArticle(it.article_id, it.canonical_url, text, when, it.content_hash, verdict, duplicate_of, None, 0.0)


def _held(rows: list[tuple[DedupItem, StoredArticle]]) -> Held:
    """What a store would answer for a batch: every stored row, by each of its keys (the test's rows are few)."""
    by_hash: dict[str, frozenset[str]] = {}
    by_url: dict[str, frozenset[str]] = {}
    by_band: dict[str, frozenset[str]] = {}
    for it, row in rows:
        if row.verdict is None:
            continue  # not decided: its bands are not stored yet
        by_hash[it.content_hash] = by_hash.get(it.content_hash, frozenset()) | {it.article_id}
        by_url[it.canonical_url] = by_url.get(it.canonical_url, frozenset()) | {it.article_id}
        for band in it.bands:
            by_band[band] = by_band.get(band, frozenset()) | {it.article_id}
    return Held(by_hash, by_url, by_band, {row.article_id: row for _, row in rows})


def _verdicts(items: list[DedupItem], held: Held) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (r.item.article_id, r.decision.verdict.value, r.decision.duplicate_of, r.decision.revision_of)
        for r in decide_batch(items, held)
    ]


def test_a_copy_of_an_earlier_item_of_the_same_batch_is_its_duplicate() -> None:
    wire = _item("wire", A, T0)
    herald = _item("herald", "PORT ELLIS (Wire) - " + A, T0 + timedelta(hours=1))
    gazette = _item("gazette", B, T0 + timedelta(hours=2))
    # All three stored by extraction, none decided yet: in flight until the batch decides them in order.
    held = _held(
        [(wire, _stored(wire, A, None)), (herald, _stored(herald, A, None)), (gazette, _stored(gazette, B, None))]
    )
    assert _verdicts([wire, herald, gazette], held) == [
        ("wire", "new", None, None),
        ("herald", "duplicate", "wire", None),
        ("gazette", "new", None, None),
    ]


def test_an_undecided_article_is_no_ones_earlier_copy() -> None:
    other_run = _item("other", A, T0)  # stored by another run, not decided yet
    mine = _item("mine", A, T0 + timedelta(hours=1))
    ruling = decide_batch([mine], _held([(other_run, _stored(other_run, A, None))]))
    assert ruling[0].decision.verdict is Verdict.NEW


def test_a_redelivered_article_gets_its_stored_verdict_back_and_nothing_to_write() -> None:
    wire = _item("wire", A, T0)
    herald = _item("herald", A + " More.", T0 + timedelta(hours=1))
    held = _held([(wire, _stored(wire, A, "new")), (herald, _stored(herald, A + " More.", "duplicate", "wire"))])
    (ruling,) = decide_batch([herald], held)
    assert ruling.replayed
    assert (ruling.decision.verdict, ruling.decision.duplicate_of) == (Verdict.DUPLICATE, "wire")


def test_a_late_earlier_copy_adopts_the_root_and_a_copy_after_it_in_the_batch_follows_it() -> None:
    wire = _item("wire", A, T0)
    herald = _item("herald", A + " More.", T0 + timedelta(hours=1))
    early = _item("early", A, T0 - timedelta(hours=1))
    late = _item("late", A + " Later.", T0 + timedelta(hours=4))
    held = _held(
        [
            (wire, _stored(wire, A, "new")),
            (herald, _stored(herald, A + " More.", "duplicate", "wire")),
            (early, _stored(early, A, None)),
            (late, _stored(late, A + " Later.", None)),
        ]
    )
    rulings = decide_batch([early, late], held)
    assert rulings[0].decision.adopts == ("wire",)
    assert _verdicts([early, late], held) == [("early", "new", None, None), ("late", "duplicate", "early", None)]


def _event(aid: str, url: str, text: str, when: datetime) -> ArticleExtracted:
    body = ArticleBody(
        article_id=aid,
        url=url,
        canonical_url=url,
        source_id=aid.split("-", maxsplit=1)[0],
        source_name=aid.split("-", maxsplit=1)[0].title(),
        title="Ferry crossings resume",
        text=text,
        published_at=when,
        fetched_at=when + timedelta(minutes=5),
        content_hash="h-" + aid,
        raw_object_key="raw/" + aid,
    )
    return ArticleExtracted(event_time=when, article=body)


BATCHES = [
    [
        _event("wire-a1", "https://wire.example/a1", A, T0),
        _event("gazette-b1", "https://gazette.example/b1", B, T0 + timedelta(minutes=30)),
        _event("herald-a2", "https://herald.example/a2", "PORT ELLIS (Wire) - " + A, T0 + timedelta(hours=1)),
        _event("gazette-b1r", "https://gazette.example/b1", B + " Updated with the vote.", T0 + timedelta(hours=3)),
    ],
    [
        _event("early-a0", "https://early.example/a0", A, T0 - timedelta(hours=1)),
        _event("late-a4", "https://late.example/a4", A + " More.", T0 + timedelta(hours=4)),
    ],
    [_event("herald-a2", "https://herald.example/a2", "PORT ELLIS (Wire) - " + A, T0 + timedelta(hours=1))],
]


def _run(batched: bool) -> tuple[list[tuple[str, str, str | None, str | None, float]], InMemoryArticles]:
    store = InMemoryArticles()
    stage = DedupStage(store)
    out = []
    for batch in BATCHES:
        store.upsert_articles([(ev.article, None) for ev in batch])
        steps = (
            stage.handle_batch([(ev, None) for ev in batch])
            if batched
            else [stage.handle_batch([(ev, None)])[0] for ev in batch]
        )
        out += [
            (d.article.article_id, d.verdict, d.duplicate_of, d.revision_of, d.similarity) for ds in steps for d in ds
        ]
    return out, store


def test_the_dedup_stage_decides_a_batch_as_one_article_at_a_time() -> None:
    batched, store = _run(batched=True)
    one_by_one, alone = _run(batched=False)
    assert batched == one_by_one
    assert (store.verdicts, store.bands) == (alone.verdicts, alone.bands)
    assert [(aid, v, d, r) for aid, v, d, r, _ in batched] == [
        ("wire-a1", "new", None, None),
        ("gazette-b1", "new", None, None),
        ("herald-a2", "duplicate", "wire-a1", None),
        ("gazette-b1r", "revision", None, "gazette-b1"),
        ("early-a0", "new", None, None),
        ("late-a4", "duplicate", "early-a0", None),
        ("herald-a2", "duplicate", "early-a0", None),  # redelivered: its stored verdict, after the adoption
    ]


def test_a_failed_batch_leaves_no_verdict_behind() -> None:
    store = InMemoryArticles()
    store.upsert_articles([(ev.article, None) for ev in BATCHES[0]])
    stage = DedupStage(store)

    written = store.store_verdicts

    def half_written(rulings: Sequence[Ruling]) -> None:
        written(rulings)
        raise RuntimeError("connection lost")

    store.store_verdicts = half_written  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="connection lost"):
        stage.handle_batch([(ev, None) for ev in BATCHES[0]])
    assert {v.verdict for v in store.verdicts.values()} == {None}
