"""Duty and deadline questions (assistant.duties): what they are read as, the cited list they are answered with,
and the engine's path for them, on the bundled plans indexed with the toy embedder."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from assistant.duties import MAX_ITEMS, answer
from assistant.duty_followup import follow_up
from assistant.duty_questions import DutyAsk, detect
from assistant.engine import Assistant
from assistant.indexer import build_index
from assistant.settings import Settings
from assistant.tasks import TaskBook
from eval.metrics import answer_first, fact_recall, sentence_groundedness
from eval.runner import cited_passage
from index.pipeline import PlanIndex
from index.types import Filters

from .conftest import BA_DINH_2025, CORPUS, GO_VAP_2010, REPO

TODAY = date(2026, 12, 6)
PLANS = REPO / "eval" / "datasets" / "plans.jsonl"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[PlanIndex, TaskBook]:
    """The bundled corpus indexed with the hashing embedder, and its assignments."""
    root = tmp_path_factory.mktemp("duties")
    shutil.copytree(CORPUS, root / "corpus")
    settings = Settings(embed_backend="hash", data_dir=root / "data", ingest_dirs=[root])
    index = build_index(settings)
    index.sync([root / "corpus"])
    return index, TaskBook.load(settings.index_dir, required=True)


# ------------------------------------------------------------------------------------------------ detect
@pytest.mark.parametrize(
    ("question", "unit", "places", "years"),
    [
        ("Phòng Nội vụ phải làm gì theo kế hoạch năm 2025?", "Phòng Nội vụ", (), (2025,)),
        ("Phòng Nội vụ quận Gò Vấp phải làm gì?", "Phòng Nội vụ", ("Gò Vấp",), ()),
        ("phong noi vu quan go vap phai lam gi", "phong noi vu", ("go vap",), ()),
        ("Nhiệm vụ của Phòng Văn hóa và Thông tin quận Gò Vấp là gì?", "Phòng Văn hóa và Thông tin", ("Gò Vấp",), ()),
        ("nhiem vu cua thanh tra quan la gi", "thanh tra quan", (), ()),
        ("Thanh tra quận có trách nhiệm gì?", "Thanh tra quận", (), ()),
        ("UBND các phường được giao những việc gì?", "UBND các phường", (), ()),
        # "Công an" folds to two words that alone name nothing ("công", the English "an"): a head word, a unit
        ("Công an tỉnh Lào Cai phải làm gì theo công văn 193?", "Công an", ("Lào Cai",), ()),
        ("Sở Công Thương phải báo cáo những gì?", "Sở Công Thương", (), ()),
        ("Kế hoạch đó đề nghị Ủy ban MTTQ làm gì?", "Ủy ban MTTQ", (), ()),
        ("Kế hoạch 2020 giao cho các cấp ủy, tổ chức đảng những việc gì?", "các cấp ủy, tổ chức đảng", (), (2020,)),
        ("Ở Ba Đình năm 2025, Phòng Nội vụ phải làm gì?", "Phòng Nội vụ", ("Ba Đình",), (2025,)),
        (
            "Theo kế hoạch 2010 của quận Gò Vấp, Phòng Văn hóa và Thông tin quận có nhiệm vụ gì?",
            "Phòng Văn hóa và Thông tin quận",
            ("Gò Vấp",),
            (2010,),
        ),
        ("Các Sở, ban, ngành phải làm gì?", "Các Sở, ban, ngành", (), ()),
        ("Còn Thanh tra tỉnh thì được giao những nhiệm vụ nào?", "Thanh tra tỉnh", (), ()),
        ("What must the Phòng Nội vụ of Go Vap do?", "Phòng Nội vụ of Go Vap", (), ()),
        (
            "What are the tasks of the Thanh tra quận in Go Vap under the 2010 plan?",
            "Thanh tra quận",
            ("Go Vap",),
            (2010,),
        ),
    ],
)
def test_duty_questions_give_the_unit_its_area_and_years(
    question: str, unit: str, places: tuple[str, ...], years: tuple[int, ...]
) -> None:
    ask = detect(question, TODAY)
    assert ask is not None, question
    assert (ask.unit, ask.places, ask.years, ask.window) == (unit, places, years, False)


@pytest.mark.parametrize(
    ("question", "unit", "start", "end"),
    [
        ("Những việc nào phải xong trước 30/11?", "", date(2026, 1, 1), date(2026, 11, 30)),
        ("Những việc nào phải xong trước 30/12?", "", TODAY, date(2026, 12, 30)),
        ("nhung viec nao phai xong truoc ngay 30/11/2025", "", date(2025, 1, 1), date(2025, 11, 30)),
        ("Tháng 11 này đơn vị tôi phải nộp những báo cáo nào?", "", date(2026, 11, 1), date(2026, 11, 30)),
        ("Tháng này Phòng Nội vụ phải làm gì?", "Phòng Nội vụ", date(2026, 12, 1), date(2026, 12, 31)),
        ("Hạn chót của những nhiệm vụ nào rơi vào quý IV năm 2025?", "", date(2025, 10, 1), date(2025, 12, 31)),
        ("Trong 30 ngày tới có những việc gì phải làm?", "", TODAY, date(2027, 1, 5)),
        ("Từ 01/10/2025 đến 31/12/2025 có những báo cáo nào phải gửi?", "", date(2025, 10, 1), date(2025, 12, 31)),
        (
            "Sở Nông nghiệp và Môi trường phải làm gì trong tháng 5 năm 2026?",
            "Sở Nông nghiệp và Môi trường",
            date(2026, 5, 1),
            date(2026, 5, 31),
        ),
        ("Which tasks are due before 30/11/2025?", "", date(2025, 1, 1), date(2025, 11, 30)),
    ],
)
def test_deadline_questions_give_a_window(question: str, unit: str, start: date, end: date) -> None:
    ask = detect(question, TODAY)
    assert ask is not None, question
    assert (ask.unit, ask.start, ask.end) == (unit, start, end)


def test_report_questions_ask_for_reports_only() -> None:
    asks = [
        detect(q, TODAY) for q in ("Tháng 11 này đơn vị tôi phải nộp những báo cáo nào?", "Sở Y tế phải báo cáo gì?")
    ]
    assert all(a is not None and a.reports for a in asks)
    ask = detect("Phòng Nội vụ phải làm gì?", TODAY)
    assert ask is not None and not ask.reports


@pytest.mark.parametrize(
    "question",
    [
        "Ai chịu trách nhiệm tổng hợp báo cáo quý về dân vận chính quyền?",
        "Hạn gửi báo cáo năm về dân vận chính quyền của quận Ba Đình năm 2025 là ngày nào?",
        "Thành ủy Hà Nội yêu cầu gì ở cán bộ ngành dân vận?",
        "Quyết định 1696/QĐ-UBND của tỉnh Lào Cai nói về việc gì?",
        "Kế hoạch 2025 nêu những phương châm làm việc nào?",
        "Đầu xuân 2020, Đống Đa dồn sức lo việc gì?",
        "Cơ quan nào phải làm gì khi có sự cố?",
        "Những việc nào đã làm được trong năm 2024?",  # no window: a report, not a deadline
        "Đơn vị tôi phải làm gì?",  # the asker's own unit and no date: nothing to list
        "Kế hoạch số 08/KH-UBND do ai ký?",
        "Who signed the plan of Go Vap district?",
    ],
)
def test_other_questions_are_not_duty_questions(question: str) -> None:
    assert detect(question, TODAY) is None


def test_only_the_intended_dataset_questions_are_duty_questions() -> None:
    """Every turn of eval/datasets/plans.jsonl: the duty items and the listed turns that ask a unit's duties are
    read as duty questions (directly, or as the follow-up of one), no other (an ordinary question captured would
    lose its ordinary answer)."""
    intended = {
        ("q020", 0),  # "cấp phường … được giao nhiệm vụ gì": the plan's "UBND các phường"
        ("q073", 0),
        ("q078", 1),
        ("q079", 0),
        ("q079", 1),  # "Còn Phòng Văn hóa và Thông tin thì sao?" after Phòng Nội vụ's duties
        ("q081", 0),
        ("q103", 0),
        ("q113", 0),  # a unit's duties, then "Còn Thanh tra quận thì sao?"
        ("q113", 1),
        ("q114", 0),
        ("q114", 1),
    }
    found = set()
    for line in PLANS.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        for i, turn in enumerate(item["turns"]):
            if (detect(turn, TODAY) or follow_up(turn, item["turns"][:i], TODAY)) is not None:
                found.add((item["id"], i))
            elif item["kind"] == "duties":
                pytest.fail(f"{item['id']}: a duty item not read as one: {turn}")
        if item["kind"] == "duties":  # every turn: a duty question, then its follow-ups
            intended.update((item["id"], i) for i in range(len(item["turns"])))
    assert found == intended


# ------------------------------------------------------------------------------------------------ answer
def _check_cited_tasks(result_text: str, citations: list, book: TaskBook, index: PlanIndex) -> None:
    """Each cited quote is the exact span of a stored task within the cited chunk."""
    tasks = {(a.doc_id, a.task) for a in book.rows}
    for c in citations:
        chunk = next(ch for ch in index.doc_chunks(c.doc_id) if ch.chunk_id == c.chunk_id)
        assert chunk.text == c.text
        for s, e in c.quotes:
            quoted = c.text[s:e]
            assert any(quoted in task and (d == c.doc_id) for d, task in tasks), quoted
        assert f"[{c.n}]" in result_text


def test_a_units_tasks_are_listed_each_cited_at_its_span(indexed: tuple[PlanIndex, TaskBook]) -> None:
    index, book = indexed
    ask = detect("Phòng Nội vụ quận Ba Đình phải làm gì?", TODAY)
    assert ask is not None
    result = answer(ask, book, index.doc_chunks, None, "vi")
    assert result is not None and not result.abstained
    rows = [a for a in book.rows if a.unit_key == "phong noi vu@ba dinh"]
    assert len(rows) == 4
    lines = result.text.splitlines()
    assert lines[0].startswith("Phòng Nội vụ: Là cơ quan đầu mối")
    assert lines[1].startswith("Theo Kế hoạch") and "Ba Đình" in lines[1]
    assert [line for line in lines if line.startswith("- ")] == [
        line for line in lines[2:] if line.startswith("- ")
    ] and len(lines) == 2 + len(rows)
    for a in rows:  # the whole task is quoted, in the chunk that holds it, once per chunk
        cited = [
            c for c in result.citations if any(c.start + s == a.start and c.start + e == a.end for s, e in c.quotes)
        ]
        assert len(cited) == 1, a.task
        assert cited[0].start <= a.start and a.end <= cited[0].end
    assert len({c.chunk_id for c in result.citations}) == len(result.citations)
    _check_cited_tasks(result.text, result.citations, book, index)
    passages = {c.n: cited_passage(c.to_json()) for c in result.citations}
    assert sentence_groundedness(result.text, passages)[0] == 1.0
    assert answer_first(result.text, [["cơ quan đầu mối"]], False) == 1.0
    # the first sentence: two tasks, the second with what the first left of the 25 words, so a task is not cut
    # to a few words ("Tham mưu công tác …"), and the words of the second one are counted too
    head = lines[0].split(" [")[0]
    assert head.count("; ") == 1 and len([w for w in head.split() if any(ch.isalnum() for ch in w)]) == 25
    assert answer_first(result.text, [["hướng dẫn, kiểm tra, giám sát"]], False) == 1.0


def test_units_of_two_districts_stay_apart(indexed: tuple[PlanIndex, TaskBook]) -> None:
    index, book = indexed
    for place, other in (("Ba Đình", "Gò Vấp"), ("Gò Vấp", "Ba Đình")):
        ask = detect(f"Phòng Nội vụ quận {place} có nhiệm vụ gì?", TODAY)
        assert ask is not None
        result = answer(ask, book, index.doc_chunks, None, "vi")
        assert result is not None
        assert {c.issuer for c in result.citations} == {f"UBND quận {place}"}
        assert other not in result.text
    both = answer(DutyAsk(unit="Phòng Nội vụ"), book, index.doc_chunks, None, "vi")
    assert both is not None and {c.source for c in both.citations} == {BA_DINH_2025, GO_VAP_2010}


def test_a_level_of_government_finds_the_units_of_that_level(indexed: tuple[PlanIndex, TaskBook]) -> None:
    """q020: "cấp phường" is what the plan calls "UBND các phường"."""
    index, book = indexed
    ask = detect("Năm 2025 cấp phường ở Ba Đình được giao nhiệm vụ gì về dân vận chính quyền?", TODAY)
    assert ask is not None and ask.unit == "cấp phường"
    result = answer(ask, book, index.doc_chunks, None, "vi")
    assert result is not None and not result.abstained
    assert result.text.startswith("UBND các phường: Tập trung chỉ đạo quán triệt")
    assert {c.source for c in result.citations} == {BA_DINH_2025}


def test_a_unit_without_tasks_of_its_own_gets_those_of_its_class(indexed: tuple[PlanIndex, TaskBook]) -> None:
    """ "Kế hoạch triển khai Chỉ thị 11 giao Sở Tư pháp làm gì?" was answered with sentences about other bodies: the
    plan names no Sở Tư pháp, but gives tasks to "Các Sở, ban, ngành". Here: Ba Đình's plan and its "Các phòng
    chuyên môn thuộc quận"."""
    index, book = indexed
    ask = detect("Phòng Y tế quận Ba Đình phải làm gì?", TODAY)
    assert ask is not None and ask.unit == "Phòng Y tế" and book.match_units(ask.unit) == []
    result = answer(ask, book, index.doc_chunks, None, "vi")
    assert result is not None and not result.abstained
    assert result.text.startswith("Không có việc giao riêng cho Phòng Y tế; việc giao chung: "), result.text
    listed = [line for line in result.text.splitlines() if line.startswith("- ")]
    assert listed and all(line.startswith("- Các phòng chuyên môn thuộc quận") for line in listed), listed
    assert {c.source for c in result.citations} == {BA_DINH_2025}
    _check_cited_tasks(result.text, result.citations, book, index)
    # A class asked about is no unit of a class: "Các phường của Gò Vấp" is not one of Ba Đình's "UBND các phường".
    wards = detect("Các phường của Gò Vấp được giao làm gì?", TODAY)
    assert wards is not None and answer(wards, book, index.doc_chunks, None, "vi") is None


def test_a_deadline_window_lists_the_tasks_due_with_their_date(indexed: tuple[PlanIndex, TaskBook]) -> None:
    index, book = indexed
    ask = detect("Tháng 11 năm 2025 các đơn vị phải nộp những báo cáo nào?", TODAY)
    assert ask is not None and ask.reports
    result = answer(ask, book, index.doc_chunks, None, "vi")
    assert result is not None
    items = [line for line in result.text.splitlines() if line.startswith("- ")]
    assert items == ["- gửi báo cáo năm trước ngày 25/11 về UBND quận (qua Phòng Nội vụ) (25/11/2025). [1]"]
    assert fact_recall(result.text, [["25/11/2025"]]) == 1.0
    _check_cited_tasks(result.text, result.citations, book, index)
    # every unit: the quarterly reports of 2025 and the yearly one, in date order, each line naming its unit
    before = detect("Những việc nào phải xong trước ngày 30/11/2025?", TODAY)
    assert before is not None
    everything = answer(before, book, index.doc_chunks, None, "vi")
    assert everything is not None
    lines = [line for line in everything.text.splitlines() if line.startswith("- ")]
    assert lines[0].startswith(
        "- Các đơn vị gửi báo cáo tình hình công tác dân vận chính quyền vào giữa các tháng cuối"
    )
    assert "(15/03/2025)" in lines[0]
    assert lines[-1].startswith("- Các đơn vị: gửi báo cáo năm trước ngày 25/11")
    passages = {c.n: cited_passage(c.to_json()) for c in everything.citations}
    assert sentence_groundedness(everything.text, passages)[0] == 1.0


def test_filters_are_respected(indexed: tuple[PlanIndex, TaskBook]) -> None:
    index, book = indexed
    ask = DutyAsk(unit="Phòng Nội vụ")
    only_go_vap = answer(ask, book, index.doc_chunks, Filters(sources=(GO_VAP_2010,)), "vi")
    assert only_go_vap is not None and {c.source for c in only_go_vap.citations} == {GO_VAP_2010}
    by_year = answer(ask, book, index.doc_chunks, Filters(year_min=2020), "vi")
    assert by_year is not None and {c.source for c in by_year.citations} == {BA_DINH_2025}
    assert answer(ask, book, index.doc_chunks, Filters(issuers=("UBND quận Hoàn Kiếm",)), "vi") is None
    assert answer(DutyAsk(unit="Phòng Nội vụ", years=(2018,)), book, index.doc_chunks, None, "vi") is None


def test_a_plan_named_by_its_subject_narrows_the_list(indexed: tuple[PlanIndex, TaskBook]) -> None:
    index, book = indexed
    ask = detect("Phòng Nội vụ phải làm gì theo kế hoạch Triển khai công tác Dân vận chính quyền?", TODAY)
    assert ask is not None and ask.plan == ("trien", "khai", "cong", "tac", "dan", "chinh", "quyen")
    result = answer(ask, book, index.doc_chunks, None, "vi")
    assert result is not None and {c.source for c in result.citations} == {BA_DINH_2025}
    # words no plan's title holds narrow nothing: the question may describe its plan otherwise
    vague = answer(DutyAsk(unit="Phòng Nội vụ", plan=("khoang", "san")), book, index.doc_chunks, None, "vi")
    assert vague is not None and {c.source for c in vague.citations} == {BA_DINH_2025, GO_VAP_2010}
    # The plan named first, before what it gives ("Kế hoạch triển khai Chỉ thị 11 giao Sở Tư pháp làm gì?" listed
    # tasks of a decision too); its year is no subject.
    first = detect("Kế hoạch triển khai công tác Dân vận chính quyền giao Phòng Nội vụ làm gì?", TODAY)
    assert first is not None and first.unit == "Phòng Nội vụ" and first.plan == ask.plan
    year = detect("Kế hoạch năm 2025 giao Phòng Nội vụ làm gì?", TODAY)
    assert year is not None and year.plan == () and year.years == (2025,)


def test_a_plan_named_by_its_number_gives_its_tasks_or_none(indexed: tuple[PlanIndex, TaskBook]) -> None:
    """ "Kế hoạch 46 của Tuyên Quang giao cho Sở Nội vụ những nhiệm vụ gì?" was answered with another province's
    tasks for its Sở Nội vụ: the plan named assigned it none, and every plan's tasks were listed instead."""
    index, book = indexed
    for question in (
        "Phòng Nội vụ phải làm gì theo kế hoạch 08/KH-UBND?",
        "Kế hoạch số 8 giao cho Phòng Nội vụ những nhiệm vụ gì?",
    ):
        ask = detect(question, TODAY)
        assert ask is not None and ask.numbered is not None, question
        result = answer(ask, book, index.doc_chunks, None, "vi")
        assert result is not None and {c.source for c in result.citations} == {GO_VAP_2010}, question
    for question in (
        "Kế hoạch 46 giao cho Phòng Nội vụ những nhiệm vụ gì?",
        "Phòng Nội vụ phải làm gì theo Kế hoạch số 08/KH-BCĐ?",
        "Phòng Nội vụ phải làm gì theo quyết định 8?",
    ):
        ask = detect(question, TODAY)
        assert ask is not None and answer(ask, book, index.doc_chunks, None, "vi") is None, question
    directive = detect("Phòng Nội vụ phải làm gì theo kế hoạch triển khai Chỉ thị 18?", TODAY)
    assert directive is not None and directive.numbered is None  # the directive's number, not the plan's
    year = detect("Theo kế hoạch 2010 của quận Gò Vấp, Phòng Nội vụ có nhiệm vụ gì?", TODAY)
    assert year is not None and year.numbered is None and year.years == (2010,)  # the plan's year


def test_the_field_asked_about_narrows_to_the_plans_that_speak_of_it(indexed: tuple[PlanIndex, TaskBook]) -> None:
    """ "… trong/về <field>": only the plans whose title or listed tasks hold the field's words (all when none does),
    so an office's duties under an unrelated decision do not crowd the answer."""
    index, book = indexed
    ask = detect("Phòng Nội vụ phải làm gì về cải cách hành chính?", TODAY)
    assert ask is not None and ask.topic == ("cai", "cach", "hanh", "chinh")
    result = answer(ask, book, index.doc_chunks, None, "vi")
    assert result is not None and {c.source for c in result.citations} == {GO_VAP_2010}
    unknown = answer(DutyAsk(unit="Phòng Nội vụ", topic=("khoang", "san")), book, index.doc_chunks, None, "vi")
    assert unknown is not None and {c.source for c in unknown.citations} == {BA_DINH_2025, GO_VAP_2010}


def test_unknown_units_and_empty_windows_fall_back(indexed: tuple[PlanIndex, TaskBook]) -> None:
    index, book = indexed
    for question in (
        "Sở Y tế phải làm gì?",
        "Năm 2025 cấp tỉnh ở Ba Đình được giao nhiệm vụ gì về dân vận chính quyền?",
        "Phòng Nội vụ quận Hoàn Kiếm phải làm gì?",
        "Những việc nào phải xong trước ngày 30/11/2030?",
    ):
        ask = detect(question, TODAY)
        assert ask is not None, question
        assert answer(ask, book, index.doc_chunks, None, "vi") is None, question
    assert answer(DutyAsk(unit="Phòng Nội vụ"), TaskBook([]), index.doc_chunks, None, "vi") is None


def test_a_long_list_is_capped_and_counted(indexed: tuple[PlanIndex, TaskBook]) -> None:
    index, book = indexed
    result = answer(DutyAsk(), book, index.doc_chunks, None, "vi")  # every task of every unit
    assert result is not None
    due = book.tasks()
    assert len(due) > MAX_ITEMS
    items = [line for line in result.text.splitlines() if line.startswith("- ")]
    assert len(items) == MAX_ITEMS
    assert result.text.splitlines()[-1] == f"Còn {len(due) - MAX_ITEMS} nhiệm vụ khác không liệt kê ở đây."


def test_english_questions_get_an_english_lead_and_vietnamese_quotes(indexed: tuple[PlanIndex, TaskBook]) -> None:
    index, book = indexed
    ask = detect("What are the tasks of the Thanh tra quận in Go Vap under the 2010 plan?", TODAY)
    assert ask is not None
    result = answer(ask, book, index.doc_chunks, None, "en")
    assert result is not None
    lines = result.text.splitlines()
    assert lines[0].startswith("Tasks of Thanh tra quận: Phối hợp với các đơn vị liên quan")
    assert lines[1].startswith("According to Plan 08/KH-UBND")
    assert "tiếp công dân" in lines[2]


# ------------------------------------------------------------------------------------------------ engine
def test_the_engine_answers_duty_questions_from_the_assignments(toy_settings: Settings, corpus_copy: Path) -> None:
    build_index(toy_settings).sync([corpus_copy])
    assistant = Assistant.open(toy_settings)
    answer_ = assistant.ask("Phòng Văn hóa và Thông tin quận Gò Vấp được giao những việc gì?")
    assert answer_.mode == "tasks" and not answer_.abstained
    assert answer_.answer.splitlines()[0].startswith("Phòng Văn hóa và Thông tin quận: Lập kế hoạch chi tiết")
    assert {c.source for c in answer_.citations} == {GO_VAP_2010}
    assert answer_.retrieved  # the passages found are still shown
    report = answer_.to_json()
    passages = {c["n"]: cited_passage(c) for c in report["citations"]}
    assert sentence_groundedness(report["answer"], passages)[0] == 1.0
    # with a filter that leaves the plan out, and for any other question, the ordinary path answers
    filtered = assistant.ask(
        "Phòng Văn hóa và Thông tin quận Gò Vấp được giao những việc gì?", filters=Filters(year_min=2020)
    )
    assert filtered.mode == "extractive"
    assert assistant.ask("Kế hoạch số 08/KH-UBND do ai ký?").mode == "extractive"


def test_a_letters_tasks_of_one_day_are_dated_once_and_its_lead_is_named(tmp_path: Path) -> None:
    """3036 (../shared/realdocs, a scan; tests/fixtures/duties_3036_letter.txt is the text OCR reads from it): on
    the day of the inspection the Sở leads it ("- Chủ trì: Sở Công Thương tỉnh Lào Cai"), the company attends and
    prepares; the first sentence says the day once and who leads, not "29/05/2026 – Chủ trì; 29/05/2026 – …", and
    the day a task shows is cited at the passage that gives it ("2. Thời gian kiểm tra: Ngày 29 tháng 05 …")."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(REPO / "tests" / "fixtures" / "duties_3036_letter.txt", corpus / "3036-kiem-tra-kho.txt")
    settings = Settings(embed_backend="hash", data_dir=tmp_path / "data", ingest_dirs=[tmp_path])
    index = build_index(settings)
    index.sync([corpus])
    ask = detect("Những việc nào phải làm trong tháng 5 năm 2026?", TODAY)
    assert ask is not None
    result = answer(ask, TaskBook.load(settings.index_dir, required=True), index.doc_chunks, None, "vi")
    assert result is not None
    first = result.text.splitlines()[0]
    assert first.startswith("29/05/2026 – Chủ trì: Sở Công Thương tỉnh …; Thành phần tham dự: Công ty"), first
    assert first.count("29/05/2026") == 1
    day = [c for c in result.citations if c.text.startswith("2. Thời gian kiểm tra: Ngày 29 tháng 05")]
    assert len(day) == 1 and all(f"[{day[0].n}]" in line for line in result.text.splitlines()[2:5])
    passages = {c.n: cited_passage(c.to_json()) for c in result.citations}
    assert sentence_groundedness(result.text, passages)[0] == 1.0
