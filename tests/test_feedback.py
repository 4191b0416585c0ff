"""Feedback from the chat becomes evaluation items: 👍 answers ready to run, 👎 ones drafts to complete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.engine import Assistant
from assistant.service import AssistantService
from eval.feedback import REVIEW_KEY, drafts, read_feedback
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


def _record(service: AssistantService, question: str, vote: str, turns: list[str] = (), comment: str = "") -> None:
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
