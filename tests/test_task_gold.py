"""The hand-written gold table of assignments (issue 18): what each unit must do, and by when, in every plan.

`eval/datasets/tasks-plans.jsonl` covers the bundled plans (Gò Vấp 2010, Ba Đình 2025; the other bundled files
are news items and have no rows); `eval/datasets/tasks-realdocs.jsonl` covers every document of the real-documents
set (`eval/realdocs/*.txt` and `../shared/realdocs`): plans, decisions, official letters and reports alike, since the
extractor reads them all. Each row was written by reading the document, as the reference the extractor
(`index.assignments`) is judged against:

    {"doc", "unit", "task", "due", "every", "day", "month", "when"}

What one row is (the same rule in every document):

- An assignment is a unit (an office, body or office holder, named one by one: "Phòng Nội vụ", "Sở Xây dựng",
  or as a class: "UBND các phường", "Các cơ quan, đơn vị", "Thủ trưởng các …") being given something to do by the
  plan. People in general ("cán bộ, công chức", "Nhân dân") are not units; the issuer describing its own act
  ("UBND quận xây dựng kế hoạch …") and statements of past results are not assignments.
- Where: under a unit's heading ("1. Phòng Nội vụ:", "Đối với các cấp ủy, tổ chức đảng", "4. Đề nghị Ủy ban
  MTTQ …"), and anywhere else (aims, tasks, reporting, appendix tables) where a list item or paragraph names its
  unit as subject or addressee ("Các đơn vị gửi báo cáo …", "Giao/Đề nghị/Kiến nghị/yêu cầu X …", "Ủy quyền cho X
  thực hiện …"), or a table row or "Chủ trì:" line names who leads it. A paragraph that opens with its unit is that
  unit's paragraph. A sentence that only introduces the list below it ("… yêu cầu các cơ quan, đơn vị, địa phương
  thực hiện các nhiệm vụ như sau:", "đề nghị Chủ đầu tư:") is a heading, not a row of its own.
- Not assignments: a list of attendees ("Thành phần tham dự: Công ty …"), the issuer informing ("Sở Công Thương
  thông báo để Công ty … được biết và thực hiện"), a distribution list ("Nơi nhận: …"), an item that names no unit.
  A report (báo cáo) or a record (biên bản) assigns nothing: a report's "kiến nghị/đề nghị" to a ministry or a
  higher body is a request, not a task an office must do, and the product lists duties.
- One row per (unit, task item): a "-" / "+" / "a)" / numbered / "Điều 2." item is one row, whole (all its sentences);
  a paragraph gives one row per sentence that states an action, conditional duties included ("nếu có vướng
  mắc, kịp thời phản ánh về …"). An item that opens with its own subject ("- Chủ tịch UBND các xã, phường chịu
  trách nhiệm …") belongs to that subject, not to the heading above it. One exception: a sentence giving one
  unit two duties with deadlines of their own ("gửi báo cáo … giữa các tháng cuối của mỗi quý và gửi báo cáo
  năm trước ngày 25/11") is one row per duty, cut at the joining "và".
- Several units: a list of units named one by one ("Thanh tra quận, Văn phòng UBND quận:", "Sở Công Thương; Sở
  Xây dựng") gives one row per unit, same task; a phrase naming a class ("Thủ trưởng các cơ quan, đơn vị và Chủ
  tịch UBND 16 phường", "Ủy ban MTTQ và các tổ chức chính trị - xã hội") is one unit as written. Units only
  named as partners ("phối hợp với Phòng Y", "qua Phòng Nội vụ") get no row for that task.
- `unit` is written as the document names it at that place, whitespace collapsed; `task` is an exact substring
  of the text as `index.loaders.read_document` reads it, from the start of the item or sentence (after its
  bullet) to its end, the final "." / ";" / ":" included when present.
- Deadlines: `due` (ISO date) when one date can be fixed: the year from the text, else the plan's year; a
  quarter, month or year with no day is its last day ("Xong trong Quý II/2026" -> 2026-06-30). `every` for
  rhythms: "hàng/hằng tháng" month, "hàng quý", "định kỳ hàng quý", "báo cáo quý" quarter, "6 tháng" half-year,
  "hàng/hằng năm" year; then `day` is the day of month ("giữa tháng" 15) and `month` the month within the period
  ("tháng cuối quý" 3, "trước ngày 10/12" hằng năm: month 12, day 10), and `due` stays empty. "Thường xuyên",
  "định kỳ" without a period and "theo quy định" are no deadline. `when` is the exact wording of the deadline,
  found in the task or in the text around it (a date fixed once for the whole plan, e.g. an inspection day, is the
  deadline only of the rows whose task is that inspection).

The `.txt` files are the beginnings of the published pages (eval/realdocs/SOURCES.md): most stop before any
implementation part, so they hold few or no assignments; the test checks that a document with fewer than three rows
indeed has no implementation heading. Scanned PDFs are read with Tesseract (the integration tier checks them).

Read, no assignments (every other document of the set has its rows; a test keeps the two lists complete):

- bc-huongan-2022.txt: a report of past results.
- BC-UBND-QLNN-khoang-san-nam-2025.docx: a report; its "kiến nghị" to the ministries are requests, not tasks.
- kh-110-phuyen-2013.txt, kh-21-backan-2025.txt, kh-46-tuyenquang-2023.txt, kh-66-tiengiang-2018.txt,
  kh-79-gialai-2023.txt: the excerpts stop in the aims or the review of the past year, before any unit's task.
- qc-01-daklak-2017.txt: stops in Điều 1 (principles), mid-sentence.
- qd-01-nanghiu-2024.txt: stops in the preamble, before the decision's articles.
- tin-phuong14-q4-2019.txt: news of a year-end review.
- Bien-ban-kiem-tra-hien-truong-Yen-Thanh-8.6.2026.pdf: an inspection record (attendees, findings, conclusion).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from index.loaders import SUPPORTED_EXTENSIONS, read_document
from index.office import MissingToolError

from .conftest import CORPUS, REPO

DATASETS = REPO / "eval" / "datasets"
PLANS_GOLD = DATASETS / "tasks-plans.jsonl"
REALDOCS_GOLD = DATASETS / "tasks-realdocs.jsonl"
OWN_DOCS = REPO / "eval" / "realdocs"
SHARED_DOCS = REPO.parent / "shared" / "realdocs"  # CI clones the repository beside a copy of shared/
NOT_DOCUMENTS = {"SOURCES.md"}  # each folder's description of where its files come from

SCANNED_PLAN = "3036-SCT-CN-KH-kiem-tra-kho-VLNCN-MongSen1.pdf"
# Files without a text layer: their rows are checked on the Tesseract text (integration tier).
SCANNED = {SCANNED_PLAN, "QD-2336-2026-CTDT-KCN-Phu-Xuan.pdf", "Bien-ban-kiem-tra-hien-truong-Yen-Thanh-8.6.2026.pdf"}
SHARED_NAMES = (
    SCANNED_PLAN,
    "BC-UBND-QLNN-khoang-san-nam-2025.docx",
    "Bien-ban-kiem-tra-hien-truong-Yen-Thanh-8.6.2026.pdf",
    "CV-6791-SNNMT-17-7-2026-y-kien-tham-dinh-CCN-Bao-Dap.pdf",
    "CV-UBND-tinh-chi-dao-quan-ly-giam-sat-VLNCN.pdf",
    "CV-tu-choi-TKBVTC-da-hoa-LangLanhII.doc",
    "CV-tu-choi-TKCS-da-hoa-MongSonV-nhomII.doc",
    "KH-UBND-trien-khai-Chi-thi-11-CT-TU-QLNN-khoang-san.docx",
    "QD-1696-QD-UBND-uy-quyen-15-5-2026.pdf",
    "QD-2336-2026-CTDT-KCN-Phu-Xuan.pdf",
)
# Read, no assignments: the list in the module docstring.
NO_ASSIGNMENTS = {
    "bc-huongan-2022.txt",
    "BC-UBND-QLNN-khoang-san-nam-2025.docx",
    "kh-110-phuyen-2013.txt",
    "kh-21-backan-2025.txt",
    "kh-46-tuyenquang-2023.txt",
    "kh-66-tiengiang-2018.txt",
    "kh-79-gialai-2023.txt",
    "qc-01-daklak-2017.txt",
    "qd-01-nanghiu-2024.txt",
    "tin-phuong14-q4-2019.txt",
    "Bien-ban-kiem-tra-hien-truong-Yen-Thanh-8.6.2026.pdf",
}
PLAN_DOCS: dict[str, Path] = {name: CORPUS / name for name in ("002_f8451427429f5507.txt", "003_7bfcb32814c81f86.txt")}
REALDOCS_DOCS: dict[str, Path] = {
    **{p.name: p for p in sorted(OWN_DOCS.glob("*.txt"))},
    **{name: SHARED_DOCS / name for name in SHARED_NAMES},
}
GOLDS = {PLANS_GOLD.name: (PLANS_GOLD, PLAN_DOCS), REALDOCS_GOLD.name: (REALDOCS_GOLD, REALDOCS_DOCS)}

KEYS = {"doc", "unit", "task", "due", "every", "day", "month", "when"}
EVERY_MONTHS = {"": 0, "week": 0, "month": 0, "quarter": 3, "half-year": 6, "year": 12}
AROUND = 2000  # characters either side of a task that may hold its `when` (a date set once for the whole plan)
# "III. TỔ CHỨC THỰC HIỆN" on a line of its own, or inside text flattened into one line per page
IMPLEMENTATION_HEADING = re.compile(r"(?:^|\s)[IVX]+\.\s*(?:tổ chức thực hiện|trách nhiệm|phân công)", re.IGNORECASE)


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _schema_problems(row: dict[str, Any], docs: dict[str, Path]) -> list[str]:
    """What is wrong with one row's keys, types and values, each as a short phrase."""
    if set(row) != KEYS:
        return [f"keys {sorted(row)}"]
    problems = []
    if row["doc"] not in docs:
        problems.append(f"unknown document {row['doc']!r}")
    for key in ("unit", "task", "due", "every", "when"):
        if not isinstance(row[key], str):
            problems.append(f"{key} is not a string")
    if problems:
        return problems
    if not row["unit"] or row["unit"] != " ".join(row["unit"].split()):
        problems.append(f"unit {row['unit']!r} is empty or not whitespace-collapsed")
    if not row["task"].strip() or row["task"] != row["task"].strip():
        problems.append("task is empty or has surrounding whitespace")
    if row["due"]:
        try:
            ok = dt.date.fromisoformat(row["due"]).isoformat() == row["due"]
        except ValueError:
            ok = False
        if not ok:
            problems.append(f"due {row['due']!r} is not an ISO date")
    if row["every"] not in EVERY_MONTHS:
        problems.append(f"every {row['every']!r}")
    elif row["due"] and row["every"]:
        problems.append("both a date and a rhythm")
    if row["day"] is not None and not (_is_int(row["day"]) and 1 <= row["day"] <= 31):
        problems.append(f"day {row['day']!r}")
    if row["month"] is not None and not (_is_int(row["month"]) and 1 <= row["month"] <= 12):
        problems.append(f"month {row['month']!r}")
    if (row["day"] is not None or row["month"] is not None) and not row["every"]:
        problems.append("day/month without a rhythm")
    if _is_int(row["month"]) and row["every"] in EVERY_MONTHS and row["month"] > EVERY_MONTHS[row["every"]]:
        problems.append(f"month {row['month']} outside a {row['every'] or 'missing'} period")
    if bool(row["when"]) != bool(row["due"] or row["every"]):
        problems.append("`when` given without a deadline, or a deadline without its wording")
    return problems


def _text_problems(row: dict[str, Any], text: str) -> list[str]:
    """Where the row's task, wording of the deadline and unit fail to match the document's text."""
    spans = [m.start() for m in re.finditer(re.escape(row["task"]), text)]
    if not spans:
        return ["task is not in the text"]
    problems = []
    end = len(row["task"])
    if row["when"] and not any(row["when"] in text[max(0, i - AROUND) : i + end + AROUND] for i in spans):
        problems.append(f"when {row['when']!r} is not in the task nor near it")
    if row["unit"] not in " ".join(text.split()):
        problems.append(f"unit {row['unit']!r} is not written so in the text")
    return problems


@functools.cache
def _read(path: Path) -> str:
    return read_document(path).text


def _text(path: Path) -> str:
    """The document's text as the indexer reads it (no OCR: a scanned page needs the Tesseract test)."""
    try:
        return _read(path)
    except MissingToolError as e:  # a .doc without LibreOffice
        pytest.skip(str(e))


def _documents_on_disk(folder: Path) -> set[str]:
    """The documents of one folder of the set: every file the indexer reads, but the folder's description."""
    return {p.name for p in folder.iterdir() if p.suffix.lower() in SUPPORTED_EXTENSIONS} - NOT_DOCUMENTS


@pytest.mark.parametrize("gold", sorted(GOLDS))
def test_rows_have_the_schema(gold: str) -> None:
    path, docs = GOLDS[gold]
    rows = _rows(path)
    problems = [f"line {n}: {p}" for n, row in enumerate(rows, 1) for p in _schema_problems(row, docs)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("gold", sorted(GOLDS))
def test_no_duplicate_rows(gold: str) -> None:
    rows = _rows(GOLDS[gold][0])
    keys = [(r["doc"], r["unit"], r["task"]) for r in rows]
    assert len(keys) == len(set(keys)), sorted(k for k in set(keys) if keys.count(k) > 1)


@pytest.mark.parametrize("gold", sorted(GOLDS))
def test_every_plan_with_an_implementation_part_has_its_rows(gold: str) -> None:
    """A listed document has at least three rows, unless its text (an excerpt, a letter) has no implementation
    heading; a scanned one is checked on its OCR text in the integration tier."""
    path, docs = GOLDS[gold]
    counts = {name: 0 for name in docs}
    for row in _rows(path):
        counts[row["doc"]] += 1
    for name, n in counts.items():
        if n >= 3 or name in SCANNED:
            continue
        if not docs[name].is_file():
            pytest.skip(f"{docs[name]} is absent (CI clones the repository beside ../shared)")
        assert not IMPLEMENTATION_HEADING.search(_text(docs[name])), f"{name} has an implementation part: {n} rows"


def test_every_document_of_the_set_has_rows_or_is_read_with_no_assignments() -> None:
    """Each document of the real-documents set is in the gold, or in the docstring's "read, no assignments"."""
    with_rows = {row["doc"] for row in _rows(REALDOCS_GOLD)}
    assert not with_rows & NO_ASSIGNMENTS, sorted(with_rows & NO_ASSIGNMENTS)
    assert with_rows | NO_ASSIGNMENTS == set(REALDOCS_DOCS), sorted(set(REALDOCS_DOCS) - with_rows - NO_ASSIGNMENTS)
    assert all(name in (__doc__ or "") for name in NO_ASSIGNMENTS), "the docstring lists every document read empty"
    assert _documents_on_disk(OWN_DOCS) == {name for name, p in REALDOCS_DOCS.items() if p.parent == OWN_DOCS}
    if not SHARED_DOCS.is_dir():
        pytest.skip(f"{SHARED_DOCS} is absent (CI clones the repository beside ../shared)")
    assert _documents_on_disk(SHARED_DOCS) == set(SHARED_NAMES)


@pytest.mark.parametrize(
    "doc", sorted({row["doc"] for gold in (PLANS_GOLD, REALDOCS_GOLD) for row in _rows(gold)} - SCANNED)
)
def test_tasks_and_deadlines_lie_in_the_text(doc: str) -> None:
    """Every task is an exact substring of the text as the loader reads it; `when` is in the task or near it."""
    gold, docs = next((g, d) for g, d in GOLDS.values() if doc in d)
    if not docs[doc].is_file():
        pytest.skip(f"{docs[doc]} is absent (CI clones the repository beside ../shared)")
    text = _text(docs[doc])
    rows = [r for r in _rows(gold) if r["doc"] == doc]
    problems = [f"{r['unit']}: {r['task'][:60]!r}: {p}" for r in rows for p in _text_problems(r, text)]
    assert not problems, "\n".join(problems)


@pytest.mark.integration
@pytest.mark.parametrize("doc", sorted(SCANNED))
def test_scanned_documents_rows_lie_in_their_ocr_text(doc: str) -> None:
    """A scanned document read with Tesseract as the indexer reads it (settings' OCR defaults)."""
    from index.ocr import OcrEngine

    path = REALDOCS_DOCS[doc]
    if not path.is_file():
        pytest.skip(f"{path} is absent (CI clones the repository beside ../shared)")
    engine = OcrEngine()
    missing = engine.missing()
    if missing:
        pytest.skip(f"{missing} (Debian packages tesseract-ocr, tesseract-ocr-vie): its rows are not checked")
    result = read_document(path, ocr=engine)
    assert all(page.method == "ocr" for page in result.pages), "the file is a scan: every page is OCR'd"
    rows = [r for r in _rows(REALDOCS_GOLD) if r["doc"] == doc]
    if len(rows) < 3:
        assert not IMPLEMENTATION_HEADING.search(result.text), f"{doc} has an implementation part: {len(rows)} rows"
    problems = [f"{r['unit']}: {r['task'][:60]!r}: {p}" for r in rows for p in _text_problems(r, result.text)]
    assert not problems, "\n".join(problems)
