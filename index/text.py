"""How an answer's words are compared with its passages' words: one toolkit for the grounding guard
(`assistant.guard`) and the evaluation (`eval.metrics`), which must judge a sentence by the same words.

Text is folded (case, diacritics, đ→d, whitespace), cut into alphanumeric words, and a sentence's content words
are those left after citation markers, function words and the words that frame a quote ("Theo Kế hoạch số …").
Sentence boundaries are `index.sentences`'.
"""

from __future__ import annotations

import re
import unicodedata

# "[1]", "[1, 3]": a citation marker.
CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
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


def fold(text: str) -> str:
    """Case, diacritics (đ→d) and whitespace folded, for comparing words.

    >>> fold("  Phòng   Nội vụ ĐỐNG Đa ")
    'phong noi vu dong da'
    """
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(bare.replace("đ", "d").replace("Đ", "D").lower().split())


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
