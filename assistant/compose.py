"""How the extractive answer is written: the answer first (`assistant.headline`), then the quotes grouped by
document and numbered in order of use; or, for a list question, the items of a list the documents state."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from assistant import lists
from assistant.enumeration import inline_items, names_any
from assistant.evidence import Candidate, field_label_share
from assistant.headline import (
    MAX_WORDS,
    Part,
    asked_level,
    asks_document,
    asks_person,
    asks_who,
    cites_document,
    headline,
    new_names,
    said_names,
    states_place,
    who_score,
)
from assistant.quoting import doc_label, doc_tag, extend_list, headline_item, headline_value, quote, window
from assistant.textmatch import (
    TermMatcher,
    answer_type,
    asks_reason,
    reports_results,
    states_cause,
    states_count,
    states_value,
    value_unit,
)
from assistant.types import Citation, ExtractedAnswer
from index.normalize import fold
from index.types import Chunk, Retrieved
from prompts import phrase

# A list question is answered from the outline of the best documents (this many) when a list there covers the
# question nearly as well as the best sentence (within this much coverage).
_LIST_DOCUMENTS = 2
_LIST_COVERAGE_SLACK = 0.1
_HEADLINE_DOCUMENTS = 3
# An item of a list longer than _LONG_ITEM words (a sentence, not a name) is said by its first _ITEM_WORDS.
_LONG_ITEM = 12
_ITEM_WORDS = 8
# A second item that does not fit whole is said by its first words when at least this many fit.
_MIN_CUT_WORDS = 5


def list_answer(
    question: str,
    matcher: TermMatcher,
    hits: Sequence[Retrieved],
    chosen: Sequence[Candidate],
    document_chunks: Callable[[str], Sequence[Chunk]],
    lang: str,
    min_coverage: float,
    nouns: tuple[str, ...] = (),
) -> ExtractedAnswer | None:
    """The items of a list the best documents state as structure (`assistant.lists`), if one covers the
    question at least as well as the best sentence; each item quoted and cited. The sections a sentence
    introduces ("… các nhiệm vụ sau:") answer a question that asks for a kind of thing (`nouns`) only if that
    sentence or the items name it, and the document's own parts (after its preamble) only if the items do."""
    docs = list(dict.fromkeys([c.hit.chunk.doc_id for c in chosen] + [h.chunk.doc_id for h in hits]))
    noun = lists.list_noun(question)
    best: lists.Found | None = None
    for doc in docs[:_LIST_DOCUMENTS]:
        chunks = document_chunks(doc)
        found = [lists.find_list(matcher, chunks, min_coverage, noun)]
        for c in (c for c in chosen if c.hit.chunk.doc_id == doc):
            after = lists.list_after(c.hit.chunk, c.end, chunks, c.coverage)
            if after is not None and _introduces(after, c.hit.chunk.text[c.start : c.end], nouns):
                found.append(after)
        for f in found:  # a list that names the kind of thing asked for first, then the best covered
            if f is not None and (best is None or (f.named, f.coverage) > (best.named, best.coverage)):
                best = f
    if best is None or (not best.named and best.coverage < chosen[0].coverage - _LIST_COVERAGE_SLACK):
        return None
    # "… những nguồn nào, mỗi nguồn bao nhiêu?": the items are said with their values.
    return items_answer(best.items, best.path, lang, values=answer_type(question) is not None)


def items_answer(
    items: Sequence[lists.Item],
    path: Sequence[str],
    lang: str,
    lead: str = "list_lead",
    first: str = "list_first",
    values: bool = False,
) -> ExtractedAnswer:
    """A list as an answer: its first items first (`first`, a phrase), then, for each document in turn, a line
    that names it (the first one with its section `path`) by the phrase `lead`, and its items quoted with [n].
    With `values`, the first items are said with what follows their label ("Lập hồ sơ kỹ thuật: Từ quý III/2026
    …"): the items of a section, not a list of names."""
    numbers: dict[str, int] = {}
    quotes: dict[str, list[tuple[int, int]]] = {}
    lines: list[str] = []
    doc: str | None = None
    for item in items:
        n = numbers.setdefault(item.chunk.chunk_id, len(numbers) + 1)
        quotes.setdefault(item.chunk.chunk_id, []).append((item.start, item.end))
        if item.chunk.doc_id != doc:  # a document's items follow the line that names it
            where = phrase("section", lang, section=" › ".join(path)) if path and doc is None else ""
            label = doc_label(item.chunk.meta, item.chunk.source, lang) + where
            lines.append(phrase(lead, lang, label=label, cite=f"[{n}]"))
            doc = item.chunk.doc_id
        quoted = quote(item.chunk.text[item.start : item.end])
        lines.append(f"- {quoted[:-1] + ' …' if item.cut and quoted.endswith('.') else quoted} [{n}]")
    item_chunks = {item.chunk.chunk_id: item.chunk for item in items}
    cites = [Citation.from_chunk(numbers[cid], ch, 0.0, quotes[cid]) for cid, ch in item_chunks.items()]
    text = "\n".join([*_list_headline(items, numbers, lang, first, values), *lines])
    return ExtractedAnswer(text, False, cites)


def _introduces(found: lists.Found, sentence: str, nouns: tuple[str, ...]) -> bool:
    """Whether the sections after `sentence` are a list of what is asked (`list_answer`)."""
    if not nouns or names_any(" ; ".join(it.chunk.text[it.start : it.end] for it in found.items), nouns):
        return True
    return bool(found.path) and names_any(sentence, nouns)


def _list_headline(
    items: Sequence[lists.Item], numbers: Mapping[str, int], lang: str, first: str = "list_first", values: bool = False
) -> list[str]:
    """The answer first for a list: its items' first words, as many as fit in `MAX_WORDS` ("Gồm: Sở Công
    Thương; Công an tỉnh; Sở Nội vụ; … [1][2][3]."), an item that is a sentence cut to its first words
    ("Tiếp tục nâng cao nhận thức cho cán …"), a second long name by its first words ("Công ty TNHH Sản xuất và
    Thương mại Chân …"); nothing when not even two fit (one, for a list of one, or of `values`: a section's
    items, the first of which may be a whole sentence)."""
    budget = MAX_WORDS - len(phrase(first, lang, items="").split())
    said: list[str] = []
    cited: list[int] = []
    said_as = headline_value if values else headline_item
    for item in items:
        words = said_as(item.chunk.text[item.start : item.end]).split()
        if not words:  # "(Chi tiết tại Phụ lục kèm theo)."
            continue
        if len(words) > (budget if values else _LONG_ITEM):  # a sentence, not a name: its first words
            words = [*words[:_ITEM_WORDS], "…"]
        if len(words) > budget:
            if len(said) != 1 or budget < _MIN_CUT_WORDS:
                break
            words = [*words[: budget - 1], "…"]  # a second long name said in part rather than not at all
        budget -= len(words)
        said.append(" ".join(words))
        if (n := numbers[item.chunk.chunk_id]) not in cited:
            cited.append(n)
    if len(said) < min(1 if values else 2, len(items)):
        return []
    more = " …" if len(said) < len(items) and not said[-1].endswith("…") else ""
    text = phrase(first, lang, items="; ".join(said) + more)
    return [f"{text} {''.join(f'[{n}]' for n in cited)}."]


def _inline_list(picked: Sequence[Candidate], doc_id: str, nouns: tuple[str, ...]) -> tuple[lists.Item, ...]:
    """The items of the first quote of document `doc_id` that states a list of `nouns` in its sentence."""
    for c in picked:
        if c.hit.chunk.doc_id == doc_id and (items := inline_items(c.hit.chunk, c.start, c.end, nouns)):
            return items
    return ()


def compose(
    picked: list[Candidate],
    lang: str,
    whole_sentences: bool = False,
    weigh: Callable[[str], float] | None = None,
    headline_weigh: Callable[[str], float] | None = None,
    headline_needs: Callable[[str], bool] = lambda _: True,
    question: str = "",
    fixed_headline: Sequence[tuple[str, str]] | None = None,
    list_nouns: tuple[str, ...] = (),
) -> ExtractedAnswer:
    """The answer first (`assistant.headline`: the clause that answers, at most 25 words, [n]), then the
    quotes grouped by document (best document first), passages numbered in order of use; a quote too long
    to show whole is narrowed to its clauses that `weigh` (how well a text answers) puts first. The section
    path is not repeated in the text: it is on the citation's card. A list question (`list_nouns`: what it
    asks for) whose best document's quote states the list in its sentence gets the items first. A
    `fixed_headline` (parts said, each with the chunk id it cites) is said first instead."""
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
            c.end = extend_list(ch.text, c.start, c.end, whole_sentences)
            narrowed = False
            if weigh is not None:
                c.start, c.end, narrowed = window(ch.text, c.start, c.end, weigh)
            n = numbers.setdefault(ch.chunk_id, len(numbers) + 1)
            quotes.setdefault(ch.chunk_id, []).append((c.start, c.end))
            if first:
                lead = phrase("according_to", lang, label=doc_label(ch.meta, ch.source, lang))
            else:
                lead = phrase("same_document", lang, where="")
            line_of[id(c)] = len(lines)
            lines.append(f"{lead} {quote(ch.text[c.start : c.end], narrowed)} [{n}]")
            bare.append(f"{lead.rstrip(':')} [{n}]." if first else "")
            first = False

    def joined() -> str:
        kept = [ln for ln in lines if ln]
        return "\n".join(f"- {ln}" for ln in kept) if len(order) > 1 else "\n".join(kept)

    text = joined()
    listed = _inline_list(picked, order[0], list_nouns)
    items_first = _list_headline(listed, numbers, lang, values=answer_type(question) is not None) if listed else []
    if fixed_headline:
        text = "; ".join(f"{said} [{numbers[cid]}]" for said, cid in fixed_headline) + f".\n{text}"
    elif items_first and headline_needs(items_first[0]):
        quotes[listed[0].chunk.chunk_id].append((listed[0].start, listed[-1].end))
        text = f"{items_first[0]}\n{text}"
    elif headline_weigh is not None:
        docs = order[:_HEADLINE_DOCUMENTS]
        tags = {d: doc_tag(next(c for c in picked if c.hit.chunk.doc_id == d).hit.chunk.meta) for d in docs}
        per_doc = [[c for c in picked if c.hit.chunk.doc_id == d] for d in docs]
        parts = [
            [Part(c.hit.chunk.text, c.start, c.end, c.hit.chunk.section, tags[d] if len(docs) > 1 else "") for c in cs]
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
    return ExtractedAnswer(text, False, cites)


def headline_scorers(
    matcher: TermMatcher,
    kind_text: str,
    question: str,
    value_kind: str | None,
    results_asked: bool,
) -> tuple[Callable[[str], float], Callable[[str], bool]]:
    """How well a few words answer (`weigh_headline`) and whether they hold what is asked for (`needed`): what the
    answer's first sentence is chosen by. `kind_text` says what kind of answer is asked for; `question` is the
    question itself (a follow-up's own words), whose names an answer need not repeat."""
    who = asks_who(kind_text)
    person = who and asks_person(kind_text)
    unit = value_unit(kind_text) if value_kind == "number" else None
    asked_terms = {fold(t) for t in matcher.terms}
    document_asked = asks_document(kind_text)
    reason = asks_reason(kind_text)
    level = asked_level(kind_text)  # "… ở xã nào?": a place of that level

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
            score += who_score(text, question)
        else:  # the body or person the question is about ("UBND quận … nhận bao nhiêu đơn"), not another's
            score += said_names(text, question)
        if document_asked and cites_document(text, question):
            score += 1.0
        if results_asked and reports_results(text):
            score += 1.0
        if reason and states_cause(text):
            score += 1.0
        if level is not None and states_place(text, level):
            score += 1.0
        return score + field_label_share(text, asked_terms)

    def needed(text: str) -> bool:
        """Whether a few words hold what the question asks for (the value, a name), when it asks for one."""
        if unit is not None:
            return states_count(text, unit)
        if value_kind is not None:
            return states_value(text, value_kind)
        if level is not None:
            return states_place(text, level)
        if person:  # "Ai là người đưa ra kết luận đó?": a person's name or office, not "HNP" in passing
            return who_score(text, question) >= 1.0 or field_label_share(text, asked_terms) > 0
        return not who or bool(new_names(text, question)) or field_label_share(text, asked_terms) > 0

    return weigh_headline, needed
