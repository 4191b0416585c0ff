"""Small types that cross every boundary of the index pipeline.

The UI, CLI and evaluation depend on these, never on llama-index or Chroma types.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class DocMeta:
    """Metadata extracted from a document's own text; unknown fields stay empty."""

    title: str = ""
    issuer: str = ""  # e.g. "UBND quận Gò Vấp", "Thành ủy Hà Nội"
    number: str = ""  # e.g. "08/KH-UBND", "1186-TB/TU"
    date: str = ""  # ISO "2010-02-09"; partial "2025-02" or "2025" when the day/month is blank
    place: str = ""  # e.g. "Gò Vấp", "Ba Đình"
    signer: str = ""  # e.g. "Nguyễn Hồng"
    kind: str = ""  # e.g. "KẾ HOẠCH", "tin tức"

    @property
    def year(self) -> int | None:
        """Year of the document date, if known."""
        return int(self.date[:4]) if len(self.date) >= 4 and self.date[:4].isdigit() else None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict, with the derived year."""
        return {**asdict(self), "year": self.year}


@dataclass(frozen=True)
class Document:
    """One cleaned source document.

    `text` is the cleaned text in its original spelling (what users see);
    chunk offsets index into it. `content_hash` hashes the raw file bytes.
    """

    doc_id: str  # stable id: path relative to the ingested root, posix style
    source: str  # file name, e.g. "003_7bfcb32814c81f86.txt"
    path: str  # absolute path at ingest time
    text: str
    content_hash: str
    meta: DocMeta = field(default_factory=DocMeta)
    # Pages not read from a text layer (OCR'd, or unreadable): {"page", "method", "confidence", "low"}.
    pages: tuple[dict[str, Any], ...] = ()
    page_count: int | None = None  # pages of a paged format (PDF, a converted .doc), else None


@dataclass(frozen=True)
class Chunk:
    """A passage of a document; `doc.text[start:end] == text` always holds."""

    chunk_id: str
    doc_id: str
    source: str
    ordinal: int
    text: str
    start: int
    end: int
    section: str = ""  # heading path, "III. TỔ CHỨC THỰC HIỆN › 1. Phòng Nội vụ"
    meta: DocMeta = field(default_factory=DocMeta)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for persistence."""
        d = asdict(self)
        d["meta"] = asdict(self.meta)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Chunk:
        """Inverse of `to_dict`."""
        d = dict(d)
        d["meta"] = DocMeta(**d.get("meta", {}))
        return cls(**d)


@dataclass(frozen=True)
class Retrieved:
    """A chunk found for a query, with its fused score and the ranks that produced it."""

    chunk: Chunk
    score: float
    bm25_rank: int | None = None  # 1-based rank in the BM25 list, None if absent
    dense_rank: int | None = None  # 1-based rank in the dense list, None if absent
    dense_score: float | None = None  # cosine similarity, when the dense retriever found it


MIN_YEAR, MAX_YEAR = 1900, 2100  # years a filter may name (the vector store compares years as 64-bit integers)


class FilterError(ValueError):
    """A filter that cannot be applied (a year outside MIN_YEAR..MAX_YEAR, a reversed range); one line for users."""


def _shown(value: object) -> str:
    """A short rendering of a rejected value (a huge int is never converted to all its digits)."""
    if isinstance(value, int) and value.bit_length() > 64:
        return "…"
    return str(value)[:20]


def check_years(year_min: object, year_max: object) -> None:
    """Raise `FilterError` unless each given year is an integer in MIN_YEAR..MAX_YEAR and year_min <= year_max:
    the one year rule of the API, the chat page and the CLI (they all build `Filters`)."""
    for year in (year_min, year_max):
        if year is not None and (
            isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR
        ):
            raise FilterError(
                f"Năm lọc phải là một năm từ {MIN_YEAR} đến {MAX_YEAR}, nhận được «{_shown(year)}» "
                f"(year must be {MIN_YEAR}-{MAX_YEAR})."
            )
    if isinstance(year_min, int) and isinstance(year_max, int) and year_min > year_max:
        raise FilterError(
            f"«Từ năm» ({year_min}) phải không lớn hơn «Đến năm» ({year_max}) (year_min is after year_max)."
        )


@dataclass(frozen=True)
class Filters:
    """Optional restrictions on retrieval; empty means no restriction. Years are checked (`check_years`)."""

    sources: tuple[str, ...] = ()  # file names
    issuers: tuple[str, ...] = ()
    year_min: int | None = None
    year_max: int | None = None

    def __post_init__(self) -> None:
        check_years(self.year_min, self.year_max)

    def accepts(self, chunk: Chunk) -> bool:
        """Whether a chunk passes every filter."""
        if self.sources and chunk.source not in self.sources and chunk.doc_id not in self.sources:
            return False
        if self.issuers and chunk.meta.issuer not in self.issuers:
            return False
        year = chunk.meta.year
        if self.year_min is not None and (year is None or year < self.year_min):
            return False
        if self.year_max is not None and (year is None or year > self.year_max):
            return False
        return True

    def is_empty(self) -> bool:
        """True when nothing is restricted."""
        return not (self.sources or self.issuers or self.year_min is not None or self.year_max is not None)
