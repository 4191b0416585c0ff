"""Errors of the index pipeline; each carries a short message fit for users."""

from __future__ import annotations


class IndexPipelineError(Exception):
    """Base class: the message is shown to users as one line."""


class LoaderError(IndexPipelineError):
    """A file could not be read as a document (unsupported, empty, damaged, encrypted, no text layer...)."""


class IndexMissingError(IndexPipelineError):
    """No index exists yet where one was expected."""


class FingerprintMismatchError(IndexPipelineError):
    """The index was built with settings that change vectors (model, prefixes, chunking...)."""


class IndexDamagedError(IndexPipelineError):
    """The index files exist but cannot be read consistently."""
