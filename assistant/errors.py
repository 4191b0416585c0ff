"""Errors users see as one short line (the CLI and UI translate them; tracebacks go to the log)."""

from __future__ import annotations

from index.errors import IndexPipelineError
from index.types import FilterError


class AssistantError(Exception):
    """Base class of user-facing errors."""


class QuestionError(AssistantError):
    """The question cannot be processed (empty, too long, no words...)."""


class ConfigError(AssistantError):
    """The settings cannot work together (e.g. public bind without access control)."""


USER_ERRORS: tuple[type[Exception], ...] = (AssistantError, IndexPipelineError, FilterError)
