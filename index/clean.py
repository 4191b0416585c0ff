"""Remove web chrome and duplicated paragraphs from scraped documents.

`clean` removes lines, parts of lines and paragraphs, trims whitespace around them, and reflows
hard-wrapped text into its paragraphs (`index.reflow`: wrapped lines joined, page furniture dropped,
runs of spaces and syllables split by justified spacing repaired); otherwise what it keeps stays in
its original spelling (tone placement included). Chunk offsets and citations point into this text.
Paragraphs come out separated by one blank line.

The rules are patterns of the page furniture of Vietnamese news and document-sharing sites (view and
download counters, share links, "Bạn đang xem … DOWNLOAD", comment forms, related-article lists,
category breadcrumbs), not strings copied from the bundled files, so they apply to unseen pages.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from index.normalize import fold
from index.reflow import REFLOW_VERSION, reflow

log = logging.getLogger(__name__)

CLEANER_VERSION = f"2.{REFLOW_VERSION}"

_IGNORECASE = re.IGNORECASE  # short for the many patterns below

# A line that starts the end-of-page furniture: related articles, other news, comment forms.
_FOOTER_START = re.compile(
    r"^(tài liệu liên quan|tài liệu tương tự|tài liệu tham khảo khác|các bài mới đăng|các bài đã đăng"
    r"|các bài viết khác|bài viết liên quan|bài viết khác|bài viết cùng chuyên mục|tin liên quan"
    r"|tin cùng chuyên mục|tin tức khác|các tin khác|tin khác|tin bài khác|tin đã đưa"
    r"|viết bình luận|gửi bình luận|bình luận|ý kiến bạn đọc|ý kiến của bạn|gửi ý kiến)\s*:?$",
    _IGNORECASE,
)
# Whole lines that are chrome wherever they appear.
_CHROME_LINE = re.compile(
    r"^(bạn đang xem\b.*\b(download|tải về|tải xuống|tải tài liệu)\b(?:\W+\w+){0,8}\W*"  # no sentence after it
    r"|.*\blấy lại mã( bảo mật| xác nhận)?\s*"
    r"|[^\W\d_][\w ]{0,30}:\s*\(\*\)"  # a required field of a form: "Họ tên:(*)"
    r"|(viết|gửi) bình luận|tải về|tải xuống|download|in bài( viết)?|bản in|gửi email|chia sẻ"
    r"|share|tweet|lên đầu trang|về đầu trang|quay lại|trở về)\s*$",
    _IGNORECASE,
)
# The first words of chrome that may be wrapped over lines.
_WRAPPED_CHROME = re.compile(r"^bạn đang xem\b", _IGNORECASE)
# Field labels of a comment form; dropped only when another one is close by, since "Nội dung:"
# alone can be a heading of a real document.
_FORM_LABEL = re.compile(
    r"^(họ (và )?tên|tên của bạn|số điện thoại|điện thoại|e-?mail|địa chỉ|tiêu đề|nội dung|mã xác nhận"
    r"|mã bảo mật)\s*:?\s*(\(\*\))?\s*$",
    _IGNORECASE,
)
# One "|"-separated segment of a line that is a counter, a share link or a file size.
_CHROME_SEGMENT = re.compile(
    r"^((số )?lượt (xem|tải|đọc|thích|truy cập|download|bình luận)|views?|downloads?)\s*:?\s*[\d.,]+"
    r"\s*(lần|download|tải về)?$"
    r"|^(chia sẻ|share)\s*(:.*|bài viết|facebook|zalo|twitter)?$"  # "chia sẻ kinh nghiệm" is a verb
    r"|^(người đăng|đăng bởi|uploaded by)\s*:.*$"
    r"|^(pdf|docx?|pptx?|xlsx?)\s*\d+\s*trang$"
    r"|^(tải về|download|in|bản in)$",
    _IGNORECASE,
)
_SEGMENT_SEP = re.compile(r"\s*[|·•]\s*")
_BREADCRUMB = re.compile(r"^trang chủ\s*[>»›/]", _IGNORECASE)
_BLANK_LINES = re.compile(r"\n[^\S\n]*\n\s*")

_MIN_DUPLICATE = 20  # shorter paragraphs ("(đã ký)", "- Lưu: VT.") may repeat legitimately
_MIN_NEAR_DUPLICATE = 60


def _clean_line(line: str) -> str:
    """The line without its counter/share segments; "" when nothing but chrome is left."""
    if _CHROME_LINE.match(line):
        return ""
    segments = _SEGMENT_SEP.split(line)
    kept = [s for s in segments if s and not _CHROME_SEGMENT.match(s)]
    if len(kept) == len([s for s in segments if s]):
        return line
    return " | ".join(kept)


def _is_breadcrumb(line: str) -> bool:
    """A category label or breadcrumb above the headline: short, all lower case, no sentence."""
    if _BREADCRUMB.match(line):
        return True
    words = line.split()
    return (
        0 < len(words) <= 8 and not any(c.isupper() or c.isdigit() for c in line) and not re.search(r"[.:;!?,]", line)
    )


def _drop_chrome_lines(lines: list[str]) -> list[str]:
    """The lines without chrome (dropped lines become ""); a form feed (page break) in front of a line is kept
    and not matched."""
    breaks = [line.startswith("\f") for line in lines]
    out = _drop_chrome(line.lstrip("\f") for line in lines)
    return [("\f" if brk else "") + line for line, brk in zip(out, breaks, strict=False)]


def _drop_chrome(lines: Iterable[str]) -> list[str]:
    lines = list(lines)
    total = sum(len(line) + 1 for line in lines)
    seen = 0
    for i, line in enumerate(lines):
        # Only in the second half: a heading "Bình luận" near the top is more likely content.
        if seen >= total / 2 and _FOOTER_START.match(line):
            log.debug("footer starts at line %d: %r", i, line)
            lines = lines[:i]
            break
        seen += len(line) + 1
    labels = {i for i, line in enumerate(lines) if _FORM_LABEL.match(line)}
    out: list[str] = []
    for i, line in enumerate(lines):
        if i in labels and any(j in labels for j in range(i - 3, i + 4) if j != i):
            continue
        out.append(_clean_line(line))
    _drop_wrapped_banners(out)
    first = next((i for i, line in enumerate(out) if line), None)
    if first is not None and _is_breadcrumb(out[first]) and any(out[first + 1 :]):
        out[first] = ""
    return out


def _drop_wrapped_banners(lines: list[str]) -> None:
    """Blank a banner wrapped over two or three lines ("Bạn đang xem … khéo," + "để tải … DOWNLOAD ở trên"):
    found on the lines as they are, since reflow may join its last line to the text under it."""
    for i, line in enumerate(lines):
        if not _WRAPPED_CHROME.match(line):
            continue
        for j in range(i + 1, min(i + 3, len(lines))):
            if not lines[j]:
                break
            if _CHROME_LINE.match(" ".join(lines[i : j + 1])):
                lines[i : j + 1] = [""] * (j + 1 - i)
                break


def _key(paragraph: str) -> str:
    return "".join(fold(paragraph).split())


def _is_glued_copy(paragraph: str, other: str) -> bool:
    """Whether `paragraph` repeats part of `other` with words run together (a scraped summary).

    A copy spaced like the original (a page-break fragment, a repeated sentence) is kept: all its words
    occur in `other` (only its first and last may be cut mid-word), whereas run-together words do not.
    """
    words = fold(paragraph).split()[1:-1]
    known = set(fold(other).split())
    novel = sum(w not in known for w in words)
    return novel >= 2 and novel >= 0.05 * len(words)


def _dedupe(paragraphs: list[str]) -> list[str]:
    keys = [_key(p) for p in paragraphs]
    best: dict[str, int] = {}  # key -> index of its best-spaced copy
    order: list[str] = []
    for i, k in enumerate(keys):
        if len(k) < _MIN_DUPLICATE:
            order.append(f"\0{i}")  # unique: never merged
            best[f"\0{i}"] = i
            continue
        if k not in best:
            order.append(k)
            best[k] = i
        elif len(paragraphs[i].split()) > len(paragraphs[best[k]].split()):
            best[k] = i
    kept = [best[k] for k in order]
    out: list[str] = []
    for i in kept:
        k = keys[i]
        glued = len(k) >= _MIN_NEAR_DUPLICATE and any(
            len(keys[j]) > len(k) and k in keys[j] and _is_glued_copy(paragraphs[i], paragraphs[j]) for j in kept
        )
        if glued:
            log.debug("dropping run-together copy: %.60r", paragraphs[i])
        else:
            out.append(paragraphs[i])
    return out


def _lines(text: str) -> list[str]:
    """The text's lines without edge whitespace; a page's first line keeps the form feed (page break) in front."""
    out: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        first, *pages = line.split("\f")
        if first.strip() or not pages:  # "\fNext page" alone is no blank line before the break
            out.append(first.strip())
        out.extend("\f" + page.strip() for page in pages)
    return out


def clean(text: str) -> str:
    """The document as its paragraphs, without web chrome, page furniture or duplicate paragraphs."""
    lines = _drop_chrome_lines(_lines(text))
    # Chrome again once wrapped lines are joined: a banner the page or a PDF wrapped over two lines.
    joined = "\n".join(_clean_line(line) for line in reflow("\n".join(lines)).split("\n")).strip()
    paragraphs = [p.strip() for p in _BLANK_LINES.split(joined) if p.strip()]
    return "\n\n".join(_dedupe(paragraphs))
