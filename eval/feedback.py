"""Turn the chat's 👍/👎 feedback (`feedback.jsonl`) into draft evaluation items.

A 👍 answer becomes a regression item at once: its cited documents are the gold documents and the
sentences it quoted are the evidence. A 👎 answer becomes a draft to complete: a person reads the
question and the comment, fills `docs`/`evidence`/`facts` (or leaves them empty if the corpus cannot
answer), sets `kind`, and deletes the `review` key, which the dataset loader refuses until then.

The server rotates `feedback.jsonl` by size (`feedback.jsonl.1` is the newest older part, then `.2`…);
`read_feedback` reads the rotated parts too, oldest first.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

REVIEW_KEY = "review"


def rotated_path(path: Path, n: int) -> Path:
    """The n-th rotated part of a feedback file: `feedback.jsonl.1` is the newest, higher numbers are older."""
    return path.with_name(f"{path.name}.{n}")


def feedback_files(path: str | Path) -> list[Path]:
    """The existing parts of a feedback file in the order they were written: rotated parts, oldest first, then
    `path` itself."""
    path = Path(path)
    numbers = []
    for part in path.parent.glob(glob.escape(path.name) + ".*"):
        suffix = part.name[len(path.name) + 1 :]
        if suffix.isascii() and suffix.isdigit() and part.is_file():
            numbers.append(int(suffix))
    parts = [rotated_path(path, n) for n in sorted(numbers, reverse=True)]
    return parts + ([path] if path.is_file() else [])


def read_feedback(path: str | Path) -> Iterator[dict[str, Any]]:
    """The feedback lines of `path` and of its rotated parts (oldest first), skipping blank and unreadable ones
    (the files are append-only)."""
    for part in feedback_files(path):
        with part.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except (ValueError, RecursionError):
                    continue
                if isinstance(entry, dict) and entry.get("question") and entry.get("vote") in ("up", "down"):
                    yield entry


def _quotes(citation: Mapping[str, Any]) -> list[str]:
    """The sentences of a citation that the answer quoted (its highlighted spans)."""
    text = str(citation.get("text") or "")
    out = []
    for span in citation.get("quotes") or []:
        try:
            s, e = int(span[0]), int(span[1])
        except (TypeError, ValueError, IndexError):
            continue
        if 0 <= s < e <= len(text) and text[s:e].strip():
            out.append(text[s:e].strip())
    return out


def draft_item(entry: Mapping[str, Any], item_id: str) -> dict[str, Any]:
    """One draft dataset item from one feedback entry (see the module docstring)."""
    question = str(entry["question"])
    turns = [str(t) for t in entry.get("turns") or [] if str(t).strip()] + [question]
    citations = [c for c in entry.get("citations") or [] if isinstance(c, Mapping)]
    kind = "multi-turn" if len(turns) > 1 else "fact"
    item: dict[str, Any] = {"id": item_id, "kind": kind, "turns": turns, "docs": [], "evidence": [], "facts": []}
    if entry.get("vote") == "up" and citations:
        item["docs"] = list(dict.fromkeys(str(c.get("source")) for c in citations if c.get("source")))
        item["evidence"] = list(dict.fromkeys(q for c in citations for q in _quotes(c)))
        if item["docs"] and item["evidence"]:
            return item  # a complete regression item
        item["docs"], item["evidence"] = [], []
    item[REVIEW_KEY] = {
        "vote": entry.get("vote"),
        "comment": entry.get("comment", ""),
        "answer": entry.get("answer", ""),
        "cited": [f"[{c.get('n')}] {c.get('source', '')} · {c.get('section', '')}" for c in citations],
        "timestamp": entry.get("timestamp", ""),
        "todo": "Fill docs/evidence/facts from the source (or leave them empty if the corpus cannot answer), "
        "check kind, then delete this 'review' key.",
    }
    return item


def drafts(entries: Iterable[Mapping[str, Any]], vote: str = "all", prefix: str = "fb") -> list[dict[str, Any]]:
    """Draft items for the entries with this vote (`up`, `down` or `all`), numbered in order, one per question."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, ...]] = set()
    for entry in entries:
        if vote != "all" and entry.get("vote") != vote:
            continue
        item = draft_item(entry, f"{prefix}{len(out) + 1:04d}")
        key = tuple(item["turns"])
        if key in seen:  # the same conversation rated twice: the first rating is kept
            continue
        seen.add(key)
        out.append(item)
    return out
