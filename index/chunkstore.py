"""The chunk list on disk (`chunks.jsonl`, one JSON object per line) and its cheap readers and writer.

The writer records every line's byte offset, the file's size and CRC-32; with those, `ChunkStore`
opens a 100k-chunk file without parsing it and reads a chunk when it is first asked for. Unchanged
lines are copied as bytes on a re-index, so only new chunks are serialised.
"""

from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

from index.errors import IndexDamagedError
from index.types import Chunk, DocMeta

log = logging.getLogger(__name__)

_META_FIELDS = tuple(DocMeta.__dataclass_fields__)


def _misplaced(path: Path, i: int, found: str, expected: str) -> IndexDamagedError:
    return IndexDamagedError(
        f"Chỉ mục bị hỏng ({path}: dòng {i} chứa {found!r}, cần {expected!r}); chạy "
        "`assistant index build --rebuild` để xây dựng lại (index damaged)."
    )


def chunk_json(c: Chunk) -> bytes:
    """One line of `chunks.jsonl` (the fields of `Chunk.to_dict`, same order)."""
    m = c.meta
    return orjson.dumps(
        {
            "chunk_id": c.chunk_id,
            "doc_id": c.doc_id,
            "source": c.source,
            "ordinal": c.ordinal,
            "text": c.text,
            "start": c.start,
            "end": c.end,
            "section": c.section,
            "meta": {k: getattr(m, k) for k in _META_FIELDS},
        }
    )


class ChunkParser:
    """Parses chunk lines; chunks of one document share one `DocMeta` object."""

    def __init__(self) -> None:
        self._metas: dict[tuple[Any, ...], DocMeta] = {}

    def __call__(self, line: bytes) -> Chunk:
        """The chunk of one line."""
        d = orjson.loads(line)
        raw = d.get("meta", {})
        key = tuple(raw.get(k, "") for k in _META_FIELDS) if len(raw) == len(_META_FIELDS) else None
        meta = self._metas.get(key) if key is not None else None
        if meta is None:
            meta = DocMeta(**raw)
            if key is not None:
                self._metas[key] = meta
        d["meta"] = meta
        return Chunk(**d)


def read_all(path: Path) -> dict[str, Chunk]:
    """Every chunk of a `chunks.jsonl` written by any version (no offsets needed), by id."""
    parse = ChunkParser()
    out: dict[str, Chunk] = {}
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                c = parse(line)
                out[c.chunk_id] = c
    return out


class ChunkStore(Mapping[str, Chunk]):
    """Read-only `Mapping[str, Chunk]` over a `chunks.jsonl` whose line i holds `ids[i]`.

    Opening costs the id list only; a chunk is parsed when first asked for and then kept. Iterating the
    values parses the rest in one pass. The file is opened once: if a build replaces it, this store still
    reads the version it was opened on (the score matrix of BM25 is memory-mapped the same way).
    """

    def __init__(self, path: Path, ids: Sequence[str], offsets: np.ndarray) -> None:
        if len(offsets) != len(ids) + 1:
            raise ValueError(f"{len(offsets)} offsets for {len(ids)} chunks")
        self.path = path
        self._ids = list(ids)
        self._pos = {cid: i for i, cid in enumerate(self._ids)}
        self._offsets = offsets
        self._f: IO[bytes] | None = open(path, "rb")  # noqa: SIM115 - kept open for the store's lifetime
        if os.fstat(self._f.fileno()).st_size != int(offsets[-1]):
            self._f.close()
            raise ValueError(f"{path} is not the file its offsets were recorded for")
        self._cache: dict[str, Chunk] = {}
        self._parse = ChunkParser()
        self._complete = False

    def __getitem__(self, chunk_id: str) -> Chunk:
        c = self._cache.get(chunk_id)
        if c is not None:
            return c
        i = self._pos[chunk_id]  # KeyError for an unknown id, as a dict
        c = self._parse(self.line(i))
        if c.chunk_id != chunk_id:
            raise _misplaced(self.path, i, c.chunk_id, chunk_id)
        self._cache[chunk_id] = c
        return c

    def line(self, i: int) -> bytes:
        """The raw bytes of line i (newline included)."""
        assert self._f is not None
        a, b = int(self._offsets[i]), int(self._offsets[i + 1])
        return os.pread(self._f.fileno(), b - a, a)

    def block(self, i: int, j: int) -> bytes:
        """The raw bytes of lines i..j-1."""
        assert self._f is not None
        a, b = int(self._offsets[i]), int(self._offsets[j])
        return os.pread(self._f.fileno(), b - a, a)

    def position(self, chunk_id: str) -> int | None:
        """Line number of a chunk, or None."""
        return self._pos.get(chunk_id)

    @property
    def parsed(self) -> int:
        """How many chunks have been read so far."""
        return len(self._cache)

    def __contains__(self, chunk_id: object) -> bool:
        return chunk_id in self._pos

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def _load_all(self) -> dict[str, Chunk]:
        if not self._complete:
            data = self.block(0, len(self._ids))
            base = int(self._offsets[0])
            for i, cid in enumerate(self._ids):
                if cid not in self._cache:
                    a, b = int(self._offsets[i]) - base, int(self._offsets[i + 1]) - base
                    c = self._parse(data[a:b])
                    if c.chunk_id != cid:
                        raise _misplaced(self.path, i, c.chunk_id, cid)
                    self._cache[cid] = c
            self._cache = {cid: self._cache[cid] for cid in self._ids}  # file order, like a loaded dict
            self._complete = True
        return self._cache

    def values(self) -> Any:  # a dict view: what callers of a plain dict got
        """Every chunk, in file order (parses what was not read yet)."""
        return self._load_all().values()

    def items(self) -> Any:
        """(id, chunk) pairs, in file order (parses what was not read yet)."""
        return self._load_all().items()

    def close(self) -> None:
        """Close the file."""
        f = getattr(self, "_f", None)
        if f is not None:
            f.close()
            self._f = None

    def __del__(self) -> None:
        self.close()


class ChunkWriter:
    """Writes a new `chunks.jsonl` next to the old one, recording offsets, size and CRC-32 as it goes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        self._f = open(self.tmp, "wb")  # noqa: SIM115 - closed by `finish`
        self._offsets = [0]
        self._crc = 0

    def _put(self, data: bytes, lines: Iterable[int]) -> None:
        self._f.write(data)
        self._crc = zlib.crc32(data, self._crc)
        self._offsets.extend(lines)

    def add(self, chunk: Chunk) -> None:
        """Serialise one chunk."""
        line = chunk_json(chunk) + b"\n"
        self._put(line, [self._offsets[-1] + len(line)])

    def copy(self, store: ChunkStore, i: int, j: int) -> None:
        """Copy lines i..j-1 of an open store as bytes."""
        base = self._offsets[-1] - int(store._offsets[i])
        self._put(store.block(i, j), (int(o) + base for o in store._offsets[i + 1 : j + 1]))

    def finish(self) -> tuple[np.ndarray, int]:
        """Flush to disk; (offsets, crc32). The caller renames `tmp` into place."""
        self._f.flush()
        os.fsync(self._f.fileno())
        self._f.close()
        return np.asarray(self._offsets, dtype=np.int64), self._crc

    def abort(self) -> None:
        """Drop the temporary file."""
        self._f.close()
        self.tmp.unlink(missing_ok=True)


def file_crc32(path: Path) -> int:
    """CRC-32 of a file, read in blocks."""
    crc = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            crc = zlib.crc32(block, crc)
    return crc
