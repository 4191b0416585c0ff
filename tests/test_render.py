"""assistant/render.py: the HTML of answers, source cards and the document list. Untrusted text (documents,
questions) is always inert; quotes are marked; links point at the card or the document page. A real small index
(one hostile document, hashing embedder) for the end-to-end escaping case."""

from __future__ import annotations

import json

import pytest

from assistant.engine import Assistant
from assistant.render import (
    answer_data,
    doc_url,
    esc,
    format_date,
    merge_spans,
    render_answer,
    render_answer_text,
    render_documents,
    render_error,
    render_user,
    shorten,
)
from assistant.settings import Settings
from assistant.types import Answer, Citation
from tests.test_api import XSS_DOC, XSS_QUESTION, XSS_SOURCE, toy_settings


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An index of the hostile document alone (hashing embedder)."""
    root = tmp_path_factory.mktemp("render")
    (root / "corpus").mkdir()
    (root / "corpus" / XSS_SOURCE).write_text(XSS_DOC, encoding="utf-8")
    settings = toy_settings(root / "data", corpus_dir=root / "corpus")
    Assistant(settings).sync()
    return settings


def citation(**kw: object) -> Citation:
    base: dict[str, object] = {
        "n": 1,
        "source": "a.txt",
        "doc_id": "a.txt",
        "chunk_id": "a.txt#0",
        "title": "T",
        "issuer": "UBND",
        "date": "2010-02-09",
        "section": "I. MỤC ĐÍCH",
        "text": "Câu một. Câu hai quan trọng. Câu ba.",
        "start": 0,
        "end": 36,
        "score": 1.0,
        "quotes": ((9, 28),),
    }
    return Citation(**{**base, **kw})  # type: ignore[arg-type]


def test_hostile_document_renders_as_text(settings: Settings) -> None:
    answer = Assistant.open(settings).ask(XSS_QUESTION)
    assert answer.citations and answer.citations[0].source == XSS_SOURCE
    assert "<script>" in answer.citations[0].text  # the index keeps the text as written...
    html = render_answer(answer, "t1")
    for raw in ("<script", "<img", "onerror=alert", "](http", "http://evil", "[link]"):
        assert raw not in html  # ...and the page shows it as text
    assert "&#60;script&#62;alert&#40;1&#41;&#60;/script&#62;" in html
    assert 'href="#src-t1-1"' in html and 'id="src-t1-1"' in html and "<mark>" in html
    docs_html = render_documents(Assistant.open(settings).documents())
    assert "<script" not in docs_html and "&#60;script&#62;" in docs_html
    assert "<script" not in render_user("<script>alert(1)</script> [x](http://evil) $x$")


def test_quotes_are_highlighted_and_unknown_markers_stay_text() -> None:
    a = Answer(question="q", answer="Câu hai quan trọng. [1] [7]", abstained=False, citations=[citation()])
    html = render_answer(a, "k")
    assert "<mark>Câu hai quan trọng&#46;</mark>" in html
    assert html.count('class="tl-cite"') == 1 and "&#91;7&#93;" in html
    assert "09/02/2010" in html and "I&#46; MỤC ĐÍCH" in html


def test_esc_leaves_no_markup_markdown_or_math() -> None:
    out = esc('<b onclick="x">**đậm** [a](javascript:1) $x$ `c` \r\nhết')
    assert out.replace("<br>", "").isprintable() and not any(ch in out.replace("<br>", "") for ch in '<>"*[]()$`')
    assert out.endswith("<br>hết") and "\r" not in out and "đậm" in out


def test_quote_spans_are_merged_clipped_and_ordered() -> None:
    assert merge_spans([(5, 9), (0, 3), (8, 12), (20, 99), (4, 4), (-3, 1)], 25) == [(0, 3), (5, 12), (20, 25)]


def test_document_link_quotes_the_id_and_points_at_the_passage() -> None:
    assert doc_url("a b/c.txt", "a b/c.txt#12", [(30, 40), (50, 50)]) == "tai-lieu/a%20b%2Fc.txt?hl=30-40#c12"
    assert doc_url("x.txt") == "tai-lieu/x.txt"


@pytest.mark.parametrize(
    ("iso", "shown"), [("2010-02-09", "09/02/2010"), ("2025-02", "02/2025"), ("2019", "2019"), ("sớm", "sớm")]
)
def test_dates_are_shown_day_first(iso: str, shown: str) -> None:
    assert format_date(iso) == shown


def test_shorten_cuts_at_a_word_and_marks_the_cut() -> None:
    text = "Phòng Nội vụ là cơ quan đầu mối tham mưu UBND quận"
    assert shorten(text, 100) == text
    short = shorten(text, 25)
    assert short.endswith("…") and len(short) <= 25 and text.startswith(short[:-1]) and not short[:-1].endswith(" ")


def test_citation_links_are_named_for_screen_readers() -> None:
    html = render_answer_text("Trước ngày 25/11 [1].", {1: "src-k-1"}, {1: "Kế hoạch 08/KH-UBND"})
    label = esc("Nguồn 1: Kế hoạch 08/KH-UBND")  # an attribute value, escaped like every text
    assert f'<a class="tl-cite" aria-label="{label}" href="#src-k-1">&#91;1&#93;</a>' in html
    assert render_answer_text("Không có [2].", {1: "src-k-1"}) == esc("Không có [2].")  # no card: stays text


def test_answer_data_is_what_copy_and_export_read() -> None:
    c = citation(start=100, number="08/KH-UBND")
    data = json.loads(answer_data(Answer(question="q?", answer="Câu hai [1].", abstained=False, citations=[c])))
    assert data["q"] == "q?" and data["a"] == "Câu hai [1]."
    (src,) = data["sources"]
    assert src["quote"] == "Câu hai quan trọng." and src["date"] == "09/02/2010"
    assert src["url"] == "tai-lieu/a.txt?hl=109-128#c0"  # document offsets: the chunk's start plus the span


def test_errors_show_vietnamese_only() -> None:
    html = render_error("Không có văn bản «x» trong kho (no such document).")
    assert "Không có văn bản" in html and "no such document" not in html and 'role="alert"' in html


def test_a_long_document_list_is_summarised_newest_first() -> None:
    docs = [
        {"source": f"{i}.txt", "doc_id": f"{i}.txt", "meta": {"title": f"KH {i}", "date": f"20{10 + i}-01-01"}}
        for i in range(5)
    ]
    html = render_documents(docs, limit=2)
    assert html.startswith('<div class="tl-docs-summary">5 tài liệu')
    assert html.index("KH 4") < html.index("KH 3") and "KH 2" not in html and "… và 3 tài liệu khác" in html
    assert render_documents([]).startswith('<div class="tl-docs tl-empty">')
