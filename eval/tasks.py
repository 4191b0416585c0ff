"""The index's assignments scored against a hand-written gold table (issue 18): precision, recall, deadlines.

A gold file (`eval/datasets/tasks-<dataset>.jsonl`, rule of a row in tests/test_task_gold.py) lists, per
document, each unit's tasks with their deadline or rhythm. An extracted assignment matches a gold row when:

- it is in the same document (file name);
- its unit has the same key (`index.assignments.unit_key`, the gold unit taken in the document's area: its
  place, else its issuer);
- its task and the gold task overlap by at least `OVERLAP` of the shorter one, compared folded (lowercase,
  no diacritics, single spaces): the gold cuts a paragraph into sentences where the extractor may keep an item
  whole, and the other way round.

Matching is many-to-many. Precision is the share of extracted assignments (in every document of the index,
not only the gold's) that match a gold row; recall the share of gold rows matched by some extracted one;
`deadlines` the share of gold rows with a deadline or rhythm whose matched assignments give the same one (date,
or period, day and month).

    score(load_assignments(index_dir), load_gold(Path("eval/datasets/tasks-plans.jsonl")))
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from index.assignments import Assignment, unit_key
from index.text import fold

OVERLAP = 0.6
KEYS = ("doc", "unit", "task", "due", "every", "day", "month", "when")


def gold_path(dataset: Path) -> Path:
    """Where the gold assignments of an evaluation set live: tasks-<name>.jsonl beside it."""
    return dataset.with_name(f"tasks-{dataset.stem}.jsonl")


def load_gold(path: Path) -> list[dict[str, Any]]:
    """The gold rows; ValueError naming the line of a malformed one."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path.name}:{n}: không phải JSON (not JSON: {e.msg})") from e
        if not isinstance(row, dict) or set(row) != set(KEYS):
            raise ValueError(f"{path.name}:{n}: cần đúng các khóa {', '.join(KEYS)} (needs exactly these keys)")
        rows.append(row)
    return rows


def overlap(a: str, b: str) -> float:
    """Share of the shorter folded text that the longer one holds (1.0: contained)."""
    a, b = fold(a), fold(b)
    if len(a) > len(b):
        a, b = b, a
    if not a:
        return 0.0
    if a in b:
        return 1.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(a)


def _same_due(a: Assignment, g: Mapping[str, Any]) -> bool:
    due = a.due
    if due is None:
        return False
    if g["due"]:
        return due.date == g["due"]
    return (due.every, due.day, due.month) == (g["every"], g["day"], g["month"])


def score(extracted: Sequence[Assignment], gold: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Precision, recall and deadline agreement of `extracted` against `gold`. A gold unit is keyed in its
    document's area (place, else issuer: what the extracted rows of that document carry; a document with none
    has nothing to match). Per document counts, the gold rows missed and the assignments matching none, for
    the report."""
    by_doc: dict[str, list[Assignment]] = {}
    areas: dict[str, str] = {}
    for a in extracted:
        by_doc.setdefault(a.source, []).append(a)
        areas.setdefault(a.source, a.meta.place or a.meta.issuer)
    matched: set[int] = set()  # ids of extracted assignments matching some gold row
    found: list[dict[str, Any]] = []
    missed: list[dict[str, Any]] = []
    deadline_rows = deadline_ok = 0
    for g in gold:
        key = unit_key(g["unit"], areas.get(g["doc"], ""))
        hits = [a for a in by_doc.get(g["doc"], []) if a.unit_key == key and overlap(a.task, g["task"]) >= OVERLAP]
        matched.update(id(a) for a in hits)
        (found if hits else missed).append(dict(g))
        if g["due"] or g["every"]:
            deadline_rows += 1
            deadline_ok += any(_same_due(a, g) for a in hits)
    extra = [a for a in extracted if id(a) not in matched]
    docs = sorted({a.source for a in extracted} | {g["doc"] for g in gold})
    per_doc = {
        d: {
            "extracted": len(by_doc.get(d, [])),
            "gold": sum(g["doc"] == d for g in gold),
            "missed": sum(g["doc"] == d for g in missed),
            "unmatched": sum(a.source == d for a in extra),
        }
        for d in docs
    }
    return {
        "extracted": len(extracted),
        "gold": len(gold),
        "precision": round((len(extracted) - len(extra)) / len(extracted), 4) if extracted else 0.0,
        "recall": round(len(found) / len(gold), 4) if gold else 0.0,
        "deadlines": round(deadline_ok / deadline_rows, 4) if deadline_rows else None,
        "deadline_rows": deadline_rows,
        "per_doc": per_doc,
        "missed": [{"doc": g["doc"], "unit": g["unit"], "task": g["task"][:160]} for g in missed],
        "unmatched": [{"doc": a.source, "unit": a.unit, "task": a.task[:160]} for a in extra],
    }


def check(result: Mapping[str, Any], gates: Mapping[str, Any]) -> list[str]:
    """The `[assignments]` gates a result misses (plain minima: precision, recall, deadlines)."""
    failures = []
    for metric, minimum in gates.items():
        value = result.get(metric)
        if value is not None and value < float(minimum):
            failures.append(f"assignments.{metric} = {value:.3f} < {float(minimum):.3f}")
    return failures


def format_table(result: Mapping[str, Any]) -> str:
    """Two lines for the console."""
    deadlines = "—" if result["deadlines"] is None else f"{result['deadlines']:.3f}"
    return (
        f"assignments: precision {result['precision']:.3f} ({result['extracted']} extracted), recall "
        f"{result['recall']:.3f} ({result['gold']} gold rows), deadlines {deadlines} ({result['deadline_rows']} rows)"
    )
