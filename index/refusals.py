"""The one-line messages of a reader refusing a file, shared by `index.loaders` and `index.pdf` (a module of its
own below both, so that neither reader imports the other for them)."""

from __future__ import annotations

from pathlib import Path

from index.errors import LoaderError


def one_line(exc: BaseException) -> str:
    """A library exception as one short line (its class name when it says nothing).

    >>> one_line(ValueError("bad\\n   xref  table"))
    'bad xref table'
    """
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


def too_long(path: Path, max_chars: int) -> LoaderError:
    """A document whose text has more than `max_chars` characters."""
    return LoaderError(
        f"{path.name}: văn bản quá dài (hơn {max_chars:,} ký tự; document too long, see ASSISTANT_MAX_DOCUMENT_CHARS)"
    )


def too_big(path: Path, what: str, size: int, max_bytes: int) -> LoaderError:
    """A file whose part `what` unpacks to `size` bytes, over `max_bytes`."""
    return LoaderError(
        f"{path.name}: {what} giải nén quá lớn ({size / 1e6:.1f} MB > {max_bytes / 1e6:g} MB; "
        "unpacked size too large, see ASSISTANT_MAX_UNCOMPRESSED_MB)"
    )
