"""Feedback from the chat becomes evaluation items: 👍 answers ready to run, 👎 ones drafts to complete."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest

from assistant.engine import Assistant
from assistant.service import (
    CITATION_KEYS,
    MAX_CITATION_FIELD_CHARS,
    MAX_CITATION_QUOTES,
    MAX_CITATION_TEXT_CHARS,
    MAX_COMMENT_CHARS,
    MAX_FEEDBACK_ANSWER_CHARS,
    MAX_FEEDBACK_CITATIONS,
    MAX_FEEDBACK_QUESTION_CHARS,
    MAX_TURNS,
    AssistantService,
)
from eval.feedback import REVIEW_KEY, drafts, feedback_files, read_feedback
from eval.runner import load_dataset, validate_item
from tests.conftest import CORPUS, GO_VAP_2010
from tests.test_api import QUARTERLY, toy_settings
from tests.test_cli import run


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> AssistantService:
    data = tmp_path_factory.mktemp("fb") / "data"
    settings = toy_settings(data, corpus_dir=CORPUS)
    Assistant(settings).sync()
    return AssistantService(settings)


def _record(service: AssistantService, question: str, vote: str, turns: Sequence[str] = (), comment: str = "") -> None:
    history = []
    for t in turns:
        history += [{"role": "user", "content": t}, {"role": "assistant", "content": service.ask(t).answer}]
    ans = service.ask(question, history=history)
    service.record_feedback(
        question=ans.question,
        answer=ans.answer,
        citations=[c.to_json() for c in ans.citations],
        vote=vote,
        comment=comment,
        turns=list(turns),
    )


def test_feedback_becomes_runnable_items_and_drafts(service: AssistantService, tmp_path: Path) -> None:
    path = service.settings.feedback_path
    _record(service, QUARTERLY, "up")
    _record(service, "Kế hoạch này có mục đích gì?", "up", turns=["Kế hoạch của quận Gò Vấp năm 2010 do ai ký?"])
    _record(service, "Kinh phí dân vận của Ba Đình là bao nhiêu?", "down", comment="Trả lời sai, không có số liệu")
    _record(service, QUARTERLY, "down")  # the same question rated again: drafted once
    path.write_text(path.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")  # a torn line is skipped

    items = drafts(read_feedback(path))
    assert [i["id"] for i in items] == ["fb0001", "fb0002", "fb0003"]
    ready, follow_up, todo = items
    for item in (ready, follow_up):  # 👍: complete items, whose evidence is text of their gold documents
        validate_item(item)
        assert item["docs"] and item["evidence"]
        texts = " ".join((CORPUS / d).read_text(encoding="utf-8") for d in item["docs"])
        assert all(" ".join(e.split()) in " ".join(texts.split()) for e in item["evidence"])
    assert ready["kind"] == "fact" and ready["turns"] == [QUARTERLY]
    assert follow_up["kind"] == "multi-turn" and len(follow_up["turns"]) == 2 and GO_VAP_2010 in follow_up["docs"]
    assert todo[REVIEW_KEY]["vote"] == "down" and "sai" in todo[REVIEW_KEY]["comment"]
    with pytest.raises(ValueError, match="review"):  # a draft cannot be run until completed
        validate_item(todo)
    assert [i["id"] for i in drafts(read_feedback(path), vote="down")] == ["fb0001", "fb0002"]

    out = tmp_path / "from-feedback.jsonl"
    out.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in (ready, follow_up)), encoding="utf-8")
    assert len(load_dataset(out)) == 2


@pytest.mark.integration
def test_feedback_export_command(service: AssistantService, tmp_path: Path) -> None:
    data = service.settings.data_dir
    if not service.settings.feedback_path.exists():
        _record(service, QUARTERLY, "up")
    out = tmp_path / "drafts" / "fb.jsonl"
    r = run(["feedback", "export", "--vote", "up", "--out", str(out)], data)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert lines and all(REVIEW_KEY not in x for x in lines) and "sẵn dùng" in r.stderr
    r = run(["feedback", "export"], tmp_path / "no-data")
    assert r.returncode != 0 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_stored_feedback_fields_are_bounded(tmp_path: Path) -> None:
    """Whatever a client sends (API) or an answer holds (page), one feedback line stays small."""
    service = AssistantService(toy_settings(tmp_path / "data"))
    huge = "x" * 100_000
    citation = {
        "n": 1,
        "source": huge,
        "text": huge,
        "quotes": [[0, 5]] * 100 + [[0, 10**9]],
        "score": float("inf"),
        "start": 10**30,
        "title": {"nested": huge},
        "not_a_citation_field": huge,
    }
    entry = service.record_feedback(
        question=huge, answer=huge, citations=[citation] * 50, vote="down", comment=huge, turns=[huge] * 100
    )
    text = service.settings.feedback_path.read_text(encoding="utf-8")
    assert len(text) < 300_000 and json.loads(text) == entry
    assert len(entry["question"]) == MAX_FEEDBACK_QUESTION_CHARS and len(entry["answer"]) == MAX_FEEDBACK_ANSWER_CHARS
    assert len(entry["comment"]) == MAX_COMMENT_CHARS
    assert len(entry["turns"]) == MAX_TURNS and all(len(t) == MAX_FEEDBACK_QUESTION_CHARS for t in entry["turns"])
    assert len(entry["citations"]) == MAX_FEEDBACK_CITATIONS
    stored = entry["citations"][0]
    assert set(stored) == {"n", "source", "text", "quotes", "score", "start", "title"} <= set(CITATION_KEYS)
    assert len(stored["text"]) == MAX_CITATION_TEXT_CHARS and len(stored["source"]) == MAX_CITATION_FIELD_CHARS
    assert stored["quotes"] == [[0, 5]] * MAX_CITATION_QUOTES
    assert stored["score"] is None and stored["start"] is None and stored["title"] is None


@pytest.mark.integration
def test_feedback_file_rotates_and_export_reads_every_part(tmp_path: Path) -> None:
    data = tmp_path / "data"
    service = AssistantService(toy_settings(data, feedback_max_mb=0.002, feedback_keep=2))  # 2,000 bytes a file
    path = service.settings.feedback_path
    asked = [f"Câu hỏi số {i} về báo cáo quý?" for i in range(14)]
    for q in asked:
        service.record_feedback(question=q, answer="Trả lời " * 40, citations=[], vote="down")
    parts = feedback_files(path)
    assert parts == [path.with_name("feedback.jsonl.2"), path.with_name("feedback.jsonl.1"), path]
    assert not path.with_name("feedback.jsonl.3").exists()  # the oldest part beyond `feedback_keep` is gone
    assert all(0 < p.stat().st_size <= 2000 for p in parts)
    kept = [e["question"] for e in read_feedback(path)]
    assert 6 <= len(kept) < len(asked) and kept == asked[-len(kept) :]  # the newest, in the order given
    out = tmp_path / "drafts.jsonl"
    r = run(["feedback", "export", "--out", str(out)], data)
    assert r.returncode == 0, r.stderr
    assert [json.loads(x)["turns"][-1] for x in out.read_text(encoding="utf-8").splitlines()] == kept


def test_feedback_parts_are_read_oldest_first(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    for suffix, q in ((".10", "a"), (".2", "b"), (".1", "c"), ("", "d")):
        line = json.dumps({"question": q, "vote": "up"}).encode()
        (tmp_path / f"feedback.jsonl{suffix}").write_bytes(line + b"\n\xff\xfe torn\n")  # a damaged line is skipped
    (tmp_path / "feedback.jsonl.bak").write_text(json.dumps({"question": "x", "vote": "up"}) + "\n", encoding="utf-8")
    assert [e["question"] for e in read_feedback(path)] == ["a", "b", "c", "d"]


def test_a_changed_vote_replaces_the_earlier_line(tmp_path: Path) -> None:
    """👍 after 👎 on the same answer (same answer id) leaves one line, the last vote; other answers' lines, and
    lines without an id, stay as they were."""
    service = AssistantService(toy_settings(tmp_path / "data"))
    path = service.settings.feedback_path
    service.record_feedback(question="q0", answer="a0", citations=[], vote="up")  # no id: never replaced
    service.record_feedback(question="q1", answer="a1 [1]", citations=[], vote="down", answer_id="aaaa1111")
    service.record_feedback(question="q2", answer="a2", citations=[], vote="up", answer_id="bbbb2222")
    service.record_feedback(
        question="q1", answer="a1 [1]", citations=[], vote="up", comment="đúng", answer_id="aaaa1111"
    )
    service.record_feedback(question="q0", answer="a0", citations=[], vote="down")
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert [(e["question"], e["vote"], e.get("answer_id")) for e in lines] == [
        ("q0", "up", None),
        ("q1", "up", "aaaa1111"),
        ("q2", "up", "bbbb2222"),
        ("q0", "down", None),
    ]
    assert lines[1]["comment"] == "đúng"
    entry = service.record_feedback(question="q", answer="a", citations=[], vote="up", answer_id="../../etc x")
    assert "answer_id" not in entry  # only the page's id shape is kept


@pytest.mark.integration
def test_api_feedback_with_an_answer_id_replaces(tmp_path: Path) -> None:
    from assistant.server import BackgroundServer, create_app

    settings = toy_settings(tmp_path / "data")
    body = {"question": "q", "answer": "a [1]", "citations": [], "vote": "down", "answer_id": "k1"}
    with BackgroundServer(create_app(settings)) as srv:
        for vote in ("down", "up"):
            r = httpx.post(srv.url + "api/feedback", json={**body, "vote": vote}, timeout=30)
            assert r.status_code == 200, r.text
    lines = settings.feedback_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["vote"] == "up"
