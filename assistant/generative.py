"""Answers written by an LLM from numbered passages, checked by the grounding guard.

The extractive answer is computed first and handed in as `fallback`; it is returned (mode
"extractive-fallback", with a notice) whenever the LLM fails, times out, returns nothing usable, or
writes an answer its citations do not support. No LLM failure ever reaches the user as an exception.

    llm = make_llm(settings)                       # None for the extractive backend
    answerer = GenerativeAnswerer(llm)
    result = answerer.answer(query, hits, fallback=extract)   # query: assistant.types.Query
    for item in answerer.stream(query, hits, fallback=extract):
        ...  # str: guarded text to append; GenerativeResult: the final answer (replaces what was shown)
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import LLM

from assistant.condense import condense, user_turns
from assistant.guard import GuardResult, GuardStream, is_abstention, visible_text
from assistant.redact import redact
from assistant.types import Citation, ExtractedAnswer, Query
from index.types import Retrieved
from prompts import load_prompt, phrase

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {"vi": "tiếng Việt", "en": "tiếng Anh (English)"}
_HISTORY_MESSAGES = 6  # latest messages shown to the condense prompt
_HISTORY_CHARS = 400  # per message
_CONDENSED_MAX_CHARS = 500
_CONDENSE_LABEL = re.compile(r"^\s*(?:câu hỏi độc lập|standalone question)\s*:\s*", re.IGNORECASE)


@dataclass
class GenerativeResult:
    """The answer to show: the guarded LLM answer, an abstention, or the extractive fallback."""

    text: str
    abstained: bool
    citations: list[Citation]
    mode: str  # "llm" | "extractive" (nothing to send) | "extractive-fallback"
    notice: str = ""
    guard: GuardResult | None = None  # the guard's verdict, when the LLM produced an answer


def _attr(value: str) -> str:
    return html.escape(" ".join(value.split()), quote=True)


def format_passages(hits: Sequence[Retrieved]) -> str:
    """Passages numbered 1..k, each fenced in <passage>; the text is escaped so it cannot close its fence."""
    blocks = []
    for n, hit in enumerate(hits, start=1):
        c = hit.chunk
        attrs = {
            "id": str(n),
            "source": c.source,
            "section": c.section,
            "title": c.meta.title,
            "issuer": c.meta.issuer,
            "number": c.meta.number,
            "date": c.meta.date,
        }
        head = " ".join(f'{k}="{_attr(v)}"' for k, v in attrs.items() if v)
        blocks.append(f"<passage {head}>\n{html.escape(c.text.strip(), quote=False)}\n</passage>")
    return "\n\n".join(blocks)


def build_messages(question: str, hits: Sequence[Retrieved], lang: str) -> list[ChatMessage]:
    """System and user messages of the answer prompt."""
    language = LANGUAGE_NAMES.get(lang, LANGUAGE_NAMES["vi"])
    system = load_prompt("answer_system").render(language=language)
    user = load_prompt("answer").render(
        abstain=phrase("abstain", lang), language=language, passages=format_passages(hits), question=question
    )
    return [
        ChatMessage(role=MessageRole.SYSTEM, content=system),
        ChatMessage(role=MessageRole.USER, content=user),
    ]


def _failure(exc: BaseException) -> str:
    """Exception class and the first line of its message, secrets removed (a server may echo the API key)."""
    first = redact((str(exc).splitlines() or [""])[0])[:200]
    return f"{type(exc).__name__}: {first}"


class GenerativeAnswerer:
    """Asks an LLM to answer from numbered passages; keeps only what the guard finds supported."""

    def __init__(self, llm: LLM) -> None:
        self.llm = llm

    def answer(self, query: Query, hits: Sequence[Retrieved], fallback: ExtractedAnswer) -> GenerativeResult:
        """One complete answer (non-streaming request) to the standalone question (`query.question`)."""
        question, lang = query.question, query.lang
        if not hits:
            return self._fallback(fallback, mode="extractive")
        try:
            response = self.llm.chat(build_messages(question, hits, lang))
            raw = response.message.content or ""
        except Exception as exc:  # any backend failure means "answer without the LLM"
            log.warning("LLM call failed, using the extractive answer (%s)", _failure(exc))
            return self._fallback(fallback, "llm_fallback", lang)
        guard = GuardStream(hits)
        guard.feed(raw, final=True)
        return self._finish(raw, guard, lang, fallback)

    def stream(
        self, query: Query, hits: Sequence[Retrieved], fallback: ExtractedAnswer
    ) -> Iterator[str | GenerativeResult]:
        """Yield guarded text deltas (whole supported sentences, renumbered), then the final result.

        The final `GenerativeResult` is authoritative: its text equals the concatenated deltas when the
        LLM answer stands, and replaces them on abstention or fallback.
        """
        question, lang = query.question, query.lang
        if not hits:
            yield self._fallback(fallback, mode="extractive")
            return
        guard = GuardStream(hits)
        raw = ""
        try:
            for chunk in self.llm.stream_chat(build_messages(question, hits, lang)):
                delta = chunk.delta or ""
                if not delta:
                    continue
                raw += delta
                if shown := guard.feed(raw):
                    yield shown
        except Exception as exc:
            log.warning("LLM stream failed, using the extractive answer (%s)", _failure(exc))
            yield self._fallback(fallback, "llm_fallback", lang)
            return
        tail = guard.feed(raw, final=True)
        result = self._finish(raw, guard, lang, fallback)
        if tail and result.mode == "llm" and not result.abstained:
            yield tail
        yield result

    def _finish(self, raw: str, guard: GuardStream, lang: str, fallback: ExtractedAnswer) -> GenerativeResult:
        """Decide between the guarded answer, an abstention and the fallback."""
        if not any(ch.isalnum() for ch in visible_text(raw)):
            log.warning("LLM returned no usable text (%d characters), using the extractive answer", len(raw))
            return self._fallback(fallback, "llm_fallback", lang)
        if is_abstention(raw):
            return GenerativeResult(phrase("abstain", lang), True, [], "llm")
        verdict = guard.result()
        log.info(
            "Guard: %d sentence(s) kept, %d removed, support %.2f",
            len(verdict.kept_sentences),
            len(verdict.removed_sentences),
            verdict.support_ratio,
        )
        for s in verdict.removed_sentences:
            log.debug("Removed (%s): %s", s.reason, s.original)
        if not verdict.acceptable:
            return self._fallback(fallback, "guard_fallback", lang, verdict)
        return GenerativeResult(verdict.text, False, verdict.citations_used, "llm", "", verdict)

    @staticmethod
    def _fallback(
        fallback: ExtractedAnswer,
        notice: str = "",
        lang: str = "vi",
        verdict: GuardResult | None = None,
        mode: str = "extractive-fallback",
    ) -> GenerativeResult:
        text = phrase(notice, lang) if notice else ""
        return GenerativeResult(fallback.text, fallback.abstained, fallback.citations, mode, text, verdict)


def _history_lines(history: Sequence[Any]) -> str:
    lines = []
    for h in list(history)[-_HISTORY_MESSAGES:]:
        if not isinstance(h, dict) or h.get("role") not in ("user", "assistant"):
            continue
        content = " ".join(str(h.get("content") or "").split())[:_HISTORY_CHARS]
        if content:
            lines.append(f"{phrase('speaker_' + h['role'])}: {content}")
    return "\n".join(lines)


def condense_llm(llm: LLM | None, question: str, history: Sequence[Any]) -> str:
    """A standalone question written by the LLM; rule-based `condense` without history or on failure."""
    if llm is None or not user_turns(history):
        return condense(question, history)
    prompt = load_prompt("condense").render(history=_history_lines(history), question=question)
    try:
        raw = llm.chat([ChatMessage(role=MessageRole.USER, content=prompt)]).message.content or ""
    except Exception as exc:
        log.warning("LLM condensation failed, using the rule-based one (%s)", _failure(exc))
        return condense(question, history)
    line = next((ln for ln in visible_text(raw).splitlines() if ln.strip()), "")
    text = _CONDENSE_LABEL.sub("", line).strip().strip("\"'“”«»").strip()
    if not any(ch.isalnum() for ch in text) or len(text) > max(_CONDENSED_MAX_CHARS, 3 * len(question)):
        log.warning("LLM condensation unusable (%d characters), using the rule-based one", len(raw))
        return condense(question, history)
    return text
