"""Document metadata read from the cleaned text of a Vietnamese administrative document or news item.

Two shapes are recognised:
- an administrative document (Nghị định 30/2020 layout): header with the issuing body ("UBND TP HỒ CHÍ
  MINH / ỦY BAN NHÂN DÂN QUẬN GÒ VẤP": the superior body first, the issuer second), "Số: 08/KH-UBND",
  the dateline "Gò Vấp, ngày 09 tháng 02 năm 2010", the kind in capitals ("KẾ HOẠCH") followed by the
  title, and a signature block ending with the signer's name;
- a news item: headline, "Ngày đăng 29/05/2018" or "(21:41 07/03/2018)", body, byline. It has no
  signer (the byline names a reporter, not a signatory). Its issuer is the first body named in
  the text (the one whose plan or meeting is reported: "UBND quận Ba Đình" for a report on Ba Đình's
  plan 34/KH-UBND, "Thành ủy Hà Nội" for one on its notice 1186-TB/TU), so that filtering by issuer
  finds the news about that body; its place is that body's locality. Its number is that of the
  document its lead announces ("Thành ủy Hà Nội vừa có Văn bản số 1186-TB/TU thông báo…"); documents
  merely cited further on ("theo Kết luận số 22-KL/TW") are not the item's subject.

A field that the text does not state stays empty rather than guessed. Fields are normalised
(`index.normalize.normalize`) so that "Thành uỷ" and "Thành ủy" filter alike.
"""

from __future__ import annotations

import logging
import re

from index.normalize import fold, normalize
from index.types import DocMeta

log = logging.getLogger(__name__)

_KINDS = (
    "KẾ HOẠCH|QUYẾT ĐỊNH|THÔNG BÁO|BÁO CÁO|CHỈ THỊ|NGHỊ QUYẾT|NGHỊ ĐỊNH|THÔNG TƯ|HƯỚNG DẪN|CHƯƠNG TRÌNH"
    "|TỜ TRÌNH|CÔNG VĂN|QUY ĐỊNH|QUY CHẾ|ĐỀ ÁN|KẾT LUẬN|THÔNG TRI|CÔNG ĐIỆN"
)
# The kind in capitals on its own line, or inline right after the dateline (one-line PDF extraction).
_KIND = re.compile(rf"(?:^|\bnăm \d{{4}} )({_KINDS})(?=\s|$)", re.M)
_NEWS_DATE = re.compile(r"Ngày đăng:?\s*(\d{1,2})/(\d{1,2})/(\d{4})|\(\d{1,2}:\d{2}\s+(\d{1,2})/(\d{1,2})/(\d{4})\)")
_DATELINE = re.compile(r"([^\n,]{2,60}),\s*ngày\s*(\d{1,2})?\s*tháng\s*(\d{1,2})?\s*năm\s*(\d{4})", re.I)
_NUMBER = re.compile(r"\bSố\s*:\s*([^\n]{0,40})")
_ANNOUNCED = re.compile(
    r"\bvừa (?:có|ban hành|ra|gửi)\s+(?:văn bản|thông báo|kế hoạch|kết luận|chỉ thị|nghị quyết|quyết định"
    r"|công văn|hướng dẫn)\s+số\s+(\d+[\w./-]*[/-][\w./-]*\w)",
    re.I,
)
_LEVELS = r"thành phố|tp\.?|tỉnh|quận|huyện|thị xã|phường|xã|thị trấn"
_UBND = re.compile(rf"\b(?:ubnd|ủy ban nhân dân|hđnd|hội đồng nhân dân)\s+({_LEVELS})\s+", re.I)
_PARTY = re.compile(rf"\b(thành ủy|tỉnh ủy|quận ủy|huyện ủy|thị ủy|đảng ủy(?:\s+(?:{_LEVELS}))?)\s+", re.I)
_SIGN_TITLE = re.compile(
    r"(?:\(đã ký\)|\bCHỦ TỊCH|GIÁM ĐỐC|BÍ THƯ|TRƯỞNG BAN|TRƯỞNG PHÒNG|CHÁNH VĂN PHÒNG|THƯỜNG TRỰC"
    r"|THỦ TRƯỞNG|\(Ký[^)\n]*\))"
)
# Capitalised words that end a name in a header (the next header item, not part of the name).
# ("THÀNH", "HỘI" are not here: "phường Thành Công", "thành phố Hội An".)
_NAME_STOP = {"ỦY", "UBND", "BAN", "CỘNG", "SỐ", "ĐỘC", "HĐND", "ĐẢNG", "TỈNH"}
_NAME_STOP |= {"SỞ", "PHÒNG", "BỘ", "CỤC", "TRƯỜNG", "VIỆN", "TỔNG"}  # bodies: never part of a place name
_NAME_STOP |= {w.capitalize() for w in _NAME_STOP}
_NAME_END = re.compile(rf"\n|\b(?:{_KINDS})\b")
_CLOSERS = '”"’)»'


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
    if not name:
        return end, "", ""
    head = match.group(0).strip()
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


def _header_issuer(header: str) -> str:
    """The issuer of a header: the last body named, unless an unrecognised body ("SỞ NỘI VỤ") follows."""
    orgs = _orgs(header)
    if not orgs:
        return ""
    _, end, issuer, _ = orgs[-1]
    rest = re.split(r"\bSố\b|\bSỐ\b|CỘNG HÒA|ĐẢNG CỘNG SẢN|\n\n", header[end:])[0]
    capitals = [w for w in rest.split() if len(w) > 1 and w.isalpha() and w.isupper()]
    return "" if len(capitals) >= 2 else issuer


def _dateline(text: str) -> re.Match[str] | None:
    """The first "<Place>, ngày … tháng … năm …"; one without a place cites another document."""
    return next((m for m in _DATELINE.finditer(text) if _place_before(m.group(1))), None)


def _iso(year: str, month: str | None, day: str | None) -> str:
    if not month or not 1 <= int(month) <= 12:
        return year
    if not day or not 1 <= int(day) <= 31:
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
        return ""  # "Số: /KH-UBND": the number is left blank until the document is registered
    parts = [tokens[0]]
    for tok in tokens[1:]:
        if tok[0] in "/-" or parts[-1][-1] in "/-":
            parts.append(tok)
        else:
            break
    number = "".join(parts).rstrip(".,;")
    return number if re.fullmatch(r"\d+[\w./-]*[/-][\w./-]+", number) else ""


def _title_after_kind(lines: list[str], kind: re.Match[str], text: str) -> str:
    line_no = text.count("\n", 0, kind.start())
    end = text.find("\n", kind.end())
    rest = text[kind.end() : end if end != -1 else len(text)].strip()
    if not rest:  # kind alone on its line: the title is the next line and its lower-case continuations
        title_lines: list[str] = []
        for line in lines[line_no + 1 : line_no + 4]:
            if not line or (title_lines and not line[0].islower()):
                break
            title_lines.append(line)
        return " ".join(title_lines)
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
    m = re.search(r"\s(?:Căn cứ|Thực hiện|Theo|Nhằm|Để|Trên cơ sở|Xét)\b|[.;:](?:\s|$)", rest[10:])
    if m:
        return rest[: 10 + m.start()].strip() if m.start() < 250 else ""
    return rest if len(rest) <= 250 else ""


def _signer(text: str) -> str:
    """The name that ends the signature block: Title-case words after the last signing title."""
    tail = text[-800:]
    titles = list(_SIGN_TITLE.finditer(tail))
    if not titles:
        return ""
    for line in tail[titles[-1].end() :].split("\n"):
        words: list[str] = []
        for word in line.split():
            if word.isalpha() and word[0].isupper() and (len(word) == 1 or word[1:].islower()):
                words.append(word)
            elif words:
                break  # "(đã ký)" and capitalised titles before the name are skipped; anything after ends it
        if words:
            return " ".join(words) if 2 <= len(words) <= 5 else ""
    return ""


def extract_metadata(text: str, source: str) -> DocMeta:
    """Title, issuer, number, date, place, signer and kind found in a cleaned document."""
    lines = [normalize(line) for line in text.split("\n")]
    norm = "\n".join(lines).strip("\n")
    lines = norm.split("\n")
    head_zone = norm[:1500]
    kind_m = _KIND.search(head_zone)
    news_m = _NEWS_DATE.search("\n".join(lines[:4]))
    if kind_m:
        meta = _document_meta(norm, lines, kind_m)
    elif news_m:
        meta = _news_meta(norm, lines, news_m)
    else:
        meta = _plain_meta(lines, norm[:1500])
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
        issuer=_header_issuer(head_zone[: number_m.start()]) if number_m else "",
        number=_number(head_zone),
        date=_iso(dateline.group(4), dateline.group(3), dateline.group(2)) if dateline else "",
        place=_place_before(dateline.group(1)) if dateline else "",
    )


def _document_meta(norm: str, lines: list[str], kind_m: re.Match[str]) -> DocMeta:
    header = norm[: kind_m.start()]
    # The dateline precedes the kind; later "…, ngày … năm …" are references to other documents.
    dateline = _dateline(header) or _dateline(norm[:1500])
    place = _place_before(dateline.group(1)) if dateline else ""
    number_m = _NUMBER.search(header) or _NUMBER.search(norm[:600])
    issuer = _header_issuer(header)  # the superior body comes first, the issuer last
    if not issuer and place and number_m and "UBND" in number_m.group(1):
        # Header lost in scraping: the number says UBND, the dateline names the place, and the text
        # says which level that place is ("quận Ba Đình").
        level = re.search(rf"\b({_LEVELS})\s+{re.escape(place)}\b", norm, re.I)
        if level and not level.group(1).lower().startswith("tp"):
            issuer = f"UBND {level.group(1).lower()} {place}"
    return DocMeta(
        title=_title_after_kind(lines, kind_m, norm),
        issuer=issuer,
        number=_number(number_m.group(0)) if number_m else "",
        date=_iso(dateline.group(4), dateline.group(3), dateline.group(2)) if dateline else "",
        place=place,
        signer=_signer(norm),
        kind=kind_m.group(1),
    )


def _news_meta(norm: str, lines: list[str], news_m: re.Match[str]) -> DocMeta:
    groups = [g for g in news_m.groups() if g]
    day, month, year = groups[:3]
    title = re.sub(r"\s*\(\d{1,2}:\d{2}\s+\d{1,2}/\d{1,2}/\d{4}\)\s*$", "", lines[0]) if lines else ""
    if _NEWS_DATE.match(title):
        title = ""
    orgs = _orgs(norm)
    issuer, place = (orgs[0][2], orgs[0][3]) if orgs else ("", "")
    lead = next((ln for ln in lines[1:] if len(ln) > 60), "")  # the first paragraph after the headline
    announced = _ANNOUNCED.search(lead)
    return DocMeta(
        title=title,
        issuer=issuer,
        number=announced.group(1) if announced else "",
        date=_iso(year, month, day),
        place=place,
        kind="tin tức",
    )
