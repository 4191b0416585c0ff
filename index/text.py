"""The text toolkit: word lists, folding, sentence spans and citation markers, one home for each rule.

The grounding guard (`assistant.guard`) and the evaluation (`eval.metrics`) judge a sentence by the same words:
text is folded (case, diacritics, đ→d, whitespace, `fold`), cut into alphanumeric words, and a sentence's content
words are those left after citation markers, function words (`STOPWORDS`) and the words that frame a quote
(`FRAMING`: "Theo Kế hoạch số …"). The answerer (`assistant.textmatch`, `assistant.extractive`) reads questions
with its own lists: `QUESTION_STOPWORDS` (accented question and function words) and the markers that tell an
English question from a Vietnamese one typed without accents. The lists differ on purpose: each is what its
caller was tuned with.

Sentence boundaries are `index.sentences`' (re-exported here): `sentence_spans` (the chunker), `clause_spans`
(quoting: sentences cut further at ";" and before bullets) and `answer_sentences` (an answer's sentences, line by
line). Questions and passages are matched on the normaliser's fold (`index.normalize.fold`: normalised first, as
the index folds its tokens); `fold` here compares an answer's words with its passages' as written.
"""

from __future__ import annotations

import re
import unicodedata

from index.sentences import answer_sentences as answer_sentences
from index.sentences import clause_spans as clause_spans
from index.sentences import sentence_spans as sentence_spans

# "[1]", "[1, 3]": a citation marker (what the guard and the evaluation read).
CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# "[1]": one source's marker as the page and the Word export link it (the answerers write one number a bracket).
CITATION_MARK = re.compile(r"\[(\d{1,3})\]")
_WORD = re.compile(r"[a-z0-9]+")

# Folded Vietnamese function syllables and English stopwords: never content. Folding merges syllables (nội/nói,
# báo/bao, vận/văn, thi/thì, cần/cán, vị/vì, mới/mọi), so words whose folded form is also a common content
# syllable are left out on purpose.
STOPWORDS = frozenset(
    """
    va cua la cac nhung trong voi cho de duoc nay do ma co khong mot nhu ve tai tu den da
    se nao gi ai nhieu phai hay hoac nen khi neu cung con rat ra vao len tren duoi sau giua
    qua bang cu hon nhat it day kia ay
    a and are as at be by for from has have in is it of on or that the this was were which
    who with what when where how
    """.split()
)
# Words the answerer uses to frame a quote ("Theo Kế hoạch số …, mục …:", "Cũng theo văn bản này"); document
# titles are not stripped.
FRAMING = frozenset(
    "theo ke hoach tai lieu nguon neu ghi ro biet rang cung van ban nay muc so bai "
    "according same document section plan news item no".split()
)


# Question and function words (accented, lower case) that a question's content terms leave out
# (`assistant.textmatch.content_terms`). "bao" is left out: folded it is also "báo".
QUESTION_STOPWORDS = frozenset(
    """ai gì nào nhiêu khi là của các những và có được trong về cho thì sao không này đó thế như với tại
    theo một hay hoặc ở đến từ ra vào phải cần sẽ đã đang vậy còn gồm nêu nói cái việc
    tôi bạn hãy xin cho muốn hỏi ạ nhé đâu bởi vì nếu mà rằng nhưng cũng rất nhiều ít mỗi bị
    the a an of to in on for is are was were be by with what who which when where how does do did about
    and or from as at this that these those it its whose whom there their they please tell me
    """.split()
)
# English function words that are not also Vietnamese syllables typed without accents: "the" is thể/thế,
# "do" is do/đó, so they mark nothing in a question typed without accents.
ENGLISH_MARKERS = frozenset(
    "what who whom whose which when where why how does did is are was were of for with about please tell".split()
)
# Vietnamese function syllables typed without accents that are not English words: they outweigh an English
# name in an unaccented question ("Doctor Who la gi?", "Bank of America co tru so o dau?").
VIETNAMESE_MARKERS = frozenset("gi nao la cua khong duoc nhung cac mot nhieu bao khi nhu voi trong nay".split())


def _without_marks(text: str) -> str:
    """The text decomposed (NFD) with its combining marks dropped; đ/Đ are letters of their own and stay."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Case, diacritics (đ→d) and whitespace folded, for comparing words.

    >>> fold("  Phòng   Nội vụ ĐỐNG Đa ")
    'phong noi vu dong da'
    """
    return " ".join(_without_marks(text).replace("đ", "d").replace("Đ", "D").lower().split())


def strip_diacritics(text: str) -> str:
    """The text as typed without accents: marks removed, đ→d, case and spacing kept (NFC).

    >>> strip_diacritics("Đội thủ Panthers đã thua bao nhiêu điểm?")
    'Doi thu Panthers da thua bao nhieu diem?'
    """
    return unicodedata.normalize("NFC", _without_marks(text).replace("đ", "d").replace("Đ", "D"))


def words(text: str) -> list[str]:
    """Folded alphanumeric words."""
    return _WORD.findall(fold(text))


def content_words(sentence: str) -> list[str]:
    """Folded words of a sentence minus citation markers, stopwords and framing words.

    >>> content_words("Theo Kế hoạch số 08/KH-UBND: Phòng Nội vụ tổng hợp báo cáo quý [1].")
    ['08', 'kh', 'ubnd', 'phong', 'noi', 'vu', 'tong', 'hop', 'bao', 'cao', 'quy']
    """
    return [t for t in words(CITATION.sub(" ", sentence)) if t not in STOPWORDS and t not in FRAMING]


def parse_citations(text: str) -> list[int]:
    """Citation numbers in order of first appearance: "[1][2]", "[1, 3]" → [1, 2, 3].

    >>> parse_citations("Hạn 25/11 [2][1, 3]. Xem [2].")
    [2, 1, 3]
    """
    seen: list[int] = []
    for match in CITATION.finditer(text):
        for part in match.group(1).split(","):
            if (n := int(part)) not in seen:
                seen.append(n)
    return seen
