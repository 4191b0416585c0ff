"""The chat page's pure parts (filters from the widgets, the corpus box and filter choices of a large corpus, votes)
and its handlers (`ChatPage`), called directly as Gradio would, over a real service on a small index."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from assistant.app import App
from assistant.chat import Conversation
from assistant.errors import QuestionError
from assistant.render import esc
from assistant.service import AssistantService
from assistant.settings import Settings
from assistant.ui import (
    CORPUS_LIST_MAX,
    FILTER_CHOICES_MAX,
    MAX_KEPT_ANSWERS,
    NO_ANSWER_YET,
    THANKS,
    TOO_OLD,
    UNAVAILABLE,
    ChatPage,
    corpus_view_of,
    make_filters,
    vote_by_command,
)
from tests.test_api import toy_settings


def test_empty_filters_restrict_nothing() -> None:
    assert make_filters([], [], None, None) is None
    assert make_filters(None, None, "", "  ") is None


def test_year_boxes_take_text_and_api_numbers() -> None:
    f = make_filters(["a.txt"], ["UBND quận Gò Vấp"], " 2010", "2025")
    assert f is not None and (f.sources, f.issuers, f.year_min, f.year_max) == (
        ("a.txt",),
        ("UBND quận Gò Vấp",),
        2010,
        2025,
    )
    f = make_filters([], [], 2018.0, 2018)  # gradio_client callers may send numbers
    assert f is not None and (f.year_min, f.year_max) == (2018, 2018)


@pytest.mark.parametrize("y_min,y_max", [("abc", ""), ("1899", ""), ("", "2101"), ("2025", "2010"), ("２０１８", "")])
def test_bad_years_are_clear_errors(y_min: str, y_max: str) -> None:
    with pytest.raises(QuestionError, match="năm"):
        make_filters([], [], y_min, y_max)


def _docs(n: int, issuers: int) -> list[dict]:
    return [
        {
            "source": f"doc_{i:05d}.txt",
            "meta": {
                "title": f"Kế hoạch {i}",
                "issuer": f"UBND quận {i % issuers}",
                "date": f"{2000 + i % 25}-01-{1 + i % 28:02d}",
            },
        }
        for i in range(n)
    ]


def test_small_corpus_is_listed_whole() -> None:
    docs = _docs(5, 3)
    html, sources, issuers = corpus_view_of(docs)
    assert html.count('class="tl-doc"') == 5 and "tl-docs-more" not in html
    assert [s for _, s in sources] == [d["source"] for d in docs]  # the index's order
    assert issuers == ["UBND quận 0", "UBND quận 1", "UBND quận 2"]


def test_large_corpus_is_summarised_and_its_choices_bounded() -> None:
    docs = _docs(37_000, 400)
    html, sources, issuers = corpus_view_of(docs)
    assert html.count('class="tl-doc"') == CORPUS_LIST_MAX
    assert "37.000 tài liệu của 400 cơ quan ban hành" in html
    assert f"… và {37_000 - CORPUS_LIST_MAX:,} tài liệu khác".replace(",", ".") in html
    assert len(html) < 20_000  # the unbounded list was 20 MB of page
    assert len(sources) == FILTER_CHOICES_MAX and len(issuers) == FILTER_CHOICES_MAX
    dates = [next(d for d in docs if d["source"] == s)["meta"]["date"] for _, s in sources]
    assert dates == sorted(dates, reverse=True)  # the newest documents are offered
    assert dates[0] == max(d["meta"]["date"] for d in docs)


def test_a_vote_on_any_kept_answer_and_a_changed_vote_replaces(tmp_path: Path) -> None:
    """The answers' own 👍/👎 name their answer; an unknown or forgotten one is a clear message, a second vote
    on the same answer replaces the first line."""
    service = AssistantService(toy_settings(tmp_path / "data"))
    answers: dict[str, dict[str, Any]] = {
        key: {"question": f"q {key}", "answer": "a [1]", "citations": [], "turns": [], "answer_id": key}
        for key in ("k1", "k2")
    }
    assert vote_by_command(service, "k1 maybe 1", answers, "x") == (NO_ANSWER_YET, "x")
    assert vote_by_command(service, "gone up 1", answers, "x") == (TOO_OLD, "x")
    assert vote_by_command(service, "k1 down 1", answers, "") == (THANKS, "")
    assert vote_by_command(service, "k2 up 2", answers, "") == (THANKS, "")
    assert vote_by_command(service, "k1 up 3", answers, "tốt") == (THANKS, "")
    lines = [json.loads(x) for x in service.settings.feedback_path.read_text(encoding="utf-8").splitlines()]
    assert [(e["answer_id"], e["vote"], e["comment"]) for e in lines] == [("k1", "up", "tốt"), ("k2", "up", "")]


def test_the_document_box_links_to_the_whole_library() -> None:
    """Issue 15: the page did not lead to the library (/tai-lieu/), where every document can be searched and read;
    the link opens at the app's address in a new tab ("tl-open", also inside the web component)."""
    html, _, _ = corpus_view_of(_docs(5, 3))
    assert '<a class="tl-open" href="tai-lieu/"' in html and "Thư viện tài liệu" in html


FIRST = "Kế hoạch của quận Gò Vấp năm 2010 do ai ký?"
FOLLOW_UP = "Kế hoạch này có mục đích gì?"


@pytest.fixture
def page(toy_settings: Settings, corpus_copy: Path) -> ChatPage:
    app = App.from_settings(toy_settings.model_copy(update={"corpus_dir": corpus_copy}))
    app.indexer.sync()
    return ChatPage(app.service)


async def _outputs(updates: AsyncIterator[Any]) -> list[Any]:
    return [copy.deepcopy(u) async for u in updates]  # as sent: the handler goes on changing its lists


def _ask(page: ChatPage, question: str, chat: list, history: list, answers: dict, year_min: str = "") -> list[Any]:
    """What `respond` yields for one question, as Gradio gets it (no filters but `year_min`)."""
    return asyncio.run(_outputs(page.respond(question, chat, history, [], [], year_min, "", answers)))


def test_respond_streams_the_answer_and_the_conversation_goes_on(page: ChatPage) -> None:
    """A pending message, the answer as it grows, then the final card; the turn goes into the history, whose
    next question is asked as a follow-up, as `Conversation` asks it."""
    outs = _ask(page, FIRST, [], [], {})
    assert "tl-pending" in outs[0][1][-1]["content"] and len(outs) > 3
    box, shown, chat, history, last, answers = outs[-1]
    assert box == "" and shown == chat and [m["role"] for m in chat] == ["user", "assistant"]
    assert f'id="ans-{last["answer_id"]}"' in chat[-1]["content"] and answers == {last["answer_id"]: last}
    assert history == [{"role": "user", "content": FIRST}, {"role": "assistant", "content": last["answer"]}]
    assert last["turns"] == [] and last["citations"]

    *_, (_, _, chat2, history2, last2, answers2) = _ask(page, FOLLOW_UP, chat, history, answers)
    conv = Conversation(page.service)
    conv.ask(FIRST)
    expected = conv.ask(FOLLOW_UP)
    assert history2 == conv.history and last2["answer"] == expected.answer and last2["turns"] == [FIRST]
    assert len(chat2) == 4 and len(history) == 2 and len(answers2) == 2  # the inputs are not changed in place


def test_a_refused_question_keeps_the_conversation(page: ChatPage) -> None:
    history = [{"role": "user", "content": FIRST}, {"role": "assistant", "content": "…"}]
    *_, (_, _, chat, kept, last, answers) = _ask(page, FOLLOW_UP, [], history, {"k": {}}, year_min="abc")
    assert "tl-error" in chat[-1]["content"] and "Năm lọc phải là một năm" in chat[-1]["content"]
    assert kept == history and last is None and answers == {"k": {}}


def test_without_an_index_the_page_says_so(toy_settings: Settings) -> None:
    page = ChatPage(App.from_settings(toy_settings).service)
    *_, (_, _, chat, history, last, _) = _ask(page, FIRST, [], [], {})
    assert esc(UNAVAILABLE) in chat[-1]["content"] and "index build" not in chat[-1]["content"]
    assert history == [] and last is None
    html, sources, issuers = page.load_corpus()
    assert esc(UNAVAILABLE) in html and sources["choices"] == [] and issuers["choices"] == []


def test_votes_new_conversations_and_the_corpus_from_the_handlers(page: ChatPage) -> None:
    kept = {f"old{i}": {"question": "q", "answer": "a", "citations": [], "turns": []} for i in range(MAX_KEPT_ANSWERS)}
    *_, (_, _, _, _, last, answers) = _ask(page, "Ai chịu trách nhiệm báo cáo quý?", [], [], kept)
    assert len(answers) == MAX_KEPT_ANSWERS and last["answer_id"] in answers and "old0" not in answers  # oldest out
    assert page.vote_down(None, "x") == (NO_ANSWER_YET, "x")
    assert page.vote_up(last, "rõ ràng") == (THANKS, "")
    assert page.vote_any(f"{last['answer_id']} down 1", answers, "") == (THANKS, "")
    lines = page.service.settings.feedback_path.read_text(encoding="utf-8").splitlines()
    assert [(e["vote"], e["answer_id"]) for e in map(json.loads, lines)] == [("down", last["answer_id"])]
    assert page.new_conversation() == ([], [], [], None, "", "", {})
    html, sources, issuers = page.load_corpus()
    assert (
        html.count('class="tl-doc"') == 5 and len(sources["choices"]) == 5 and "UBND quận Ba Đình" in issuers["choices"]
    )
