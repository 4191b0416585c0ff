"""The default answerer: quotes the sentences of the retrieved passages that answer the question.

Grounded by construction: every sentence of the answer is a quote from a numbered passage, framed by
the document it comes from (title, issuing body, date, section). When the evidence is weak it abstains
with the one fixed sentence from `prompts/phrases.yaml`. The answer is built in steps, each a module:
which documents fit the year and place asked (`assistant.fitting`), the quotable spans and their scores
(`assistant.evidence`), how a passage is quoted and its document named (`assistant.quoting`), and how the
answer is written (`assistant.compose`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Sequence

import numpy as np

from assistant import lists
from assistant.compose import compose, headline_scorers, items_answer, list_answer
from assistant.enumeration import asked_nouns, inline_items
from assistant.evidence import Candidate, candidates, meaning_spans, names_said
from assistant.evidence import meaning_texts as meaning_texts  # embedded at index time (`Assistant.sync`)
from assistant.fitting import document_fits as document_fits
from assistant.fitting import fitting_documents, issuers_on_file, years_on_file
from assistant.headline import (
    MAX_WORDS,
    asks_holder,
    asks_issuer,
    asks_who,
    document_fields,
    field_subjects,
    kinds_named,
    names,
    names_holder,
    same_kind,
    without_fields,
)
from assistant.lists import asks_for_list
from assistant.quoting import display_date, doc_label, doc_tag, kind_key, printed_at
from assistant.recipients import addressees, asks_recipients, recipients, several_documents
from assistant.textmatch import (
    TermMatcher,
    answer_type,
    asks_content,
    asks_reason,
    cites_only,
    content_terms,
    document_numbers,
    document_places,
    document_years,
    draws_consequence,
    is_list_question,
    is_numbered,
    numbered_documents,
    places,
    plain,
    states_cause,
    states_count,
    states_value,
    value_unit,
    without_datelines,
    years,
)
from assistant.types import Citation, ExtractedAnswer, Query
from index.deadlines import parse_dues
from index.normalize import fold
from index.text import clause_spans, words
from index.types import Chunk, Retrieved
from prompts import phrase

__all__ = [
    "Candidate",
    "ExtractedAnswer",
    "ExtractiveAnswerer",
    "Query",
    "doc_label",
    "document_fits",
    "fitting_documents",
    "meaning_texts",
]

log = logging.getLogger(__name__)

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
# A question asking when something is due, not when a document it names was issued (folded).
_DEADLINE = re.compile(r"\b(?:han|thoi han|han chot|deadline|due)\b")
# Words that name a document (folded), beside its own title: "kế hoạch", "văn bản số …".
_DOCUMENT_WORDS = frozenset(
    "ke hoach quyet dinh cong van van ban bao cao quy che chi thi thong bao bien ban to trinh so nam cua ve viec"
    " plan decision letter document report regulation of the".split()
)
# A document's subject line ("V/v từ chối thẩm định …", "Về việc …"; folded).
_SUBJECT_LINE = re.compile(r"^\W*(?:v/v|ve viec)\b")
# A question asking what something is or how it goes: "… thế nào?", "… ra sao?", "… là gì?", "… gồm gì?"
# (folded).
_ASKS_WHAT = re.compile(r"\b(?:the nao|ra sao|la gi|gom gi|bao gom gi|nhung gi)\b")
# ... and the section it names, its document and the passages found say every word of the question.
_NAMED_SECTION_COVERAGE = 0.999
# A question asking who someone is ("Nhà đầu tư dự án … là ai?", "Ai là chủ đầu tư …?"), not who does something.
_WHO_IS = re.compile(
    r"\b(?:la ai|ai la|la nhung ai|la (?:co quan|don vi|to chuc|doanh nghiep|cong ty) nao|who (?:is|are|was|were))\b"
)
# "Các công văn … gửi những công ty nào?" is answered from this many documents of that kind at most.
_ADDRESSED_DOCUMENTS = 3
# A question asking a document's number or date describes that document when its other terms are covered this
# well by the document's title, issuer, place, kind and year.
_DESCRIBED = 0.6
_SHORT_TITLE_WORDS = 8  # documents the first sentence speaks for when several answer


def _said_whole(c: Candidate) -> str:
    """A quote as the answer's first sentence: plain, at most `MAX_WORDS` words, without its closing stop."""
    said = plain(c.hit.chunk.text[c.start : c.end]).split()
    return " ".join(said if len(said) <= MAX_WORDS else [*said[: MAX_WORDS - 1], "…"]).rstrip(" .;:,")


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
        query: Query,
        hits: Sequence[Retrieved],
        signer_hits: Sequence[Retrieved] | None = None,
        document_chunks: Callable[[str], Sequence[Chunk]] | None = None,
    ) -> ExtractedAnswer:
        """Quote the best evidence for `query` with [n] citations, or abstain.

        `signer_hits` (signature blocks) are given when the question asks who signed; `document_chunks` gives a
        document's chunks in order, for lists stated as a section's items.
        """
        question, lang, focus = query.match, query.lang, query.focus
        abstain = ExtractedAnswer(phrase("abstain", lang), True, [])
        if not hits:
            return abstain
        screened = self._screen(query, hits, abstain)
        if isinstance(screened, ExtractedAnswer):
            return screened
        hits = screened
        if signer_hits is not None and (signed := self._signed(query, hits, signer_hits, abstain)) is not None:
            return signed
        # What kind of answer is asked for is read from the question as typed when it is English (`match` then
        # holds the glossary's Vietnamese terms); else from the question itself (`focus` in a follow-up).
        kind_text = query.typed if lang == "en" and query.typed else focus or question
        if document_chunks is not None and asks_recipients(kind_text):
            if (addressed := self._addressed(query, hits, document_chunks)) is not None:
                return addressed
        if document_chunks is not None and asks_issuer(kind_text):
            if (issued := self._issued(query, hits, document_chunks)) is not None:
                return issued
        numbers = {h.chunk.meta.number for h in hits}
        matcher = TermMatcher(question, self.idf, soft=query.restored, focus=focus, indexed_numbers=numbers)
        named = places(query.question) + years(query.question) + list(query.known_named)
        named += document_numbers(query.question)
        asks = asks_content(kind_text)
        when = answer_type(kind_text) == "date"
        asked_names = names(query.question)  # a project, a site: "Khu công nghiệp Phú Xuân"
        who = asks_who(kind_text)
        cands = sorted(candidates(matcher, hits, named, asks, when, asked_names, who), key=lambda c: -c.score)
        if pointed := names_said(hits, asked_names):  # the documents the question names by what only they say
            cands = [c for c in cands if c.hit.chunk.doc_id in pointed]
        chosen: list[Candidate] = []
        others: list[Candidate] = []
        by_meaning: list[Candidate] = []
        covering = [c for c in cands if c.coverage >= self.min_coverage]
        if covering:  # (a form's field may score best and cover less: "a) Tổng vốn đầu tư: …" joins as a value)
            best = covering[0].score
            chosen = [c for c in covering if c.score >= 0.7 * best]
            if not named and lang != "en":  # nothing named (English names are not recognised): all plans speak
                others = self._other_documents(cands, chosen, _OTHER_DOCUMENT_RATIO * best)
        else:  # no word overlap to speak of: quote by meaning, but only a sentence that is really close
            by_meaning = sorted(self.by_meaning(query.meaning or question, hits), key=lambda c: -c.score)
            if asks[0]:  # what is done or how: not a sentence that only cites another document
                by_meaning = [c for c in by_meaning if not cites_only(c.hit.chunk.text[c.start : c.end])]
            chosen = [c for c in by_meaning[:2] if c.score >= self.min_dense]
        overview = document_chunks is not None and lists.asks_overview(kind_text)
        if not chosen:  # no sentence says the question's words: an outline is still an answer to "tóm tắt …"
            parts = self._overview(query, question, kind_text, hits, document_chunks) if overview else None
            return parts or abstain
        if covering and asks_reason(kind_text):  # the causes the best documents give, if they give one
            docs = {c.hit.chunk.doc_id for c in chosen}
            causes = self._causes([c for c in covering if c.hit.chunk.doc_id in docs], document_chunks)
            if causes:
                chosen = causes[:2]
                others = [cause for o in others for cause in self._causes([o], document_chunks)[:1]]
        if asks_holder(kind_text) and not any(
            names_holder(c.hit.chunk.text[c.start : c.end], kind_text) for c in chosen
        ):
            # "Ai là Chủ tịch UBND quận …?": a passage naming the person (or the holder acting for one) answers,
            # one that only speaks of the body does not
            if by_meaning:
                pool = [c for c in by_meaning if c.score >= self.min_dense]
            else:
                floor = _VALUE_SCORE_RATIO * chosen[0].score
                pool = [
                    c for c in cands if c.score >= floor and c.coverage >= _VALUE_COVERAGE_RATIO * self.min_coverage
                ]
            holders = [c for c in pool if names_holder(c.hit.chunk.text[c.start : c.end], kind_text)]
            if not holders:
                log.info("Abstaining: the passages found name no holder of the office asked about")
                return ExtractedAnswer(f"{abstain.text} {phrase('no_value_person', lang)}", True, [])
            chosen = [holders[0], *(c for c in chosen if c is not holders[0])]
        asks_who_is = _WHO_IS.search(fold(kind_text)) is not None  # (English: `match` holds the glossary's terms)
        subject = self._named_subject(focus or question, cands) if asks_who_is else None
        if subject is not None:
            chosen = [subject, *(c for c in chosen if c is not subject)]
        if document_chunks is not None and lang != "en":
            docs = set(pointed) or {c.hit.chunk.doc_id for c in cands}
            section = self._named_section(focus or question, kind_text, matcher, hits, docs, document_chunks)
            if section is not None:
                return items_answer(section.items, section.path, lang, values=True)
        if overview and lists.asks_structure(kind_text):  # "… gồm những phần nào?": its parts, not one part's items
            if (parts := self._overview(query, question, kind_text, hits, document_chunks)) is not None:
                return parts
            overview = False  # (no outline to give: it is not tried again below)
        nouns = asked_nouns(focus or question) if lang != "en" else ()
        inline = any(inline_items(c.hit.chunk, c.start, c.end, nouns) for c in chosen[:1])
        if document_chunks is not None and asks_for_list(focus or question) and not inline:
            # A list stated as a section's sub-sections or bullets is quoted item by item (unless the best
            # sentence states it: "6. Phương pháp kiểm tra: Kiểm tra hồ sơ; Quan sát tại hiện trường; …").
            listed = list_answer(
                focus or question, matcher, hits, chosen, document_chunks, lang, self.min_coverage, nouns
            )
            if listed is not None:
                return listed
        if overview and (parts := self._overview(query, question, kind_text, hits, document_chunks)) is not None:
            return parts
        kind = "reference" if self._asks_cited_number(kind_text, hits, question) else answer_type(kind_text)
        if kind is not None:
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
            if kind == "date" and not document_fields(kind_text)[1]:
                # A document's dateline, or the date of one it cites, is when it was issued, not when what is
                # asked is due (unless the question names that document).
                cited = [] if _DEADLINE.search(fold(kind_text)) else document_numbers(question)
                stating = [
                    c
                    for c in stating
                    if states_value(without_datelines(c.hit.chunk.text[c.start : c.end], cited), kind)
                ]
                if _DEADLINE.search(fold(kind_text)):  # "hạn chót … là khi nào?": a date said as a deadline
                    due = [c for c in stating if parse_dues(c.hit.chunk.text[c.start : c.end])]
                    stating = due or stating
            if kind == "number" and (unit := value_unit(kind_text)) is not None:
                # A count in the unit asked for ("60,0 ha" for "bao nhiêu héc-ta", "230 mô hình" for "bao nhiêu
                # mô hình"): another number (a year, a document's number) does not answer.
                stating = [c for c in stating if states_count(c.hit.chunk.text[c.start : c.end], unit)]
            if not stating:
                log.info("Abstaining: the passages found state no %s", kind)
                return ExtractedAnswer(f"{abstain.text} {phrase('no_value_' + kind, lang)}", True, [])
            chosen = [c for c in stating if c.score >= 0.7 * stating[0].score]
            others = [c for c in others if states_value(c.hit.chunk.text[c.start : c.end], kind)]
        picked = self._select(chosen) + others
        value_kind = kind

        def weigh(text: str) -> float:
            return matcher.coverage(text) + (1.0 if value_kind and states_value(text, value_kind) else 0.0)

        weigh_headline, needed = headline_scorers(matcher, kind_text, focus or question, value_kind, asks[1])
        whole = is_list_question(question)
        stated = None
        fields: list[tuple[Candidate, str]] = []
        # English: the question as typed (`kind_text`) says which fields, its glossary terms which document.
        if any(document_fields(kind_text)):
            stated = self._document_fields(kind_text, focus or question, picked, document_chunks, lang)
            fields = (
                [stated] if stated else self._fields_of_places(kind_text, query.question, hits, document_chunks, lang)
            )
            if len(fields) > 1:  # one part per document, each document named as the answer names several
                fields = [(c, f"{doc_tag(c.hit.chunk.meta)}: {said}") for c, said in fields]
            printing = {c.hit.chunk.chunk_id for c, _ in fields}
            picked = [*(c for c, _ in fields), *(c for c in picked if c.hit.chunk.chunk_id not in printing)]
        if not fields and subject is not None and picked[:1] == [subject]:  # "Tên doanh nghiệp: Công ty …"
            fields = [(subject, _said_whole(subject))]
        return compose(
            picked,
            lang,
            whole,
            weigh=weigh,
            headline_weigh=weigh_headline,
            headline_needs=needed,
            question=kind_text,
            fixed_headline=[(said, c.hit.chunk.chunk_id) for c, said in fields] or None,
            list_nouns=nouns,
        )

    @staticmethod
    def _causes(
        covering: Sequence[Candidate], document_chunks: Callable[[str], Sequence[Chunk]] | None
    ) -> list[Candidate]:
        """To a question asking why: the clauses found that give a cause ("… không thuộc thẩm quyền của Sở Công
        Thương"), best first, and the one before a clause that draws a consequence from it ("Do đó, … Sở Công
        Thương từ chối thẩm định …"); never the document's subject ("V/v từ chối thẩm định …"), which only says
        what was done."""
        out: dict[tuple[str, int], Candidate] = {}
        for c in covering:
            text = c.hit.chunk.text[c.start : c.end]
            if _SUBJECT_LINE.match(fold(text)):
                continue
            if draws_consequence(text):
                before = _clause_before(c, document_chunks)
                if before is not None:
                    out.setdefault((before.hit.chunk.chunk_id, before.start), before)
            elif states_cause(text):
                out.setdefault((c.hit.chunk.chunk_id, c.start), c)
        return list(out.values())

    def _screen(
        self, query: Query, hits: Sequence[Retrieved], abstain: ExtractedAnswer
    ) -> list[Retrieved] | ExtractedAnswer:
        """The hits whose documents may answer: a place named that no passage or document mentions leaves nothing
        to offer; the year and place the question asks for are then checked against the documents' own metadata
        (an abstention can say which places or years are on file), and last, against the passages' text."""
        asked, lang = query.question, query.lang
        if missing := [p for p in self.missing_entities(asked, hits) if p not in years(p)]:
            log.info("Abstaining: question names %s, absent from the passages", missing)
            return abstain
        named_years = document_years(asked)
        required = document_places(asked)
        if required and not fitting_documents(hits, (), (), required):
            log.info("Abstaining: no retrieved document is issued in %s, the place the question names", required)
            if on_file := issuers_on_file(hits):
                offer = phrase("places_available", lang, places=", ".join(on_file))
                return ExtractedAnswer(f"{abstain.text} {offer}", True, [])
            return abstain
        fitting = fitting_documents(hits, named_years, query.known_named, required)
        if not fitting:
            log.info("Abstaining: no retrieved document is of the year %s the question names", named_years)
            if on_file := years_on_file(hits, query.known_named, required):
                return ExtractedAnswer(
                    f"{abstain.text} {phrase('years_available', lang, years=', '.join(on_file))}", True, []
                )
            return abstain
        if missing := self.missing_entities(asked, fitting):
            log.info("Abstaining: question names %s, absent from the passages", missing)
            return abstain
        return fitting

    def _signed(
        self, query: Query, hits: Sequence[Retrieved], signer_hits: Sequence[Retrieved], abstain: ExtractedAnswer
    ) -> ExtractedAnswer | None:
        """ "Who signed?" is asked of the document that best fits the question: its own signature block or
        nothing, never the signer of another retrieved document (which answered with the wrong name when the best
        document's signer was not printed or not read). None: the document shows no signer (a news item)."""
        asked_doc = self._asked_document(hits, f"{query.match} {query.typed or ''}")
        own = [h for h in signer_hits if h.chunk.doc_id == asked_doc.doc_id]
        if (signed := self.signer_answer(own, query.lang)) is not None:
            return signed
        if not asked_doc.meta.signer and asked_doc.meta.kind != "tin tức":  # news items have bylines, not signers
            label = doc_label(asked_doc.meta, asked_doc.source, query.lang)
            return ExtractedAnswer(f"{abstain.text} {phrase('no_signer', query.lang, label=label)}", True, [])
        return None

    def _addressed(
        self, query: Query, hits: Sequence[Retrieved], document_chunks: Callable[[str], Sequence[Chunk]]
    ) -> ExtractedAnswer | None:
        """ "Gửi cho ai?": the addressees after "Kính gửi:" of the document asked about, when it is of the kind the
        question names (`assistant.recipients`), else its "Nơi nhận:" list; None when it has neither (the passages
        answer as usual)."""
        asked_text = query.typed or query.match
        kind = next((k for k in kinds_named(asked_text) if k != "van ban"), "")
        of_kind = [h for h in hits if same_kind(kind, h.chunk.meta.kind, h.chunk.meta.title)]
        if not of_kind:
            return None
        docs = [self._asked_document(of_kind, f"{query.match} {query.typed or ''}").doc_id]  # the first of that kind
        if several_documents(asked_text, kind):  # "Các công văn … gửi những công ty nào?": each one's
            docs = list(dict.fromkeys(h.chunk.doc_id for h in of_kind))[:_ADDRESSED_DOCUMENTS]
        items = [item for doc in docs for item in addressees(document_chunks(doc))]
        if items:
            return items_answer(items, (), query.lang, lead="addressed_lead", first="addressed_first")
        items = [item for doc in docs for item in recipients(document_chunks(doc))]  # no "Kính gửi": "Nơi nhận"
        return items_answer(items, (), query.lang, lead="recipients_lead", first="addressed_first") if items else None

    def _overview(
        self,
        query: Query,
        question: str,
        kind_text: str,
        hits: Sequence[Retrieved],
        document_chunks: Callable[[str], Sequence[Chunk]] | None,
    ) -> ExtractedAnswer | None:
        """ "Tóm tắt kế hoạch …", "Kế hoạch … gồm những nội dung gì?": the outline of the document asked about
        (`lists.outline`), when the question names nothing else than that document (its kind, number, title,
        issuer, place, year) and asks for its contents; None otherwise (a part of it is asked about), or for a
        document without headings."""
        asked = self._asked_document(hits, f"{query.match} {query.typed or ''}")
        meta = asked.meta
        said = {
            fold(t) for t in words(f"{meta.title} {meta.issuer} {meta.place} {meta.kind} {meta.number} {meta.date}")
        }
        said |= lists.overview_words(kind_text) | _DOCUMENT_WORDS
        if meta.year:
            said.add(str(meta.year))
        if any(fold(t) not in said for t in words(" ".join(content_terms(question)))):
            return None
        items = lists.outline(document_chunks(asked.doc_id)) if document_chunks is not None else []
        if not items:
            return None
        return items_answer(items, (), query.lang, lead="outline_lead", first="outline_first")

    def _issued(
        self, query: Query, hits: Sequence[Retrieved], document_chunks: Callable[[str], Sequence[Chunk]]
    ) -> ExtractedAnswer | None:
        """ "Kế hoạch 79 do cơ quan nào ban hành?": the issuer read from the letterhead of the document asked about,
        said first and cited at that letterhead; None for a news item (the body it reports on is no issuer) or a
        document whose issuer was not read."""
        asked = self._asked_document(hits, f"{query.match} {query.typed or ''}")
        if not asked.meta.issuer or asked.meta.kind == "tin tức":
            return None
        chunks = document_chunks(asked.doc_id)
        if not chunks:
            return None
        head = chunks[0]
        end = len(head.text)
        if m := re.search(r"C[ỘO]NG H[ÒO]A|Độc lập|Số\s*:|\n\s*\n", head.text):
            end = m.start()
        end = len(head.text[:end].rstrip())
        if end <= 0:
            return None
        issuer = asked.meta.issuer
        label = doc_label(asked.meta, asked.source, query.lang)
        text = f"{issuer} [1].\n" + phrase("issued_by", query.lang, label=label, issuer=issuer) + " [1]"
        return ExtractedAnswer(text, False, [Citation.from_chunk(1, head, hits[0].score, [(0, end)])])

    def _asks_cited_number(self, kind_text: str, hits: Sequence[Retrieved], question: str) -> bool:
        """Whether the question asks the number of another kind of document than the one it is about ("Kế
        hoạch đó thực hiện chương trình số mấy?"): a document's number and symbol answers it."""
        number_of, _ = field_subjects(kind_text)
        if not number_of:
            return False
        meta = self._asked_document(hits, question).meta
        return not same_kind(number_of, meta.kind, meta.title)

    def _document_fields(
        self,
        question: str,
        described_by: str,
        picked: Sequence[Candidate],
        document_chunks: Callable[[str], Sequence[Chunk]] | None,
        lang: str,
    ) -> tuple[Candidate, str] | None:
        """ "Kế hoạch … mang số hiệu nào, ban hành ngày nào?": the answer is the document's own number and date,
        said first ("Kế hoạch số 19/KH-UBND, ngày 06/04/2020") and cited at the passage that prints them, when
        the document the question describes is the one quoted (its title, issuer, kind and year cover what
        `described_by` says besides the fields asked) and shows those fields. A field asked of another kind of
        document ("Kế hoạch đó thực hiện chương trình số mấy?") is not the quoted document's."""
        asked = self._asked_document([c.hit for c in picked], described_by)
        meta = asked.meta
        described = TermMatcher(without_fields(described_by), self.idf)
        context = f"{meta.title} {meta.number} {meta.issuer} {meta.place} {meta.kind} {meta.year or ''}"
        if described.coverage(context) < _DESCRIBED:
            return None
        return self._fields_of(asked, question, [c.hit for c in picked], document_chunks, lang)

    def _fields_of_places(
        self,
        question: str,
        described_by: str,
        hits: Sequence[Retrieved],
        document_chunks: Callable[[str], Sequence[Chunk]] | None,
        lang: str,
    ) -> list[tuple[Candidate, str]]:
        """ "Kế hoạch … của Trà Vinh năm 2020 và của Bắc Kạn năm 2025 mang số hiệu gì?": the fields asked of each
        document found whose place the question names, when it names two places or more (`_document_fields`
        answers one document, described by all the question's words)."""
        said = f" {' '.join(words(described_by))} "
        by_place: dict[str, Chunk] = {}
        for h in hits:
            place = " ".join(words(h.chunk.meta.place))
            if place and f" {place} " in said and place not in by_place:
                by_place[place] = h.chunk
        if len(by_place) < 2:
            return []
        in_order = [by_place[p] for p in sorted(by_place, key=lambda p: said.index(f" {p} "))]  # as the question names
        found = [f for chunk in in_order if (f := self._fields_of(chunk, question, hits, document_chunks, lang))]
        return found if len(found) >= 2 else []

    def _fields_of(
        self,
        asked: Chunk,
        question: str,
        hits: Sequence[Retrieved],
        document_chunks: Callable[[str], Sequence[Chunk]] | None,
        lang: str,
    ) -> tuple[Candidate, str] | None:
        """The number and date `question` asks of the document of `asked`, said ("Kế hoạch số 19/KH-UBND, ngày
        06/04/2020") and cited where they are printed; None when it asks them of another kind of document or
        the document lacks them."""
        meta = asked.meta
        number_of, date_of = field_subjects(question)
        want_number = number_of is not None and same_kind(number_of, meta.kind, meta.title)
        want_date = date_of is not None and same_kind(date_of, meta.kind, meta.title)
        if not (want_number or want_date) or (want_number and not meta.number) or (want_date and not meta.date):
            return None
        chunks = list(document_chunks(asked.doc_id)) if document_chunks is not None else []
        chunks = chunks or [h.chunk for h in hits if h.chunk.doc_id == asked.doc_id]
        printing, (start, end) = printed_at(chunks, meta.number)
        hit = next((h for h in hits if h.chunk.chunk_id == printing.chunk_id), Retrieved(printing, 0.0))
        kind = kind_key(meta)
        kind_word = phrase(kind, lang)
        if meta.number and kind != "kind_news":  # a news item's number is that of the document it reports on
            name = phrase("doc_numbered", lang, kind=kind_word, number=meta.number)
        else:
            short = " ".join(meta.title.split()[:_SHORT_TITLE_WORDS])
            name = f"{kind_word} «{short}{' …' if len(meta.title.split()) > _SHORT_TITLE_WORDS else ''}»"
        precision = {1: "dated_year", 2: "dated_month"}.get(len(meta.date.split("-")), "dated")  # "2025-02": a month
        said = f"{name}, {phrase(precision, lang, date=display_date(meta.date))}" if meta.date else name
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
        from an earlier turn; or "Quyết định 1696", without its symbol), else the best retrieved one."""
        folded = fold(question)
        for h in hits:
            number = h.chunk.meta.number
            if number and re.search(rf"(?<![\w/-]){re.escape(fold(number))}(?![\w/-])", folded):
                return h.chunk
        if named := numbered_documents(question):  # "Quyết định 1696", "decision 1696": a number without symbol
            for h in hits:
                if is_numbered(h.chunk.meta.number, h.chunk.meta.kind, named):
                    return h.chunk
        return hits[0].chunk

    def signer_answer(self, hits: Sequence[Retrieved], lang: str) -> ExtractedAnswer | None:
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
            # The answer first, the name alone ("Nguyễn Tuấn Anh [1]."), then which document says so.
            text = f"{signer} [1].\n" + phrase("signed_by", lang, label=label, signer=signer) + " [1]"
            return ExtractedAnswer(text, False, [Citation.from_chunk(1, ch, hit.score, [(start, pos + len(signer))])])
        return None

    @staticmethod
    def _named_subject(question: str, cands: list[Candidate]) -> Candidate | None:
        """For a question asking who something is ("… là ai?", "Ai là …?"), the first sentence of the section its
        heading names as the subject ("Nhà đầu tư dự án … là ai?": "3. Nhà đầu tư" → "Tên doanh nghiệp: Công ty
        Cổ phần …"), if any: it is the answer, though it does not say the project's name that others do ("Tên dự
        án: … Khu công nghiệp Phú Xuân")."""

        node = lists.named_heading(question, list(dict.fromkeys(lists.section_path(c.hit.chunk) for c in cands)))
        if node is None:
            return None
        under = [c for c in cands if lists.section_path(c.hit.chunk) == node]  # its own text, not its parts'
        if not under:
            return None
        under = [c for c in under if c.hit.chunk.doc_id == under[0].hit.chunk.doc_id]
        heading = lists.heading_words(node[-1])
        said = [c for c in under if not lists.heading_words(c.hit.chunk.text[c.start : c.end]).startswith(heading)]
        # What the section says first ("Tên doanh nghiệp: Công ty …", before its registration and address), not
        # the heading with it ("Nhà đầu tư Tên doanh nghiệp: …").
        return min(said or under, key=lambda c: c.hit.chunk.start + c.start)

    @staticmethod
    def _named_section(
        question: str,
        kind_text: str,
        matcher: TermMatcher,
        hits: Sequence[Retrieved],
        docs: Collection[str],
        document_chunks: Callable[[str], Sequence[Chunk]],
    ) -> lists.Found | None:
        """The items of the section a question asking what or how (not who, why, when or how much) names by its
        heading ("Tiến độ thực hiện dự án … thế nào?": "8. Tiến độ thực hiện dự án"), in the first of `docs`
        whose passages found are under it, when that section, its document and those passages say every word
        of the question. The sentence that covers the question best would be one that says the question's name
        ("Quy mô dự án: … Khu công nghiệp Phú Xuân …"), not the section's items, which say only what is
        asked."""
        if not _ASKS_WHAT.search(fold(kind_text)) or asks_who(kind_text) or answer_type(kind_text) is not None:
            return None
        if asks_for_list(question):  # (`list_answer`)
            return None
        paths: dict[str, list[tuple[str, ...]]] = {}
        texts: dict[str, list[str]] = {}
        for h in hits:
            if h.chunk.doc_id in docs and h.chunk.section:
                paths.setdefault(h.chunk.doc_id, []).append(lists.section_path(h.chunk))
                texts.setdefault(h.chunk.doc_id, []).append(h.chunk.text)
        for doc, found_paths in paths.items():
            chunks = document_chunks(doc)
            if not chunks or (found := lists.named_section(question, chunks, found_paths)) is None:
                continue
            m = chunks[0].meta
            said = f"{' '.join(found.path)} {m.title} {m.issuer} {m.place} {m.year or ''} {m.kind} {m.number}"
            if matcher.coverage(f"{said} {' '.join(texts[doc])}") >= _NAMED_SECTION_COVERAGE:
                return found
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


def _clause_before(c: Candidate, document_chunks: Callable[[str], Sequence[Chunk]] | None) -> Candidate | None:
    """The clause before `c` in its document (in its passage, or at the end of the one before it), quoted as `c`
    is scored; None when there is none to quote."""
    chunk, hit, end = c.hit.chunk, c.hit, c.start
    spans = [(s, e) for s, e in clause_spans(chunk.text) if e <= end and len(chunk.text[s:e].split()) >= 3]
    if not spans and document_chunks is not None:  # the passage opens with it: the one before ends with the cause
        said = chunk.text[c.start : c.end][:60]
        previous = [d for d in document_chunks(chunk.doc_id) if d.ordinal == chunk.ordinal - 1]
        if previous:
            chunk = previous[0]
            hit = Retrieved(chunk, c.hit.score)
            end = i if (i := chunk.text.find(said)) >= 0 else len(chunk.text)  # overlapping passages
            spans = [(s, e) for s, e in clause_spans(chunk.text) if e <= end and len(chunk.text[s:e].split()) >= 3]
    if not spans:
        return None
    s, e = spans[-1]
    return Candidate(c.rank, hit, s, e, c.score, c.coverage)
