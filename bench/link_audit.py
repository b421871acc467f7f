"""Audit of story pages' links as the read API serves them: same-event links, templated questions, questions per page.

A *How we got here* or *Go deeper* entry points at a split of the page's own event when both stories' majority gold
event is the same. A question is templated when, with the linked story's entity names taken out, its frame serves
two or more linked stories ("What is the latest on {name}?"). Figures overall and per corpus part (of the page's
gold event), so that a change is judged across parts, not on one story.

usage: python bench/link_audit.py --data-dir /tmp/lnk --base http://127.0.0.1:8765
       [--gold ../shared/data/replay-dev/gold/articles.jsonl] [--show 5]
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

from storyline.adapters.warehouse import SqlReader
from storyline.domain.pages import StoryBrief, page_links

ROOT = Path(__file__).resolve().parents[1]
MEMBERS = (
    "SELECT a.url, coalesce(s.merged_into, s.story_id) FROM articles a "
    "JOIN story_articles sa ON sa.article_id = a.article_id JOIN stories s ON s.story_id = sa.story_id"
)
_WORD = re.compile(r"[\w’']+")


def frame(question: str, names: list[str]) -> str:
    """The question with the linked story's entity names taken out: a slot-filled template leaves the same frame
    for every story it is filled with ("What is the latest on {}?")."""
    text = question.casefold()
    for name in sorted(names, key=len, reverse=True):
        if name:
            text = text.replace(name.casefold(), "{}")
    return " ".join(_WORD.findall(text.replace("{}", " slot ")))


def templated(frames: dict[str, set[str]], question_frame: str) -> bool:
    """A frame used for two or more different linked stories is a template, not a question about one story."""
    return len(frames.get(question_frame, set())) >= 2


def _gold(path: Path, base: str) -> tuple[dict[str, str], dict[str, str]]:
    story: dict[str, str] = {}
    part: dict[str, str] = {}
    for line in path.read_text("utf-8").splitlines():
        row = json.loads(line.replace("{{BASE}}", base.rstrip("/")))
        story[row["url"]] = row["story"]
        part[row["story"]] = row.get("corpus") or "?"
    return story, part


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True, help="STORYLINE_DATA_DIR of a finished replay run")
    ap.add_argument("--base", required=True, help="base URL the corpus was served at during that run")
    ap.add_argument("--gold", type=Path, default=ROOT.parent / "shared/data/replay-dev/gold/articles.jsonl")
    ap.add_argument("--show", type=int, default=0, help="print this many sample questions")
    args = ap.parse_args()
    gold, part_of = _gold(args.gold, args.base)
    db = args.data_dir / "storyline.db"
    con = sqlite3.connect(db)
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for url, story in con.execute(MEMBERS):
        if url in gold:
            labels[story][gold[url]] += 1
    event = {story: c.most_common(1)[0][0] for story, c in labels.items()}  # a story's majority gold event
    survivors = "SELECT story_id FROM stories WHERE merged_into IS NULL AND sections IS NOT NULL"
    roots = [r[0] for r in con.execute(survivors)]
    reader = SqlReader(f"sqlite:///{db}")
    n: Counter[str] = Counter()
    per_part: dict[str, Counter[str]] = defaultdict(Counter)
    samples: list[str] = []
    asked: list[tuple[str, str, str]] = []  # (corpus part, linked story, question frame)
    for sid in sorted(roots):
        story = reader.story(sid)
        if story is None:
            continue
        brief = StoryBrief.from_sections(
            sid,
            datetime.fromisoformat(story["first_seen"]),
            datetime.fromisoformat(story["last_seen"]),
            story["sections"],
        )
        briefs = reader.briefs([lk["story_id"] for lk in story["links"]])
        links = page_links(brief, story["links"], briefs)
        part = part_of.get(event.get(sid, ""), "?")
        c = per_part[part]
        c["pages"] += 1
        c["pages_with_links"] += bool(story["links"])
        c["pages_with_questions"] += bool(links.go_deeper)
        shown = [(b.story_id, "background") for b in links.how_we_got_here]
        shown += [(q.story_id, "question") for q in links.go_deeper]
        for other, kind in shown:
            if sid in event and other in event:
                c[f"{kind}_labelled"] += 1
                c[f"{kind}_same"] += event[sid] == event[other]
        for b in links.how_we_got_here:
            c["background_not_earlier"] += b.date >= brief.first_seen
        for q in links.go_deeper:
            c["questions"] += 1
            names = [str(e.get("name", "")) for e in briefs[q.story_id].entities] if q.story_id in briefs else []
            asked.append((part, q.story_id, frame(q.text, names)))
            if len(samples) < args.show:
                samples.append(f"  {q.text}\n      ← {q.answer.get('text', '')[:160]}")
    frames: dict[str, set[str]] = defaultdict(set)
    for _, story_id, f in asked:
        frames[f].add(story_id)
    for part, _, f in asked:
        per_part[part]["templated"] += templated(frames, f)
    for c in per_part.values():
        n.update(c)

    def line(name: str, c: Counter[str]) -> str:
        lab = c["background_labelled"] + c["question_labelled"]
        same = c["background_same"] + c["question_same"]
        return (
            f"{name:>8}: pages {c['pages']:4d} (with links {c['pages_with_links']:4d}, with questions "
            f"{c['pages_with_questions']:4d}) | same-event links {same}/{lab} ({same / max(lab, 1):.1%}; "
            f"background {c['background_same']}/{c['background_labelled']}, go deeper "
            f"{c['question_same']}/{c['question_labelled']}) | questions {c['questions']} "
            f"({c['questions'] / max(c['pages_with_links'], 1):.2f} per linked page), templated {c['templated']} "
            f"({c['templated'] / max(c['questions'], 1):.1%}) | background not earlier {c['background_not_earlier']}"
        )

    print(line("all", n))
    for part in sorted(per_part):
        print(line(part, per_part[part]))
    if samples:
        print("sample questions:")
        print("\n".join(samples))


if __name__ == "__main__":
    main()
