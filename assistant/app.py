"""The composition root: one `Settings` becomes the application's parts, each built when first asked for.

    app = App.from_settings(load_settings())
    app.indexer.sync()                    # the write side: never loads an LLM or the accent model
    app.engine().ask("Ai ký kế hoạch?")   # the answering engine over the index on disk
    app.service.ask("Ai ký kế hoạch?")    # the server's view: opened lazily, reopened after a rebuild

The CLI, the server (and through it the chat page and the API) and the benchmarks take what they need from here.
"""

from __future__ import annotations

from assistant.engine import Assistant
from assistant.indexer import Indexer, build_index
from assistant.service import AssistantService
from assistant.settings import Settings
from index.pipeline import PlanIndex


class App:
    """The indexer and the answering service of one set of settings.

    `index` (benchmarks: an index built elsewhere) is used by both sides instead of the one the settings
    describe; `engine` (tests: an engine opened by the caller) is served until the index changes on disk."""

    def __init__(self, settings: Settings, *, index: PlanIndex | None = None, engine: Assistant | None = None) -> None:
        self.settings = settings
        self._index = index
        self._engine = engine
        self._indexer: Indexer | None = None
        self._service: AssistantService | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, index: PlanIndex | None = None, engine: Assistant | None = None
    ) -> App:
        """The application of `settings` (nothing is built until asked for)."""
        return cls(settings, index=index, engine=engine)

    @property
    def indexer(self) -> Indexer:
        """The write side of the index: sync, add, remove, list."""
        if self._indexer is None:
            self._indexer = Indexer(self.settings, self._index)  # its own embedder, on `index_threads`
        return self._indexer

    @property
    def service(self) -> AssistantService:
        """The answering service shared by the chat page and the HTTP API (answer slots, reloads, feedback)."""
        if self._service is None:
            self._service = AssistantService(self.settings, self._engine, open_engine=self.open_engine)
        return self._service

    def open_engine(self) -> Assistant:
        """A new engine over the index as it is on disk now; a fix-it error when it is missing or stale, a
        `ConfigError` when the LLM the settings name cannot work."""
        engine = Assistant(self.settings, index=self._index or build_index(self.settings))
        engine.index.open_for_search()
        return engine

    def engine(self) -> Assistant:
        """The engine over the index on disk, opened on first use and then kept: what `assistant ask`, `chat` and
        `eval` answer with (the server asks `service`, which reopens it after a rebuild)."""
        if self._engine is None:
            self._engine = self.open_engine()
        return self._engine
