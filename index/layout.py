"""Names of the files in an index folder, and the error for one that cannot be read.

Shared by the reading side (`index.pipeline`) and the writing side (`index.ingest`, `index.writer`), so
that neither has to import the other to know where a file is. What each file holds is described in
`index.pipeline`; the order they are written in, in `index.writer`.
"""

from __future__ import annotations

from index.errors import IndexDamagedError

MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
OFFSETS = "offsets.npy"  # in bm25/: byte offset of each chunks.jsonl line, then the file size
ACCENTS = "accents.json"  # in bm25/: corpus counts of the accent model
REBUILD = "chạy `assistant index build --rebuild` để xây dựng lại"


def damaged(what: str, exc: BaseException | None = None) -> IndexDamagedError:
    """The error for an index file (or store) that cannot be read, with the fix-it command."""
    detail = f": {' '.join(str(exc).split())[:120]}" if exc is not None else ""
    return IndexDamagedError(f"Chỉ mục bị hỏng ({what}{detail}); {REBUILD} (index damaged).")
