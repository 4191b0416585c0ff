"""Duty and deadline questions answered from the assignments the index stores (issue 18).

`answer` lists the tasks of `assistant.tasks.TaskBook` that match what `assistant.duty_questions.detect` read in
the question, each the plan's own sentence quoted and cited `[n]` to the passage holding it, the task's span as
the quote. Every line is checkable as any extractive answer: the first sentence is the unit as the plan writes it
and what its first tasks say is done (`_headline`), a plan's line names the plan as its citation does, and a
task's line is the task's words with its deadline wording.

    ask = detect("Phòng Nội vụ quận Gò Vấp phải làm gì?", date.today())
    found = answer(ask, book, index.doc_chunks, filters, "vi") if ask else None  # None: the ordinary path
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.crosslingual import vietnamese_terms
from assistant.duty_questions import YEAR, DutyAsk
from assistant.quoting import doc_label, headline_item
from assistant.tasks import TaskBook, TaskRow, TasksError, active_years, show_day
from assistant.textmatch import is_numbered, number_key, plain
from assistant.types import Citation, ExtractedAnswer
from index.assignments import Assignment, display_unit
from index.normalize import fold_chars
from index.sentences import sentence_spans
from index.text import content_words, words
from index.types import Chunk, Filters
from prompts import phrase

MAX_ITEMS = 10  # tasks listed in one answer; the rest are counted
MAX_TASK_CHARS = 300  # a task longer than this is shown cut at a word, its whole span still quoted
_HEADLINE_WORDS = 25  # the answer-first rule of the evaluation (eval.metrics.ANSWER_FIRST_MAX_WORDS)
_HEADLINE_ITEM_WORDS = 8
# A task's opening that names who helps, not what is done: "Chủ trì, phối hợp với các sở, ngành liên quan …",
# "Chủ trì, rà soát …" (the headline says what; the task's line keeps every word). "liên quan đến/tới/với …" is
# what the task is about, so it ends no partner list; a list of more than 12 words is left alone.
_PARTNERS = re.compile(
    r"^chủ trì\s*,?\s*(?:và\s+)?(?:phối hợp(?:\s+chặt chẽ)?\s+với\s+(?P<who>[^;:.]+?)\s+(?:có\s+)?liên quan"
    r"(?!\s+(?:đến|tới|với))\s*,?\s*(?:để\s+|nhằm\s+)?|,\s*(?!(?:và\s+)?phối hợp)(?=\S))",
    re.IGNORECASE,
)
# A unit asked about that is a class of units already ("các phường", "các Sở, ban, ngành"; folded).
_A_CLASS = re.compile(r"\s*(?:cac|nhung|tat ca)\s")
# Words of an English question around a unit's name ("the office of …"), left out when it is looked up.
_ENGLISH_FILLER = frozenset("of the in for at district province ward city office's".split())


# ------------------------------------------------------------------------------------------------ answering
def _fits(a: Assignment, ask: DutyAsk, filters: Filters | None) -> bool:
    """Whether an assignment is within the user's filters and the areas, plan years and topic asked."""
    probe = Chunk("", a.doc_id, a.source, 0, "", 0, 0, meta=a.meta)
    if filters is not None and not filters.accepts(probe):
        return False
    if ask.years:
        span = active_years(a)
        if span is None or not any(span[0] <= y <= span[1] for y in ask.years):
            return False
    if ask.places:
        area = a.unit_key.rpartition("@")[2]
        where = " ".join(fold_chars(f"{a.unit} {a.meta.place} {a.meta.issuer}").split())
        wanted = [" ".join(fold_chars(p).split()) for p in ask.places]
        if not any(w == area or f" {w} " in f" {where} " for w in wanted):
            return False
    return not ask.reports or "bao cao" in " ".join(fold_chars(a.task).split())


def _rows(ask: DutyAsk, book: TaskBook, filters: Filters | None, by_class: bool = False) -> list[TaskRow]:
    """The tasks `ask` is about; with `by_class`, those of the classes its unit belongs to (`TaskBook.class_units`)
    instead of its own."""
    keys: set[str] | None = None
    if ask.unit and by_class:
        keys = set(book.class_units(ask.unit))
        if not keys:
            return []
    elif ask.unit:
        keys = set(book.match_units(ask.unit))
        if not keys and ask.english:
            bare = " ".join(w for w in ask.unit.split() if fold_chars(w) not in _ENGLISH_FILLER)
            terms = vietnamese_terms(bare)
            keys = set(book.match_units(bare)) or set(book.match_units(terms))
            if not keys and len(parts := terms.split(" ", 1)) == 2:  # "provincial police": "Công an tỉnh"
                keys = set(book.match_units(f"{parts[1]} {parts[0]}"))
        if not keys:
            return []
    try:
        rows = book.tasks(None, ask.start, ask.end) if ask.window else book.tasks()
    except TasksError:
        return []
    rows = [r for r in rows if (keys is None or r.assignment.unit_key in keys) and _fits(r.assignment, ask, filters)]
    if ask.numbered is not None:  # "kế hoạch 46": that plan's tasks or none, not another plan's
        rows = [r for r in rows if _numbered(r.assignment, *ask.numbered)]
    if ask.plan:  # the plans whose title or number holds the words naming it; all when none does
        named = [r for r in rows if set(ask.plan) <= _plan_words(r.assignment)]
        rows = named or rows
    if ask.topic:  # the documents whose title or listed tasks hold the field asked about; all when none does
        said: dict[str, set[str]] = {}
        for r in rows:
            said.setdefault(r.assignment.doc_id, set(_plan_words(r.assignment))).update(
                content_words(r.assignment.task)
            )
        on_topic = [r for r in rows if set(ask.topic) <= said[r.assignment.doc_id]]
        rows = on_topic or rows
    return rows


def _numbered(a: Assignment, kind: str, number: str) -> bool:
    """Whether `a` is of the document numbered `number` ("46", or with its symbol "46/kh-ubnd", folded) and of
    the `kind` asked ("ke hoach"; "" for any): `textmatch.is_numbered`, the same symbol too when one is given."""
    own = a.meta.number or ""
    same_symbol = "/" not in number or number_key(own) == number
    return same_symbol and is_numbered(own, a.meta.kind, [(kind, number.split("/")[0])])


def _plan_words(a: Assignment) -> set[str]:
    return set(words(f"{a.meta.title} {a.meta.number} {a.source}"))


def _chunk_of(a: Assignment, shown_end: int, chunks: Sequence[Chunk]) -> tuple[Chunk, tuple[int, int]] | None:
    """The chunk to cite for a task: the first holding it whole, else the first holding the part shown
    (`a.task[:shown_end]`), else the one holding most of that part; and the task's span within its text."""
    shown = (a.start, a.start + shown_end)
    best: tuple[int, int, Chunk] | None = None
    for c in chunks:
        whole = c.start <= a.start and a.end <= c.end
        holds = c.start <= shown[0] and shown[1] <= c.end
        shared = min(shown[1], c.end) - max(shown[0], c.start)
        rank = 2 if whole else 1 if holds else 0
        if shared > 0 and (best is None or (rank, shared) > (best[0], best[1])):
            best = (rank, shared, c)
        if whole:
            break
    if best is None:
        return None
    c = best[2]
    return c, (max(a.start, c.start) - c.start, min(a.end, c.end) - c.start)


def _due_chunk(a: Assignment, cited: Chunk, chunks: Sequence[Chunk]) -> tuple[Chunk, tuple[int, int]] | None:
    """The chunk that holds a task's deadline wording, and its span there, when `cited` (the task's) does not."""
    due = a.due
    if due is None or not due.text or cited.start <= due.start and due.end <= cited.end:
        return None
    for c in chunks:
        if c.start <= due.start and due.end <= c.end:
            return c, (due.start - c.start, due.end - c.start)
    return None


def _shown_end(task: str) -> int:
    """Where the part of a task that is listed ends: its first sentence, cut at a word past `MAX_TASK_CHARS`."""
    spans = sentence_spans(task)
    end = spans[0][1] if spans else len(task)
    if end > MAX_TASK_CHARS:
        cut = task.rfind(" ", 0, MAX_TASK_CHARS)
        end = cut if cut > MAX_TASK_CHARS // 2 else MAX_TASK_CHARS
    return end


def _says_due(a: Assignment, text: str) -> bool:
    """Whether `text` holds the task's deadline wording ("trước ngày 25/11")."""
    return a.due is not None and bool(a.due.text) and fold_chars(" ".join(a.due.text.split())) in fold_chars(text)


def _shown(a: Assignment, row: TaskRow) -> str:
    """A task as listed: its first sentence (`_shown_end`), the deadline wording when the part shown lacks it,
    and the due date in the window asked when the wording gives no year."""
    task = a.task
    end = _shown_end(task)
    text = " ".join(plain(task[:end]).split()).lstrip("-–+•* ").rstrip(" .;:,")
    more = bool(task[end:].strip())
    due = a.due
    notes = []
    if due is not None and due.text and not _says_due(a, text):
        notes.append(" ".join(due.text.split()))
    if row.dates and (due is None or not YEAR.search(fold_chars(due.text))):
        notes.append(show_day(row.dates[0]))
    note = f" ({': '.join(notes)})" if notes else ""
    return f"{text}{note}{' …' if more else '.'}"


def _without_unit(task: str, unit: str) -> str:
    """A task without the name of its unit that opens it ("Các Sở, ban, ngành và UBND cấp xã, phường nêu cao trách
    nhiệm …" → "Nêu cao trách nhiệm …"): the answer names the unit apart.

    >>> _without_unit("Các Sở, ngành và Công an tỉnh chủ động phối hợp", "Các Sở, ngành và Công an tỉnh")
    'Chủ động phối hợp'
    """
    if unit and fold_chars(task).startswith(fold_chars(unit)) and (rest := task[len(unit) :].lstrip(" :,-–")):
        return rest[:1].upper() + rest[1:]
    return task


def _gist(task: str) -> str:
    """What a task says is done, for the headline: without an opening that names the lead role and its partners.

    >>> _gist("Chủ trì, phối hợp với các cơ quan liên quan rà soát, xác minh đơn thư khiếu nại liên quan đến mỏ")
    'Rà soát, xác minh đơn thư khiếu nại liên quan đến mỏ'
    >>> _gist("Chủ trì, rà soát toàn bộ các mỏ")
    'Rà soát toàn bộ các mỏ'
    >>> _gist("Chủ trì, phối hợp với các sở, ngành liên quan và UBND cấp xã kiểm tra")
    'Chủ trì, phối hợp với các sở, ngành liên quan và UBND cấp xã kiểm tra'
    >>> _gist("Chủ trì, phối hợp với Sở Tài chính rà soát hồ sơ liên quan đến dự án")
    'Chủ trì, phối hợp với Sở Tài chính rà soát hồ sơ liên quan đến dự án'
    """
    m = _PARTNERS.match(task)
    if m is None or (m.group("who") and len(m.group("who").split()) > 12):
        return task
    rest = task[m.end() :]
    if not rest.strip() or re.match(r"(?:và|cùng|với|hoặc)\s", rest, re.IGNORECASE):  # the partners go on
        return task
    return rest[:1].upper() + rest[1:]


def _headline(items: Sequence[tuple[str, int]], lead: str, shown: int = 2) -> str:
    """The answer first: `lead`, then what the first tasks say is done (`_gist`), with their citations, in at
    most `_HEADLINE_WORDS` words: the first task its share of `shown` tasks (all the words when it is alone),
    the next ones what is left; a task cut short ends in "…"."""
    budget = _HEADLINE_WORDS - len(lead.split())
    each = max(_HEADLINE_ITEM_WORDS, budget // max(1, min(shown, len(items))))
    said: list[str] = []
    cited: list[int] = []
    for text, n in items:
        words = headline_item(text).split()
        take = min(len(words), budget if len(said) == shown - 1 else each)
        if take < 3 and said:
            break
        said.append(" ".join(words[:take]) + (" …" if take < len(words) else ""))
        budget -= take
        if n not in cited:
            cited.append(n)
        if budget <= 0:
            break
    body = "; ".join(said)
    return f"{lead} {body} {''.join(f'[{n}]' for n in cited)}.".strip()


def answer(
    ask: DutyAsk,
    book: TaskBook,
    doc_chunks: Callable[[str], Sequence[Chunk]],
    filters: Filters | None,
    lang: str,
) -> ExtractedAnswer | None:
    """The tasks `ask` is about as a cited list, or None when the unit is unknown to `book` or no task matches
    (the ordinary path then answers or abstains)."""
    rows = _rows(ask, book, filters)
    # (not when the unit asked is a class itself: "Các phường của Gò Vấp")
    by_class = (
        not rows and bool(ask.unit) and not book.match_units(ask.unit) and not _A_CLASS.match(fold_chars(ask.unit))
    )
    if by_class:  # "Sở Tư pháp" has no task of its own: those given to "Các Sở, ban, ngành" are its too
        rows = _rows(ask, book, filters, by_class=True)
    chunks_by_doc: dict[str, Sequence[Chunk]] = {}
    shown: list[tuple[TaskRow, Chunk, tuple[int, int]]] = []
    read = 0  # only the documents of the tasks listed are read: a window over an archive matches thousands
    for row in rows:
        if len(shown) == MAX_ITEMS:
            break
        read += 1
        a = row.assignment
        if a.doc_id not in chunks_by_doc:
            chunks_by_doc[a.doc_id] = doc_chunks(a.doc_id)
        if (found := _chunk_of(a, _shown_end(a.task), chunks_by_doc[a.doc_id])) is not None:
            shown.append((row, *found))
    if not shown:
        return None
    hidden = len(rows) - read
    numbers: dict[str, int] = {}
    quotes: dict[str, list[tuple[int, int]]] = {}
    chunk_by_id: dict[str, Chunk] = {}
    groups: dict[str, list[tuple[TaskRow, Chunk, str]]] = {}  # per document: task, its chunk, its day's citation
    for row, chunk, span in shown:
        numbers.setdefault(chunk.chunk_id, len(numbers) + 1)
        quotes.setdefault(chunk.chunk_id, []).append(span)
        chunk_by_id[chunk.chunk_id] = chunk
        also = ""  # the passage its deadline is written in, when another: a letter's one event ("2. Thời gian …")
        if (at := _due_chunk(row.assignment, chunk, chunks_by_doc[row.assignment.doc_id])) is not None:
            due_chunk, due_span = at
            also = f"[{numbers.setdefault(due_chunk.chunk_id, len(numbers) + 1)}]"
            quotes.setdefault(due_chunk.chunk_id, []).append(due_span)
            chunk_by_id[due_chunk.chunk_id] = due_chunk
        groups.setdefault(row.assignment.doc_id, []).append((row, chunk, also))
    units = {row.assignment.unit_key for row, _, _ in shown}
    several = len(units) > 1 or by_class
    # One office of several districts ("Phòng Nội vụ" of Gò Vấp and of Ba Đình): still named in the lead.
    names = {row.assignment.unit_key.partition("@")[0] for row, _, _ in shown}  # the key without its area
    language = "en" if lang == "en" else "vi"
    lines: list[str] = []
    items: list[tuple[str, int]] = []
    said_day = ""
    for entries in groups.values():
        first_row, first_chunk, _ = entries[0]
        label = doc_label(first_chunk.meta, first_chunk.source, lang)
        lines.append(phrase("according_to", lang, label=f"{label} [{numbers[first_chunk.chunk_id]}]"))
        for row, chunk, also in entries:
            a = row.assignment
            n = numbers[chunk.chunk_id]
            unit = display_unit(a.unit)
            who = f"{unit}: " if several and not fold_chars(a.task).startswith(fold_chars(unit)) else ""
            lines.append(f"- {who}{_shown(a, row)} [{n}]{also}")
            # a question about a period: the headline says when each task is due (unless its words say it), a
            # day once for the tasks after it due that day too ("29/05/2026 – Chủ trì: …; Thành phần tham dự: …")
            day = show_day(row.dates[0]) if row.dates and not _says_due(a, a.task) else ""
            items.append(((f"{day} – " if day and day != said_day else "") + _gist(_without_unit(a.task, a.unit)), n))
            said_day = day
    if by_class:
        lead = phrase("duties_of_class", language, unit=ask.unit)
    elif len(names) > 1:
        lead = phrase("duties_several", language)
    else:
        lead = phrase("duties_of", language, unit=display_unit(shown[0][0].assignment.unit))
    if hidden > 0:
        lines.append(phrase("duties_more", language, n=hidden))
    citations = [Citation.from_chunk(numbers[cid], chunk_by_id[cid], 0.0, quotes[cid]) for cid in numbers]
    period = any(row.dates for row, _, _ in shown)  # due dates and short names: three tasks, else two
    return ExtractedAnswer("\n".join([_headline(items, lead, 3 if period else 2), *lines]), False, citations)
