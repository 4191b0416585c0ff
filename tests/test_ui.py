"""The chat page's pure parts: filters from the widgets, the corpus box and filter choices of a large corpus, votes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import QuestionError
from assistant.service import AssistantService
from assistant.ui import (
    CORPUS_LIST_MAX,
    FILTER_CHOICES_MAX,
    NO_ANSWER_YET,
    THANKS,
    TOO_OLD,
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
