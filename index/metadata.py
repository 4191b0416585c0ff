"""Document metadata read from the cleaned text of a Vietnamese administrative document or news item.

Two shapes are recognised:
- an administrative document (Nghị định 30/2020 layout): header with the issuing body ("UBND TP HỒ CHÍ
  MINH / ỦY BAN NHÂN DÂN QUẬN GÒ VẤP": the superior body first, the issuer second; "UBND TỈNH LÀO CAI /
  SỞ CÔNG THƯƠNG": a department of the superior body), "Số: 08/KH-UBND", the dateline "Gò Vấp, ngày 09
  tháng 02 năm 2010", the kind in capitals ("KẾ HOẠCH") followed by the title, or for an official letter
  (công văn) its "V/v …" subject, and a signature block ("KT. CHỦ TỊCH / PHÓ CHỦ TỊCH / (Đã ký) / Name");
- a news item: headline, "Ngày đăng 29/05/2018", "Ngày cập nhật: 16.01.2025" or "(21:41 07/03/2018)",
  body, byline. It has no signer (the byline names a reporter, not a signatory). Its issuer is the first
  body named in the text (the one whose plan or meeting is reported: "UBND quận Ba Đình" for a report on
  Ba Đình's plan 34/KH-UBND, "Thành ủy Hà Nội" for one on its notice 1186-TB/TU), so that filtering by
  issuer finds the news about that body; its place is that body's locality. Its number is that of the
  document its lead announces ("Thành ủy Hà Nội vừa có Văn bản số 1186-TB/TU thông báo…"); documents
  merely cited further on ("theo Kết luận số 22-KL/TW") are not the item's subject.

The text may come as blocks (the letterhead's left column, then its right column), interleaved line by
line (two columns as `pdftotext` and pypdf give them: "ỦY BAN NHÂN DÂN / CỘNG HÒA… / TỈNH LÀO CAI"),
side by side on one line, or all on one line: the motto, the dateline and the number are taken out of the
header before the issuer is read, and lines of the other column are skipped inside a wrapped title.

A field that the text does not state stays empty rather than guessed: a blank number ("Số: …/SCT-CN")
gives no number, a blank day ("ngày … tháng 11 năm 2025") a date of year and month only. Fields are
normalised (`index.normalize.normalize`) so that "Thành uỷ" and "Thành ủy" filter alike.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter

from index.normalize import fold, normalize
from index.syllables import is_syllable
from index.types import DocMeta

log = logging.getLogger(__name__)

# Part of the index fingerprint: metadata feeds the embedded text (title) and the manifest, so an index built by
# other rules is rebuilt. 2: letterheads of any body, công văn subjects, OCR-tolerant labels, portal signers.
# 3: a portal's "Ngày cập nhật" dates a document without its own date and ends its title.
# 4: signature blocks as OCR lays them out ("Nưi nhận", "~" dashes, two blocks on one line, noise above a name)
# and blocks in a text box above "Nơi nhận"; titles in capitals kept over OCR's blank lines, and OCR-misread
# marks of a title's words respelled as the document's own text spells them.
METADATA_VERSION = "4"

_KIND_NAMES = (
    "KẾ HOẠCH|QUYẾT ĐỊNH|THÔNG BÁO|BÁO CÁO|CHỈ THỊ|NGHỊ QUYẾT|NGHỊ ĐỊNH|THÔNG TƯ|HƯỚNG DẪN|CHƯƠNG TRÌNH"
    "|TỜ TRÌNH|CÔNG VĂN|QUY ĐỊNH|QUY CHẾ|ĐỀ ÁN|KẾT LUẬN|THÔNG TRI|CÔNG ĐIỆN|BIÊN BẢN|GIẤY MỜI|PHƯƠNG ÁN"
)


def _bare(text: str) -> str:
    """Upper-case letters without diacritics, case kept ("QUYÉT ĐỊNH" -> "QUYET DINH"): OCR misreads marks."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).replace("Đ", "D")


_KIND_OF = {_bare(k): k for k in _KIND_NAMES.split("|")}
_KIND_GAP = r"[:.,;]?[ \t]+"  # OCR may read a stray mark between the words of the kind ("QUYẾT: ĐỊNH")
# The kind in capitals at the start of a line, or inline right after the dateline (one-line PDF extraction).
_KIND = re.compile(rf"(?:^|\bnam \d{{4}} )({'|'.join(k.replace(' ', _KIND_GAP) for k in _KIND_OF)})(?=\s|$|:)", re.M)
_SUBJECT = re.compile(r"^[ \t]*(?:V/[vV]|v/v)\b[.:]?\s*\S", re.M)
_NEWS_LABEL = re.compile(
    r"(?:Ngày đăng|Ngày cập nhật|Cập nhật(?: lúc)?|Ngày xuất bản|Xuất bản|Đăng ngày|Đăng lúc|Thứ (?:hai|ba|tư|năm|sáu"
    r"|bảy)|Chủ nhật)\b[^\n\d]{0,12}(?:\d{1,2}[:h]\d{2}\s*[|,-]?\s*)?(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
    r"|\(\d{1,2}:\d{2}\s+(\d{1,2})/(\d{1,2})/(\d{4})\)",
    re.I,
)
_DATELINE = re.compile(
    r"([^\n,]{2,60}),\s*ngày\s*(\S{0,4}?)[\s.…_]*tháng\s*(\S{0,4}?)[\s.…_]*năm\s*(\d{4})"
    r"|([^\n,]{2,60}),\s*(?:ngày\s*)?(\d{1,2})[./](\d{1,2})[./](\d{4})\b",
    re.I,
)
_BARE_DATE = re.compile(r"\bngày\s*(\S{0,4}?)[\s.…_]*tháng\s*(\S{0,4}?)[\s.…_]*năm\s*(\d{4})", re.I)
# "Số:" as printed, or as OCR misreads its marks ("Só:3036 /SCT-CN", "S6: 12/KH-UBND") when a number follows.
_NUMBER_LABEL = r"(?:[Ss][ốỐ]\s*:|Số\s(?=\d)|S[oOóÓòÒôÔồỒổỔơƠ6]\s*:(?=\s*\d))"
_NUMBER = re.compile(rf"\b{_NUMBER_LABEL}\s*([^\n]{{0,40}})")
_ANNOUNCED = re.compile(
    r"\bvừa (?:có|ban hành|ra|gửi)\s+(?:văn bản|thông báo|kế hoạch|kết luận|chỉ thị|nghị quyết|quyết định"
    r"|công văn|hướng dẫn)\s+số\s+(\d+[\w./-]*[/-][\w./-]*\w)",
    re.I,
)
_MOTTO = re.compile(
    r"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM|Độc lập\s*-\s*Tự do\s*-\s*Hạnh phúc|ĐẢNG CỘNG SẢN VIỆT NAM|[-–—_*=]{2,}"
    r"|^\s*\*\s*$",
    re.I | re.M,
)
_LEVELS = r"thành phố|tp\.?|tỉnh|quận|huyện|thị xã|phường|xã|thị trấn|đặc khu"
_UBND = re.compile(rf"\b(?:ubnd|ủy ban nhân dân|hđnd|hội đồng nhân dân)\s+({_LEVELS})\s+", re.I)
_PARTY = re.compile(rf"\b(thành ủy|tỉnh ủy|quận ủy|huyện ủy|thị ủy|đảng ủy(?:\s+(?:{_LEVELS}))?)(?:\s+|$)", re.I)
_PARTY_BRANCH = re.compile(rf"\bđảng bộ\s+({_LEVELS})\s+", re.I)
# A department below the body named before it: "SỞ CÔNG THƯƠNG", "PHÒNG NỘI VỤ", "BAN DÂN VẬN".
_DEPARTMENT = re.compile(r"^\s*(SỞ|PHÒNG|BAN|VĂN PHÒNG|CHI CỤC|THANH TRA)\s+([^\W\d_][^\n]{1,80})$", re.M)
_SIGN_WORDS = re.compile(
    r"CHỦ TỊCH|GIÁM ĐỐC|BÍ THƯ|TRƯỞNG|CHÁNH VĂN PHÒNG|THƯỜNG TRỰC|THỦ TRƯỞNG|ĐẠI DIỆN|ỦY BAN NHÂN DÂN"
    r"|BAN THƯỜNG VỤ|ĐẢNG ỦY|THƯ KÝ|NGƯỜI LẬP|TỔNG GIÁM ĐỐC"
)
_SIGN_PREFIX = re.compile(r"^(?:(?:KT|TM|TL|TUQ|Q)\s*\.\s*|(?:T/M|K/T|T/L|TM|KT|TL|ĐD)\s+)+(?=\S)")
_BLOCK_START = re.compile(r"(?:\bĐD\s|ĐẠI DIỆN|\b(?:KT|TM|TL)\s*\.)")
# "Nơi nhận" as OCR may read its marks ("Nưi nhận", "Noi nhân"), compared on `_bare` lower-cased text.
_RECIPIENTS_LABEL = re.compile(r"\s*n[ou]i\s*nhan\b")
# A recipients' list item: its dash as printed or as OCR reads it ("~ Thường trực Tỉnh ủy (b/e);").
_RECIPIENT_DASHES = ("-", "+", "~", "–", "—", "•", "*")
# Vietnamese family names, to split two names OCR puts on one line ("Vũ Việt Linh Triệu Vũ"): the common ones
# and those of the northern mountain provinces' peoples (Tày, Nùng, H'Mông, Dao).
_FAMILY_NAMES = frozenset(
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Đào Đoàn Trương Lâm Mai Trịnh"
    " Lương Hà Tạ Cao Chu Triệu Lưu Tô Quách Thái Vương Kiều Hứa La Lò Sầm Nông Lục Hầu Giàng Thào Vàng Sùng"
    " Tăng Mạc Khổng Lại Lữ Phùng Tống Doãn Nghiêm Đàm Âu Châu Giang Hàn Kim Ninh Thân Quan Bế Ma Lã Đồng"
    " Tôn Tiêu Từ Diệp Thạch Lạc Khúc Viên Nhữ".split()
)
_MEETING_DATE = re.compile(
    r"H[ôồốổỗộo]m nay,?\s*(?:vào hồi[^,\n]{0,20},\s*)?ngày\s*(?:(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
    r"|(\S{0,4}?)[\s.…_]*tháng\s*(\S{0,4}?)[\s.…_]*năm\s*(\d{4}))",
    re.I,
)
_SIGNED = re.compile(
    r"^\(?\s*(?:đã ký|ký|ký tên|chữ ký số|ký số|ký, ghi rõ họ tên|ký, đóng dấu|ký tên, đóng dấu)[^)]*\)?$"
)
_SIGN_TITLE = re.compile(
    r"(?:\(đã ký\)|\bCHỦ TỊCH|GIÁM ĐỐC|BÍ THƯ|TRƯỞNG BAN|TRƯỞNG PHÒNG|CHÁNH VĂN PHÒNG|THƯỜNG TRỰC"
    r"|THỦ TRƯỞNG|\(Ký[^)\n]*\))"
)
# Where a title ends: the body's first words, a list, or the issuing authority line of a decision.
_BODY_START = re.compile(
    r"(?:Căn cứ|Thực hiện|Theo|Nhằm|Để|Trên cơ sở|Xét|Kính gửi|Hôm nay|Vào hồi|Hồi \d|Ngày \d|Điều \d|Phần|Chương"
    r"|[IVX]+\.|\d+[.)]|[a-zđ]\)|[(\-+•])"
    r"|(?:ỦY BAN|UBND|CHỦ TỊCH|HỘI ĐỒNG|HĐND|BAN THƯỜNG VỤ|BAN CHẤP HÀNH|THƯỜNG TRỰC|GIÁM ĐỐC|BỘ TRƯỞNG|ĐẢNG ỦY"
    r"|BÍ THƯ|SỞ [A-ZĐ])"
)
_AUTHORITY = re.compile(
    r"\s(?:CHỦ TỊCH|ỦY BAN NHÂN DÂN|HỘI ĐỒNG NHÂN DÂN|BAN THƯỜNG VỤ|BAN CHẤP HÀNH|THƯỜNG TRỰC|GIÁM ĐỐC|BỘ TRƯỞNG"
    r"|BÍ THƯ)\b"
)
_TITLE_NEVER = re.compile(r"Căn cứ|Kính gửi|Hôm nay|Điều \d|[IVX]+\.\s|\d+\.\s")  # no title starts so
# Capitalised words that end a name in a header (the next header item, not part of the name).
# ("THÀNH", "HỘI" are not here: "phường Thành Công", "thành phố Hội An".)
_NAME_STOP = {"ỦY", "UBND", "BAN", "CỘNG", "SỐ", "ĐỘC", "HĐND", "ĐẢNG", "TỈNH"}
_NAME_STOP |= {"SỞ", "PHÒNG", "BỘ", "CỤC", "TRƯỜNG", "VIỆN", "TỔNG"}  # bodies: never part of a place name
_NAME_STOP |= {w.capitalize() for w in _NAME_STOP}
_NAME_END = re.compile(rf"\n|\b(?:{_KIND_NAMES})\b")
_CLOSERS = '”"’)»'
_MAX_TITLE = 400


def _name_after(text: str, pos: int, max_words: int = 4) -> tuple[str, int]:
    """The capitalised place name that starts at `pos` ("Gò Vấp", "HỒ CHÍ MINH", "3"), and its end."""
    window = text[pos : pos + 80]
    cut = _NAME_END.search(window)
    words: list[str] = []
    end = pos
    for m in re.finditer(r"\S+", window[: cut.start() if cut else None]):
        word = m.group(0).rstrip(",;.")
        if not word or word in _NAME_STOP or not (word[0].isupper() or (word.isdigit() and not words)):
            break
        if not all(c.isalpha() for c in word) and not word.isdigit():
            break
        words.append(word)
        end = pos + m.start() + len(word)
        if len(words) == max_words or word.isdigit():
            break
    name = " ".join(words)
    return (name.title() if name.isupper() else name), end


def _org(match: re.Match[str], text: str) -> tuple[int, str, str]:
    """Where the name ends, the canonical short name of the body a pattern matched, and its locality."""
    name, end = _name_after(text, match.end())
    head = match.group(0).strip()
    if not name and match.re is _PARTY and len(head.split()) == 2:
        # "ĐẢNG BỘ THÀNH PHỐ HÀ NỘI / THÀNH ỦY": the committee's locality is its party branch's.
        branch = list(_PARTY_BRANCH.finditer(text, 0, match.start()))
        if branch:
            name = _name_after(text, branch[-1].end())[0]
            end = match.end()
    if not name:
        return end, "", ""
    if match.re is _UBND:
        level = match.group(1).lower().rstrip(".")
        level = "thành phố" if level == "tp" else level
        body = "HĐND" if fold(head).startswith(("hdnd", "hoi")) else "UBND"
        return end, f"{body} {level} {name}", name
    words = head.lower().split()
    return end, " ".join([words[0].capitalize(), *words[1:], name]), name


def _orgs(text: str) -> list[tuple[int, int, str, str]]:
    """Every (start, end, issuer, place) named in `text`, in order."""
    found = [(m.start(), *_org(m, text)) for rx in (_UBND, _PARTY) for m in rx.finditer(text)]
    return sorted(f for f in found if f[2])


def _spelled(phrase: str, text: str) -> str:
    """`phrase` ("SỞ CÔNG THƯƠNG") as the document spells it in running text ("Sở Công Thương"), else in
    sentence case by its parts ("Sở Nông nghiệp và Môi trường")."""
    pattern = r"\s+".join(re.escape(w) for w in phrase.split())
    for m in re.finditer(rf"(?<!\w){pattern}(?!\w)", text, re.I):
        if not m.group(0).isupper() and m.group(0)[0].isupper():
            return re.sub(r"\s+", " ", m.group(0))
    words = phrase.lower().split()
    out = [w.capitalize() if i < 2 or words[i - 1] in {"và", "-", "–"} else w for i, w in enumerate(words)]
    return " ".join(out)


def _letterhead(header: str) -> str:
    """The header without the motto, dateline, number and rules: only the bodies remain, a line each."""
    header = _MOTTO.sub("\n", header)
    header = re.sub(r"[^\n,]{0,60},\s*ngày[^\n]*?năm\s*\d{4}|[^\n,]{0,60},\s*\d{1,2}[./]\d{1,2}[./]\d{4}", "\n", header)
    header = re.sub(rf"\b{_NUMBER_LABEL}[^\n]*", "\n", header)
    return "\n".join(line.strip() for line in header.split("\n") if line.strip())


def _header_issuer(header: str, text: str) -> str:
    """The issuer of a header: the last body named, or a department below it ("SỞ CÔNG THƯƠNG")."""
    head = _letterhead(header)
    orgs = _orgs(head)
    if not orgs:
        return _central_issuer(head, text)
    _, end, issuer, place = orgs[-1]
    rest = re.split(r"\bSố\b|\bSỐ\b|\n\n", head[end:])[0]
    dept = _DEPARTMENT.search(rest.strip("\n ,"))
    if dept and rest.strip().startswith(dept.group(0).strip()):
        name = _spelled(dept.group(0).strip(), text)
        superior = issuer.split(" ", 1)[1] if issuer.startswith(("UBND ", "HĐND ")) else issuer
        return f"{name} {superior}"
    capitals = [w for w in rest.split() if len(w) > 1 and w.isalpha() and w.isupper()]
    return "" if len(capitals) >= 2 else issuer


_CENTRAL = re.compile(r"\bBAN\s+CHẤP\s+HÀNH\s+TRUNG\s+ƯƠNG\b")


def _central_issuer(head: str, text: str) -> str:
    """A central Party letterhead: "BAN CHẤP HÀNH TRUNG ƯƠNG / BAN DÂN VẬN" is "Ban Dân vận Trung ương"."""
    central = _CENTRAL.search(head)
    if not central:
        return ""
    dept = _DEPARTMENT.match(head[central.end() :].strip("\n ,"))
    return f"{_spelled(dept.group(0).strip(), text)} Trung ương" if dept else "Ban Chấp hành Trung ương"


def _date_of(match: re.Match[str]) -> tuple[str, str, str, str]:
    """(place prefix, year, month, day) of a `_DATELINE` match."""
    if match.group(1) is not None:
        return match.group(1), match.group(4), match.group(3), match.group(2)
    return match.group(5), match.group(8), match.group(7), match.group(6)


def _dateline(text: str) -> tuple[str, str] | None:
    """(place, ISO date) of the first "<Place>, ngày … tháng … năm …"; one without a place cites another
    document."""
    for m in _DATELINE.finditer(text):
        prefix, year, month, day = _date_of(m)
        place = _place_before(prefix)
        if place:
            return place, _iso(year, month, day)
    return None


def _iso(year: str, month: str | None, day: str | None) -> str:
    if not month or not month.isdigit() or not 1 <= int(month) <= 12:
        return year
    if not day or not day.isdigit() or not 1 <= int(day) <= 31:
        return f"{year}-{int(month):02d}"
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _place_before(prefix: str) -> str:
    """The Title-case words ending `prefix`: the place of a dateline ("… Hạnh phúc Gò Vấp")."""
    prefix = re.split(r"hạnh phúc", prefix, flags=re.I)[-1]
    words: list[str] = []
    for word in reversed(prefix.split()):
        if not word[0].isupper() or (len(word) > 1 and word.isupper()) or not word.rstrip(".").isalpha():
            break
        words.insert(0, word)
    while words and fold(words[0]).rstrip(".") in {"tp", "thanh", "pho"}:
        words.pop(0)  # "TP. Hồ Chí Minh", "Thành phố Huế" -> the name
    return " ".join(words[-4:])


def _number(header: str) -> str:
    m = _NUMBER.search(header)
    if not m:
        return ""
    tokens = m.group(1).split()
    if not tokens or not tokens[0][0].isdigit():
        return ""  # "Số: /KH-UBND", "Số: …/SCT-CN": the number is left blank until the document is registered
    parts = [tokens[0]]
    for tok in tokens[1:]:
        if tok[0] in "/-" or parts[-1][-1] in "/-":
            parts.append(tok)
        else:
            break
    number = "".join(parts).rstrip(".,;")
    return number if re.fullmatch(r"\d+[\w./-]*[/-][\w./-]+", number) else ""


def _skippable(line: str) -> bool:
    """A line of the letterhead's other column met inside a wrapped title: motto, rule, dateline, number."""
    rest = _letterhead(line)
    return not rest or bool(re.fullmatch(r"[\W_]*", rest))


def _is_noise(line: str) -> bool:
    """A line of OCR noise ("„ ^ » ˆ LFA Ä A .ˆ"): stray marks, and most of its tokens neither a word of two
    letters or more that can be a Vietnamese syllable, nor a number (a line of acronyms, "VLNCN", is kept)."""
    tokens = line.split()
    if not any(not any(c.isalnum() for c in t) for t in tokens):
        return False
    words = [t.strip(".,;:!?()[]\"'“”‘’«»„") for t in tokens]
    content = sum(1 for w in words if w.isdigit() or (len(w) > 1 and is_syllable(w)))
    return 2 * content < len(tokens)


def _is_upper(line: str) -> bool:
    """Whether `line` has letters and all of them are capitals."""
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _continues(prev: str, line: str) -> bool:
    """Whether `line` goes on with the title that `prev` ended."""
    if line[0].islower():
        return True
    if _BODY_START.match(line) or prev.endswith((".", ";", ":")) or len(line) > 160:
        return False
    letters = [c for c in line if c.isalpha()]
    upper = bool(letters) and all(c.isupper() for c in letters)
    prev_letters = [c for c in prev if c.isalpha()]
    prev_upper = bool(prev_letters) and all(c.isupper() for c in prev_letters)
    return upper == prev_upper


def _wrapped(lines: list[str], first: str) -> str:
    """`first` and the lines that continue it (a title hard-wrapped over several lines)."""
    parts = [first.strip()] if first.strip() else []
    # The kind's own line goes on for a word or two ("BIÊN BẢN KIỂM TRA"): its object follows, in any case.
    heading = bool(parts) and len(parts[0].split()) <= 3
    for k, line in enumerate(lines):
        line = line.strip()
        if not line:
            after = lines[k + 1].strip() if k + 1 < len(lines) else ""
            # OCR puts a blank line between the lines of a title in capitals (a paragraph break to Tesseract).
            ocr_break = bool(parts) and bool(after) and _is_upper(parts[-1]) and _continues(parts[-1], after)
            if parts and not (heading and len(parts) == 1) and not ocr_break:
                break
            continue
        if parts and (re.fullmatch(r"[-–—_*=\s]+", line) or _NEWS_LABEL.match(line)):
            break  # the rule under a title, or a portal's "Ngày cập nhật 14/07/2022" line
        if _skippable(line) or _is_noise(line):
            continue
        line = _letterhead(line) if _DATELINE.search(line) else line  # the other column on the same line
        if not parts:
            if _TITLE_NEVER.match(line):
                return ""
            parts.append(line)
            continue
        if not (heading and len(parts) == 1 and not _BODY_START.match(line)) and not _continues(parts[-1], line):
            break
        parts.append(line)
    title = ""
    for part in parts:
        title = title + part if title.endswith("-") and part[0].isupper() else f"{title} {part}".strip()
    title = title.rstrip(" .,;")
    return title if len(title) <= _MAX_TITLE else ""


def _title_after_kind(lines: list[str], kind: re.Match[str], text: str) -> str:
    line_no = text.count("\n", 0, kind.start())
    end = text.find("\n", kind.end())
    rest = text[kind.end() : end if end != -1 else len(text)].strip().lstrip(":").strip()
    line_start = text.rfind("\n", 0, kind.start()) + 1
    if not rest or (kind.start() == line_start and len(rest) <= 160):
        # The kind alone on its line, or beginning a short line: the title and its wrapped continuation.
        return _wrapped(lines[line_no + 1 : line_no + 12], rest)
    # Inline header: where the title ends is unmarked. A page headline that spells the title
    # (ignoring case, accents, quotes and spaces) tells; otherwise stop where the body starts.
    head_key = re.sub(r"\W", "", fold(lines[0])) if lines else ""
    if len(head_key) >= 10 and line_no > 0:
        count = 0
        for i, ch in enumerate(rest):
            count += len(re.sub(r"\W", "", fold(ch)))
            if count >= len(head_key):
                candidate = rest[: i + 1]
                if re.sub(r"\W", "", fold(candidate)) == head_key:
                    j = i + 1
                    while j < len(rest) and rest[j] in _CLOSERS:
                        j += 1
                    return rest[:j]
                break
    # A title in sentence case ends where the authority that issues the decision is named in capitals
    # ("… huyện Giá Rai CHỦ TỊCH ỦY BAN NHÂN DÂN HUYỆN GIÁ RAI Căn cứ …").
    authority = _AUTHORITY.search(rest, 10)
    if authority and any(c.islower() for c in rest[: authority.start()]):
        rest = rest[: authority.start()].rstrip()
    m = re.search(r"\s(?:Căn cứ|Thực hiện|Theo|Nhằm|Để|Trên cơ sở|Xét)\b|[.;:](?:\s|$)", rest[10:])
    if m:
        return rest[: 10 + m.start()].strip() if m.start() < 250 else ""
    return rest if len(rest) <= 250 else ""


def _marks(word: str) -> set[str]:
    """The diacritics of a word: its combining marks, and the stroke of "đ"."""
    marks = {c for c in unicodedata.normalize("NFD", word) if unicodedata.combining(c)}
    return marks | {"đ"} if "đ" in word.lower() else marks


def _in_title(words: list[str], title: str) -> bool:
    """Whether a line of `words` is part of `title` (its words joined by spaces): inside it, or ending with its
    first two words or more ("QUYẾT ĐỊNH CHÁP THUẬN …", the kind's line)."""
    line = " ".join(words)
    if not line or f" {line} " in f" {title} ":
        return True
    return any(f"{title} ".startswith(" ".join(words[k:]) + " ") for k in range(1, len(words) - 1))


def _respelled(title: str, lines: list[str]) -> str:
    """`title` with each word that OCR misread the marks of ("CHÁP THUẬN", "ĐẢU TƯ", "ĐÔNG THỜI" in bold
    capitals) spelled as the document's own text spells it beside the same neighbour: a spelling of the same
    letters found there at least twice, when the title's spelling is not found there at all, or has fewer marks
    (OCR drops the marks stacked on capitals far more often than it adds some). Only words of the document are
    used, never a guess; a title whose words the text spells alike is unchanged."""
    words = list(re.finditer(r"[^\W\d_]+", title))
    if len(words) < 2:
        return title
    # Each word of the text as (spelling, previous word, next word), grouped by its letters.
    tokens = ["", *(m.group(0).lower() for m in words), ""]
    own = " ".join(tokens).strip()
    places: Counter[tuple[str, str, str]] = Counter()
    for line in lines:
        found = re.findall(r"[^\W\d_]+", line.lower())
        if _in_title(found, own):
            continue  # the title's own lines are no evidence of its spelling
        found = ["", *found, ""]
        places.update((found[j], found[j - 1], found[j + 1]) for j in range(1, len(found) - 1))
    by_letters: dict[str, list[tuple[str, str, str, int]]] = {}
    for (word, prev, nxt), n in places.items():
        by_letters.setdefault(_bare(word), []).append((word, prev, nxt, n))
    out, last = [], 0
    for i, m in enumerate(words, start=1):
        word, prev, nxt = tokens[i], tokens[i - 1], tokens[i + 1]
        seen: Counter[str] = Counter()
        for spelling, p, q, n in by_letters.get(_bare(word), []):
            if (prev and p == prev) or (nxt and q == nxt):
                seen[spelling] += n  # each place once, beside one neighbour or both
        best = max((w for w in seen if w != word), key=lambda w: seen[w], default="")
        if best and seen[best] >= 2 and is_syllable(best) and (not seen[word] or _marks(word) < _marks(best)):
            tokens[i] = best
            original = m.group(0)
            spelled = best.upper() if original.isupper() else best.capitalize() if original[0].isupper() else best
            out += [title[last : m.start()], spelled]
            last = m.end()
    return "".join([*out, title[last:]])


def _is_sign_title(line: str) -> bool:
    """A line of a signature block's titles: "KT. CHỦ TỊCH", "PHÓ GIÁM ĐỐC", "TM. ỦY BAN NHÂN DÂN"."""
    rest = _SIGN_PREFIX.sub("", line)
    letters = [c for c in rest if c.isalpha()]
    if not letters or not all(c.isupper() for c in letters) or len(rest) > 80:
        return False
    return bool(_SIGN_WORDS.search(rest)) or rest != line


def _is_name(line: str) -> bool:
    """A person's name on its own line: 2-5 Title-case words ("Nguyễn Thành Sinh")."""
    words = line.split()
    return 2 <= len(words) <= 5 and all(
        w.isalpha() and w[0].isupper() and (w[1:].islower() or len(w) == 1) for w in words
    )


def _upper_tail(line: str) -> str:
    """The words in capitals that end `line` ("- Như Điều 3; PHÓ CHỦ TỊCH" -> "PHÓ CHỦ TỊCH")."""
    words = line.split()
    n = len(words)
    while n and any(c.isalpha() for c in words[n - 1]) and words[n - 1].upper() == words[n - 1]:
        n -= 1
    return " ".join(words[n:])


def _is_recipients_label(line: str) -> bool:
    """Whether `line` starts with "Nơi nhận", as printed or as OCR misreads it ("Nưi nhận")."""
    return bool(_RECIPIENTS_LABEL.match(_bare(line).lower()))


def _is_recipient(line: str) -> bool:
    """A line of the recipients' list: its label, an item ("- Như trên;", "~ Thường trực …"), "Lưu: VT"."""
    line = line.strip()
    return (
        line.startswith(_RECIPIENT_DASHES) or _is_recipients_label(line) or line.lower().startswith(("như trên", "lưu"))
    )


def _is_mark_noise(line: str) -> bool:
    """A short run of marks OCR reads in a signature's strokes or a seal ("6+?", "-2—"): no two letters in a row."""
    return len(line) <= 8 and not re.search(r"[^\W\d_]{2}", line)


def _split_names(line: str, count: int) -> list[str]:
    """`line` as `count` names side by side ("Vũ Việt Linh Triệu Vũ" -> two), each 2-5 Title-case words and
    starting with a family name; [] when the line cannot be split so, or can be split more than one way, or could
    be one name alone (a line of 4 words or fewer)."""
    words = line.split()
    if not _is_name(" ".join(words[:5])) or not all(w.isalpha() and w[0].isupper() for w in words):
        return []
    if count < 2 or len(words) <= 4:
        return []

    def splits(rest: list[str], parts: int) -> list[list[str]]:
        if parts == 0:
            return [[]] if not rest else []
        found = []
        for n in range(2, min(5, len(rest)) + 1):
            head = rest[:n]
            if head[0] in _FAMILY_NAMES and _is_name(" ".join(head)):
                found += [[" ".join(head), *tail] for tail in splits(rest[n:], parts - 1)]
        return found

    found = splits(words, count)
    return found[0] if len(found) == 1 else []


# A level word before capitalised words makes them a place ("tỉnh Hà Giang", "huyện Mai Châu"), not a person.
_PLACE_BEFORE = re.compile(r"(?i:tỉnh|thành phố|tp\.?|quận|huyện|thị xã|thị trấn|xã|phường|tại|ở)\s+$")


def person_names(text: str) -> list[str]:
    """People named in running text: a family name followed by one to three given names, each capitalised
    ("đồng chí Hoàng Trung Hải, Bí thư …" → ["Hoàng Trung Hải"]); a body ("Ủy ban nhân dân quận") or a place
    ("Lào Cai") is none, as no family name starts it, nor a place after its level ("tỉnh Hà Giang").

    >>> person_names("Đồng chí Hoàng Trung Hải làm việc với UBND quận Ba Đình; bà Lương Thị Lợi ký.")
    ['Hoàng Trung Hải', 'Lương Thị Lợi']
    >>> person_names("UBND quận Ba Đình giao Phòng Nội vụ tổng hợp báo cáo năm 2018.")
    []
    """
    found: list[str] = []
    words = list(re.finditer(r"[^\W\d_]+", text))
    i = 0
    while i < len(words):
        run = [words[i]]
        while (
            len(run) < 4
            and i + len(run) < len(words)
            and words[i + len(run)].group(0)[0].isupper()
            and text[run[-1].end() : words[i + len(run)].start()].isspace()
        ):
            run.append(words[i + len(run)])
        names = [w.group(0) for w in run]
        n = next((n for n in range(len(names), 1, -1) if _is_name(" ".join(names[:n]))), 0)
        if n and names[0] in _FAMILY_NAMES and not _PLACE_BEFORE.search(text, 0, words[i].start()):
            found.append(" ".join(names[:n]))
            i += n
        else:
            i += 1
    return found


def _block_part(line: str) -> str:
    """The part of a line that belongs to a signature block: a recipients' list may share the line
    ("Nơi nhận: KT. CHỦ TỊCH", "- Như Điều 3; PHÓ CHỦ TỊCH", "- Lưu: VT. Võ Thị Hoa")."""
    line = line.strip()
    if not (line.startswith(_RECIPIENT_DASHES) or _is_recipients_label(line)):
        return line
    tail = _upper_tail(line)
    if tail and _is_sign_title(tail):
        return tail
    after = re.split(r"[.;:]\s", line)[-1].strip() if re.search(r"[.;:]\s", line) else ""
    return after if _is_name(after) else line


def _signers(lines: list[str]) -> list[str]:
    """The names under each signature block (titles, then "(Đã ký)", the stamp, blank lines, then the name);
    lines of the recipients' list ("Nơi nhận:", "- Như trên;") beside the block, and short runs of marks OCR
    reads in a signature ("6+?"), are skipped. Blocks side by side on one line ("ĐD SỞ … ĐD UBND XÃ …") have their
    names side by side too: they are taken only when the names split one way (`_split_names`)."""
    names: list[str] = []
    lines = [_block_part(line) for line in lines]
    i = 0
    while i < len(lines):
        if not _is_sign_title(lines[i].strip()):
            i += 1
            continue
        blocks = len(_BLOCK_START.findall(lines[i]))
        j, seen = i + 1, 0
        while j < len(lines) and seen < 14:
            line = lines[j].strip()
            if line and not (
                _is_sign_title(line) or _SIGNED.match(line.lower()) or _is_recipient(line) or _is_mark_noise(line)
            ):
                break
            j, seen = j + 1, seen + 1
        found = lines[j].strip() if j < len(lines) and seen < 14 else ""
        block_names = _split_names(found, blocks) if blocks > 1 else [found] if _is_name(found) else []
        names += [name for name in block_names if name not in names]
        i = j
    return names


def _inline_signer(text: str) -> str:
    """The name after the last signing title on the same line ("… PHÓ CHỦ TỊCH (đã ký) Nguyễn Hồng 5")."""
    tail = text[-800:]
    titles = list(_SIGN_TITLE.finditer(tail))
    if not titles:
        return ""
    line = tail[titles[-1].end() :].split("\n")[0]
    words: list[str] = []
    for word in line.split():
        if word.isalpha() and word[0].isupper() and (len(word) == 1 or word[1:].islower()):
            words.append(word)
        elif words:
            break  # "(đã ký)" and capitalised titles before the name are skipped; anything after ends it
    return " ".join(words) if 2 <= len(words) <= 5 else ""


def _block_above(lines: list[str], mark: int) -> int:
    """Where a signature block that ends just above line `mark` starts (a .docx block drawn in a text box
    anchored in the last paragraph comes before "Nơi nhận:"): up to 12 lines of titles, "(Đã ký)", marks and
    blank lines above a name; `mark` when there is none."""
    i = mark - 1
    while i >= 0 and not lines[i].strip():
        i -= 1
    if i < 0 or not _is_name(lines[i].strip()):
        return mark
    start = mark
    for j in range(i - 1, max(-1, mark - 13), -1):
        line = lines[j].strip()
        if _is_sign_title(line):
            start = j
        elif line and not (_SIGNED.match(line.lower()) or _is_mark_noise(line)):
            break
    return start


def _signature_zone(lines: list[str]) -> list[str]:
    """Where signature blocks are: beside and below the recipients' list ("Nơi nhận:"), and a block just above
    it, else the document's end; a table of members further up ("TRƯỞNG BAN / Nguyễn Văn An") is no signature."""
    marks = [i for i, line in enumerate(lines) if _is_recipients_label(line)]
    if not marks:
        return lines[-60:]
    starts = {i: min(max(0, i - 2), _block_above(lines, i)) for i in marks}
    keep = sorted({j for i in marks for j in range(starts[i], min(len(lines), i + 30))})
    return [lines[j] for j in keep]


_PORTAL_SIGNER = re.compile(r"(?:^|\s)Người ký\s*:?\s+(.+)")


def _portal_signer(lines: list[str]) -> str:
    """The signer a legal portal's metadata block names above the letterhead ("Người ký: Phạm Đình Cự",
    "Người ký Lê Văn Hưởng"), for documents copied without their signature block."""
    for line in lines[:15]:
        if not (m := _PORTAL_SIGNER.search(line)):
            continue
        words: list[str] = []
        for word in m.group(1).split():
            if not (word.isalpha() and word[0].isupper() and (len(word) == 1 or word[1:].islower())):
                break
            words.append(word)
        if 2 <= len(words) <= 5:
            return " ".join(words)
    return ""


def _signer(text: str, lines: list[str]) -> str:
    """The signer(s) of a document, joined by ", " when several sign (a record, a joint document); for a page
    copied from a legal portal without its signature block, the signer its metadata block names."""
    return ", ".join(_signers(_signature_zone(lines))) or _inline_signer(text) or _portal_signer(lines)


def _news_date(lines: list[str]) -> tuple[int, str] | None:
    """(line index, ISO date) of the published date near the top of a page."""
    for i, line in enumerate(lines[:12]):
        m = _NEWS_LABEL.search(line)
        if m:
            day, month, year = [g for g in m.groups() if g][:3]
            return i, _iso(year, month, day)
    return None


def extract_metadata(text: str, source: str) -> DocMeta:
    """Title, issuer, number, date, place, signer and kind found in a cleaned document."""
    lines = [normalize(line) for line in text.split("\n")]
    norm = "\n".join(lines).strip("\n")
    lines = norm.split("\n")
    head_zone = norm[:1500]
    kind_m = _KIND.search(_bare(head_zone))  # same offsets: stripping marks keeps one letter per letter
    subject_m = _SUBJECT.search(head_zone)
    news = _news_date(lines)
    if subject_m and (not kind_m or subject_m.start() < kind_m.start()):
        meta = _letter_meta(norm, lines, subject_m)
    elif kind_m:
        meta = _document_meta(norm, lines, kind_m)
    elif news:
        meta = _news_meta(norm, lines, news)
    else:
        meta = _plain_meta(lines, head_zone)
    log.debug("metadata of %s: %s", source, meta)
    return meta


def _plain_meta(lines: list[str], head_zone: str) -> DocMeta:
    """Unknown shape: only what is stated explicitly; a short first line is taken as the title."""
    dateline = _dateline(head_zone)
    first = lines[0] if lines else ""
    title = first if len(first) <= 150 and not first.endswith((".", ";", ",")) else ""
    number_m = _NUMBER.search(head_zone)
    return DocMeta(
        title=title,
        issuer=_header_issuer(head_zone[: number_m.start()], head_zone) if number_m else "",
        number=_number(head_zone),
        date=dateline[1] if dateline else "",
        place=dateline[0] if dateline else "",
    )


def _header_fields(norm: str, header: str, header_end: int) -> tuple[str, str, str, str]:
    """(issuer, number, date, place) of a document whose header is `header`."""
    dateline = _dateline(header) or _dateline(norm[: max(header_end + 200, 1500)])
    if dateline:
        place, date = dateline
    else:  # a dateline without its place (lost beside the other column): the header's own date only
        bare = _BARE_DATE.search(header)
        place, date = "", _iso(bare.group(3), bare.group(2), bare.group(1)) if bare else ""
    number_m = _NUMBER.search(header) or _NUMBER.search(norm[:600])
    issuer = _header_issuer(header, norm)  # the superior body comes first, the issuer last
    if not issuer and place and number_m and "UBND" in number_m.group(1):
        # Header lost in scraping: the number says UBND, the dateline names the place, and the text
        # says which level that place is ("quận Ba Đình").
        level = re.search(rf"\b({_LEVELS})\s+{re.escape(place)}\b", norm, re.I)
        if level and not level.group(1).lower().startswith("tp"):
            issuer = f"UBND {level.group(1).lower()} {place}"
    return issuer, _number(number_m.group(0)) if number_m else "", date, place


def _document_meta(norm: str, lines: list[str], kind_m: re.Match[str]) -> DocMeta:
    header = norm[: kind_m.start()]
    issuer, number, date, place = _header_fields(norm, header, kind_m.start())
    kind = _KIND_OF[re.sub(_KIND_GAP, " ", kind_m.group(1))]
    meeting = _MEETING_DATE.search(norm, kind_m.end(), kind_m.end() + 1500) if kind == "BIÊN BẢN" else None
    if meeting and not date:  # a record is dated in its opening "Hôm nay, ngày 08/6/2026"
        g = meeting.groups()
        date = _iso(g[2], g[1], g[0]) if g[2] else _iso(g[5], g[4], g[3])
    if not date and (news := _news_date(lines)):  # a report copied onto a portal: the page's own date only
        date = news[1]
    return DocMeta(
        title=_respelled(_title_after_kind(lines, kind_m, norm), lines),
        issuer=issuer,
        number=number,
        date=date,
        place=place,
        signer=_signer(norm, lines),
        kind=kind,
    )


def _letter_meta(norm: str, lines: list[str], subject_m: re.Match[str]) -> DocMeta:
    """An official letter (công văn): titled by its "V/v …" subject, which may wrap over several lines."""
    line_no = norm.count("\n", 0, subject_m.start())
    end_line = next(
        (i for i in range(line_no + 1, min(len(lines), line_no + 16)) if lines[i].strip().startswith("Kính gửi")),
        min(len(lines), line_no + 12),
    )
    below = lines[line_no + 1 : end_line]
    # The header: the lines above the subject, and those of the other column met below it (dateline, number).
    header = "\n".join(lines[:line_no] + [ln for ln in below if _skippable(ln) or _DATELINE.search(ln)])
    issuer, number, date, place = _header_fields(norm, header, subject_m.start())
    return DocMeta(
        title=_respelled(_wrapped(below, lines[line_no]), lines),
        issuer=issuer,
        number=number,
        date=date,
        place=place,
        signer=_signer(norm, lines),
        kind="CÔNG VĂN",
    )


def _news_meta(norm: str, lines: list[str], news: tuple[int, str]) -> DocMeta:
    line_no, date = news
    date_line = lines[line_no]
    headline = re.sub(r"\s*\(\d{1,2}:\d{2}\s+\d{1,2}/\d{1,2}/\d{4}\)\s*$", "", date_line)
    if _NEWS_LABEL.match(headline) or headline == date_line:  # the date on its own line: the headline is above
        above = [ln for ln in lines[:line_no] if ln.strip()]
        below = [ln for ln in lines[line_no + 1 : line_no + 3] if ln.strip()]
        if above:
            headline = above[-1].strip() if len(above[-1]) <= 200 else ""
        else:  # the date line heads the page ("Thứ Năm, 16/01/2025 09:15"): the headline follows
            headline = below[0].strip() if below and len(below[0]) <= 200 else ""
    orgs = _orgs(norm)
    issuer, place = (orgs[0][2], orgs[0][3]) if orgs else ("", "")
    lead = next((ln for ln in lines[line_no + 1 :] if len(ln) > 60), "")  # the first paragraph after the headline
    announced = _ANNOUNCED.search(lead)
    return DocMeta(
        title=headline,
        issuer=issuer,
        number=announced.group(1) if announced else "",
        date=date,
        place=place,
        kind="tin tức",
    )
