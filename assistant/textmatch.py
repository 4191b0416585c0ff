"""Word-level matching of questions against passages: content terms, coverage, values, entities (word lists
and sentence spans: `index.text`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from assistant.crosslingual import vietnamese_terms
from index.normalize import fold, tokenize
from index.syllables import is_syllable
from index.text import ENGLISH_MARKERS, QUESTION_STOPWORDS, VIETNAMESE_MARKERS

# Share of a question's words that are no Vietnamese syllable (typed without accents, a few still fail: "quyen",
# "nhieu" lack their circumflex; ≤ 0.17 on the eval's unaccented questions) above which it is English.
_FOREIGN_SHARE = 0.4
# Letters of the Vietnamese alphabet beyond ASCII (not any non-ASCII character: °, –, ü occur in English).
_VI_LETTERS = re.compile("[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE)


def detect_language(question: str) -> str:
    """'en' for English questions, else 'vi': Vietnamese letters mean Vietnamese; without them, English
    function words mean English when there are enough of them and more than Vietnamese ones.

    >>> detect_language("Ai ky the nao?"), detect_language("Doctor Who la ai?"), detect_language("Who is it?")
    ('vi', 'vi', 'en')
    >>> detect_language("Summarize decision 1696."), detect_language("Tom tat quyet dinh 1696")
    ('en', 'vi')
    """
    if _VI_LETTERS.search(unicodedata.normalize("NFC", question)):
        return "vi"
    toks = re.findall(r"[a-z]+", question.lower())
    english = sum(1 for t in toks if t in ENGLISH_MARKERS)
    vietnamese = sum(1 for t in toks if t in VIETNAMESE_MARKERS)
    if english >= max(1, len(toks) // 8) and english > vietnamese:
        return "en"
    # Few function words, but mostly words no Vietnamese syllable is spelled like ("Under Lao Cai's plan
    # implementing Directive …, which body leads the inspections …"): English.
    words = [t for t in toks if len(t) >= 2]
    foreign = sum(1 for t in words if not is_syllable(t))
    # (An imperative may have no function word at all: "Summarize decision 1696.")
    no_function_words = english == vietnamese == 0 and len(words) >= 2
    return "en" if (english > vietnamese or no_function_words) and foreign >= _FOREIGN_SHARE * len(words) else "vi"


# Question frames (folded syllables): they ask *for* something and are not words to look for.
_FRAMES = [
    f.split()
    for f in (
        "chiu trach nhiem",
        "co trach nhiem",
        "phu trach",
        "dam nhiem",
        "co nhiem vu",
        "lam dau moi",
        "lam gi",
        "la gi",
        "nhu the nao",
        "the nao",
        "ra sao",
        "bao gom",
        "bao nhieu",
        "khi nao",
        "o dau",
        "nhung viec",
        "duoc giao",
        "cho biet",
        "co biet",
        "muon biet",
        "biet khong",
        "noi dung gi",
        "noi dung nao",
        "nhung noi dung",
        "nhu sau",
        "duoc nhac toi",
        "duoc nhac den",
        "nhac toi",
        "nhac den",
        "de cap",
        "cac van ban",
        "van ban nao",
        "tai lieu nao",
        "cac tai lieu",
        "trong van ban",
        "thi sao",
        "the con",
    )
]


def is_list_question(question: str) -> bool:
    """Whether a question asks for several things ("những gì", "các … nào", "what are")."""
    f = f" {fold(question)} "
    return any(m in f for m in (" nhung ", " cac ", " gom ", " nao ", " what are ", " which ", " list "))


def _drop_frames(tokens: list[str]) -> list[str]:
    folded = [fold(t) for t in tokens]
    keep = [True] * len(tokens)
    for frame in _FRAMES:
        n = len(frame)
        for i in range(len(tokens) - n + 1):
            if folded[i : i + n] == frame:
                keep[i : i + n] = [False] * n
    return [t for t, k in zip(tokens, keep, strict=True) if k]


def lexical_query(question: str) -> str:
    """The question without its frame ("Ai chịu trách nhiệm …?" → "… "): what BM25 should look for."""
    return " ".join(_drop_frames(tokenize(question)))


@dataclass(frozen=True)
class SearchQueries:
    """What each side searches for one question: built once, used by the engine and the benchmark."""

    match: str  # the words answers are matched against: accents restored, or the glossary's Vietnamese terms
    dense: str  # what the embedder sees: the restored text, or the English question itself
    lexical: tuple[str, ...]  # what BM25 searches, one list each; () searches nothing
    restored: bool  # accents were guessed by us


def search_queries(
    question: str, lang: str, restore: Callable[[str], str], known_words: Callable[[str], str]
) -> SearchQueries:
    """The queries of `question` ('vi' or 'en'); `restore` guesses missing accents, `known_words` keeps the
    syllables the corpus has.

    English: the dense side is multilingual and gets the question; BM25 and the answerer get its glossary
    terms (none found: no BM25, rather than BM25 on English words). Vietnamese typed without accents: the
    dense side needs them restored (the answerer too, softly); BM25 searches the terms as typed, which match
    the index's folded copies, and, as a second list of equal weight, the restored ones: a right guess
    ("ai ky" → "ai ký") tells ký from kỳ, a wrong one ("đội" → "đối") only counts half.

    >>> search_queries("Ai ky ke hoach?", "vi", lambda q: "ai ký kế hoạch", str).lexical
    ('ai ky ke hoach', 'ai ký kế hoạch')
    """
    if lang == "en":
        match = known_words(vietnamese_terms(question))
        return SearchQueries(match, question, tuple(t for t in [lexical_query(match)] if t), False)
    match = restore(question)
    restored = match != question
    lexical = dict.fromkeys([lexical_query(question), lexical_query(match) if restored else ""])
    return SearchQueries(match, match, tuple(t for t in lexical if t), restored)


def content_terms(question: str) -> list[str]:
    """Distinct content syllables of a question, in order (frames, stopwords and punctuation dropped)."""
    out: list[str] = []
    for t in _drop_frames(tokenize(question)):
        if t not in QUESTION_STOPWORDS and fold(t) not in QUESTION_STOPWORDS and t not in out:
            out.append(t)
    return out


_DOCNO = re.compile(r"\b\d{1,5}\s*[/-]\s*[A-ZĐ]{1,6}(?:[/-][A-ZĐ0-9]{1,8})*\b")
_REFERENCE_WEIGHT = 0.15
# A document's kind before its number: "Quyết định (số) 1696/QĐ-UBND", "Kế hoạch 08/KH-UBND", "văn bản số …".
_NAMED_DOCUMENT = re.compile(
    r"(?i:\b(?:quyết định|kế hoạch|công văn|văn bản|báo cáo|thông báo|nghị quyết|chỉ thị|tờ trình|hướng dẫn|"
    r"quy chế(?: phối hợp)?|thông tư|nghị định|quyet dinh|ke hoach|cong van|van ban|bao cao|thong bao|nghi quyet|"
    r"chi thi|to trinh)\s+)?(?i:(?:số|so)\s*:?\s*)?(?P<number>" + _DOCNO.pattern + ")"
)


def document_numbers(question: str) -> list[str]:
    """Documents' numbers and symbols a question names ("1696/QĐ-UBND").

    >>> document_numbers("Quyết định 1696/QĐ-UBND của UBND tỉnh Lào Cai ủy quyền cho ai?")
    ['1696/QĐ-UBND']
    """
    return [m.group(0) for m in _DOCNO.finditer(question)]


# A document named by its kind and a bare number ("Quyết định 1696", "kế hoạch số 46"), not a year ("kế hoạch 2025").
_KIND_NUMBER = re.compile(
    r"(?i:\b(?P<kind>quyết định|kế hoạch|công văn|thông báo|quyet dinh|ke hoach|cong van|thong bao|decision|plan|"
    r"official letter|letter|notice)\s+"
    r"(?:(?:số|so)\s*:?\s*)?)(?P<number>(?!(?:19|20)\d\d(?!\d))\d{1,5})(?![\d/-]|\.\d|\s*/)"
)


_ENGLISH_KINDS = {
    "decision": "quyet dinh",
    "plan": "ke hoach",
    "official letter": "cong van",
    "letter": "cong van",
    "notice": "thong bao",
}


def numbered_documents(question: str) -> list[tuple[str, str]]:
    """Documents a question names by kind and a bare number, as (folded kind, number): a document's number without
    its symbol ("Quyết định 1696 ủy quyền cho ai?"); a year is none.

    >>> numbered_documents("Quyết định 1696 ủy quyền cho ai? Kế hoạch 2025 thì sao?")
    [('quyet dinh', '1696')]
    >>> numbered_documents("Who signed decision 1696?"), numbered_documents("Tóm tắt quyết định 1696.")
    ([('quyet dinh', '1696')], [('quyet dinh', '1696')])
    """
    kinds = (" ".join(fold(m["kind"]).split()) for m in _KIND_NUMBER.finditer(question))
    numbers = (m["number"] for m in _KIND_NUMBER.finditer(question))
    return [(_ENGLISH_KINDS.get(k, k), n) for k, n in zip(kinds, numbers, strict=True)]


def is_numbered(number: str, kind: str, named: Iterable[tuple[str, str]]) -> bool:
    """Whether a document of `number` ("1696/QĐ-UBND") and `kind` ("QUYẾT ĐỊNH") is one of `named`
    (`numbered_documents`): the same number before its symbol, and the same kind when both are known (a kind of
    "" is any: "văn bản 46")."""
    lead = re.match(r"\s*0*(\d+)\s*/", number or "")
    if lead is None:
        return False
    own_kind = " ".join(fold(kind or "").split())
    return any(lead.group(1) == n.lstrip("0") and (not own_kind or not k or own_kind == k) for k, n in named)


def number_key(number: str) -> str:
    """A document number as compared: folded, without spaces ("193/UBND-KT" ~ "193/ UBND-KT")."""
    return re.sub(r"\s+", "", fold(number))


def reference_terms(question: str, numbers: Iterable[str]) -> set[str]:
    """Folded words of the question that name one of the documents `numbers` by its number: kind and number.

    >>> sorted(reference_terms("Quyết định 1696/QĐ-UBND của UBND tỉnh Lào Cai ủy quyền cho ai?", ["1696/QĐ-UBND"]))
    ['1696', 'dinh', 'qd', 'quyet', 'ubnd']
    >>> reference_terms("Kết luận 22-KL/TW được nhắc ngày nào?", ["1186-TB/TU"])
    set()
    >>> sorted(reference_terms("Quyết định 1696 ủy quyền cho ai?", ["1696/QĐ-UBND"]))
    ['1696', 'dinh', 'quyet']
    """
    known = {number_key(n) for n in numbers if n}
    leads = {lead.group(1) for n in numbers if n and (lead := re.match(r"\s*0*(\d+)\s*/", n))}
    return {
        fold(t)
        for m in _NAMED_DOCUMENT.finditer(question)
        if number_key(m.group("number")) in known
        for t in tokenize(m.group(0))
    } | {  # "Quyết định 1696" for "1696/QĐ-UBND"
        fold(t)
        for m in _KIND_NUMBER.finditer(question)
        if m["number"].lstrip("0") in leads
        for t in tokenize(m.group(0))
    }


class TermMatcher:
    """Scores how much of a question a text covers, weighting terms by inverse document frequency."""

    def __init__(
        self,
        question: str,
        idf: Callable[[str], float],
        soft: bool = False,
        focus: str | None = None,
        indexed_numbers: Iterable[str] = (),
    ) -> None:
        # soft: accents were restored by guesswork, so a match without accents still counts in part.
        self.soft = soft
        self.question = question
        self.terms = content_terms(question)
        # Accented terms must match exactly; unaccented ones match any accent ("quy" ~ "quý").
        self.keys = [(fold(t), t != fold(t), t) for t in self.terms]
        # Terms outside `focus` (names inherited from earlier turns) are context: half weight. The words naming an
        # indexed document by its number (`indexed_numbers`: "Quyết định 1696/QĐ-UBND") say which document, not
        # what a passage must say: its own header and every "Kèm theo Quyết định số 1696/QĐ-UBND" would otherwise
        # answer any question about it. A document it cites ("Kết luận 22-KL/TW được nhắc …") keeps its weight.
        in_focus = {fold(t) for t in content_terms(focus)} if focus else None
        reference = reference_terms(question, indexed_numbers)
        self.weights = [
            max(idf(fold(t)), 0.1)
            * (1.0 if in_focus is None or fold(t) in in_focus else 0.5)
            * (_REFERENCE_WEIGHT if fold(t) in reference else 1.0)
            for t in self.terms
        ]
        self.total = sum(self.weights) or 1.0

    def coverage(self, text: str) -> float:
        """Weighted share of the question's content terms present in `text` (0..1)."""
        if not self.terms:
            return 0.0
        toks = tokenize(text)
        exact = set(toks)
        folded = {fold(t) for t in toks}
        got = 0.0
        for (f, accented, t), w in zip(self.keys, self.weights, strict=True):
            if (t in exact) if accented else (f in folded):
                got += w
            elif self.soft and f in folded:
                got += 0.6 * w
        return got / self.total

    def first_term(self, text: str) -> int:
        """Offset in `text` of the first occurrence of a question term (-1 when none occurs)."""
        folded = fold(text)
        found = [m.start() for f, _, _ in self.keys for m in [re.search(rf"(?<!\w){re.escape(f)}(?!\w)", folded)] if m]
        return min(found, default=-1)

    def bigram_bonus(self, text: str) -> float:
        """Share of adjacent question-term pairs that stay adjacent in `text` (Vietnamese words span syllables)."""
        pairs = [(self.keys[i][0], self.keys[i + 1][0]) for i in range(len(self.keys) - 1)]
        if not pairs:
            return 0.0
        ftoks = [fold(t) for t in tokenize(text)]
        have = set(zip(ftoks, ftoks[1:], strict=False))
        return sum(1 for p in pairs if p in have) / len(pairs)


_PLACE = re.compile(
    r"\b(?:quận|huyện|phường|xã|thị xã|thành phố|tỉnh|tp\.?|quan|huyen|phuong|thanh pho|tinh)\s+"
    r"((?:[A-ZĐÀ-Ỹ0-9][\wÀ-ỹ]*)(?:\s+[A-ZĐÀ-Ỹ][\wÀ-ỹ]*){0,3})",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<!\d:)\b(19[5-9]\d|20\d\d)\b")  # not a standard's edition ("ISO 9001:2000")
# "Phòng Nội vụ", "Ban Dân vận", "Văn phòng UBND": a capitalised word, then at most one lower-case one.
_UNIT = re.compile(r"\b(?:Phòng|Ban|Văn phòng|Thanh tra|Ủy ban|Quận ủy|Thành ủy)\s+[A-ZĐÀ-Ỹ][\wÀ-ỹ]*(?:\s+[a-zđà-ỹ]+)?")


# Capitalised words that start another name, not continue a place ("quận Ba Đình Phòng Nội vụ").
_NOT_PLACE = frozenset(
    "Phòng Ban UBND Ủy Uỷ Văn Thanh Thành Quận Sở Mặt MTTQ Chủ Bí".split()
    + "Quan Huyen Phuong Tinh Xa Phong Uy So".split()  # the same, typed without accents ("Phuong 14 Quan 4")
)


def _place_matches(text: str) -> list[tuple[str, str]]:
    """(marker, name) of named places; in a properly cased text the name stops at the first lower-case word."""
    out = []
    # Names must be capitalised: in lower-case text "quan"/"phuong" are as often "quan trọng"/"phương".
    for m in _PLACE.finditer(text):
        keep = []
        for w in m.group(1).split():
            if not (w[0].isupper() or w[0].isdigit()) or w in _NOT_PLACE:
                break
            keep.append(w)
        words = keep
        if words:
            marker = m.group(0)[: m.start(1) - m.start(0)].strip()
            out.append((marker, " ".join(words)))
    return out


def places(question: str) -> list[str]:
    """Named places in a question ("Cầu Giấy" from "quận Cầu Giấy")."""
    return [name for _, name in _place_matches(question)]


# Administrative levels of the place markers: a province or city holds districts, a district holds wards.
_LEVELS = {
    **dict.fromkeys(("tỉnh", "tinh", "thành phố", "thanh pho", "tp", "tp."), 1),
    **dict.fromkeys(("quận", "quan", "huyện", "huyen", "thị xã"), 2),
    **dict.fromkeys(("phường", "phuong", "xã"), 3),
}
# Words naming a document or an issuing body (folded): with one of them, a place can say whose document is asked
# about ("Kế hoạch … của tỉnh Lạng Sơn", "UBND quận Ba Đình giao …"), not only what a passage is about.
_DOCUMENT_WORDS = re.compile(
    r"\b(?:ke hoach|bao cao|quyet dinh|cong van|van ban|chi thi|thong bao|nghi quyet|to trinh|bien ban|"
    r"huong dan|chuong trinh|ubnd|uy ban|quan uy|huyen uy|tinh uy|thanh uy|dang uy|hdnd|plan|report|decision)\b"
)
# What makes a named place the owner of the document rather than its subject (folded): "của tỉnh X" before it,
# an issuing body ("UBND quận X", "Ủy ban nhân dân tỉnh X") before it, "ban hành"/"ký" after it.
_OWNER_BEFORE = re.compile(r"(?:\bcua|\bubnd|\buy ban nhan dan|\bhdnd|\bhoi dong nhan dan)\s*$")
_OWNER_AFTER = re.compile(r"^\s*(?:da\s+)?(?:ban hanh|ky)\b")


def document_places(question: str) -> list[str]:
    """The place whose documents a question asks for: a place it names as a document's owner ("kế hoạch … của
    tỉnh Lạng Sơn", "UBND quận Ba Đình", "huyện X ban hành …") when it also names a document or an issuing body;
    of several, the highest level ("tỉnh" over "phường"). A place named otherwise may be what a passage is
    about, in a document issued by someone else: it is not checked against the issuer.

    >>> document_places("Kế hoạch năm 2023 của tỉnh Lạng Sơn giao phường Chi Lăng làm gì?")
    ['Lạng Sơn']
    >>> document_places("Mỏ đá xã Yên Thành do công ty nào khai thác, theo biên bản?")
    []
    """
    if not _DOCUMENT_WORDS.search(fold(question)):
        return []
    found = []
    for m in _PLACE.finditer(question):
        matched = _place_matches(m.group(0))
        if not matched:
            continue
        marker, name = matched[0]
        end = m.start() + len(marker) + 1 + len(name)
        if _OWNER_BEFORE.search(fold(question[: m.start()])) or _OWNER_AFTER.search(fold(question[end:])):
            found.append((_LEVELS.get(marker.lower(), 2), name))
    if not found:
        return []
    top = min(level for level, _ in found)
    return list(dict.fromkeys(name for level, name in found if level == top))


# What kind of value a question asks for, when it asks for a value: an amount of money, a date, a number.
_ASKS_AMOUNT = re.compile(
    r"\b(?:bao nhiêu|mấy|bao xa|bao lâu|how much|how many|how far|how long)\b"
    r"|\bwhat (?:is|was|are|were) the (?:total |overall |planned )?(?:investment|budget|cost|capital|funding|area|size"
    r"|scale|number)\b"
)
# Questions whose unit is in the question word: a distance ("cách … bao xa?"), a duration ("trong bao lâu?").
_MEASURES = (
    (re.compile(r"\b(?:bao xa|how far)\b"), r"k?m|met|ki-?lo-?met"),
    (re.compile(r"\b(?:bao lau|how long)\b"), r"nam|thang|ngay|tuan|gio|phut|years?|months?|days?"),
)
_MONEY_WORDS = re.compile(
    r"\b(?:kinh phí|vốn|ngân sách|tiền|chi phí|lương|mức đầu tư|giá trị|ký quỹ|phí|lệ phí|thuế|budget|cost|funding|"
    r"funds|capital|salary|money|investment|deposit|fees?|tax(?:es)?)\b"
)
_ASKS_DATE = re.compile(
    r"\b(?:khi nào|bao giờ|lúc nào|ngày nào|ngày mấy|tháng nào|năm nào|thời điểm nào|thời hạn|hạn chót|hạn gửi|"
    r"hạn nộp|when|what date|which date|deadline)\b"
)
# The values, in folded text: an amount with its unit (or spelled out), a date or period, any number.
_MONEY_VALUE = re.compile(
    r"\d[\d.,]*\s*(?:dong|trieu|ty|ti|nghin|ngan|usd|vnd|d)\b|\b(?:tram|muoi|nghin|trieu)\b.{0,60}\b(?:ty|trieu|dong)\b"
)
_DATE_VALUE = re.compile(
    r"\d{1,2}\s*[/.-]\s*\d{1,2}|\bngay\s+\d|\bthang\s+\d|\bquy\s+(?:[ivx]+|\d)\b|\b(?:19|20)\d\d\b"
)
_NUMBER_VALUE = re.compile(r"\d")
# A document's number and symbol, folded ("93/2007/qd-ttg", "17-ctr/tu"): a letter after the digits, not a date.
_REFERENCE_VALUE = re.compile(r"\b\d+(?:[-/.]\d+)*[-/][a-z][\w./-]*")
_VALUE_PATTERNS = {"money": _MONEY_VALUE, "date": _DATE_VALUE, "reference": _REFERENCE_VALUE}


def answer_type(question: str) -> str | None:
    """'money', 'date' or 'number' when the question asks for such a value ("kinh phí … bao nhiêu?", "hạn gửi
    … khi nào?", "bao nhiêu đơn?"), else None: a passage that does not state one does not answer it.

    >>> answer_type("Kinh phí thực hiện kế hoạch là bao nhiêu?"), answer_type("Hạn gửi báo cáo là khi nào?")
    ('money', 'date')
    >>> answer_type("Quận có bao nhiêu phường?"), answer_type("Ai ký kế hoạch?")
    ('number', None)
    >>> answer_type("What is the total investment of the project?"), answer_type("What is the area of the park?")
    ('money', 'number')
    >>> answer_type("Vốn góp chiếm bao nhiêu phần trăm?"), answer_type("Kinh phí là bao nhiêu tỷ đồng?")
    ('number', 'money')
    >>> answer_type("Dự án phải ký quỹ bao nhiêu?"), answer_type("How much is the deposit?")
    ('money', 'money')
    """
    q = unicodedata.normalize("NFC", question).lower()
    if _ASKS_AMOUNT.search(q):
        counted = _COUNTED.search(fold(q))  # "vốn góp chiếm bao nhiêu phần trăm": a share, not money
        if counted and counted.group(1) not in _MONEY_UNITS:
            return "number"
        return "money" if _MONEY_WORDS.search(q) else "number"
    return "date" if _ASKS_DATE.search(q) else None


def value_position(text: str, kind: str) -> int:
    """Offset in `text` of the first value of `kind` it states (`states_value`), or -1."""
    pattern = _VALUE_PATTERNS.get(kind, _NUMBER_VALUE)
    m = pattern.search(fold(text))  # fold keeps one letter per letter of NFC text: the offsets hold
    return m.start() if m else -1


def states_value(text: str, kind: str) -> bool:
    """Whether `text` states a value of `kind` (`answer_type`): an amount of money with its unit, a date or
    period ("25/11", "ngày 16 tháng 01", "quý II/2026", "năm 2025"), a number, a document's number and symbol
    ("reference": "Chương trình số 17-CTr/TU", not "ngày 25/11").

    >>> states_value("Tổng vốn đầu tư: 3.277 tỷ đồng.", "money"), states_value("Theo Điều 51 Luật.", "money")
    (True, False)
    >>> states_value("Thực hiện Chương trình số 17-CTr/TU.", "reference"), states_value("trước 25/11", "reference")
    (True, False)
    """
    return value_position(text, kind) >= 0


# A document's dateline: its place, then its date of issue ("Gia Lai, ngày 10 tháng 01 năm 2023", "Lào Cai, ngày
# tháng 5 năm 2026" with the day left blank for the signature).
_DATELINE = re.compile(r"(\S+(?: \S+){0,3}),\s*ngày\s*(?:\d{1,2})?\s*tháng\s*(?:\d{1,2})?\s*năm\s*\d{4}", re.I)


# The date of a document cited by its number: "Kế hoạch phối hợp số 03-KH/BDVTU-BCSĐ ngày 12/12/2022".
_CITED_DATE = re.compile(
    _DOCNO.pattern + r"\s*,?\s*(?:ngày|ngay)\s*\d{1,2}\s*(?:[/.-]|tháng|thang)\s*\d{1,2}\s*(?:[/.-]|năm|nam)\s*\d{4}"
)


def without_datelines(text: str, keep: Iterable[str] = ()) -> str:
    """`text` without its datelines (a place in capitals, a comma, "ngày … tháng … năm …") and the dates of the
    documents it cites by number, but those of the numbers to `keep` (the documents a question asks the date of):
    when a document was issued does not answer when something is due.

    >>> without_datelines("Độc lập - Tự do - Hạnh phúc Gia Lai, ngày 10 tháng 01 năm 2023 KẾ HOẠCH")
    'Độc lập - Tự do - Hạnh phúc  KẾ HOẠCH'
    >>> without_datelines("Hội nghị họp tại trụ sở, ngày 10 tháng 01 năm 2023.")
    'Hội nghị họp tại trụ sở, ngày 10 tháng 01 năm 2023.'
    >>> without_datelines("Triển khai Kế hoạch số 03-KH/BDVTU ngày 12/12/2022 của Ban Dân vận Tỉnh ủy.")
    'Triển khai Kế hoạch số   của Ban Dân vận Tỉnh ủy.'
    """

    kept = {number_key(n) for n in keep}

    def cited(m: re.Match[str]) -> str:
        number = _DOCNO.match(m.group(0))
        return m.group(0) if number and number_key(number.group(0)) in kept else " "

    return _CITED_DATE.sub(cited, _DATELINE.sub(_dropped_dateline, text))


def _dropped_dateline(m: re.Match[str]) -> str:
    """A `_DATELINE` match without its dateline: the place is the words in capitals just before the comma ("…
    Hạnh phúc | Gia Lai,"); unchanged when there are none ("họp tại trụ sở, ngày …" is a statement)."""
    words = m.group(1).split()
    n = len(words)
    while n and (words[n - 1][:1].isupper() or words[n - 1][:1].isdigit()):
        n -= 1
    return m.group(0) if n == len(words) else " ".join(words[:n]) + (" " if n else "")


def is_dateline(text: str) -> bool:
    """Whether `text` is a document's dateline and what is printed around it (the motto, the kind of document in
    capitals), with no statement of its own: it says when and where the document was issued, which its citation
    shows, and answers nothing else.

    >>> is_dateline("Phú Yên, ngày 14 tháng 11 năm 2013 KẾ HOẠCH")
    True
    >>> is_dateline("Hội nghị họp tại trụ sở, ngày 10 tháng 01 năm 2023.")
    False
    """
    rest = _DATELINE.sub(_dropped_dateline, text)
    if rest == text:
        return False
    said = [w for w in re.findall(r"\w+", rest) if not w.isupper() and not w.isdigit()]
    return len(said) < 3 or fold(" ".join(said)).startswith("doc lap tu do hanh phuc")


# The unit a count is asked in ("bao nhiêu héc-ta", "mấy phường"), folded: the first syllable after the question
# word; a few units are written otherwise in documents.
_COUNTED = re.compile(r"\b(?:bao nhieu|may)\s+([a-z]+(?:-[a-z]+)?)")
_MONEY_UNITS = frozenset({"dong", "ty", "trieu", "nghin", "ngan", "tien", "usd", "vnd"})
_UNIT_SPELLINGS = {"hec-ta": r"ha|hec-?\s?ta", "hecta": r"ha|hec-?\s?ta", "phan": r"%|phan tram", "ty": r"ty|%"}


def value_unit(question: str) -> str | None:
    """The unit a question counts in, as a pattern over folded text: "bao nhiêu héc-ta" → "ha|hec-?\\s?ta",
    "có mấy phường" → "phuong"; None when it asks "bao nhiêu" alone ("… là bao nhiêu?").

    >>> value_unit("Có mấy phường?"), value_unit("Tổng vốn là bao nhiêu?"), states_count("60 ha", value_unit("Mấy ha?"))
    ('phuong', None, True)
    >>> states_count("nhà dân (320 m) đảm bảo", value_unit("Vị trí nổ mìn cách nhà dân bao xa?"))
    True
    """
    folded = fold(question)
    for asks, unit in _MEASURES:
        if asks.search(folded):
            return unit
    m = _COUNTED.search(folded)
    if m is None or m.group(1) in QUESTION_STOPWORDS:
        return None
    return _UNIT_SPELLINGS.get(m.group(1), re.escape(m.group(1)))


def states_count(text: str, unit: str) -> bool:
    """Whether `text` states a number in `unit` (`value_unit`): "diện tích 60,0 ha", "16 phường", "40%".

    >>> states_count("Quy mô thực hiện: 60,0 ha.", "ha|hec-?\\s?ta"), states_count("Quyết định số 866/QĐ-TTg", "ha")
    (True, False)
    """
    return re.search(rf"\d[\d.,]*\s*(?:{unit})(?![a-z])", fold(text)) is not None


_YEAR_RANGE = re.compile(r"\b((?:19|20)\d\d)\s*[-–]\s*((?:19|20)\d\d)\b")


def document_years(question: str) -> list[str]:
    """The years a question asks documents to be of: single years, and periods as "2021-2026" ("nhiệm kỳ
    2021-2026", "giai đoạn 2016-2020": a document of any year in it fits, not only of its ends).

    >>> document_years("Quy chế làm việc nhiệm kỳ 2021-2026 ban hành năm 2022?")
    ['2021-2026', '2022']
    """
    periods = [(m.start(), f"{m.group(1)}-{m.group(2)}") for m in _YEAR_RANGE.finditer(question)]
    inside = {i for m in _YEAR_RANGE.finditer(question) for i in range(m.start(), m.end())}
    single = [(m.start(), m.group(1)) for m in _YEAR.finditer(question) if m.start() not in inside]
    return [y for _, y in sorted(periods + single)]


# Questions asking what is done or how ("ra sao", "thế nào", "những gì", "làm gì", "kết quả gì"), folded.
_ASKS_CONTENT = re.compile(r"\b(?:ra sao|the nao|nhu the nao|nhung gi|lam gi|gi|nhung viec|ket qua|how|what)\b")
_ASKS_RESULTS = re.compile(r"\b(?:ket qua|dat duoc|thanh tich|noi bat|results?|achieved)\b")
# A sentence that only cites another document ("Thực hiện Quyết định số 6830/QĐ-UBND …", "Căn cứ Kế hoạch …").
_REFERENCE = re.compile(
    r"^\W*(?:can cu|thuc hien|trien khai thuc hien|trien khai|theo|tren co so)\b.{0,80}?"
    r"\b(?:quyet dinh|ke hoach|chi thi|nghi quyet|cong van|thong tri|chuong trinh|ket luan|quy dinh|luat)\b"
    r"(?:\s+\w+){0,3}?\s+(?:so\s+)?\d"
)
# Words of sentences that report results: figures aside, what was achieved.
_RESULT_WORDS = re.compile(r"\b(?:dat|tang|giam|hoan thanh|trao|khen thuong|giai quyet)\b")


def asks_content(question: str) -> tuple[bool, bool]:
    """(content, results): whether a question asks what is done or how, and whether it asks for results.

    >>> asks_content("Quận Đống Đa năm 2019 có kết quả gì nổi bật về dân vận khéo?")
    (True, True)
    >>> asks_content("Ai ký kế hoạch?")
    (False, False)
    """
    f = fold(question)
    return bool(_ASKS_CONTENT.search(f)), bool(_ASKS_RESULTS.search(f))


# A question asking why (folded): "Vì sao …?", "… nêu lý do gì?", "Tại sao …?", "Why …?".
_ASKS_REASON = re.compile(
    r"\b(?:vi sao|tai sao|ly do|do dau|why|for what reason|what (?:is|was|are|were) the reasons?)\b"
)
# A clause that gives a cause (lower case, with its marks: folded, "vì" would be the "vị" of "đơn vị"), or a lack
# that is one ("không thuộc thẩm quyền", "chưa đáp ứng"); "vì vậy" is a consequence.
_CAUSE = re.compile(
    r"(?<!\w)(?:vì(?! vậy| thế)|bởi vì|bởi lẽ|lý do|nguyên nhân|do (?:chưa|không|thiếu|còn)|không thuộc|chưa đủ"
    r"|không đủ|chưa đáp ứng|không đáp ứng|không phù hợp|chưa phù hợp|chưa được|không được phép|không còn)(?!\w)"
)
# A clause that draws a consequence from the one before it: "Do đó, … Sở Công Thương từ chối thẩm định …".
_CONSEQUENCE = re.compile(r"^\W*(?:do đó|vì vậy|vì thế|vì lẽ đó|bởi vậy|cho nên|như vậy)(?!\w)")


def asks_reason(question: str) -> bool:
    """Whether a question asks why ("Công văn … nêu lý do gì?", "Vì sao Sở … từ chối thẩm định?").

    >>> asks_reason("Vì sao Sở Công Thương từ chối thẩm định?"), asks_reason("Ai ký công văn?")
    (True, False)
    """
    return bool(_ASKS_REASON.search(fold(question)))


def states_cause(clause: str) -> bool:
    """Whether a clause gives a cause ("… không thuộc thẩm quyền của Sở Công Thương", "vì hồ sơ chưa đủ").

    >>> states_cause("thẩm quyền thẩm định không thuộc thẩm quyền của Sở Công Thương")
    True
    >>> states_cause("Vì vậy, đề nghị các đơn vị thực hiện."), states_cause("các đơn vị thực hiện")
    (False, False)
    """
    return bool(_CAUSE.search(unicodedata.normalize("NFC", clause).lower()))


def draws_consequence(clause: str) -> bool:
    """Whether a clause draws a consequence from the one before it ("Do đó, …", "Vì vậy, …")."""
    return bool(_CONSEQUENCE.search(unicodedata.normalize("NFC", clause).lower()))


# The number of a heading or item ("II.", "2.4.", "a)"), as headings are compared without it.
HEADING_NUMBER = re.compile(r"^\s*(?:[IVXLC]+|\d+(?:\.\d+)*|[a-zđ])[.)]\s*", re.IGNORECASE)


def names_heading(question: str, heading: str) -> bool:
    """Whether a question says a section's heading (its number aside) as a phrase: "… có ý kiến gì về lĩnh vực
    lâm nghiệp …" names "2.4. Lĩnh vực lâm nghiệp"; what is asked is that section's.

    >>> names_heading("Sở có ý kiến gì về lĩnh vực lâm nghiệp?", "2.4. Lĩnh vực lâm nghiệp")
    True
    >>> names_heading("Sở có ý kiến gì về lĩnh vực lâm nghiệp?", "2.6. Ý kiến khác")
    False
    >>> names_heading("Trách nhiệm của nhà đầu tư dự án là gì?", "3. Nhà đầu tư")
    False
    >>> names_heading("Mục đích của kế hoạch là gì?", "I. Mục đích – Yêu cầu")
    True
    """
    asked = " ".join(tokenize(fold(question)))
    # A heading of several things names each ("I. Mục đích – Yêu cầu" is named by "Mục đích … là gì?").
    for part in re.split(r"\s*[,;–—]\s*|\s+-\s+|\s+và\s+", HEADING_NUMBER.sub("", heading)):
        words = [fold(t) for t in tokenize(part)]
        if not content_terms(" ".join(words)):
            continue
        phrase = r"\s+".join(re.escape(w) for w in words)
        # said as a phrase, and not as the owner or partner of what is asked ("Trách nhiệm của nhà đầu tư …" does
        # not name "3. Nhà đầu tư"; "… phối hợp với Phòng Nội vụ …" does not name "1. Phòng Nội vụ")
        if re.search(rf"(?<!\bcua )(?<!\bcho )(?<!\bvoi )(?<!\w){phrase}(?!\w)", asked):
            return True
    return False


def cites_only(sentence: str) -> bool:
    """Whether a sentence opens by citing another document ("Thực hiện Quyết định số 6830/QĐ-UBND …"): the
    ground of a plan, not what it says to do."""
    return bool(_REFERENCE.search(fold(sentence)))


_FIGURE = re.compile(r"(?<![\d/.,-])(?!(?:19|20)\d\d\b)\d[\d.,]*%?(?![\d/-])(?:\s+(?!thang\b|nam\b)[a-z]|%)")


def reports_results(sentence: str) -> bool:
    """Whether a sentence reports results: a figure (a count or share, not a date or a year: "230 mô hình",
    "40%"), or what was achieved, solved or awarded.

    >>> reports_results("Năm 2019, đã có 103 tập thể đăng ký 230 mô hình.")
    True
    >>> reports_results("Sáng 13/12, Quận ủy tổ chức Tổng kết công tác dân vận năm 2019.")
    False
    """
    f = fold(sentence)
    return bool(_FIGURE.search(f)) or bool(_RESULT_WORDS.search(f))


_MARKUP = re.compile(r"(?<![\w*_])[*_]{1,2}(?=\S)|(?<=\S)[*_]{1,2}(?![\w*_])|^\s*[-+•]\s+")


def plain(text: str) -> str:
    """Text as a quote shows it: markdown emphasis ("(*qua Phòng Nội vụ*)") and a leading bullet dropped.

    >>> plain("- về UBND quận (*qua Phòng Nội vụ*)")
    'về UBND quận (qua Phòng Nội vụ)'
    """
    return _MARKUP.sub("", text)


def years(question: str) -> list[str]:
    """Four-digit years mentioned in a question.

    >>> years("Năm 2010 Gò Vấp áp dụng ISO 9001:2000 ở phường nào?")
    ['2010']
    """
    return _YEAR.findall(question)


def entities(text: str, known: Iterable[str] = ()) -> list[str]:
    """Places (with their marker), years, document numbers, unit names and `known` names (e.g. issuing
    bodies of the indexed documents, matched without accents): what a follow-up inherits."""
    found: list[str] = []
    folded_text = f" {fold(text)} "
    found += [k for k in known if k and f" {fold(k)} " in folded_text]
    found += [f"{marker} {name}" for marker, name in _place_matches(text)]
    found += _YEAR.findall(text)
    found += [m.group(0) for m in _DOCNO.finditer(text)]
    found += [m.group(0).strip() for m in _KIND_NUMBER.finditer(text)]  # "công văn 6791": a number without symbol
    found += [m.group(0) for m in _UNIT.finditer(text)]
    seen: list[str] = []
    for f in sorted(found, key=len, reverse=True):  # "Thành ủy Hà Nội" absorbs "Thành ủy Hà"
        if not any(fold(f) in fold(s) for s in seen):
            seen.append(f.strip())
    return seen


def entity_kind(entity: str) -> str:
    """'year', 'docno', 'unit' or 'place': a follow-up naming one of a kind replaces the inherited one."""
    if _YEAR.fullmatch(entity):
        return "year"
    if _DOCNO.fullmatch(entity) or _KIND_NUMBER.fullmatch(entity):
        return "docno"
    if _UNIT.fullmatch(entity):
        return "unit"
    return "place"
