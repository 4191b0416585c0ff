"""Follow-ups of duty questions in a chat (assistant/duty_followup.py): "Còn Phòng X thì sao?" answers Phòng X's
cited list, "Còn quý III?" keeps the unit and the earlier year, and anything else stays on the ordinary path."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from assistant.duty_followup import follow_up
from assistant.engine import Assistant
from assistant.indexer import build_index
from assistant.settings import Settings

from .conftest import GO_VAP_2010

TODAY = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("question", "previous", "unit", "window", "places"),
    [
        ("Còn Phòng Tài chính thì sao?", ["Phòng Nội vụ có nhiệm vụ gì?"], "Phòng Tài chính", None, ()),
        ("con thanh tra quan thi sao", ["phong noi vu phai lam gi"], "thanh tra quan", None, ()),
        ("Vậy còn Văn phòng UBND quận?", ["Phòng Nội vụ phải làm gì?"], "Văn phòng UBND quận", None, ()),
        ("thế còn UBND các phường", ["Phòng Nội vụ phải làm gì?"], "UBND các phường", None, ()),
        ("Vậy ở quận Ba Đình?", ["Phòng Nội vụ phải làm gì?"], "Phòng Nội vụ", None, ("Ba Đình",)),
        # a month or quarter without a year is the earlier question's year; "tháng này" is today's
        (
            "Còn quý III thì sao?",
            ["Những việc nào phải xong trong quý IV năm 2018?"],
            "",
            (date(2018, 7, 1), date(2018, 9, 30)),
            (),
        ),
        (
            "Còn tháng này?",
            ["Những việc nào phải xong trong quý IV năm 2018?"],
            "",
            (date(2026, 12, 1), date(2026, 12, 31)),
            (),
        ),
        # a chain: the unit of the second turn, the window of the first
        (
            "Còn tháng 12?",
            ["Phòng Nội vụ phải làm gì trong quý IV/2018?", "Còn Phòng Tài chính thì sao?"],
            "Phòng Tài chính",
            (date(2018, 12, 1), date(2018, 12, 31)),
            (),
        ),
    ],
)
def test_a_follow_up_changes_what_it_names_and_keeps_the_rest(
    question: str, previous: list[str], unit: str, window: tuple[date, date] | None, places: tuple[str, ...]
) -> None:
    ask = follow_up(question, previous, TODAY)
    assert ask is not None, question
    assert ask.unit == unit
    assert ((ask.start, ask.end) if ask.window else None) == window
    assert ask.places == places


@pytest.mark.parametrize(
    ("question", "previous"),
    [
        ("Còn Phòng Y tế thì sao?", ["Ai ký kế hoạch số 08/KH-UBND?"]),  # the earlier turn asked no duties
        ("Còn Phòng Y tế thì sao?", []),
        ("Kế hoạch này ban hành ngày nào?", ["Phòng Nội vụ phải làm gì?"]),
        ("Còn gì nữa không?", ["Phòng Nội vụ phải làm gì?"]),
        ("Còn thì sao?", ["Phòng Nội vụ phải làm gì?"]),
        ("Những khó khăn của quận trong công tác dân vận năm 2018 là gì?", ["Phòng Nội vụ phải làm gì?"]),
    ],
)
def test_other_questions_are_no_follow_ups(question: str, previous: list[str]) -> None:
    assert follow_up(question, previous, TODAY) is None


def test_the_chat_answers_a_follow_up_with_the_new_units_list(toy_settings: Settings, corpus_copy: Path) -> None:
    build_index(toy_settings).sync([corpus_copy])
    assistant = Assistant.open(toy_settings)
    first = "Phòng Nội vụ quận Gò Vấp phải làm gì?"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": assistant.ask(first).answer}]
    answer = assistant.ask("Còn Phòng Văn hóa và Thông tin quận thì sao?", history)
    assert answer.mode == "tasks" and not answer.abstained
    assert answer.answer.splitlines()[0].startswith("Phòng Văn hóa và Thông tin quận: Lập kế hoạch chi tiết")
    assert {c.source for c in answer.citations} == {GO_VAP_2010}
    # a unit no plan names: the tasks of its class ("Thủ trưởng các phòng ban" in Gò Vấp's plan), or, with no
    # class, as a follow-up of a question that was no duty question, the ordinary path
    health = assistant.ask("Còn Phòng Y tế thì sao?", history)
    assert health.mode == "tasks" and health.answer.startswith("Không có việc giao riêng cho Phòng Y tế")
    assert assistant.ask("Còn Sở Y tế thì sao?", history).mode == "extractive"
    other = [{"role": "user", "content": "Kế hoạch số 08/KH-UBND do ai ký?"}]
    assert assistant.ask("Còn Phòng Văn hóa và Thông tin quận thì sao?", other).mode == "extractive"
