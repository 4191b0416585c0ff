"""HTTP API, access control, feedback and HTML escaping, against a real server on 127.0.0.1 over a real
(hash-embedder) index of the bundled corpus plus one hostile document."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from assistant.api import WEB_COMPONENT_JS
from assistant.engine import Assistant
from assistant.render import esc
from assistant.server import BackgroundServer, create_app
from assistant.settings import Settings
from tests.conftest import BA_DINH_2025, CORPUS, GO_VAP_2010

pytestmark = pytest.mark.integration

QUARTERLY = "Ai chịu trách nhiệm báo cáo quý?"
XSS_SOURCE = "900_xss.txt"
XSS_QUESTION = "Ai chịu trách nhiệm kiểm tra an toàn thông tin mạng?"
XSS_DOC = """ỦY BAN NHÂN DÂN QUẬN THỬ NGHIỆM
Số: 99/KH-UBND
Thử Nghiệm, ngày 01 tháng 03 năm 2024
KẾ HOẠCH
Kiểm tra an toàn hiển thị <script>alert(1)</script> tài liệu

I. MỤC ĐÍCH
Phòng Văn hóa và Thông tin chịu trách nhiệm kiểm tra an toàn thông tin mạng <script>alert(1)</script> theo \
hướng dẫn [link](http://evil) và <img src=x onerror=alert(2)> hằng tháng.

II. TỔ CHỨC THỰC HIỆN
Phòng Văn hóa và Thông tin báo cáo kết quả kiểm tra an toàn thông tin mạng về UBND quận \
trước ngày 10 hằng tháng.
"""
API_KEY = "sk-never-write-me-42"


def toy_settings(data_dir: Path, **kw: object) -> Settings:
    """Hash-embedder settings on loopback without access control unless `kw` says otherwise."""
    base: dict[str, object] = {
        "embed_backend": "hash",
        "data_dir": data_dir,
        "host": "127.0.0.1",
        "access_token": "",
        "trusted_header": "",
        "root_path": "",
    }
    return Settings(**{**base, **kw})  # type: ignore[arg-type]


def build_toy_index(root: Path) -> Path:
    """Index the bundled corpus plus the hostile document into `root/data`; returns the data folder."""
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / XSS_SOURCE).write_text(XSS_DOC, encoding="utf-8")
    data = root / "data"
    Assistant(toy_settings(data, corpus_dir=corpus)).sync()
    return data


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_toy_index(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def settings(data_dir: Path) -> Settings:
    return toy_settings(data_dir, llm_api_key=API_KEY)


@pytest.fixture(scope="module")
def base(settings: Settings) -> Iterator[str]:
    with BackgroundServer(create_app(settings)) as srv:
        yield srv.url


@pytest.fixture(scope="module")
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=60) as c:
        yield c


def assert_error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert list(body) == ["error"] and isinstance(body["error"], str) and body["error"]
    assert "\n" not in body["error"] and "Traceback" not in body["error"]
    return body["error"]


# ------------------------------------------------------------------------------------------- routes
def test_healthz_counts_documents(client: httpx.Client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "documents": 6}


def test_documents_list_metadata_without_server_paths(client: httpx.Client) -> None:
    docs = client.get("/api/documents").json()["documents"]
    by_source = {d["source"]: d for d in docs}
    assert {GO_VAP_2010, BA_DINH_2025, XSS_SOURCE} <= set(by_source)
    go_vap = by_source[GO_VAP_2010]
    assert go_vap["issuer"] == "UBND quận Gò Vấp" and go_vap["date"] == "2010-02-09" and go_vap["title"]
    assert all("path" not in d and d["chunks"] > 0 for d in docs)


def test_ask_returns_exactly_the_cli_json_contract(client: httpx.Client, settings: Settings) -> None:
    r = client.post("/api/ask", json={"question": QUARTERLY})
    assert r.status_code == 200
    body = r.json()
    expected = Assistant.open(settings).ask(QUARTERLY).to_json()
    assert list(body) == list(expected)
    assert body["answer"] == expected["answer"] and not body["abstained"]
    assert "[1]" in body["answer"]
    assert list(body["citations"][0]) == list(expected["citations"][0])
    assert body["citations"][0]["source"] == BA_DINH_2025


def test_ask_uses_the_history(client: httpx.Client) -> None:
    follow_up = "Kế hoạch này có mục đích gì?"
    history = [
        {"role": "user", "content": "Kế hoạch của quận Gò Vấp năm 2010 do ai ký?"},
        {"role": "assistant", "content": "Nguyễn Hồng [1]"},
    ]
    alone = client.post("/api/ask", json={"question": follow_up}).json()
    with_history = client.post("/api/ask", json={"question": follow_up, "history": history}).json()
    assert alone["search_query"] == follow_up
    assert "Gò Vấp" in with_history["search_query"]
    assert with_history["retrieved"][0]["source"] == GO_VAP_2010


@pytest.mark.parametrize(
    ("filters", "check"),
    [
        ({"sources": [GO_VAP_2010]}, lambda r: r["source"] == GO_VAP_2010),
        ({"issuers": ["UBND quận Ba Đình"]}, lambda r: r["issuer"] == "UBND quận Ba Đình"),
        ({"year_min": 2018, "year_max": 2019}, lambda r: 2018 <= int(r["date"][:4]) <= 2019),
    ],
)
def test_filters_restrict_retrieval(client: httpx.Client, filters: dict, check) -> None:
    body = client.post("/api/ask", json={"question": QUARTERLY, "filters": filters}).json()
    assert body["retrieved"] and all(check(r) for r in body["retrieved"])
    assert all(check(c) for c in body["citations"])


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"question": ""}, 400),
        ({"question": "   \n\t "}, 400),
        ({"question": "báo cáo " * 2500}, 400),  # 20,000 characters
        ({"question": 123}, 422),
        ({"question": ["Ai ký?"]}, 422),
        ({}, 422),
        ({"question": "Ai ký?", "history": "none"}, 422),
        ({"question": "Ai ký?", "history": [{"role": "system", "content": "x"}]}, 422),
        ({"question": "Ai ký?", "filters": {"year_min": "năm 2010"}}, 422),
        ({"question": "Ai ký?", "filters": {"sources": "a.txt"}}, 422),
        ({"question": "Ai ký?", "unexpected": True}, 422),
        ({"question": "Ai ký?", "filters": {"sources": [GO_VAP_2010, "khong-co.txt"]}}, 400),  # not indexed
    ],
)
def test_bad_requests_get_one_line_errors(client: httpx.Client, payload: dict, status: int) -> None:
    assert_error(client.post("/api/ask", json=payload), status)


def test_malformed_json_is_400_with_error_body(client: httpx.Client) -> None:
    r = client.post("/api/ask", content=b'{"question": "Ai', headers={"content-type": "application/json"})
    assert "JSON" in assert_error(r, 400)  # as every body that cannot be read (tests/test_api_limits.py)


def test_missing_index_is_503_until_it_is_built(tmp_path: Path) -> None:
    settings = toy_settings(tmp_path / "data", corpus_dir=CORPUS)
    app = create_app(settings)
    with BackgroundServer(app) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        r = c.get("/healthz")
        assert r.status_code == 503 and r.json()["status"] == "unavailable"
        assert_error(c.post("/api/ask", json={"question": QUARTERLY}), 503)
        assert_error(c.get("/api/documents"), 503)
        assert c.get("/").status_code == 200  # the page still opens and explains
        _, chat = Client(srv.url, verbose=False).predict(QUARTERLY, [], [], None, None, api_name="/ask")
        shown = chat[-1]["content"][0]["text"]
        assert 'class="tl-error"' in shown and "chưa sẵn sàng" in shown and str(tmp_path) not in shown
        Assistant(settings).sync()
        app.state.service.retry_s = 0
        assert c.get("/healthz").json() == {"status": "ok", "documents": 5}


def test_web_component_loader_is_served_from_the_wheel(client: httpx.Client) -> None:
    r = client.get("/gradio.js")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    assert r.text == WEB_COMPONENT_JS.read_text(encoding="utf-8")
    imported = re.search(r"""import\(["']\./(assets/[^"']+\.js)["']\)""", r.text)
    assert imported, r.text
    asset = client.get("/" + imported.group(1))
    assert asset.status_code == 200 and "javascript" in asset.headers["content-type"]


def test_chat_endpoint_has_a_stable_api_name(client: httpx.Client) -> None:
    info = client.get("/gradio_api/info").json()
    assert "/ask" in info["named_endpoints"]
    assert list(info["named_endpoints"]) == ["/ask"]  # helpers (feedback, clear, load) stay private


def test_no_cdn_docs_pages(client: httpx.Client) -> None:
    assert "swagger" not in client.get("/docs").text.lower()  # FastAPI's docs page loads Swagger UI from a CDN


# --------------------------------------------------------------------------------------- feedback
def test_feedback_appends_one_line_without_secrets(client: httpx.Client, settings: Settings) -> None:
    answer = client.post("/api/ask", json={"question": QUARTERLY}).json()
    before = settings.feedback_path.read_text().splitlines() if settings.feedback_path.exists() else []
    r = client.post(
        "/api/feedback",
        json={
            "question": answer["question"],
            "answer": answer["answer"],
            "citations": answer["citations"],
            "vote": "down",
            "comment": "Thiếu hạn báo cáo năm",
        },
    )
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    lines = settings.feedback_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(before) + 1
    entry = json.loads(lines[-1])
    assert set(entry) == {"timestamp", "question", "answer", "citations", "vote", "comment", "turns"}
    assert entry["vote"] == "down" and entry["comment"] == "Thiếu hạn báo cáo năm"
    assert entry["citations"][0]["n"] == 1
    assert API_KEY not in settings.feedback_path.read_text(encoding="utf-8")
    assert_error(client.post("/api/feedback", json={**entry, "vote": "meh"}), 422)


def test_ui_feedback_path_writes_the_same_shape(settings: Settings, data_dir: Path) -> None:
    from assistant.service import AssistantService

    service = AssistantService(settings)
    service.record_feedback(question="q", answer="a [1]", citations=[{"n": 1}], vote="up", comment="")
    entry = json.loads(settings.feedback_path.read_text(encoding="utf-8").splitlines()[-1])
    assert entry["vote"] == "up" and entry["citations"] == [{"n": 1}]
    assert API_KEY not in settings.feedback_path.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------- chat endpoint (UI)
def test_chat_endpoint_streams_html_answers_and_short_errors(base: str) -> None:
    chat_api = Client(base, verbose=False)
    _, chat = chat_api.predict(QUARTERLY, [], [], None, None, api_name="/ask")
    user, bot = (m["content"][0]["text"] for m in chat)
    assert 'class="tl-user"' in user and 'class="tl-card"' in bot and 'class="tl-cite"' in bot
    _, chat = chat_api.predict(QUARTERLY, [GO_VAP_2010], [], None, None, api_name="/ask")
    assert BA_DINH_2025.replace("_", "&#95;").replace(".", "&#46;") not in chat[-1]["content"][0]["text"]
    _, chat = chat_api.predict("   ", [], [], None, None, api_name="/ask")
    text = chat[-1]["content"][0]["text"]
    assert 'class="tl-error"' in text and "Traceback" not in text


def test_chat_endpoint_filters_by_typed_file_name_and_year_text(base: str) -> None:
    """The document filter takes typed file names (large corpora list only the newest); years are text boxes."""
    chat_api = Client(base, verbose=False)

    def bot(sources: list[str], y_min: object, y_max: object) -> str:
        _, chat = chat_api.predict(QUARTERLY, sources, [], y_min, y_max, api_name="/ask")
        return chat[-1]["content"][0]["text"]

    assert 'class="tl-card"' in bot([], "", "")  # empty year boxes: no bound
    assert 'class="tl-card"' in bot([], "2010", " 2010 ")
    html = bot([GO_VAP_2010, "khong-co.txt"], "", "")
    assert 'class="tl-error"' in html and esc("khong-co.txt") in html
    for y_min, y_max in (("hai nghìn", ""), ("1800", ""), ("2025", "2010")):
        html = bot([], y_min, y_max)
        assert 'class="tl-error"' in html and "năm" in html.lower(), (y_min, y_max)
        assert "Traceback" not in html


def _cited_cards(bot_html: str) -> list[tuple[int, str, str, str]]:
    """(n, file name, heading path, passage text without spaces) of each cited source card of a chat answer."""
    import html as html_lib

    def text(fragment: str) -> str:
        return html_lib.unescape(re.sub(r"<[^>]+>", "", fragment))

    def field(card: str, pattern: str) -> str:
        m = re.search(pattern, card, flags=re.S)
        return text(m.group(1)) if m else ""

    sources = bot_html.split('<div class="tl-sources">', 1)[1].split('<details class="tl-related">', 1)[0]
    cards = []
    for card in sources.split('<div class="tl-card" id=')[1:]:
        n = int(field(card, r'<span class="tl-num">(.*?)</span>').strip("[]"))
        passage = "".join(field(card, r'<div class="tl-passage">(.*)</div></div>').split())
        cards.append(
            (
                n,
                field(card, r'<span class="tl-file">(.*?)</span>'),
                field(card, r'<div class="tl-section">(.*?)</div>'),
                passage,
            )
        )
    return cards


@pytest.mark.parametrize("question", [QUARTERLY, "Ai ky ke hoach dan van chinh quyen quan Ba Dinh 2025?"])
def test_gradio_client_and_http_api_give_the_same_citations(base: str, client: httpx.Client, question: str) -> None:
    api = client.post("/api/ask", json={"question": question}).json()
    _, chat = Client(base, verbose=False).predict(question, [], [], None, None, api_name="/ask")
    cards = _cited_cards(chat[-1]["content"][0]["text"])
    expected = [(c["n"], c["source"], c["section"], "".join(c["text"].split())) for c in api["citations"]]
    assert expected and cards == expected
