"""The grounding guard: keeps only the sentences of an LLM answer that its cited passages support.

Pure functions over text and retrieved passages. The rule is the evaluation's groundedness rule
(`eval/metrics.py`, re-implemented here because the application never imports the eval): a sentence
is supported when it cites at least one valid passage `[n]` (1 ≤ n ≤ number of passages) and at least
80% of its folded content words occur in the cited passages (their text plus title, issuer, date and
section); sentences end where `index.sentences` says, for the guard, the answerer and the eval alike.
Unsupported sentences are removed; citations are renumbered in order of first use. `GuardStream`
applies the rule sentence by sentence while an answer streams in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from assistant.types import Citation
from index.text import CITATION as _CITATION
from index.text import FRAMING as FRAMING  # re-exported: the guard's words are the eval's (index.text)
from index.text import STOPWORDS as STOPWORDS
from index.text import answer_sentences, clause_spans, content_words, parse_citations, words
from index.text import fold as fold
from index.types import Retrieved
from prompts import phrases

MIN_COVERAGE = 0.8  # share of a sentence's content words that must occur in its cited passages
MIN_SUPPORT = 0.5  # least share of supported sentences for the answer to be shown at all
MIN_QUOTE_OVERLAP = 0.5  # share of a sentence's content words a passage sentence needs to be its quote

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+(?=[.,;:!?](?:\s|$))")


def visible_text(raw: str) -> str:
    """The answer without reasoning blocks (`<think>…</think>`; an unclosed one hides the rest)."""
    text = _THINK.sub("", raw)
    cut = text.lower().find("<think>")
    return text if cut < 0 else text[:cut]


def is_abstention(text: str) -> bool:
    """Whether an answer is just the fixed cannot-answer sentence (either language, any punctuation)."""
    target = {" ".join(words(v)) for k, v in phrases().items() if k.startswith("abstain")}
    return " ".join(words(_CITATION.sub(" ", visible_text(text)))) in target


def passage_text(hit: Retrieved) -> str:
    """What a citation vouches for: title, issuer, number, date, section and the passage text."""
    c = hit.chunk
    return " ".join(p for p in (c.meta.title, c.meta.issuer, c.meta.number, c.meta.date, c.section, c.text) if p)


@dataclass(frozen=True)
class Unit:
    """One sentence of an answer, the line it sits on and that line's bullet ("- ", "1. " or "")."""

    line: int
    prefix: str
    text: str


def split_units(text: str) -> list[Unit]:
    """Sentences of an answer in order, split by the rule the eval uses (`index.sentences`); lone "[n]" join
    the one before."""
    return [Unit(u.line, u.prefix, u.text) for u in answer_sentences(text)]


@dataclass(frozen=True)
class SentenceCheck:
    """The verdict on one sentence."""

    original: str  # as the model wrote it
    citations: tuple[int, ...]  # valid passage numbers it cites (1-based positions in the hits)
    invalid: tuple[int, ...]  # numbers outside 1..k, dropped
    counted: bool  # has content words (sentences without any are kept and not counted)
    supported: bool
    coverage: float | None
    missing: tuple[str, ...]
    reason: str


def check_sentence(sentence: str, passages: Mapping[int, str]) -> SentenceCheck:
    """Apply the groundedness rule to one sentence; invalid numbers are dropped before checking."""
    cites = parse_citations(sentence)
    valid = tuple(n for n in cites if n in passages)
    invalid = tuple(n for n in cites if n not in passages)
    ws = content_words(sentence)
    if not ws:
        return SentenceCheck(sentence, valid, invalid, False, True, None, (), "no content words")
    if not valid:
        reason = "invalid citation number" if invalid else "no citation"
        return SentenceCheck(sentence, valid, invalid, True, False, None, (), reason)
    vocab: set[str] = set()
    for n in valid:
        vocab.update(words(passages[n]))
    missing = tuple(w for w in ws if w not in vocab)
    coverage = 1.0 - len(missing) / len(ws)
    ok = coverage >= MIN_COVERAGE
    return SentenceCheck(
        sentence, valid, invalid, True, ok, coverage, missing, "ok" if ok else "content not in cited passages"
    )


@dataclass
class GuardResult:
    """The supported part of an answer, what was removed, and the citations it uses (renumbered)."""

    text: str
    kept_sentences: list[SentenceCheck]
    removed_sentences: list[SentenceCheck]
    support_ratio: float  # supported / counted sentences (0.0 when nothing countable)
    citations_used: list[Citation]

    @property
    def acceptable(self) -> bool:
        """Enough survived to show the model's answer instead of the extractive one."""
        return any(s.counted for s in self.kept_sentences) and self.support_ratio >= MIN_SUPPORT


@dataclass
class GuardStream:
    """Checks an answer as it streams in: `feed` the text so far, get the supported text to show."""

    hits: Sequence[Retrieved]
    passages: dict[int, str] = field(init=False)
    _done: int = field(default=0, init=False)  # units already judged
    _kept: list[tuple[Unit, SentenceCheck]] = field(default_factory=list, init=False)
    _removed: list[SentenceCheck] = field(default_factory=list, init=False)
    _numbers: dict[int, int] = field(default_factory=dict, init=False)  # passage number → shown number
    _last_line: int | None = field(default=None, init=False)
    _text: str = field(default="", init=False)  # everything `feed` returned, i.e. what was shown

    def __post_init__(self) -> None:
        self.passages = {i: passage_text(h) for i, h in enumerate(self.hits, start=1)}

    def feed(self, text_so_far: str, final: bool = False) -> str:
        """Judge the sentences completed since the last call; return the text to append to the display."""
        units = split_units(visible_text(text_so_far))
        ready = len(units) if final else len(units) - 1
        # A sentence is complete only once something other than a citation marker follows it.
        while not final and ready > self._done and units[ready].text.lstrip().startswith("["):
            ready -= 1
        out = []
        for unit in units[self._done : ready]:
            check = check_sentence(unit.text, self.passages)
            if not check.supported:
                self._removed.append(check)
                continue
            shown = self._renumber(unit.text)
            if not shown:
                continue  # nothing but dropped citation numbers
            if self._last_line is None:
                out.append(unit.prefix + shown)
            elif unit.line == self._last_line:
                out.append(" " + shown)
            else:
                out.append("\n" + unit.prefix + shown)
            self._kept.append((unit, check))
            self._last_line = unit.line
        self._done = max(self._done, ready)
        delta = "".join(out)
        self._text += delta
        return delta

    def _renumber(self, sentence: str) -> str:
        def repl(m: re.Match[str]) -> str:
            shown = []
            for part in m.group(1).split(","):
                n = int(part)
                if n in self.passages:
                    new = self._numbers.setdefault(n, len(self._numbers) + 1)
                    if new not in shown:
                        shown.append(new)
            return "".join(f"[{x}]" for x in shown)

        return _SPACE_BEFORE_PUNCT.sub("", _CITATION.sub(repl, sentence)).strip()

    def result(self) -> GuardResult:
        """The verdict on everything fed so far (call after `feed(..., final=True)`)."""
        kept = [c for _, c in self._kept]
        counted = [c for c in kept + self._removed if c.counted]
        ratio = sum(1 for c in counted if c.supported) / len(counted) if counted else 0.0
        return GuardResult(self._text, kept, list(self._removed), ratio, self._citations())

    def _citations(self) -> list[Citation]:
        out = []
        for n, shown in sorted(self._numbers.items(), key=lambda kv: kv[1]):
            hit = self.hits[n - 1]
            ch = hit.chunk
            claims = [c.original for _, c in self._kept if n in c.citations]
            out.append(Citation.from_chunk(shown, ch, hit.score, quote_spans(ch.text, claims)))
        return out


def quote_spans(passage: str, claims: Iterable[str]) -> tuple[tuple[int, int], ...]:
    """For each claim, the passage sentence sharing most of its content words (if it shares enough)."""
    spans = [(s, e, set(content_words(passage[s:e]))) for s, e in clause_spans(passage)]
    found: set[tuple[int, int]] = set()
    for claim in claims:
        ws = set(content_words(claim))
        if not ws or not spans:
            continue
        s, e, have = max(spans, key=lambda sp: len(ws & sp[2]))
        if len(ws & have) >= MIN_QUOTE_OVERLAP * len(ws):
            found.add((s, e))
    return tuple(sorted(found))


def guard_answer(text: str, hits: Sequence[Retrieved]) -> GuardResult:
    """Check a whole answer against the passages it was given (numbered 1..len(hits))."""
    stream = GuardStream(hits)
    stream.feed(text, final=True)
    return stream.result()
