"""The answer engine as the server sees it: opened lazily (the index may appear later), answer slots shared
by the chat page and the API (busy beyond them), and feedback."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import math
import os
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.engine import Assistant
from assistant.errors import AssistantError, QuestionError
from assistant.settings import Settings
from assistant.types import Answer, Citation
from eval.feedback import rotated_path
from index.errors import IndexPipelineError
from index.pipeline import MANIFEST
from index.types import Filters

log = logging.getLogger(__name__)

VOTES = ("up", "down")
MAX_COMMENT_CHARS = 2000
MAX_TURNS = 20  # earlier questions kept with a feedback line
# What one feedback line may hold (longer values are cut, extra items dropped), so that neither the API nor the
# page can grow feedback.jsonl by more than ~250,000 characters a line; the file itself is rotated by size.
MAX_FEEDBACK_QUESTION_CHARS = 4000  # the question and each earlier question
MAX_FEEDBACK_ANSWER_CHARS = 10_000
MAX_FEEDBACK_CITATIONS = 20  # an extractive answer cites at most 12 passages
MAX_CITATION_TEXT_CHARS = 3000  # a cited passage (a chunk of at most 512 model tokens)
MAX_CITATION_FIELD_CHARS = 500  # title, section, source, issuer… of a citation
MAX_CITATION_QUOTES = 20
CITATION_KEYS = tuple(f.name for f in dataclasses.fields(Citation))  # the fields of `Citation.to_json()`
_ANSWER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # the page's answer ids; a vote on the same id replaces the last
WARM_UP_QUESTION = "ai bao cao ket qua thuc hien ke hoach"  # typed without accents: loads the accent model too
BUSY = "Hệ thống đang bận, vui lòng thử lại sau ít phút (server busy, try again)."


class BusyError(AssistantError):
    """Every answer slot is taken and the waiting line is full, or the wait timed out."""


class AnswerSlots:
    """At most `limit` questions answered at once and `queue` more waiting (each up to `timeout_s`);
    any other question gets `BusyError` at once instead of hanging. Used from one event loop."""

    def __init__(self, limit: int, queue: int, timeout_s: float) -> None:
        self.limit, self.queue, self.timeout_s = limit, queue, timeout_s
        self.running = self.waiting = 0
        self._sem: asyncio.Semaphore | None = None

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one answer slot for the duration of the block."""
        if self.running + self.waiting >= self.limit + self.queue:
            log.warning("busy: %d answering, %d waiting", self.running, self.waiting)
            raise BusyError(BUSY)
        if self._sem is None:
            self._sem = asyncio.Semaphore(self.limit)
        self.waiting += 1
        try:
            async with asyncio.timeout(self.timeout_s):
                await self._sem.acquire()
        except TimeoutError:
            log.warning("busy: no slot within %.0f s", self.timeout_s)
            raise BusyError(BUSY) from None
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            self._sem.release()


class AssistantService:
    """Holds one `Assistant`; while the index is missing every call raises its fix-it error.

    `open_engine` opens the engine over the index as it is on disk now (default `Assistant.open`; `App` passes its
    own); it is called on first use and again when another process rebuilt the index."""

    def __init__(
        self,
        settings: Settings,
        assistant: Assistant | None = None,
        retry_s: float = 5.0,
        open_engine: Callable[[], Assistant] | None = None,
    ) -> None:
        self.settings = settings
        self._assistant = assistant
        self._open_engine = open_engine or (lambda: Assistant.open(settings))
        self._known_sources: tuple[dict[str, Any], frozenset[str]] | None = None
        self.retry_s = retry_s  # seconds between attempts to open a missing index
        self._last_try = float("-inf")
        self._last_error: IndexPipelineError | None = None
        self._lock = threading.Lock()
        self._feedback_lock = threading.Lock()
        self.slots = AnswerSlots(settings.concurrency_limit, settings.queue_size, settings.busy_timeout_s)
        # An engine handed in was opened by the caller: it counts as the index as it is on disk now.
        self._opened_signature = self._signature() if assistant is not None else None
        self._checked = time.monotonic()

    def _signature(self) -> tuple[int, int, int] | None:
        """Identity of the manifest on disk (written last by every build, by an atomic rename)."""
        try:
            st = (self.settings.index_dir / MANIFEST).stat()
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _reload_if_changed(self, current: Assistant) -> Assistant:
        """Reopen the index when another process rebuilt it; keep serving the old one if the new one fails."""
        now = time.monotonic()
        if self.settings.reload_check_s <= 0 or now - self._checked < self.settings.reload_check_s:
            return current
        with self._lock:
            if now - self._checked < self.settings.reload_check_s or self._assistant is not current:
                return self._assistant or current
            self._checked = now
            signature = self._signature()
            if signature is None or signature == self._opened_signature:
                return current
            try:
                fresh = self._open_engine()
            except IndexPipelineError as e:
                log.warning("index changed on disk but cannot be opened yet; still serving the previous one: %s", e)
                return current
            self._assistant, self._opened_signature = fresh, signature
            log.info("index changed on disk: reopened %s", self.settings.index_dir)
            return fresh

    def get(self) -> Assistant:
        """The assistant; opens the index on first use (retried at most every `retry_s` seconds) and reopens
        it when a build by another process changed it (checked every `reload_check_s` seconds)."""
        if self._assistant is not None:
            return self._reload_if_changed(self._assistant)
        with self._lock:
            if self._assistant is None:
                if self._last_error is not None and time.monotonic() - self._last_try < self.retry_s:
                    raise self._last_error
                self._last_try = time.monotonic()
                try:
                    signature = self._signature()
                    self._assistant = self._open_engine()
                    self._opened_signature, self._checked = signature, time.monotonic()
                    self._last_error = None
                    log.info("index opened: %s", self.settings.index_dir)
                except IndexPipelineError as e:
                    self._last_error = e
                    log.warning("index not available: %s", e)
                    raise
            return self._assistant

    def warm_up(self) -> None:
        """Ask one unaccented question through the whole path and discard the answer, so that the first user
        does not wait for the model, the vector store and the accent model to load. Never raises."""
        try:
            t0 = time.perf_counter()
            self.get().ask(WARM_UP_QUESTION)
            log.info("warmed up in %.1f s", time.perf_counter() - t0)
        except Exception as e:  # a missing index is reported elsewhere; warming up is best effort
            log.info("warm-up skipped: %s", e)

    @property
    def ready(self) -> bool:
        """Whether the index is open (tries to open it)."""
        try:
            self.get()
        except IndexPipelineError:
            return False
        return True

    def ask(self, question: str, history: Sequence[dict[str, Any]] = (), filters: Filters | None = None) -> Answer:
        """Answer one question (see `Assistant.ask`); a filter naming a document not indexed is a `QuestionError`."""
        self.check_sources(filters.sources if filters else ())
        return self.get().ask(question, history=history, filters=filters)

    def stream(
        self, question: str, history: Sequence[dict[str, Any]] = (), filters: Filters | None = None
    ) -> Iterator[str | Answer]:
        """Answer text as it grows, then the final `Answer` (see `Assistant.stream`); filters checked as in `ask`."""
        self.check_sources(filters.sources if filters else ())
        return self.get().stream(question, history=history, filters=filters)

    def documents(self) -> list[dict[str, Any]]:
        """Indexed documents with metadata, without server file paths."""
        return [{k: v for k, v in d.items() if k != "path"} for d in self.get().documents()]

    def check_sources(self, sources: Sequence[str]) -> None:
        """Raise a clear `QuestionError` for document file names (a filter) that are not indexed."""
        if not sources:
            return
        assistant = self.get()
        manifest = assistant.index.manifest()  # a new object after every write of the index
        known = self._known_sources
        if known is None or known[0] is not manifest:  # once per version of the index, not per question
            known = self._known_sources = (manifest, frozenset(d["source"] for d in assistant.documents()))
        if missing := [s for s in sources if s not in known[1]]:
            shown = ", ".join(f"«{n}»" for n in missing[:3]) + (" …" if len(missing) > 3 else "")
            raise QuestionError(
                f"Không có văn bản {shown} trong kho; hãy chọn văn bản trong danh sách của «Bộ lọc» "
                "hoặc gõ đúng tên tệp (no such document)."
            )

    def record_feedback(
        self,
        *,
        question: str,
        answer: str,
        citations: Sequence[dict[str, Any]],
        vote: str,
        comment: str = "",
        turns: Sequence[str] = (),
        answer_id: str = "",
    ) -> dict[str, Any]:
        """Append one feedback line (JSON) to `settings.feedback_path`; only these fields, never settings, each
        bounded (`MAX_FEEDBACK_*`, `CITATION_KEYS`). `turns` are the conversation's earlier questions (`assistant
        feedback export` makes eval items of them). The file is rotated at `settings.feedback_max_mb`.

        With an `answer_id` (the page's id of one answer, or an API client's), a later vote on the same answer
        replaces the earlier line instead of adding a contradictory one: one line per answer."""
        if vote not in VOTES:
            raise ValueError(f"vote must be one of {VOTES}")
        entry = {
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "question": str(question)[:MAX_FEEDBACK_QUESTION_CHARS],
            "answer": str(answer)[:MAX_FEEDBACK_ANSWER_CHARS],
            "citations": [_bounded_citation(c) for c in list(citations)[:MAX_FEEDBACK_CITATIONS]],
            "vote": vote,
            "comment": str(comment or "")[:MAX_COMMENT_CHARS],
            "turns": [str(t)[:MAX_FEEDBACK_QUESTION_CHARS] for t in list(turns)[-MAX_TURNS:]],
        }
        if isinstance(answer_id, str) and _ANSWER_ID.fullmatch(answer_id):
            entry["answer_id"] = answer_id
        write_feedback(
            self.settings.feedback_path,
            entry,
            self._feedback_lock,
            max_bytes=int(self.settings.feedback_max_mb * 1_000_000),
            keep=self.settings.feedback_keep,
        )
        return entry


def _bounded_scalar(value: Any, max_chars: int) -> str | int | float | bool | None:
    """A citation field as stored: text cut to `max_chars`, numbers kept when finite and of sane size."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**15 else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value[:max_chars]
    return None  # lists and objects where a citation has text or numbers


def _bounded_spans(value: Any) -> list[list[int]]:
    """A citation's quoted spans as stored: at most `MAX_CITATION_QUOTES` [start, end] pairs within the text."""
    spans = value[:MAX_CITATION_QUOTES] if isinstance(value, list | tuple) else []
    out = []
    for span in spans:
        if isinstance(span, list | tuple) and len(span) == 2:
            start, end = span
            if type(start) is int and type(end) is int and 0 <= start < end <= MAX_CITATION_TEXT_CHARS:
                out.append([start, end])
    return out


def _bounded_citation(citation: Any) -> dict[str, Any]:
    """The `Citation.to_json()` fields of one cited passage, each bounded; anything else is dropped."""
    if not isinstance(citation, dict):
        return {}
    out: dict[str, Any] = {}
    for key in CITATION_KEYS:
        if key not in citation:
            continue
        value = citation[key]
        if key == "quotes":
            out[key] = _bounded_spans(value)
        else:
            limit = MAX_CITATION_TEXT_CHARS if key == "text" else MAX_CITATION_FIELD_CHARS
            out[key] = _bounded_scalar(value, limit)
    return out


def write_feedback(
    path: Path,
    entry: dict[str, Any],
    lock: threading.Lock | None = None,
    *,
    max_bytes: int = 10_000_000,
    keep: int = 5,
) -> None:
    """Append `entry` as one JSON line, creating the parent folders. When the line would take the file past
    `max_bytes`, the file is first renamed `path.1` (`path.1` → `path.2` … the oldest beyond `keep` is deleted).
    An entry with an `answer_id` already in the file replaces that line instead (the file is rewritten)."""
    data = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with lock or threading.Lock():
        if entry.get("answer_id") and _replace_line(path, str(entry["answer_id"]), data):
            return
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size and size + len(data) > max_bytes:
            older = [rotated_path(path, n) for n in range(1, keep + 1)]  # newest first
            older[-1].unlink(missing_ok=True)
            for src, dst in zip(reversed(older[:-1]), reversed(older[1:]), strict=True):  # .1 -> .2, … last first
                if src.exists():
                    os.replace(src, dst)
            os.replace(path, older[0])
            log.info("feedback file rotated at %d bytes: %s", size, older[0])
        with path.open("ab") as f:
            f.write(data)


def _replace_line(path: Path, answer_id: str, data: bytes) -> bool:
    """Replace the line of `answer_id` in `path` by `data` (atomically, through a temporary file); False when
    the file has no line of that answer. Lines of other answers, and torn lines, are kept as they are."""
    try:
        lines = path.read_bytes().splitlines(keepends=True)
    except FileNotFoundError:
        return False
    marker = json.dumps(answer_id).encode()
    found = False
    out: list[bytes] = []
    for line in lines:
        if marker in line:
            try:
                same = json.loads(line).get("answer_id") == answer_id
            except (ValueError, AttributeError):
                same = False
            if same:
                if not found:
                    out.append(data)
                found = True
                continue
        out.append(line)
    if not found:
        return False
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(b"".join(out))
    os.replace(tmp, path)
    return True
