"""The assignments of an index (issue 18): what each unit must do, and by when, stored beside the chunks.

`<index_dir>/assignments.jsonl` holds one `Assignment.to_dict()` per line, documents in manifest order, each
document's rows in text order; `<index_dir>/units.json` the unit lexicon learned from the corpus's headings
(`UnitLexicon`). A sync extracts the assignments of the documents it reads (`plan_assignments`: the lexicon is
the stored one plus the headings of those documents) and keeps the rows of the documents it does not touch
(`write`), like the chunks. Both files are written before the manifest, each atomically; the index's fingerprint
carries `VERSION`, so a change of the extraction rules rebuilds the index (vectors come from the cache).

    rows = load_assignments(Path("data/index"))
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import orjson

from index.assignments import Assignment, UnitLexicon, extract
from index.files import atomic_write
from index.types import Document

log = logging.getLogger("index.pipeline")

VERSION = "assignments/1"  # in the index fingerprint: bump when `index.assignments` or `index.deadlines` change
ASSIGNMENTS = "assignments.jsonl"
UNITS = "units.json"


def load_assignments(index_dir: Path) -> list[Assignment]:
    """Every assignment of the index, in document then text order; [] when the index has none (yet)."""
    return [Assignment.from_dict(d) for rows in _rows_by_doc(index_dir).values() for d in rows]


def load_lexicon(index_dir: Path) -> UnitLexicon:
    """The unit lexicon of the index (empty when there is none)."""
    try:
        return UnitLexicon.from_dict(orjson.loads((index_dir / UNITS).read_bytes()))
    except FileNotFoundError:
        return UnitLexicon()


def plan_assignments(
    documents: Sequence[Document], lexicon: UnitLexicon
) -> tuple[dict[str, list[Assignment]], UnitLexicon]:
    """The assignments of `documents` (doc id -> rows) and the lexicon after them: `lexicon` plus the unit
    names heading blocks in these documents, learned from all of them before any is read for tasks, so that
    the rows do not depend on the order the files were read in."""
    learned = UnitLexicon.learn(documents)
    merged = UnitLexicon({**learned.names, **lexicon.names})
    return {d.doc_id: extract(d, merged) for d in documents}, merged


def write(
    index_dir: Path,
    documents: Iterable[str],
    new: Mapping[str, Sequence[Assignment]],
    lexicon: UnitLexicon,
) -> None:
    """assignments.jsonl for the documents `documents` (the manifest's, in order): the rows in `new` for the
    documents read now, the stored rows for the others; then units.json."""
    old = _rows_by_doc(index_dir)
    lines: list[bytes] = []
    for doc_id in documents:
        if doc_id in new:
            lines.extend(orjson.dumps(a.to_dict()) for a in new[doc_id])
        else:
            lines.extend(orjson.dumps(d) for d in old.get(doc_id, []))
    atomic_write(index_dir / ASSIGNMENTS, b"".join(line + b"\n" for line in lines))
    atomic_write(index_dir / UNITS, orjson.dumps(lexicon.to_dict(), option=orjson.OPT_INDENT_2))


def _rows_by_doc(index_dir: Path) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {}
    try:
        data = (index_dir / ASSIGNMENTS).read_bytes()
    except FileNotFoundError:
        return rows
    for line in data.splitlines():
        if line.strip():
            d = orjson.loads(line)
            rows.setdefault(d["doc_id"], []).append(d)
    return rows
