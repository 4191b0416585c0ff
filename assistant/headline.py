"""The first sentence of an answer: the part of the best quote that answers, in at most 25 words.

An official reads "Phòng Nội vụ: là cơ quan đầu mối, tham mưu … [1]." before any quote. The sentence is built
only from words of the cited passage (its text and its section headings), so the grounding rule holds:

- the clause of the quoted sentence that answers best (`weigh`: the question's terms, and the value asked for:
  a date, a figure, an amount), cut to a window of words around that value or those terms when it is longer;
- for "who/which body" questions, the body the passage is about when its section heading names one
  ("III. Tổ chức thực hiện › 1. Phòng Nội vụ") and the clause does not, put before it;
- from several documents, one short sentence per document, tagged by place and year ("Ba Đình 2025: … [1].
  Gò Vấp 2010: … [3].").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.textmatch import names_heading, places, plain
from index.metadata import person_names
from index.normalize import fold, fold_chars, normalize

MAX_WORDS = 25
_NAMED_SECTION = 1.0  # a quote under a section the question names by its heading's every word
_PART_WORDS = 18
_INNER_PENALTY = 0.1
_CUT_VALUE_PENALTY = 0.5
# Words after which a phrase starts: where a run may begin inside a clause. They are compared with their marks
# ("đá hoa", "thi công", "đề nghị" do not join: folded, "đá", "thi" and "đề" would read as "đã", "thì" and
# "để"); only in a text typed without any are they compared folded.
_JOINERS = frozenset("và hoặc để nhưng mà thì là đã sẽ rồi cũng còn".split() + ["đồng thời"])
# Words a cut run does not end on: they lead to what was cut off ("đầu tư" ends a run; "từ" does not).
_WEAK_ENDS = frozenset("và hoặc để của về với cho tại theo ở như các những là thì mà từ đến trên trong".split())
# Words that introduce a person ("… của | đồng chí Bí thư Thành ủy Hoàng Trung Hải"): a run may start there.
_INTRODUCES_PERSON = re.compile(r"(?:đồng chí|ông|bà)\b")
_JOINERS_FOLDED = frozenset(fold(w) for w in _JOINERS)
_WEAK_ENDS_FOLDED = frozenset(fold(w) for w in _WEAK_ENDS)
_INTRODUCES_PERSON_FOLDED = re.compile(r"(?:dong chi|ong|ba)\b")
# "ai", "cơ quan nào", "đơn vị nào", "who", "which body": the answer names a body or a person (folded).
_ASKS_WHO = re.compile(
    r"\bai\b|\b(?:co quan|don vi|phong|ban|so|nguoi|to chuc|cap)\s+nao\b|\bwho\b|\bwhich (?:body|office|agency|unit|"
    r"department|organisation|organization)\b"
)
# A heading that names a body: "1. Phòng Nội vụ", "4. Thanh tra quận, Văn phòng UBND quận", "2. Công an tỉnh".
_BODY_HEADING = re.compile(
    r"^(?:Phòng|Ban|Sở|UBND|Ủy ban|Uỷ ban|Văn phòng|Thanh tra|Công an|Trung tâm|Chủ tịch|Thủ trưởng|Bộ Chỉ huy|"
    r"Đề nghị|Các|Quận ủy|Huyện ủy|Tỉnh ủy|Thành ủy|Đảng ủy|Hội|Liên đoàn|Đoàn|Mặt trận|Tòa án|Viện|Kho bạc|Chi cục|"
    r"Cục|Báo|Đài)\b"
)
# What kind of name "X nào" asks for (folded): the first word of the names that answer it.
_BODY_HEADS = frozenset(
    "phong ban so ubnd uy hdnd van thanh cong trung chu thu bo quan huyen tinh dang hoi lien doan mat toa vien kho chi "
    "cuc bao dai hoc truong benh".split()
)
_HEADS = {"phong": frozenset({"phong"}), "ban": frozenset({"ban"}), "so": frozenset({"so"})}
_ASKED_HEAD = re.compile(
    r"\b(phong|ban|so|co quan|don vi|to chuc)\s+nao\b|\bwhich (?:body|office|agency|unit|department)\b"
)
_ASKS_PERSON = re.compile(r"\b(?:la ai|nguoi nao|ai (?:ky|chu tri|la)|dong chi nao|ong nao|ba nao|who is|who was)\b")
# Office holders named by their role, in lower case (folded): a "who" question's answer as much as a name.
_ROLE = re.compile(
    r"\b(?:nguoi dung dau|thu truong|chu tich|pho chu tich|giam doc|pho giam doc|truong phong|truong ban|bi thu|"
    r"chanh van phong|chanh thanh tra)\b"
)
# A question asking which place ("ở xã nào", "thuộc huyện nào", "in which province"; folded).
_ASKS_PLACE = re.compile(
    r"(?<!\bco )\b(xa|phuong|thi tran|huyen|quan|thi xa|tinh|thanh pho|thon|to dan pho) nao\b"
    r"|\bwhich (commune|ward|district|province|city|village)\b"
)
_EN_LEVELS = {
    "commune": "xa",
    "ward": "phuong",
    "district": "huyen",
    "province": "tinh",
    "city": "thanh pho",
    "village": "thon",
}
# A question asking which body issued a document (folded).
_ASKS_ISSUER = re.compile(
    r"\b(?:do|duoc)\s+(?:(?:co quan|don vi|cap)\s+nao|ai)\s+(?:nao\s+)?ban hanh\b"
    r"|\b(?:co quan|don vi|cap|ai)\s+(?:nao\s+)?(?:da\s+)?ban hanh\s+"
    r"(?:ke hoach|quyet dinh|cong van|van ban|bao cao|quy che|chi thi|thong bao)\b"
    r"|\bco quan ban hanh\b|\b(?:which|what)\s+(?:body|agency|authority|office|organi[sz]ation)\s+issued\b"
    r"|\bwho\s+issued\b|\bissued\s+by\s+(?:which|whom|what)\b"
)
# Offices a person holds, asked for by "ai là …" or "… là ai" (folded): "Ai là Chủ tịch UBND quận …?".
_HOLDER = r"(?:pho\s+)?(?:chu tich|giam doc|truong phong|truong ban|bi thu|chanh van phong|chanh thanh tra)"
_ASKS_HOLDER_VI = re.compile(rf"\bai la (?:(?:ong|ba|dong chi)\s+)?{_HOLDER}\b|\b{_HOLDER}\b.*\bla ai\b")
_ASKS_HOLDER = re.compile(
    rf"{_ASKS_HOLDER_VI.pattern}|\bwho (?:is|was|are|were) (?:the )?"
    r"(?:(?:vice|deputy|party)[ -])?(?:chairman|chairwoman|chairperson|chair|director|secretary|head|president)\b"
)
# A document's number and symbol ("1186-TB/TU", "08/KH-UBND", "Số: 19/KH-UBND"): its capitals are no name.
_DOC_NUMBER = re.compile(r"\b\d+[\w.]*(?:[-/][\w.]+)*/[\w.-]+")
_ASKS_DOCUMENT = re.compile(
    r"\b(?:van ban|quyet dinh|ke hoach|nghi quyet|chi thi|thong tu|nghi dinh|cong van|bao cao|to trinh|thong bao"
    r"|ket luan|chuong trinh|quy che|quy dinh|huong dan)\s+(?:so\s+)?nao\b"
    r"|\bwhich (?:document|plan|report|programme|program|notice|instruction|guidance)s?\b"
    r"|\bwhich (?:\w+ ){0,2}(?:decision|resolution|directive|circular|decree|conclusion|regulation)s?\b"
)
_ITEM_MARK = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*[.)]|[a-zđ]\)|[IVX]{1,4}\.)\s+")
_NUMBERING = re.compile(r"^\s*(?:[IVXLC]+|\d+(?:\.\d+)*|[a-zđ])[.)]\s*", re.IGNORECASE)
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Part:
    """One document's contribution to the first sentence: where its words come from."""

    text: str  # the chunk text
    start: int  # the quoted sentence within it
    end: int
    section: str
    tag: str = ""  # "Ba Đình 2025" when several documents answer


# What a question asks about the document itself (folded): its number and symbol, its date of issue.
_ASKS_NUMBER = re.compile(r"\b(?:so hieu|ky hieu|so may|so nao|mang so|so bao nhieu|what is its number|which number)\b")
_ASKS_DATE_OF_ISSUE = re.compile(
    r"\b(?:ban hanh|ky|dang|cap nhat|issued?|signed|published)\b(?:\s+\w+){0,2}\s+(?:ngay nao|khi nao|luc nao|bao gio|"
    r"vao ngay nao|thoi gian nao)\b|\b(?:ngay|thoi diem) (?:ban hanh|ky)\b"
    r"|\bwhen (?:was|did)\b.*\b(?:issue|sign|publish)"
    r"|\bban hanh\b[^?]{0,80}\b(?:vao ngay nao|vao thoi gian nao|khi nao)\b"
)


def document_fields(question: str) -> tuple[bool, bool]:
    """(number, date): whether a question asks for a document's number and symbol, or its date of issue.

    >>> document_fields("Kế hoạch năm 2020 của tỉnh Trà Vinh mang số hiệu nào, ban hành ngày nào?")
    (True, True)
    >>> document_fields("Hạn gửi báo cáo năm là ngày nào?")
    (False, False)
    """
    number_of, date_of = field_subjects(question)
    return number_of is not None, date_of is not None


# Kinds of document a question may ask the number or date of (folded). "văn bản" names none in particular.
_KIND_WORDS = re.compile(
    r"\b(?:ke hoach|quyet dinh|nghi quyet|chi thi|thong tu|nghi dinh|cong van|bao cao|to trinh|thong bao|"
    r"chuong trinh|quy che|quy dinh|ket luan|huong dan|de an|bien ban|luat|van ban|bai viet|bai bao)\b"
)
# Words by which a field is said of the question's subject ("Kế hoạch … mang số hiệu nào", "… là số mấy").
_OF_SUBJECT = re.compile(r"\b(?:mang|co|la|duoc|da)\s*$")
# A kind named at most this many words before the field is the one asked ("chương trình hành động số mấy").
_NEAR_WORDS = 4
# The kinds of document a kind word also names (folded `DocMeta.kind` → words).
_KIND_ALIASES = {"tin tuc": frozenset({"bai viet", "bai bao"})}


def field_subjects(question: str) -> tuple[str | None, str | None]:
    """The kind of document whose number, and whose date of issue, a question asks for (folded): None when it
    does not ask, "" when it names no kind or only "văn bản" (the document in question, as in English).

    The kind named just before the field is asked of ("Kế hoạch đó triển khai chương trình hành động số mấy?" asks
    a programme's number, not the plan's); a field said of the subject ("Kế hoạch … của tỉnh Trà Vinh mang số
    hiệu nào?", "Quyết định … mà Gò Vấp căn cứ là số mấy?") is asked of the question's first kind.

    >>> field_subjects("Kế hoạch đó triển khai chương trình hành động số mấy của Tỉnh ủy?")
    ('chuong trinh', None)
    >>> field_subjects("Kế hoạch thực hiện Nghị quyết 25 của tỉnh mang số hiệu nào, ban hành ngày nào?")
    ('ke hoach', 'ke hoach')
    >>> field_subjects("When was Go Vap district's plan 08/KH-UBND issued?")
    (None, '')
    """
    f = fold(question)
    out: list[str | None] = []
    for pattern in (_ASKS_NUMBER, _ASKS_DATE_OF_ISSUE):
        m = pattern.search(f)
        if m is None:
            out.append(None)
            continue
        before = f[: m.start()]
        kinds = list(_KIND_WORDS.finditer(before))
        near = [k for k in kinds if len(before[k.end() :].split()) <= _NEAR_WORDS]
        if near and not (_OF_SUBJECT.search(before) or m.group(0).startswith("mang ")):
            kind = near[-1].group(0)
        else:
            kind = kinds[0].group(0) if kinds else ""
        out.append("" if kind == "van ban" else kind)
    return out[0], out[1]


def kinds_named(question: str) -> list[str]:
    """The kinds of document a question names, folded, in order ("văn bản" included).

    >>> kinds_named("Báo cáo quản lý khoáng sản của tỉnh gửi những cơ quan nào?")
    ['bao cao']
    """
    return [m.group(0) for m in _KIND_WORDS.finditer(fold(question))]


def same_kind(asked: str, kind: str, title: str = "") -> bool:
    """Whether a document of `kind` (`DocMeta.kind`, "KẾ HOẠCH") and `title` is one of the kind a question names
    (`asked`, a folded kind word of `field_subjects`; "" names any). A decision that issues or approves a
    regulation, a plan or a scheme is asked of by that name too ("Quy chế … ban hành ngày nào?" of "Về việc ban
    hành Quy chế …"); a plan that carries out a programme is not the programme.

    >>> same_kind("ke hoach", "KẾ HOẠCH"), same_kind("chuong trinh", "KẾ HOẠCH"), same_kind("bai viet", "tin tức")
    (True, False, True)
    >>> same_kind("quy che", "QUYẾT ĐỊNH", "Về việc ban hành Quy chế thực hiện dân chủ ở xã Nà Nghịu")
    True
    >>> same_kind("chuong trinh", "KẾ HOẠCH", "Triển khai thực hiện Chương trình hành động số 17-CTr/TU")
    False
    """
    own = fold(kind).strip()
    if not asked or not own or asked == own or asked in _KIND_ALIASES.get(own, ()):
        return True
    return bool(re.search(rf"\b(?:ban hanh|phe duyet)\s+{asked}\b", fold(title)))


def without_fields(question: str) -> str:
    """The question without the words that ask for the number or the date ("mang số hiệu nào", "ban hành ngày
    nào"): what is left says which document."""
    f = fold(question)
    for pattern in (_ASKS_NUMBER, _ASKS_DATE_OF_ISSUE):
        f = pattern.sub(" ", f)
    return f


def asks_who(question: str) -> bool:
    """Whether a question asks for a body or a person ("Cơ quan nào chủ trì …?", "Ai ký …?").

    >>> asks_who("Ở Ba Đình, cơ quan nào làm đầu mối?"), asks_who("Thời hạn là khi nào?")
    (True, False)
    """
    return bool(_ASKS_WHO.search(fold(question)))


def names(text: str) -> list[str]:
    """Names in `text`: runs of two or more capitalised words ("Ban Dân", "Hoàng Trung Hải", "Phòng Nội vụ" gives
    "Phòng Nội") and acronyms ("MTTQ", "UBND"). A word is capitalised when its first letter is upper case
    (`str.isupper`, not a character range: "đơn" is not).

    >>> names("Các đơn vị gửi về UBND quận qua Phòng Nội vụ, đồng chí Hoàng Trung Hải chủ trì.")
    ['UBND', 'Phòng Nội', 'Hoàng Trung Hải']
    """
    out: list[str] = []
    run: list[str] = []
    text = _DOC_NUMBER.sub(" , ", text)  # "1186-TB/TU", "08/KH-UBND": a document's number, not a name
    for word in [*re.findall(r"\w+|,", text), ""]:
        if word and word[0].isupper() and not word.isdigit():
            run.append(word)
            continue
        if len(run) >= 2 and not all(w.isupper() for w in run):  # "QUYẾT ĐỊNH": a heading in capitals
            out.append(" ".join(run))
        elif len(run) == 1 and len(run[0]) >= 2 and run[0].isupper():
            out.append(run[0])
        run = []
    return out


def new_names(text: str, question: str) -> int:
    """How many names of bodies, office holders or people `text` gives that the question does not: what a
    "who" question asks for."""
    asked = fold(question)
    return sum(1 for n in names(text) if fold(n) not in asked)


def said_names(text: str, question: str) -> float:
    """0.25 for each name of the question (a body, a person: "UBND", "Phòng Nội vụ") that `text` repeats, at most
    two: of two sentences giving a count, the one about the body asked for ("UBND quận tiếp nhận 1.081 đơn")
    answers, not the one about another ("Quận uỷ đã tiếp nhận 189 đơn").

    >>> said_names("UBND quận tiếp nhận 1.081 đơn", "UBND quận Đống Đa nhận bao nhiêu đơn?")
    0.25
    """
    text_f = fold(text)
    named_places = [fold(p) for p in places(question)]  # where the documents are from, not who acts
    said = [
        n
        for n in names(question)
        if not any(p in fold(n) for p in named_places) and re.search(rf"\b{re.escape(fold(n))}\b", text_f)
    ]
    return 0.25 * min(len(said), 2)


def asks_document(question: str) -> bool:
    """Whether a question asks which document ("dựa vào văn bản nào", "theo quyết định nào", "which decision"):
    a document's number answers it.

    >>> asks_document("Phường dựa vào văn bản nào để quy định cách làm việc?"), asks_document("Ai ký văn bản?")
    (True, False)
    """
    return bool(_ASKS_DOCUMENT.search(fold(question)))


def cites_document(text: str, question: str) -> bool:
    """Whether `text` gives a document's number ("493/QĐ-UBND") that the question does not."""
    asked = fold(question)
    return any(fold(m.group(0)) not in asked for m in _DOC_NUMBER.finditer(text))


def asks_person(question: str) -> bool:
    """Whether a "who" question asks for a person ("Ai là người đưa ra kết luận đó?", "Ai ký?", "… là ai?").

    >>> asks_person("Ai là người đưa ra kết luận đó?"), asks_person("Cơ quan nào chủ trì?")
    (True, False)
    """
    return bool(_ASKS_PERSON.search(fold(question)))


def asked_level(question: str) -> str | None:
    """The level of the place a question asks for ("… ở xã nào?" → "xã"; folded, as `states_place` takes it), or
    None when it asks for no place.

    >>> asked_level("Mỏ đá hoa Làng Lạnh II ở xã nào?"), asked_level("Which province is the mine in?")
    ('xa', 'tinh')
    >>> asked_level("Báo cáo gửi qua cơ quan nào?") is None  # "cơ quan", not "quận"
    True
    """
    m = _ASKS_PLACE.search(fold(question))
    return None if m is None else _EN_LEVELS.get(m.group(1) or m.group(2), m.group(1) or m.group(2))


def states_place(text: str, level: str) -> bool:
    """Whether `text` names a place of `level` ("xã Liễu Đô" for "xa").

    >>> states_place("khu vực Làng Lạnh II, xã Liễu Đô, huyện Lục Yên", "xa")
    True
    """
    # `fold_chars` keeps one character per character: the name's first letter is read in `text` at the same place
    return any(
        text[m.end()].isupper() or text[m.end()].isdigit()
        for m in re.finditer(rf"(?<!\w){level}\s+(?=\w)", fold_chars(text))
    )


def asks_issuer(question: str) -> bool:
    """Whether a question asks which body issued a document ("Kế hoạch 79 do cơ quan nào ban hành?", "Who issued
    the plan?"), not what the document is or says.

    >>> asks_issuer("Kế hoạch 79 của Gia Lai do cơ quan nào ban hành?"), asks_issuer("Kế hoạch ban hành khi nào?")
    (True, False)
    """
    return bool(_ASKS_ISSUER.search(fold(question)))


def asks_holder(question: str) -> bool:
    """Whether a question asks who holds an office it names ("Ai là Chủ tịch UBND quận Ba Đình năm 2018?",
    "Bí thư Thành ủy … là ai?", "Who is the chairman of …?"): a person, or the office holder who acts for one,
    answers it; the body alone does not.

    >>> asks_holder("Ai là Chủ tịch UBND quận Ba Đình?"), asks_holder("Ai là chủ đầu tư dự án?")
    (True, False)
    """
    return bool(_ASKS_HOLDER.search(fold(question)))


def names_holder(text: str, question: str) -> bool:
    """Whether `text` names a person (`index.metadata.person_names`) or, to a Vietnamese question, an office
    holder the question does not ("Trưởng ban: đồng chí Chủ tịch UBND huyện" answers "Ai là trưởng ban?"; the
    "Ban Bí thư" is a body).

    >>> names_holder("Trưởng ban: Chủ tịch UBND huyện", "Ai là trưởng ban?")
    True
    >>> names_holder("theo Quy định của Ban Bí thư", "Ai là Chủ tịch UBND quận?")
    False
    """
    if person_names(text):
        return True
    asked = fold(question)
    if not _ASKS_HOLDER_VI.search(asked):  # an English question's office cannot be told from another one
        return False
    return any(m.group(1) not in asked for m in re.finditer(rf"(?<!\bban )\b({_HOLDER})\b", fold(text)))


def who_score(text: str, question: str) -> float:
    """How well `text` names what a "who" question asks for: a name the question lacks (0.5), one of the kind
    asked ("Phòng …" for "phòng nào", a body for "cơ quan nào", a person's full name for "là ai") (+0.5), and
    each further new name (+0.25, at most two): "phối hợp với Ban Dân vận Quận ủy, Ủy ban Mặt trận Tổ quốc
    Việt Nam quận" answers "cùng với ai" better than a clause that names one title in passing.

    >>> who_score("Giao cho Phòng Nội vụ huyện theo dõi", "Phòng nào được giao theo dõi?")
    1.0
    >>> who_score("Giao cho UBND các xã theo dõi", "Phòng nào được giao theo dõi?")
    0.5
    >>> who_score("Dự án tại xã Gia Phú, tỉnh Lào Cai", "Nhà đầu tư dự án là ai?")
    0.0
    """
    asked = fold(question)
    where = {fold(p) for p in places(text)}  # "xã Gia Phú, tỉnh Lào Cai": where, not who
    new = [n for n in names(text) if fold(n) not in asked and fold(n) not in where]
    head = _ASKED_HEAD.search(asked)  # "phòng nào", "đơn vị nào": a body, not an office holder
    roles = [] if head else [r for r in _ROLE.findall(fold(text)) if r not in asked]  # "người đứng đầu"
    if not new and not roles:
        return 0.0
    heads = {fold(n.split()[0]) for n in new}
    named = any(len(n.split()) >= 3 and fold(n.split()[0]) not in _BODY_HEADS for n in new)
    person = bool(roles) or named
    if head:
        kind = 0.5 if heads & _HEADS.get(head.group(1), _BODY_HEADS) else 0.0
    elif _ASKS_PERSON.search(asked):  # a person's name, or less, the office alone ("… của đồng chí Bí thư")
        kind = 0.5 if named else 0.25 if roles else 0.0
    else:  # "ai": a body or a person
        kind = 0.5 if person or heads & _BODY_HEADS else 0.0
    return 0.5 + kind + 0.1 * min(len(new) + len(roles) - 1, 2)


def names_body(heading: str) -> bool:
    """Whether a heading names a body ("3. Phòng Nội vụ", "Sở Tài chính", "Công an tỉnh"), whose tasks follow it.

    >>> names_body("3. Phòng Nội vụ"), names_body("8. Tiến độ thực hiện dự án")
    (True, False)
    """
    return bool(_BODY_HEADING.match(_NUMBERING.sub("", heading).strip(" .:")))


def _body(section: str) -> str:
    """The body a section is about, from its deepest heading that names one ("Phòng Nội vụ")."""
    for heading in reversed([h for h in section.split(" › ") if h]):
        bare = _NUMBERING.sub("", heading).strip(" .:")
        if _BODY_HEADING.match(bare) and len(bare.split()) <= 16:
            return bare
    return ""


def _words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end])]


def best_window(
    text: str,
    start: int,
    end: int,
    weigh: Callable[[str], float],
    limit: int,
    needed: Callable[[str], bool] = lambda _: True,
) -> tuple[int, int]:
    """The run of at most `limit` words of text[start:end] that answers best (`weigh`). Runs start the sentence
    or follow a clause mark ("," ";" ":" "("): readable, and the subject (often the answer to "who") is kept.
    Only when none of those holds what is `needed` (the value or name asked for) may a run start inside a
    clause (never inside a name: "Công | ty"). Ties go to the earlier run."""
    words = _words(text, start, end)
    if len(words) <= limit:
        return start, end
    marked = fold(text[start:end]) != text[start:end].lower()  # not typed without marks

    def key(word: str) -> str:
        return (normalize(word).lower() if marked else fold(word)).strip(",;:")

    joiners, weak_ends = (_JOINERS, _WEAK_ENDS) if marked else (_JOINERS_FOLDED, _WEAK_ENDS_FOLDED)
    person = _INTRODUCES_PERSON if marked else _INTRODUCES_PERSON_FOLDED
    clause_starts = [0] + [
        i + 1 for i, (_, b) in enumerate(words[:-1]) if text[b - 1] in ",;:" or text[words[i + 1][0]] == "("
    ]

    def runs(i: int) -> list[tuple[int, int]]:
        """The run from word i that ends at a clause mark past its middle (a clause, not a cut), and the one of
        the full length (when the clause's end leaves out what answers)."""
        last = min(i + limit, len(words)) - 1
        ends = [j for j in range(i + limit // 2, last) if text[words[j][1] - 1] in ",;:"]
        j = ends[-1] if ends and last < len(words) - 1 else last
        full = last
        while full > j and key(text[words[full][0] : words[full][1]]) in weak_ends:
            full -= 1  # "… Quận ủy và": a run does not end on a word that leads to the next
        return [(words[i][0], words[j][1])] + ([(words[i][0], words[full][1])] if full > j else [])

    # Inside a clause, a run starts after a word that joins phrases ("… và | gửi báo cáo năm trước ngày 25/11 …"),
    # never inside a compound or a name; such a run must say more than one that starts a clause.
    inner = [
        i
        for i in range(1, len(words))
        if i not in clause_starts
        and (
            key(text[words[i - 1][0] : words[i - 1][1]]) in joiners
            or (i > 1 and key(text[words[i - 2][0] : words[i - 1][1]]) in joiners)
            or person.match(key(text[words[i][0] : words[min(i + 1, len(words) - 1)][1]]))
        )
    ]
    ends = {b: j for j, (_, b) in enumerate(words)}

    def cut_value(span: tuple[int, int]) -> float:
        """A run that ends on a figure the sentence goes on to qualify ("… thành 60,0 | ha"), or inside a name
        ("… xã Nà | Nghịu"), says half of it."""
        j = ends[span[1]]
        if j >= len(words) - 1:
            return 0.0
        last, following = text[words[j][0] : words[j][1]], text[words[j + 1][0] : words[j + 1][1]]
        if re.search(r"\d$", last) or (last[:1].isupper() and following[:1].isupper() and last[-1:].isalnum()):
            return _CUT_VALUE_PENALTY
        return 0.0

    # A full-length run must say more than the clause it extends (`_INNER_PENALTY`): ties go to the clause.
    scored = [
        (weigh(text[slice(*r)]) - cut_value(r) - (_INNER_PENALTY if v else 0.0), -n, r)
        for n, i in enumerate(clause_starts)
        for v, r in enumerate(runs(i))
    ]
    scored += [
        (weigh(text[slice(*r)]) - _INNER_PENALTY * (1 + v) - cut_value(r), -len(words) - n, r)
        for n, i in enumerate(inner)
        for v, r in enumerate(runs(i))
    ]
    holding = [x for x in scored if needed(text[x[2][0] : x[2][1]])]
    best = max(holding or [x for x in scored if x[1] > -len(words)], key=lambda x: (x[0], x[1]))
    return best[2]


def _tidy(text: str) -> str:
    """Words as the first sentence says them: plain, one space, without an item's mark ("a) Tổng vốn …")."""
    t = re.sub(r"\s+", " ", plain(text)).strip(" ,;:-–(").strip()
    t = _ITEM_MARK.sub("", t)
    if t.count("(") < t.count(")"):  # a run that starts inside brackets: "trước ngày 10/12) hoặc …"
        depth, out = 0, []
        for ch in t:
            depth += (ch == "(") - (ch == ")")
            if depth < 0:
                depth = 0
                continue
            out.append(ch)
        t = re.sub(r"\s+([.;,])", r"\1", "".join(out)).strip()
    for opening, closing in (("“", "”"), ("«", "»")):  # a run that ends a quotation it did not open
        if t.endswith(closing) and t.count(opening) < t.count(closing):
            t = t[:-1].rstrip()
    if t.endswith('"') and t.count('"') % 2:
        t = t[:-1].rstrip()
    return t[:1].upper() + t[1:] if t else t


def headline(
    parts: Sequence[Sequence[Part]],
    question: str,
    weigh: Callable[[str], float],
    needed: Callable[[str], bool] = lambda _: True,
) -> list[tuple[str, int, int, int, int]]:
    """The first sentence's pieces, one per document: (words, document, part, start, end), `start:end` the span
    of that part's text they quote; of a document's quoted sentences, the run that answers best (a body named
    by the section heading is put before it). Empty when nothing short can be said."""
    who = asks_who(question)
    limit = MAX_WORDS if len(parts) == 1 else _PART_WORDS
    out = []
    for d, doc_parts in enumerate(parts):
        best: tuple[float, str, int, int, int] | None = None
        for k, p in enumerate(doc_parts):
            body = _body(p.section) if who else ""
            room = limit - len(p.tag.split()) - (len(body.split()) if body else 0)
            a, b = best_window(p.text, p.start, p.end, weigh, max(room, 4), needed)
            words = _tidy(p.text[a:b])
            if words and p.text[b : p.end].strip(' .;,:)”"') and not words.endswith("…"):
                words += " …"  # the sentence goes on
            if not words:
                continue
            if body and not any(fold(part) in fold(words) for part in body.split(", ")):
                words = f"{body}: {words}"
            score = weigh(words) - 0.01 * k  # (the body named first counts as said); the better quote first on a tie
            if not who and p.section and names_heading(question, p.section.split(" › ")[-1]):
                score += _NAMED_SECTION  # the section the question names says what it asks (a body it names, to
                # a "who" question, is not who is asked for: "… phối hợp với Phòng Nội vụ …")
            if body and fold(body) not in fold(question):
                score += 1.5  # the body the section is about: what "which body" asks for, before a name in passing
            if best is None or score > best[0]:
                best = (score, words, k, a, b)
        if best is not None:
            _, words, k, a, b = best
            tag = doc_parts[k].tag
            out.append((f"{tag}: {words}" if tag else words, d, k, a, b))
    return out
