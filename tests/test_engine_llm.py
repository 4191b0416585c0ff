"""The engine with an LLM backend: generative answers through the guard, streaming, fallbacks."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant.engine import Assistant
from assistant.settings import Settings
from assistant.types import Answer
from prompts import phrase


def first_sentence_of_passage_1(prompt: str) -> str:
    """A faithful model: repeats the first sentence of passage [1] and cites it."""
    body = prompt.split('<passage id="1"', 1)[1].split(">", 1)[1].split("</passage>", 1)[0]
    sentences = re.split(r"(?<=[.;:])\s", " ".join(body.split()))
    sentence = next(x for x in sentences if len(x.split()) >= 6)
    return f"{sentence.rstrip('.;:')}. [1]"


class Server:
    """OpenAI chat-completions protocol on 127.0.0.1; `answer(prompt)` decides the reply text."""

    def __init__(self, answer: Callable[[str], str]) -> None:
        self.answer = answer
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = payload["messages"][-1]["content"]
                text = outer.answer(prompt)
                self.send_response(200)
                if payload.get("stream"):
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    for i in range(0, len(text), 9):
                        chunk = {
                            "id": "x",
                            "object": "chat.completion.chunk",
                            "created": 0,
                            "model": "m",
                            "choices": [{"index": 0, "delta": {"content": text[i : i + 9]}, "finish_reason": None}],
                        }
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.write(b"data: [DONE]\n\n")
                else:
                    body = {
                        "id": "x",
                        "object": "chat.completion",
                        "created": 0,
                        "model": "m",
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": text},
                            }
                        ],
                    }
                    data = json.dumps(body).encode()
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def faithful() -> Iterator[Server]:
    s = Server(first_sentence_of_passage_1)
    yield s
    s.close()


def llm_assistant(toy_settings: Settings, corpus: Path, url: str, **kw: Any) -> Assistant:
    Assistant(toy_settings).sync([corpus])
    s = toy_settings.model_copy(
        update={
            "llm": "openai",
            "llm_base_url": url,
            "llm_model": "m",
            "llm_timeout_s": 3.0,
            "llm_max_retries": 0,
            **kw,
        }
    )
    return Assistant.open(s)


@pytest.mark.integration
def test_generative_answer_is_kept_when_grounded(toy_settings: Settings, corpus_copy: Path, faithful: Server):
    a = llm_assistant(toy_settings, corpus_copy, faithful.url)
    ans = a.ask("Kế hoạch dân vận chính quyền năm 2025 của quận Ba Đình nhằm mục đích gì?")
    assert ans.mode == "llm" and not ans.abstained
    assert ans.citations and ans.citations[0].n == 1 and "[1]" in ans.answer
    # A unit's duties are the plans' list of its tasks (issue 18), whatever model is configured: not rephrased.
    duties = a.ask("Phòng Nội vụ quận Ba Đình có nhiệm vụ gì?")
    assert duties.mode == "tasks" and "Là cơ quan đầu mối" in duties.answer


@pytest.mark.integration
def test_stream_yields_text_then_the_final_answer(toy_settings: Settings, corpus_copy: Path, faithful: Server):
    a = llm_assistant(toy_settings, corpus_copy, faithful.url)
    parts = list(a.stream("Kế hoạch dân vận chính quyền năm 2025 của quận Ba Đình nhằm mục đích gì?"))
    final = parts[-1]
    assert isinstance(final, Answer) and final.mode == "llm"
    assert "".join(p for p in parts[:-1] if isinstance(p, str)).strip() == final.answer.strip()


@pytest.mark.integration
def test_invented_answer_falls_back_to_extractive(toy_settings: Settings, corpus_copy: Path):
    liar = Server(lambda _: "Ngân sách năm 2025 là 5 tỷ đồng. [1] Chủ tịch quận là ông Nguyễn Văn A. [2]")
    try:
        a = llm_assistant(toy_settings, corpus_copy, liar.url)
        ans = a.ask("Ai chịu trách nhiệm báo cáo quý?")
        assert ans.mode == "extractive-fallback" and ans.notice == phrase("guard_fallback")
        assert "5 tỷ" not in ans.answer and "Nội vụ" in ans.answer
    finally:
        liar.close()


def test_unreachable_llm_gives_the_extractive_answer_with_a_notice(toy_settings: Settings, corpus_copy: Path):
    a = llm_assistant(toy_settings, corpus_copy, "http://127.0.0.1:9/v1")
    ans = a.ask("Ai chịu trách nhiệm báo cáo quý?")
    assert ans.mode == "extractive-fallback" and ans.notice == phrase("llm_fallback")
    assert not ans.abstained and ans.citations
    streamed = list(a.stream("Ai chịu trách nhiệm báo cáo quý?"))
    assert isinstance(streamed[-1], Answer) and streamed[-1].mode == "extractive-fallback"


@pytest.mark.integration
def test_follow_up_is_condensed_by_the_llm(toy_settings: Settings, corpus_copy: Path):
    def model(prompt: str) -> str:
        if "Câu hỏi độc lập" in prompt:
            return "Hạn gửi báo cáo năm về công tác dân vận chính quyền của quận Ba Đình năm 2025 là khi nào?"
        return first_sentence_of_passage_1(prompt)

    s = Server(model)
    try:
        a = llm_assistant(toy_settings, corpus_copy, s.url)
        hist = [
            {"role": "user", "content": "Phòng Nội vụ quận Ba Đình làm gì năm 2025?"},
            {"role": "assistant", "content": "…"},
        ]
        ans = a.ask("Còn hạn báo cáo năm thì sao?", history=hist)
        assert ans.search_query.startswith("Hạn gửi báo cáo năm")
    finally:
        s.close()
