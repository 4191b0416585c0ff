"""Unit names in running text: where a name starts and ends, how names are listed, and one key per unit.

A name starts with an administrative head word (`HEAD`: "Phòng", "Sở", "UBND", "Thanh tra", "Chủ đầu tư"…,
perhaps after a leader: "Giám đốc", "Chủ tịch"), a class of units ("các cơ quan, đơn vị"), or a name of the
corpus's lexicon, and runs over its proper-name words and area words (`unit_end`). `unit_spans` cuts a list of
names into units: named offices one by one, a class as written. `unit_key` folds spellings and abbreviations and
carries the area, so "P. Nội vụ" and "phòng Nội vụ quận" are one unit, and two districts' offices stay apart.
All matching runs on the folded text (`index.deadlines.fold_chars`: same length as the text), so offsets agree.
"""

from __future__ import annotations

import re

from index.normalize import fold_chars

# Head words of unit names (folded). Those of `_LOOSE_HEADS` also start ordinary words ("Ban hành", "Phòng
# chống", "Thanh tra, kiểm tra"), so a capitalised word, an acronym or an area word must follow them.
_STRICT_HEADS = (
    r"uy ban nhan dan|ubnd|hdnd|hoi dong nhan dan|uy ban mttq|uy ban mat tran|mat tran to quoc|ub ?mttq|mttq"
    r"|quan uy|huyen uy|tinh uy|thanh uy|thi uy|dang uy|kho bac|bo chi huy|ban chi huy|cong an|vien kiem sat"
    r"|toa an|lien doan lao dong|chi cuc thue|bao hiem xa hoi|chu dau tu|kiem toan nha nuoc|kiem toan khu vuc"
)
_LOOSE_HEADS = (
    r"van phong|phong|so|ban|thanh tra|trung tam|chi cuc|cuc|hoi|doan|dai|bo|vp|p\.|cong ty|thue|uy ban|to cong tac"
    r"|to giup viec"
)
_LEADERS = (
    r"(?:thu truong|giam doc|chu tich|lanh dao|chanh van phong|chanh thanh tra|truong|(?:cac\s+)?thanh vien)\s+"
    r"(?:cac\s+)?"
)
_COLLECTIVE_WORDS = (
    r"cap uy(?: dang)?|to chuc dang|to chuc chinh tri\s*-\s*xa hoi|cap chinh quyen|co quan nha nuoc|co quan chuc nang"
    r"|co quan|don vi|so|ban nganh|ban|nganh|phong ban|phong|dia phuong|to chuc|doan the|thi tran|thi xa|xa|phuong"
    r"|huyen|quan|doanh nghiep|hoi|cap|tinh|thanh pho|uy ban nhan dan|ubnd"
)
_COLLECTIVE_TAIL = (
    r"(?:\s+(?:chuyen mon|su nghiep(?: cong lap)?|truc thuoc|lien quan|co lien quan|thanh vien|chuc nang"
    r"|hanh chinh|nha nuoc|qlnn|tinh|quan|huyen|thanh pho|cap xa|cap huyen|cap tinh|\d{1,3}))*"
    r"(?:\s+(?:thuoc|cua)\s+(?:uy ban nhan dan|ubnd)?\s*(?:quan|huyen|tinh|thanh pho|thi xa|xa|phuong)?)?"
)
_COLLECTIVE = re.compile(
    rf"(?:{_LEADERS})?cac\s+(?:{_COLLECTIVE_WORDS})\b{_COLLECTIVE_TAIL}"
    rf"(?:(?:\s*,\s*|\s+va\s+|\s*/\s*)(?:cac\s+)?(?:{_COLLECTIVE_WORDS})\b{_COLLECTIVE_TAIL})*"
)
HEAD = re.compile(rf"(?:{_LEADERS})?(?:(?P<strict>{_STRICT_HEADS})|(?P<loose>{_LOOSE_HEADS}))(?![\w])")
_AREA_WORDS = r"quan|huyen|tinh|thanh pho|thi xa|thi tran|xa|phuong|cap tinh|cap huyen|cap xa|tp\.?"
_AREA = re.compile(rf"(?:cac\s+)?(?:{_AREA_WORDS})(?![\w])(?:\s*,\s*(?:{_AREA_WORDS})(?![\w]))*")
# Lower-case syllables that do not go on a name after its capitalised one: verbs and function words of a task.
_NOT_NAME = frozenset(
    """tham phoi chu thuc trien to xay gui bao tong huong kiem theo dinh tang day nghiem can quan ban ra la co chiu
    khan tiep lam nang tap duy bo dam cap de doi phat nam xac phai se da dang duoc cua ve voi tai trong va thong
    nhan yeu giao hoan chi cung moi thi neu khi ma cho den tu sau truoc hang nay do vao lap ung""".split()
)
LABEL_PREFIX = re.compile(r"(?:de nghi|kien nghi|giao|trach nhiem cua|nhiem vu cua|doi voi)\s+")
_CAC = re.compile(r"(?<![\w])cac(?![\w])")
_SPLIT_UNITS = re.compile(r"\s*(?:;|/|,|\bva\b)\s*")
WORD_AT = re.compile(r"\s+(\S+)")


_ABBREVIATIONS = [
    (r"\bubnd\b", "uy ban nhan dan"),
    (r"\bhdnd\b", "hoi dong nhan dan"),
    (r"\bub\.?\s*mttq(?:vn)?\b", "uy ban mat tran to quoc"),
    (r"\bmttq(?:vn)?\b", "mat tran to quoc"),
    (r"\bmat tran to quoc viet nam\b", "mat tran to quoc"),
    (r"\buy ban mat tran to quoc\b", "mat tran to quoc"),
    (r"\bvp\.?(?=\s)", "van phong"),
    (r"\bp\.(?=\s)", "phong"),
    (r"\btp\.?(?=\s)", "thanh pho"),
    (r"\bq\.(?=\s)", "quan"),
    (r"\bqlnn\b", "quan ly nha nuoc"),
]
_LEVEL_WORDS = ("thanh pho", "thi xa", "thi tran", "quan", "huyen", "tinh", "xa", "phuong")


def unit_key(name: str, area: str) -> str:
    """One key for one unit: spelling, case, abbreviations and a bare level word folded ("P. Nội vụ",
    "phòng Nội vụ quận" → "phong noi vu@ba dinh" with area "Ba Đình"); a place written in the name wins over
    `area` ("Phòng Nội vụ quận Gò Vấp" → "…@go vap").

    >>> unit_key("phòng Nội vụ quận", "Ba Đình") == unit_key("P. Nội vụ", "Ba Đình")
    True
    >>> unit_key("Phòng Nội vụ", "Ba Đình") == unit_key("Phòng Nội vụ", "Gò Vấp")
    False
    """
    raw = " ".join(name.replace("–", "-").split()).strip(" :;,.-")
    prefix = LABEL_PREFIX.match(fold_chars(raw))
    raw = raw[prefix.end() :] if prefix else raw
    place = " ".join(fold_chars(area).split())
    tokens = raw.split()
    for i in range(len(tokens) - 2, 0, -1):  # a place written in the name: "… quận Gò Vấp", "tỉnh Lào Cai"
        rest = tokens[i + 1 :]
        if fold_chars(tokens[i]) in _LEVEL_WORDS and len(rest) <= 4 and all(w[:1].isupper() for w in rest):
            # "các phường Ba Đình", "cấp xã Tả Phìn": the level is the name's, the place follows it
            level = fold_chars(tokens[i - 1]) in ("cac", "cap")
            place, raw = " ".join(fold_chars(" ".join(rest)).split()), " ".join(tokens[: i + 1 if level else i])
            break
    words = fold_chars(raw)
    for pattern, full in _ABBREVIATIONS:
        words = re.sub(pattern, full, words)
    low = re.sub(r"\s*-\s*", " - ", words).split()
    if len(low) > 1 and low[-1] in _LEVEL_WORDS and low[-2] not in ("cac", "cap") and not low[-2].endswith(","):
        low = low[:-1]  # "Phòng Nội vụ quận": the quận is the area's
    return f"{' '.join(low).strip(' ,;')}@{place}"


def display_unit(name: str) -> str:
    """A unit's name tidied for display: spacing, a leading "Đề nghị"/"Giao", trailing punctuation, capital."""
    text = " ".join(name.split()).strip(" :;,.-–")
    m = LABEL_PREFIX.match(fold_chars(text))
    text = text[m.end() :] if m else text
    return text[:1].upper() + text[1:]


def unit_end(text: str, folded: str, start: int, lexicon: re.Pattern[str] | None) -> int:
    """End of the unit name starting at `start` (0 if none starts there)."""
    best = 0
    if lexicon is not None and (m := lexicon.match(folded, start)):
        best = m.end()
    m = _COLLECTIVE.match(folded, start)
    if m and m.end() > best:
        best = m.end()
    head = HEAD.match(folded, start)
    if head is None:
        return _tail(text, folded, best) if best else 0
    if head.group("loose"):
        nxt = WORD_AT.match(text, head.end())
        if nxt is None:
            return best
        word = nxt.group(1)
        if not (word[:1].isupper() or _AREA.match(folded, nxt.start(1)) or _name_run(text, folded, head.end())):
            return best
    return max(best, _tail(text, folded, head.end()))


def _is_name_word(text: str, folded: str, pos: int) -> bool:
    """Whether the word at `pos` goes on a name: capitalised, and not the head of another unit."""
    m = WORD_AT.match(text, pos)
    return m is not None and m.group(1)[:1].isupper() and not HEAD.match(folded, m.start(1))


def _name_run(text: str, folded: str, pos: int) -> int:
    """End of one or two lower-case syllables at `pos` between two capitalised parts of one name ("Trung tâm
    phục vụ Hành chính công", "Công ty Cổ phần công nghiệp Linh Linh"), else 0."""
    end = pos
    for _ in range(2):
        m = WORD_AT.match(text, end)
        if m is None or not m.group(1).isalpha() or not m.group(1)[:1].islower():
            return 0
        if folded[m.start(1) : m.end(1)] in _NOT_NAME or _AREA.match(folded, m.start(1)):
            return 0
        end = m.end(1)
        if _is_name_word(text, folded, end):
            return end
    return 0


def _lower_syllables(text: str, folded: str, end: int) -> int:
    """After a name's capitalised syllable, its lower-case ones: the next ("Nội vụ", "Tài chính", "Cổ phần"),
    unless it is a verb or function word and the name stops ("Bộ đội Biên phòng" goes on); a third one when the
    name ends after it ("Khu kinh tế tỉnh", "Hành chính công tỉnh")."""
    nxt = WORD_AT.match(text, end)
    if nxt is None or not nxt.group(1)[:1].islower() or _AREA.match(folded, nxt.start(1)):
        return end
    follow = folded[nxt.start(1) : nxt.start(1) + len(nxt.group(1).rstrip(",;:.)"))]
    if follow in _NOT_NAME and not _is_name_word(text, folded, nxt.start(1) + len(follow)):
        return end
    end = nxt.start(1) + len(follow)
    third = WORD_AT.match(text, end)
    if third is None or not third.group(1).isalpha() or not third.group(1)[:1].islower():
        return end
    if folded[third.start(1) : third.end(1)] in _NOT_NAME or _AREA.match(folded, third.start(1)):
        return end
    if _AREA.match(folded, third.end(1) + 1) or _is_name_word(text, folded, third.end(1)):
        return third.end(1)
    return end


def _tail(text: str, folded: str, pos: int) -> int:
    """Extend a unit name over its proper-name words (a capitalised syllable and the one after it), acronyms,
    "và <Name>" and area words ("quận", "các xã, phường", "tỉnh Lào Cai")."""
    end = pos
    while True:
        m = WORD_AT.match(text, end)
        if m is None:
            return end
        word_start = m.start(1)
        word = m.group(1).rstrip(",;:.)")
        if not word:
            return end
        area = _AREA.match(folded, word_start)
        if word[:1].isupper():
            end = _lower_syllables(text, folded, word_start + len(word))
            if len(text[pos:end].split()) > 12 or folded.startswith(("cong hoa", "doc lap"), word_start):
                return pos
            continue
        if area is not None:
            end = area.end()
            num = re.compile(r"\s+\d{1,3}(?=\s+(?:xa|phuong))").match(folded, end)
            end = num.end() if num else end
            continue
        counted = re.compile(r"\d{1,3}\s+").match(folded, word_start)  # "Chủ tịch UBND 16 phường"
        if counted and (area := _AREA.match(folded, counted.end())):
            end = area.end()
            continue
        if folded.startswith("va ", word_start) and (after := WORD_AT.match(text, word_start + 2)):
            if after.group(1)[:1].isupper() and not HEAD.match(folded, after.start(1)):
                end = word_start + 2
                continue
        if run := _name_run(text, folded, end):
            end = run
            continue
        return end


def unit_spans(text: str, folded: str, start: int, end: int, lexicon: re.Pattern[str] | None) -> list[tuple[int, int]]:
    """The units named from text[start:…] (up to `end`): several named offices ("Thanh tra quận, Văn phòng UBND
    quận", "Sở Công Thương; Sở Xây dựng") are one unit each; a list holding a collective ("Thủ trưởng các cơ quan,
    đơn vị và Chủ tịch UBND 16 phường") is one unit, as the plan addresses it. Parts cut by ";" are units of their
    own ("Chánh Văn phòng UBND tỉnh; Giám đốc Sở Công Thương; Thủ trưởng các sở, ban, ngành"), unless every part is
    a class ("Các Sở, ban, ngành; UBND các xã, phường": one unit); a class followed by its members ("Giám đốc các
    Sở, ngành: Tài chính, Xây dựng") gives the members."""
    groups: list[list[tuple[int, int]]] = [[]]  # parts of the list between ";"
    pos = start
    while pos < end:
        stop = min(unit_end(text, folded, pos, lexicon), end)
        if not stop or stop <= pos:
            break
        named = _named_members(text, folded, stop, end)
        if named:  # "Giám đốc các Sở, ngành: Tài chính, Xây dựng, …": each office named
            groups[-1].extend(named)
            stop = named[-1][1]
        else:
            groups[-1].append((pos, stop))
        sep = _SPLIT_UNITS.match(folded, stop)
        if not sep or sep.end() >= end or not unit_end(text, folded, sep.end(), lexicon):
            break
        if ";" in sep.group(0):
            groups.append([])
        pos = sep.end()
    classes = [any(_CAC.search(folded, a, b) for a, b in group) for group in groups if group]
    if len(classes) > 1 and all(classes):  # "Các Sở, ban, ngành; UBND các xã, phường": one class of units
        return [(groups[0][0][0], groups[-1][-1][1])]
    spans: list[tuple[int, int]] = []
    for group in groups:
        if len(group) > 1 and any(_CAC.search(folded, a, b) for a, b in group):
            group = [(group[0][0], group[-1][1])]
        spans.extend(group)
    return spans


def _named_members(text: str, folded: str, pos: int, end: int) -> list[tuple[int, int]]:
    """After a class of offices and a colon ("các Sở, ngành: Ban Quản lý Khu kinh tế, Tài chính, Nội vụ"), the
    names listed, one span each (empty when no such list follows)."""
    colon = re.compile(r"\s*:\s*").match(text, pos, end)
    if colon is None or not re.search(r"(?<![\w])cac(?![\w])", folded[max(0, pos - 40) : pos]):
        return []
    out: list[tuple[int, int]] = []
    at = colon.end()
    while at < end and text[at : at + 1].isupper():
        last = at  # the name runs to the comma, or to the first word of the task ("… Thanh tra tỉnh có trách …")
        for w in WORD_AT.finditer(text, at - 1, min(end, at + 80)):
            word = folded[w.start(1) : w.end(1)].rstrip(",;:.")
            if (word in _NOT_NAME and word != "va" and w.group(1).islower()) or len(out) > 30:
                break
            last = w.start(1) + len(word)
            if text[last : last + 1] in (",", ";", ":", "."):
                break
        if last == at:
            break
        out.append((at, last))
        sep = re.compile(r"\s*,\s*").match(text, last, end)
        if sep is None:
            break
        at = sep.end()
    return out if len(out) > 1 else []
