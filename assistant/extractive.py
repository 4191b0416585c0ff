"""The default answerer: quotes the sentences of the retrieved passages that answer the question.

Grounded by construction: every sentence of the answer is a quote from a numbered passage, framed by
the document it comes from (title, issuing body, date, section). When the evidence is weak it abstains
with the one fixed sentence from `prompts/phrases.yaml`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from assistant import lists
from assistant.headline import (
    MAX_WORDS,
    Part,
    asks_document,
    asks_who,
    cites_document,
    document_fields,
    headline,
    new_names,
    said_names,
    who_score,
    without_fields,
)
from assistant.lists import asks_for_list
from assistant.textmatch import (
    TermMatcher,
    answer_type,
    asks_content,
    cites_only,
    document_numbers,
    document_places,
    document_years,
    is_list_question,
    places,
    plain,
    reports_results,
    sentence_spans,
    states_count,
    states_value,
    value_unit,
    years,
)
from assistant.types import Citation
from index.normalize import fold
from index.types import Chunk, DocMeta, Retrieved
from prompts import phrase

log = logging.getLogger(__name__)

_MIN_QUOTE_WORDS = 4
# A sentence can be closer to the question than its whole passage, but on the eval set never by more
# than 0.033 (cosine, multilingual-e5-small): below min_dense minus this margin no sentence can qualify.
_MEANING_MARGIN = 0.04
# A document other than the best one's is quoted too when its best sentence scores this share of the
# best sentence's score (and covers the question): "which plan says what" for questions several answer.
_OTHER_DOCUMENT_RATIO = 0.5
_MAX_OTHER_DOCUMENTS = 2  # quoted beyond `max_sentences`, one sentence each: the answer stays short
# A question asking for an amount, date or number may be answered by a sentence that states one, scoring this
# share of the best sentence's score and covering this share of `min_coverage`.
_VALUE_SCORE_RATIO = 0.6
_VALUE_COVERAGE_RATIO = 0.8
_MAX_QUOTE_CHARS = 420
# "Label: value" lines of forms and decisions; the label is two to eight words, no sentence of its own.
_FIELD_LINE = re.compile(r"^\s*(?:[-+•]\s*)?((?:\w+\s+){1,7}\w+)\s*:\s+\S")
_FIELD_MIN_SHARE = 0.6
_FIELD_BONUS = 0.25
# A sentence that only cites another document weighs this much for a question asking what is done or how; one
# reporting results gains this much for a question asking for results.
_CITING_FACTOR = 0.6
_RESULTS_BONUS = 0.25
# A line of at most this many words without a stop is a label whose value may be on the next line.
_LABEL_WORDS = 12
# A list question is answered from the outline of the best documents (this many) when a list there covers the
# question nearly as well as the best sentence (within this much coverage).
_LIST_DOCUMENTS = 2
_HEADLINE_DOCUMENTS = 3
# A question asking a document's number or date describes that document when its other terms are covered this
# well by the document's title, issuer, place, kind and year.
_DESCRIBED = 0.6
_SHORT_TITLE_WORDS = 8  # documents the first sentence speaks for when several answer
_LIST_COVERAGE_SLACK = 0.1
_MAX_LIST_CHARS = 600
_HEADING_NUMBER = re.compile(r"^\s*(?:[IVXLC]+|\d+|[a-zđ])[.)]\s*", re.IGNORECASE)


@dataclass
class Candidate:
    """A quotable span of a retrieved passage and how well it answers."""

    rank: int  # 0-based rank of its passage
    hit: Retrieved
    start: int
    end: int
    score: float
    coverage: float


@dataclass
class Extract:
    """The outcome of the extractive answerer."""

    text: str
    abstained: bool
    citations: list[Citation]


def meaning_spans(text: str) -> list[tuple[int, int]]:
    """The sentences of a passage that may be quoted by meaning (its first eight long enough to stand alone)."""
    return [(s, e) for s, e in sentence_spans(text)[:8] if len(text[s:e].split()) >= _MIN_QUOTE_WORDS]


def meaning_texts(chunk: Chunk) -> list[str]:
    """Texts of `meaning_spans`: embedded at index time so that answers need not wait for the model."""
    return [chunk.text[s:e] for s, e in meaning_spans(chunk.text)]


def kind_key(meta: DocMeta) -> str:
    """The phrase key of a document's kind: "kind_plan", "kind_news" or "kind_other"."""
    return {"KẾ HOẠCH": "kind_plan", "tin tức": "kind_news"}.get((meta.kind or "").strip(), "kind_other")


def doc_label(meta: DocMeta, source: str, lang: str) -> str:
    """How an answer names a document: kind and number or title, then issuing body and date."""
    kind = kind_key(meta)
    kw = phrase(kind, lang)
    if meta.number and kind != "kind_news":  # a news item's number is the document it reports on
        name = phrase("doc_numbered", lang, kind=kw, number=meta.number)
    elif meta.title:
        name = phrase("doc_titled", lang, kind=kw, title=meta.title)
    else:
        name = f"{kw} {source}"
    extra = ", ".join(p for p in (meta.issuer, display_date(meta.date)) if p)
    return f"{name} ({extra})" if extra else name


def display_date(iso: str) -> str:
    """'2010-02-09' → '09/02/2010'; partial dates keep what is known."""
    parts = iso.split("-")
    return "/".join(reversed(parts)) if iso else ""


def _with_values(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """`spans`, a form's label line quoted with the line after it, which holds its value: "Người đại diện theo
    pháp luật của Công ty" / "Bà: Lương Thị Lợi; …" (a label: at most `_LABEL_WORDS` words, no stop, no colon)."""
    out = []
    for i, (s, e) in enumerate(spans):
        label = text[s:e]
        if (
            i + 1 < len(spans)
            and 3 <= len(label.split()) <= _LABEL_WORDS
            and label[-1:].isalnum()
            and ":" not in label
            and not _HEADING_NUMBER.match(label)  # "1. Nhà đầu tư": a heading, not a label
            and "\n" in text[e : spans[i + 1][0]]
        ):
            e = spans[i + 1][1]
        out.append((s, e))
    return out


def _headline_item(text: str) -> str:
    """An item as said in the first sentence: plain, without its closing stop and what follows a colon
    ("Sở Công Thương: chủ trì, …" → "Sở Công Thương")."""
    t = re.sub(r"\s+", " ", plain(text)).strip()
    return t.split(": ")[0].rstrip(" .;:,")


def _affinity(named: Sequence[str], meta_text: str) -> float:
    """Share of the named places/years/bodies that a document's metadata mentions (1.0 if none named)."""
    if not named:
        return 1.0
    hay = f" {fold(meta_text)} "
    return sum(1 for n in named if f" {fold(n)} " in hay or fold(n) in hay) / len(named)


def _year_fit(meta: DocMeta, year: str) -> bool | None:
    """Whether a document is of `year` ("2024", or a period "2021-2026") by its own metadata: dated then, titled
    with it ("… năm 2024"), or dated in the last quarter of the year before (a year's plans are issued then);
    None when its date is unknown. A year that merely occurs in its text does not count."""
    first, _, last = year.partition("-")
    lo, hi = int(first), int(last or first)
    if first in meta.title or (last and last in meta.title):
        return True
    if meta.year is None:
        return None
    month = int(meta.date[5:7]) if len(meta.date) >= 7 else 0
    return lo <= meta.year <= hi or (meta.year == lo - 1 and month >= 10)


def _issued_in(meta: DocMeta, folded_names: Sequence[str]) -> bool:
    hay = fold(f"{meta.issuer} {meta.place} {meta.title}")
    return any(n in hay for n in folded_names)


def document_fits(
    meta: DocMeta, years_named: Sequence[str], places_required: Sequence[str] = (), strict: bool = False
) -> bool:
    """Whether a document may be of a year and place a question names, by its own metadata: issued in (or
    titled for) one of `places_required`, and of one of `years_named` (`_year_fit`). A field the document does
    not show (no date; neither issuer nor place) cannot be checked and does not exclude it, unless `strict`
    (only documents known to be of that place)."""
    if places_required and not _issued_in(meta, [fold(p) for p in places_required]):
        if strict or meta.issuer or meta.place:
            return False
    return not years_named or meta.year is None or any(_year_fit(meta, y) for y in years_named)


def fitting_documents(
    hits: Sequence[Retrieved], years_named: Sequence[str], names: Sequence[str], places_required: Sequence[str] = ()
) -> list[Retrieved]:
    """The hits whose documents are of a year and place the question names, judged by each document's own
    metadata (date, title, issuer, place), never by dates or names in its text.

    Years: when some document is of a named year, documents dated otherwise are dropped; when every dated
    document is of another year, none is left (the corpus lacks that year: abstain). Places: `places_required`
    (the place whose documents the question asks for, `textmatch.document_places`) must be the issuer's or the
    document's place: documents of other places go, even when their text names it (`document_fits`); a document
    that does not show its issuer or place stays when its passage names the place. `names`
    (issuers and places of the corpus that the question names) are preferred: when some document is issued
    there, the others go.
    """
    kept = [h for h in hits if document_fits(h.chunk.meta, years_named, places_required)]
    if places_required:  # a document that does not show its issuer or place: its passage must name the place
        required = [fold(p) for p in places_required]
        kept = [h for h in kept if _issued_in(h.chunk.meta, required) or any(p in fold(h.chunk.text) for p in required)]
    if names and kept:
        folded = [fold(n) for n in names]
        if any(_issued_in(h.chunk.meta, folded) for h in kept):
            kept = [h for h in kept if _issued_in(h.chunk.meta, folded)]
    return kept


def issuers_on_file(hits: Sequence[Retrieved]) -> list[str]:
    """The issuing bodies of the retrieved documents, best first (at most four): what an abstention for a place
    the corpus lacks can offer instead."""
    return list(dict.fromkeys(h.chunk.meta.issuer for h in hits if h.chunk.meta.issuer))[:4]


def years_on_file(hits: Sequence[Retrieved], names: Sequence[str], places_required: Sequence[str] = ()) -> list[str]:
    """The years of the retrieved documents (of the place the question names, when any is), oldest first:
    what an abstention for a year the corpus lacks can offer instead."""
    fitting = fitting_documents(hits, (), names, places_required)
    return sorted({str(h.chunk.meta.year) for h in fitting if h.chunk.meta.year})


def _field_label_share(span: str, asked: set[str]) -> float:
    """For a "label: value" line ("Chủ đầu tư: Ban Quản lý dự án …", "Quy mô thực hiện: 60,0 ha"), the share of
    the label's words that the question asks about (0 when under `_FIELD_MIN_SHARE`, or not such a line): a
    form's field named by the question is its answer, though the value shares no word with it."""
    m = _FIELD_LINE.match(span)
    if m is None:
        return 0.0
    words = re.findall(r"\w+", m.group(1))
    if all(w[0].isupper() for w in words):  # a name ("Ba Đình: Thực hiện …", a headline), not a field
        return 0.0
    label = [fold(w) for w in words]
    share = sum(1 for w in label if w in asked) / len(label) if label else 0.0
    return share if share >= _FIELD_MIN_SHARE else 0.0


def _mostly_capitals(span: str) -> bool:
    letters = [ch for ch in span if ch.isalpha()]
    return len(letters) > 20 and sum(ch.isupper() for ch in letters) > 0.4 * len(letters)


def _extend_list(text: str, start: int, end: int, whole_sentence: bool = False) -> int:
    """A span that introduces a list ("…đó là: a;" or "…như sau:") is extended over the following
    clauses or bullets of the same sentence, so a list question gets the whole list; with
    `whole_sentence` any clause ending in ";" is extended to the end of its sentence."""
    span = text[start:end]
    if not span.rstrip().endswith((";", ":")) or not (whole_sentence or ":" in span):
        return end
    base = end
    for _, e in sentence_spans(text[base:]):
        if end - start > _MAX_LIST_CHARS or not text[start:end].rstrip().endswith((";", ":")):
            break
        end = base + e
    return end


def _printed_at(chunks: Sequence[Chunk], number: str) -> tuple[Chunk, tuple[int, int]]:
    """The chunk and line that print a document's number ("Số: 19/KH-UBND", spaced or not), else the line of
    its first chunk that shows a date: the passage a document's number and date are cited at."""
    key = re.sub(r"\s+", "", fold(number))
    for ch in chunks:
        for m in re.finditer(r"[^\n]+", ch.text):
            line = re.sub(r"\s+", "", fold(m.group(0)))
            if (key and key in line) or (not key and re.search(r"ngay\s*\d|\d{1,2}/\d{1,2}/\d{4}", fold(m.group(0)))):
                return ch, (m.start(), m.end())
    first = chunks[0]
    end = first.text.find("\n")
    return first, (0, len(first.text) if end < 0 else end)


def _doc_tag(meta: DocMeta) -> str:
    """How the first sentence tells documents apart: place (or issuer) and year ("Ba Đình 2025")."""
    return " ".join(p for p in (meta.place or meta.issuer or meta.number, str(meta.year or "")) if p)


def _window(text: str, start: int, end: int, weigh: Callable[[str], float]) -> tuple[int, int, bool]:
    """A span too long to quote whole is narrowed to the run of its clauses around the one that answers best
    (`weigh`): the fact at the end of a long sentence is quoted, not cut off. Returns (start, end, narrowed)."""
    limit = _MAX_LIST_CHARS + 200 if ";" in text[start:end] else _MAX_QUOTE_CHARS
    if end - start <= limit:
        return start, end, False
    cuts = [start] + [start + m.end() for m in re.finditer(r"[,;]\s+", text[start:end])] + [end]
    clauses = list(zip(cuts, cuts[1:], strict=False))
    best = max(range(len(clauses)), key=lambda i: (weigh(text[clauses[i][0] : clauses[i][1]]), -i))
    lo = hi = best
    while True:  # grow towards the side that keeps the window within the limit, the start first
        if lo > 0 and clauses[hi][1] - clauses[lo - 1][0] <= limit:
            lo -= 1
        elif hi + 1 < len(clauses) and clauses[hi + 1][1] - clauses[lo][0] <= limit:
            hi += 1
        else:
            break
    if lo == 0:
        return start, end, False  # the answer is in the first part: the usual cut at the end
    return clauses[lo][0], clauses[hi][1], True


def _quote(text: str, narrowed: bool = False) -> str:
    text = plain(text)
    if narrowed:
        inner = re.sub(r"\s+", " ", text).strip().rstrip(";,:/ ").strip()
        return "… " + (inner if inner.endswith((".", "!", "?", "…", "”", '"')) else inner + " …")
    q = re.sub(r"\s+", " ", text).strip().rstrip(";,:/ ").strip()
    limit = _MAX_LIST_CHARS + 200 if ";" in q else _MAX_QUOTE_CHARS
    if len(q) > limit:
        cut = q.rfind(" ", 0, limit)
        q = q[: cut if cut > 0 else limit] + " …"
    return q if q.endswith((".", "!", "?", "…", "”", '"')) else q + "."


class ExtractiveAnswerer:
    """Selects and frames evidence sentences; abstains on weak evidence.

    `idf` weighs question terms (rare words matter more); `embed` (optional) ranks sentences by meaning
    when the question shares few words with the passages (English or paraphrased questions); such a
    sentence is quoted only if its cosine similarity to the question reaches `min_dense`.
    """

    def __init__(
        self,
        idf: Callable[[str], float],
        embed_query: Callable[[Sequence[str]], np.ndarray] | None = None,
        embed_passage: Callable[[Sequence[str]], np.ndarray] | None = None,
        max_sentences: int = 4,
        min_coverage: float = 0.5,
        min_dense: float = 0.87,
    ) -> None:
        self.idf = idf
        self.embed_query = embed_query
        self.embed_passage = embed_passage
        self.max_sentences = max_sentences
        self.min_coverage = min_coverage
        self.min_dense = min_dense
        # Skip sentence embedding when the passages are far from the question; needs the passages' cosine
        # to come from the same model as the sentences' (a benchmark mixing models turns it off).
        self.gate_by_passage_similarity = True

    # ------------------------------------------------------------------ evidence checks
    def missing_entities(self, question: str, hits: Sequence[Retrieved]) -> list[str]:
        """Places and years the question names that none of the passages (or their documents) mention."""
        haystack = fold(
            " ".join(
                f"{h.chunk.text} {h.chunk.meta.issuer} {h.chunk.meta.title} {h.chunk.meta.place} {h.chunk.meta.date}"
                for h in hits
            )
        )
        missing = [p for p in places(question) if fold(p) not in haystack]
        missing += [y for y in years(question) if y not in haystack]
        return missing

    def candidates(
        self,
        matcher: TermMatcher,
        hits: Sequence[Retrieved],
        named: Sequence[str] = (),
        asks: tuple[bool, bool] = (False, False),
    ) -> list[Candidate]:
        """Every quotable span of the passages, scored by term coverage, heading, document and rank.

        `named` are the places, years and bodies the question names: a document whose metadata
        matches them (issuer, place, title, year) is preferred over one that only shares words. `asks`
        (`textmatch.asks_content`): a question asking what is done or how prefers what a document says to do
        over the documents it cites ("Thực hiện Quyết định số …"); one asking for results, sentences that
        report them (figures, what was achieved). A short line that ends without a stop, a form's label
        ("Người đại diện theo pháp luật của Công ty"), is also quoted with the line after it, which holds its
        value ("Bà: Lương Thị Lợi; …").
        """
        out = []
        asked_terms = {fold(t) for t in matcher.terms}
        for rank, hit in enumerate(hits):
            c = hit.chunk
            context = (
                f"{c.section} {c.meta.title} {c.meta.issuer} {c.meta.place} {c.meta.year or ''} {c.meta.kind} "
                f"{c.meta.number}"
            )
            context_cov = matcher.coverage(context)
            heading_cov = matcher.coverage(c.section.split(" › ")[-1]) if c.section else 0.0
            affinity = _affinity(named, f"{c.meta.issuer} {c.meta.place} {c.meta.title} {c.meta.date} {c.meta.number}")
            headings = {_HEADING_NUMBER.sub("", h).strip(" .:").lower() for h in c.section.split(" › ")}
            for s, e in _with_values(c.text, sentence_spans(c.text)):
                span = c.text[s:e]
                bare = span.strip(" .:-").lower()
                if len(span.split()) < _MIN_QUOTE_WORDS or any(h.startswith(bare) for h in headings):
                    continue  # too short to stand alone, or the heading itself (shown in the label)
                cov = matcher.coverage(span)
                both = matcher.coverage(f"{span} {context}")
                score = 0.6 * cov + 0.25 * both + 0.1 * context_cov + 0.15 * matcher.bigram_bonus(span)
                score += 0.15 * heading_cov + 0.05 / (1 + rank)
                score *= 0.6 + 0.4 * affinity
                if _mostly_capitals(span):  # a letterhead ("ỦY BAN NHÂN DÂN … CỘNG HÒA …"): dates, not statements
                    score *= 0.5
                score += _FIELD_BONUS * _field_label_share(span, asked_terms)
                if asks[0] and cites_only(span):
                    score *= _CITING_FACTOR
                if asks[1] and reports_results(span):
                    score += _RESULTS_BONUS
                out.append(Candidate(rank, hit, s, e, score, max(cov, both)))
        return out

    def by_meaning(self, question: str, hits: Sequence[Retrieved]) -> list[Candidate]:
        """Spans of the top passages ranked by embedding similarity (for questions with no shared words).

        Embedding sentences is the slowest step of an answer (the model runs at question time), so it is
        skipped when the passages themselves are too far from the question for any of their sentences to
        reach `min_dense`, and a sentence repeated by overlapping passages is embedded once.
        """
        if self.embed_query is None or self.embed_passage is None:
            return []
        top = hits[:2]
        known = [h.dense_score for h in top if h.dense_score is not None]
        far = known and len(known) == len(top) and max(known) < self.min_dense - _MEANING_MARGIN
        if far and self.gate_by_passage_similarity:
            return []
        spans = [(rank, h, s, e) for rank, h in enumerate(top) for s, e in meaning_spans(h.chunk.text)]
        if not spans:
            return []
        texts = list(dict.fromkeys(h.chunk.text[s:e] for _, h, s, e in spans))
        q = self.embed_query([question])[0]
        sim = dict(zip(texts, (self.embed_passage(texts) @ q).tolist(), strict=True))
        return [Candidate(r, h, s, e, float(sim[h.chunk.text[s:e]]), 0.0) for r, h, s, e in spans]

    # ------------------------------------------------------------------ answer
    def answer(
        self,
        question: str,
        hits: Sequence[Retrieved],
        lang: str = "vi",
        meaning_query: str | None = None,
        entity_query: str | None = None,
        restored: bool = False,
        signer_hits: Sequence[Retrieved] | None = None,
        focus: str | None = None,
        known_named: Sequence[str] = (),
        document_chunks: Callable[[str], Sequence[Chunk]] | None = None,
    ) -> Extract:
        """Quote the best evidence with [n] citations, or abstain.

        `meaning_query` is embedded when words do not overlap; `entity_query` (as typed, with its
        capitals) is checked for places and years; `restored` marks accents guessed by us;
        `signer_hits` (signature blocks) are given when the question asks who signed; `focus` is the
        question itself when `question` also carries names inherited from earlier turns, which then
        weigh less; `known_named` are issuing bodies/places of the corpus that the question names;
        `document_chunks` gives a document's chunks in order, for lists stated as a section's items.
        """
        abstain = Extract(phrase("abstain", lang), True, [])
        if not hits:
            return abstain
        # A place named that no passage or document mentions: nothing to offer. The year and place the question
        # asks for are then checked against the documents' own metadata (an abstention can say which places or
        # years are on file), and last, against the passages' text.
        if missing := [p for p in self.missing_entities(entity_query or question, hits) if p not in years(p)]:
            log.info("Abstaining: question names %s, absent from the passages", missing)
            return abstain
        named_years = document_years(entity_query or question)
        required = document_places(entity_query or question)
        if required and not fitting_documents(hits, (), (), required):
            log.info("Abstaining: no retrieved document is issued in %s, the place the question names", required)
            if on_file := issuers_on_file(hits):
                offer = phrase("places_available", lang, places=", ".join(on_file))
                return Extract(f"{abstain.text} {offer}", True, [])
            return abstain
        retrieved, hits = hits, fitting_documents(hits, named_years, known_named, required)
        if not hits:
            log.info("Abstaining: no retrieved document is of the year %s the question names", named_years)
            if on_file := years_on_file(retrieved, known_named, required):
                return Extract(f"{abstain.text} {phrase('years_available', lang, years=', '.join(on_file))}", True, [])
            return abstain
        if missing := self.missing_entities(entity_query or question, hits):
            log.info("Abstaining: question names %s, absent from the passages", missing)
            return abstain
        if signer_hits is not None:
            # "Who signed?" is asked of the document that best fits the question: its own signature block or
            # nothing, never the signer of another retrieved document (which answered with the wrong name
            # when the best document's signer was not printed or not read).
            asked_doc = self._asked_document(hits, f"{question} {entity_query or ''}")
            signer_hits = [h for h in signer_hits if h.chunk.doc_id == asked_doc.doc_id]
            if (signed := self.signer_answer(signer_hits, lang)) is not None:
                return signed
            if not asked_doc.meta.signer and asked_doc.meta.kind != "tin tức":  # news items have bylines, not signers
                label = doc_label(asked_doc.meta, asked_doc.source, lang)
                return Extract(f"{abstain.text} {phrase('no_signer', lang, label=label)}", True, [])
        numbers = {h.chunk.meta.number for h in hits}
        matcher = TermMatcher(question, self.idf, soft=restored, focus=focus, indexed_numbers=numbers)
        named = places(entity_query or question) + years(entity_query or question) + list(known_named)
        named += document_numbers(entity_query or question)
        # What kind of answer is asked for is read from the question as typed when it is English (`question` then
        # holds the glossary's Vietnamese terms); else from the question itself (`focus` in a follow-up).
        kind_text = entity_query if lang == "en" and entity_query else focus or question
        asks = asks_content(kind_text)
        cands = sorted(self.candidates(matcher, hits, named, asks), key=lambda c: -c.score)
        chosen: list[Candidate] = []
        others: list[Candidate] = []
        by_meaning: list[Candidate] = []
        if cands and cands[0].coverage >= self.min_coverage:
            best = cands[0].score
            chosen = [c for c in cands if c.coverage >= self.min_coverage and c.score >= 0.7 * best]
            if not named and lang != "en":  # nothing named (English names are not recognised): all plans speak
                others = self._other_documents(cands, chosen, _OTHER_DOCUMENT_RATIO * best)
        else:  # no word overlap to speak of: quote by meaning, but only a sentence that is really close
            by_meaning = sorted(self.by_meaning(meaning_query or question, hits), key=lambda c: -c.score)
            if asks[0]:  # what is done or how: not a sentence that only cites another document
                by_meaning = [c for c in by_meaning if not cites_only(c.hit.chunk.text[c.start : c.end])]
            chosen = [c for c in by_meaning[:2] if c.score >= self.min_dense]
        if not chosen:
            return abstain
        if document_chunks is not None and asks_for_list(focus or question):
            # A list stated as a section's sub-sections or bullets is quoted item by item.
            listed = self._list_answer(focus or question, matcher, hits, chosen, document_chunks, lang)
            if listed is not None:
                return listed
        if (kind := answer_type(kind_text)) is not None:
            # The question asks for an amount, a date or a number: quote the passages that state one, or say
            # that those found do not (a related sentence without the value is not an answer).
            # A sentence close to the chosen ones may be quoted for its value even if it covers the question a
            # little less (the value is often on its own line: "a) Tổng vốn đầu tư: 3.277 tỷ đồng").
            if by_meaning:
                pool = [c for c in by_meaning if c.score >= self.min_dense]
            else:
                floor = _VALUE_SCORE_RATIO * chosen[0].score
                pool = [
                    c
                    for c in cands
                    if c in chosen or (c.score >= floor and c.coverage >= _VALUE_COVERAGE_RATIO * self.min_coverage)
                ]
            stating = [c for c in pool if states_value(c.hit.chunk.text[c.start : c.end], kind)]
            if kind == "number" and (unit := value_unit(kind_text)) is not None:
                # A count in the unit asked for ("60,0 ha" for "bao nhiêu héc-ta", "230 mô hình" for "bao nhiêu
                # mô hình"): another number (a year, a document's number) does not answer.
                stating = [c for c in stating if states_count(c.hit.chunk.text[c.start : c.end], unit)]
            if not stating:
                log.info("Abstaining: the passages found state no %s", kind)
                return Extract(f"{abstain.text} {phrase('no_value_' + kind, lang)}", True, [])
            chosen = [c for c in stating if c.score >= 0.7 * stating[0].score]
            others = [c for c in others if states_value(c.hit.chunk.text[c.start : c.end], kind)]
        picked = self._select(chosen) + others
        value_kind = kind

        def weigh(text: str) -> float:
            return matcher.coverage(text) + (1.0 if value_kind and states_value(text, value_kind) else 0.0)

        who = asks_who(kind_text)
        unit = value_unit(kind_text) if value_kind == "number" else None
        asked_terms = {fold(t) for t in matcher.terms}
        document_asked = asks_document(kind_text)

        def weigh_headline(text: str) -> float:
            """How well a few words answer: the question's terms, and what it asks for: the value (a count in the
            unit asked, a day and month rather than a bare year), a name the question lacks, a field it names."""
            score = matcher.coverage(text)
            if unit is not None:
                score += 1.0 if states_count(text, unit) else 0.0
            elif value_kind == "date":
                score += 1.0 if states_value(text, "date") and re.search(r"\d\s*[/.-]\s*\d|\bngày\s+\d", text) else 0.0
                score += 0.5 if states_value(text, "date") else 0.0
            elif value_kind is not None:
                score += 1.0 if states_value(text, value_kind) else 0.0
            if who:
                score += who_score(text, focus or question)
            else:  # the body or person the question is about ("UBND quận … nhận bao nhiêu đơn"), not another's
                score += said_names(text, focus or question)
            if document_asked and cites_document(text, focus or question):
                score += 1.0
            if asks[1] and reports_results(text):
                score += 1.0
            return score + _field_label_share(text, asked_terms)

        def needed(text: str) -> bool:
            """Whether a few words hold what the question asks for (the value, a name), when it asks for one."""
            if unit is not None:
                return states_count(text, unit)
            if value_kind is not None:
                return states_value(text, value_kind)
            return not who or bool(new_names(text, focus or question)) or _field_label_share(text, asked_terms) > 0

        whole = is_list_question(question)
        stated = None
        if any(document_fields(focus or question)):
            stated = self._document_fields(focus or question, picked, document_chunks, lang)
            if stated is not None:
                picked = [stated[0], *(c for c in picked if c.hit.chunk.chunk_id != stated[0].hit.chunk.chunk_id)]
        return self._compose(
            picked,
            lang,
            whole,
            weigh=weigh,
            headline_weigh=weigh_headline,
            headline_needs=needed,
            question=kind_text,
            fixed_headline=stated[1] if stated else None,
        )

    def _document_fields(
        self,
        question: str,
        picked: Sequence[Candidate],
        document_chunks: Callable[[str], Sequence[Chunk]] | None,
        lang: str,
    ) -> tuple[Candidate, str] | None:
        """ "Kế hoạch … mang số hiệu nào, ban hành ngày nào?": the answer is the document's own number and date,
        said first ("Kế hoạch số 19/KH-UBND, ngày 06/04/2020") and cited at the passage that prints them, when
        the document the question describes is the one quoted (its title, issuer, kind and year cover what the
        question says besides the fields asked) and shows those fields."""
        want_number, want_date = document_fields(question)
        asked = self._asked_document([c.hit for c in picked], question)
        meta = asked.meta
        if (want_number and not meta.number) or (want_date and not meta.date):
            return None
        described = TermMatcher(without_fields(question), self.idf)
        context = f"{meta.title} {meta.number} {meta.issuer} {meta.place} {meta.kind} {meta.year or ''}"
        if described.coverage(context) < _DESCRIBED:
            return None
        chunks = list(document_chunks(asked.doc_id)) if document_chunks is not None else []
        chunks = chunks or [c.hit.chunk for c in picked if c.hit.chunk.doc_id == asked.doc_id]
        printing, (start, end) = _printed_at(chunks, meta.number)
        hit = next((c.hit for c in picked if c.hit.chunk.chunk_id == printing.chunk_id), Retrieved(printing, 0.0))
        kind = kind_key(meta)
        kind_word = phrase(kind, lang)
        if meta.number and kind != "kind_news":  # a news item's number is that of the document it reports on
            name = phrase("doc_numbered", lang, kind=kind_word, number=meta.number)
        else:
            short = " ".join(meta.title.split()[:_SHORT_TITLE_WORDS])
            name = f"{kind_word} «{short}{' …' if len(meta.title.split()) > _SHORT_TITLE_WORDS else ''}»"
        said = f"{name}, {phrase('dated', lang, date=display_date(meta.date))}" if meta.date else name
        return Candidate(0, hit, start, end, 1.0, 1.0), said[:1].upper() + said[1:]

    def _other_documents(self, cands: list[Candidate], chosen: list[Candidate], floor: float) -> list[Candidate]:
        """The best evidence of each document the chosen quotes leave out, if it covers the question too."""
        seen = {c.hit.chunk.doc_id for c in chosen}
        out = []
        for c in cands:  # best first
            doc = c.hit.chunk.doc_id
            if doc not in seen and c.coverage >= self.min_coverage and c.score >= floor:
                out.append(c)
                seen.add(doc)
        return out[:_MAX_OTHER_DOCUMENTS]

    @staticmethod
    def _asked_document(hits: Sequence[Retrieved], question: str) -> Chunk:
        """The document a question is about: the one whose number it names ("Quyết định 1696/QĐ-UBND", also
        from an earlier turn), else the best retrieved one."""
        folded = fold(question)
        for h in hits:
            number = h.chunk.meta.number
            if number and re.search(rf"(?<![\w/-]){re.escape(fold(number))}(?![\w/-])", folded):
                return h.chunk
        return hits[0].chunk

    def signer_answer(self, hits: Sequence[Retrieved], lang: str) -> Extract | None:
        """ "Who signed?": the signer recorded in the metadata, cited at the signature block that names them."""
        for hit in hits:
            signer = hit.chunk.meta.signer
            pos = hit.chunk.text.find(signer) if signer else -1
            if pos < 0:
                continue
            ch = hit.chunk
            start = max(ch.text.rfind("\n", 0, pos) + 1, pos - 80)
            start = ch.text.find(" ", start) + 1 if start > 0 and ch.text[start - 1] != "\n" else start
            label = doc_label(ch.meta, ch.source, lang)
            text = phrase("signed_by", lang, label=label, signer=signer) + " [1]"
            return Extract(text, False, [Citation.from_chunk(1, ch, hit.score, [(start, pos + len(signer))])])
        return None

    def _select(self, ranked: list[Candidate], limit: int | None = None) -> list[Candidate]:
        """At most `limit` (default `max_sentences`) distinct spans, two per passage, best first."""
        limit = limit or self.max_sentences
        picked: list[Candidate] = []
        per_chunk: dict[str, int] = {}
        seen_text: set[str] = set()
        for c in ranked:
            key = fold(c.hit.chunk.text[c.start : c.end])
            cid = c.hit.chunk.chunk_id
            if key in seen_text or per_chunk.get(cid, 0) >= 2:
                continue
            if any(p.hit.chunk.chunk_id == cid and p.start < c.end and c.start < p.end for p in picked):
                continue  # overlapping spans of the same passage
            picked.append(c)
            seen_text.add(key)
            per_chunk[cid] = per_chunk.get(cid, 0) + 1
            if len(picked) >= limit:
                break
        return picked

    def _list_answer(
        self,
        question: str,
        matcher: TermMatcher,
        hits: Sequence[Retrieved],
        chosen: Sequence[Candidate],
        document_chunks: Callable[[str], Sequence[Chunk]],
        lang: str,
    ) -> Extract | None:
        """The items of a list the best documents state as structure (`assistant.lists`), if one covers the
        question at least as well as the best sentence; each item quoted and cited."""
        docs = list(dict.fromkeys([c.hit.chunk.doc_id for c in chosen] + [h.chunk.doc_id for h in hits]))
        noun = lists.list_noun(question)
        best: lists.Found | None = None
        for doc in docs[:_LIST_DOCUMENTS]:
            chunks = document_chunks(doc)
            found = [lists.find_list(matcher, chunks, self.min_coverage, noun)]
            found += [
                lists.list_after(c.hit.chunk, c.end, chunks, c.coverage) for c in chosen if c.hit.chunk.doc_id == doc
            ]
            for f in found:  # a list that names the kind of thing asked for first, then the best covered
                if f is not None and (best is None or (f.named, f.coverage) > (best.named, best.coverage)):
                    best = f
        if best is None or (not best.named and best.coverage < chosen[0].coverage - _LIST_COVERAGE_SLACK):
            return None
        numbers: dict[str, int] = {}
        quotes: dict[str, list[tuple[int, int]]] = {}
        lines = []
        for item in best.items:
            n = numbers.setdefault(item.chunk.chunk_id, len(numbers) + 1)
            quotes.setdefault(item.chunk.chunk_id, []).append((item.start, item.end))
            quoted = _quote(item.chunk.text[item.start : item.end])
            lines.append(f"- {quoted[:-1] + ' …' if item.cut and quoted.endswith('.') else quoted} [{n}]")
        first = best.items[0].chunk
        where = phrase("section", lang, section=" › ".join(best.path)) if best.path else ""
        label = doc_label(first.meta, first.source, lang) + where
        lead = phrase("list_lead", lang, label=label, cite=f"[{numbers[first.chunk_id]}]")
        item_chunks = {item.chunk.chunk_id: item.chunk for item in best.items}
        cites = [Citation.from_chunk(numbers[cid], ch, 0.0, quotes[cid]) for cid, ch in item_chunks.items()]
        return Extract("\n".join([*self._list_headline(best.items, numbers, lang), lead, *lines]), False, cites)

    @staticmethod
    def _list_headline(items: Sequence[lists.Item], numbers: Mapping[str, int], lang: str) -> list[str]:
        """The answer first for a list: its items' first words, as many as fit in `MAX_WORDS` ("Gồm: Sở Công
        Thương; Công an tỉnh; Sở Nội vụ; … [1][2][3]."); nothing when not even two fit."""
        budget = MAX_WORDS - len(phrase("list_first", lang, items="").split())
        said: list[str] = []
        cited: list[int] = []
        for item in items:
            words = _headline_item(item.chunk.text[item.start : item.end]).split()
            if len(words) > budget:
                break
            budget -= len(words)
            said.append(" ".join(words))
            if (n := numbers[item.chunk.chunk_id]) not in cited:
                cited.append(n)
        if len(said) < 2:
            return []
        more = " …" if len(said) < len(items) else ""
        text = phrase("list_first", lang, items="; ".join(said) + more)
        return [f"{text} {''.join(f'[{n}]' for n in cited)}."]

    def _compose(
        self,
        picked: list[Candidate],
        lang: str,
        whole_sentences: bool = False,
        weigh: Callable[[str], float] | None = None,
        headline_weigh: Callable[[str], float] | None = None,
        headline_needs: Callable[[str], bool] = lambda _: True,
        question: str = "",
        fixed_headline: str | None = None,
    ) -> Extract:
        """The answer first (`assistant.headline`: the clause that answers, at most 25 words, [n]), then the
        quotes grouped by document (best document first), passages numbered in order of use; a quote too long
        to show whole is narrowed to its clauses that `weigh` (how well a text answers) puts first. The section
        path is not repeated in the text: it is on the citation's card."""
        order: list[str] = []
        for c in picked:
            if c.hit.chunk.doc_id not in order:
                order.append(c.hit.chunk.doc_id)
        numbers: dict[str, int] = {}
        quotes: dict[str, list[tuple[int, int]]] = {}
        lines: list[str] = []
        bare: list[str] = []  # each line without its quote: what it becomes when the first sentence said it all
        line_of: dict[int, int] = {}  # id of a picked candidate -> its line
        for doc_id in order:
            first = True
            for c in (p for p in picked if p.hit.chunk.doc_id == doc_id):
                ch: Chunk = c.hit.chunk
                c.end = _extend_list(ch.text, c.start, c.end, whole_sentences)
                narrowed = False
                if weigh is not None:
                    c.start, c.end, narrowed = _window(ch.text, c.start, c.end, weigh)
                n = numbers.setdefault(ch.chunk_id, len(numbers) + 1)
                quotes.setdefault(ch.chunk_id, []).append((c.start, c.end))
                if first:
                    lead = phrase("according_to", lang, label=doc_label(ch.meta, ch.source, lang))
                else:
                    lead = phrase("same_document", lang, where="")
                line_of[id(c)] = len(lines)
                lines.append(f"{lead} {_quote(ch.text[c.start : c.end], narrowed)} [{n}]")
                bare.append(f"{lead.rstrip(':')} [{n}]." if first else "")
                first = False

        def joined() -> str:
            kept = [ln for ln in lines if ln]
            return "\n".join(f"- {ln}" for ln in kept) if len(order) > 1 else "\n".join(kept)

        text = joined()
        if fixed_headline is not None:
            text = f"{fixed_headline} [{numbers[picked[0].hit.chunk.chunk_id]}].\n{text}"
        elif headline_weigh is not None:
            docs = order[:_HEADLINE_DOCUMENTS]
            tags = {d: _doc_tag(next(c for c in picked if c.hit.chunk.doc_id == d).hit.chunk.meta) for d in docs}
            per_doc = [[c for c in picked if c.hit.chunk.doc_id == d] for d in docs]
            parts = [
                [
                    Part(c.hit.chunk.text, c.start, c.end, c.hit.chunk.section, tags[d] if len(docs) > 1 else "")
                    for c in cs
                ]
                for d, cs in zip(docs, per_doc, strict=True)
            ]
            said = []
            for words, d, k, a, b in headline(parts, question, headline_weigh, headline_needs):
                c = per_doc[d][k]
                ch = c.hit.chunk
                quotes[ch.chunk_id].append((a, b))
                if a <= c.start and b >= c.end:  # the first sentence is the whole quote: its line only names the source
                    lines[line_of[id(c)]] = bare[line_of[id(c)]]
                said.append(
                    f"{words.rstrip('.')} [{numbers[ch.chunk_id]}]"
                    if not words.endswith("…")
                    else f"{words} [{numbers[ch.chunk_id]}]"
                )
            if said:
                text = ". ".join(said) + ".\n" + joined()
        scores = {c.hit.chunk.chunk_id: (c.hit.chunk, c.hit.score) for c in reversed(picked)}  # the first's score
        cites = sorted(
            (Citation.from_chunk(numbers[cid], ch, score, quotes[cid]) for cid, (ch, score) in scores.items()),
            key=lambda x: x.n,
        )
        return Extract(text, False, cites)
