"""What the HTTP API refuses, and how: filter years, body sizes, unreadable bodies, unknown paths and wrong
methods, all as `{"error": "<Vietnamese first>"}`, against a real server on 127.0.0.1 over a toy index."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from assistant.api import MAX_ASK_BYTES, MAX_FEEDBACK_BYTES
from assistant.errors import QuestionError
from assistant.server import BackgroundServer, create_app
from assistant.service import MAX_FEEDBACK_CITATIONS, MAX_TURNS
from assistant.settings import Settings
from assistant.ui import make_filters
from index.types import MAX_YEAR, MIN_YEAR, FilterError, Filters
from tests.test_api import QUARTERLY, build_toy_index, toy_settings
from tests.test_cli import run

pytestmark = pytest.mark.integration

VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_toy_index(tmp_path_factory.mktemp("limits"))


@pytest.fixture(scope="module")
def settings(data_dir: Path) -> Settings:
    return toy_settings(data_dir)


@pytest.fixture(scope="module")
def base(settings: Settings) -> Iterator[str]:
    with BackgroundServer(create_app(settings)) as srv:
        yield srv.url


@pytest.fixture(scope="module")
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=60) as c:
        yield c


def vietnamese_error(r: httpx.Response, status: int) -> str:
    """The one-line error of `r`, checked: exactly `{"error": str}`, Vietnamese first, English in parentheses."""
    assert r.status_code == status, r.text
    body = r.json()
    assert isinstance(body, dict) and list(body) == ["error"] and isinstance(body["error"], str), body
    message = body["error"]
    assert message and "\n" not in message and "Traceback" not in message
    vietnamese, paren, english = message.partition("(")
    assert VIETNAMESE.search(vietnamese.lower()) and paren and re.search(r"[a-z]", english), message
    return message


def raw_exchange(base: str, head: bytes, body: bytes, timeout_s: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """Send a request head and (part of) a body on a plain socket, then read one response without sending more.
    Raises `TimeoutError` if the server waits for the rest of the body instead of answering."""
    url = urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=timeout_s) as sock:
        sock.sendall(head + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
        head_bytes, _, rest = data.partition(b"\r\n\r\n")
        lines = head_bytes.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        while len(rest) < int(headers.get("content-length", "0")):
            chunk = sock.recv(65536)
            assert chunk, rest
            rest += chunk
    return int(lines[0].split()[1]), headers, rest


def post_head(path: str, extra: str) -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{extra}\r\n".encode()


# --------------------------------------------------------------------------------------- filter years
@pytest.mark.parametrize(
    "filters",
    [
        {"year_max": 9223372036854775808},  # one past int64: Chroma said "Invalid where clause" (500)
        {"year_min": 10**40},
        {"year_min": -(2**63) - 1},
        {"year_min": 2020, "year_max": 2010},
        {"year_min": MIN_YEAR - 1},
        {"year_max": MAX_YEAR + 1},
        {"year_min": 0, "year_max": 2010},
    ],
)
def test_filter_years_outside_the_range_or_reversed_are_400(client: httpx.Client, filters: dict) -> None:
    message = vietnamese_error(client.post("/api/ask", json={"question": "dân vận", "filters": filters}), 400)
    assert "năm" in message.lower()


def test_filter_years_at_the_bounds_are_accepted(client: httpx.Client) -> None:
    r = client.post("/api/ask", json={"question": QUARTERLY, "filters": {"year_min": MIN_YEAR, "year_max": MAX_YEAR}})
    assert r.status_code == 200, r.text


def test_one_year_rule_for_the_api_the_page_and_the_cli(data_dir: Path) -> None:
    with pytest.raises(FilterError) as api_rule:
        Filters(year_min=2025, year_max=2010)
    with pytest.raises(QuestionError) as page_rule:
        make_filters([], [], "2025", "2010")
    assert str(page_rule.value) == str(api_rule.value)
    with pytest.raises(FilterError, match=f"{MIN_YEAR}"):
        Filters(year_max=9223372036854775808)
    r = run(["ask", QUARTERLY, "--year-max", "9223372036854775808"], data_dir)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith(f"Lỗi: Năm lọc phải là một năm từ {MIN_YEAR}"), r.stderr


# --------------------------------------------------------------------------------------- body limits
def test_ask_body_over_1_mb_is_413(client: httpx.Client) -> None:
    body = json.dumps({"question": "a" * 2_000_000}).encode()
    r = client.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert "1 MB" in vietnamese_error(r, 413)


def test_chunked_ask_body_over_1_mb_is_413(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: httpx sends Transfer-Encoding: chunked
        yield b'{"question": "'
        for _ in range(40):
            yield b"a" * 50_000

    r = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers and r.request.headers["transfer-encoding"] == "chunked"
    vietnamese_error(r, 413)


@pytest.mark.parametrize("chunked", [False, True])
def test_feedback_body_over_64_kb_is_413(client: httpx.Client, settings: Settings, chunked: bool) -> None:
    before = settings.feedback_path.read_bytes() if settings.feedback_path.exists() else b""
    body = json.dumps({"question": "q", "answer": "a" * 100_000, "vote": "up"}).encode()
    content = iter([body[:1000], body[1000:]]) if chunked else body
    r = client.post("/api/feedback", content=content, headers={"content-type": "application/json"})
    assert "64 KB" in vietnamese_error(r, 413)
    assert (settings.feedback_path.read_bytes() if settings.feedback_path.exists() else b"") == before


def test_feedback_through_the_api_stores_only_bounded_citation_fields(client: httpx.Client, settings: Settings) -> None:
    cited = {"n": 1, "source": "a.txt", "text": "Câu một.", "quotes": [[0, 8]], "injected": "x" * 1000}
    body = {"question": "Ai ký?", "answer": "Ông A [1]", "citations": [cited] * 40, "vote": "up", "turns": ["?"] * 40}
    r = client.post("/api/feedback", json=body)
    assert r.status_code == 200, r.text
    stored = json.loads(settings.feedback_path.read_text(encoding="utf-8").splitlines()[-1])
    assert len(stored["citations"]) == MAX_FEEDBACK_CITATIONS and len(stored["turns"]) == MAX_TURNS
    assert stored["citations"][0] == {k: v for k, v in cited.items() if k != "injected"}


def test_declared_length_over_the_limit_is_refused_before_the_body_is_read(base: str) -> None:
    status, headers, body = raw_exchange(
        base, post_head("/api/ask", f"Content-Length: {2_000_000}\r\n"), b'{"question": "'
    )
    assert status == 413 and list(json.loads(body)) == ["error"]
    assert headers.get("connection") == "close"


def test_chunked_body_is_refused_once_it_passes_the_limit(base: str) -> None:
    piece = b"a" * 100_000
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(MAX_FEEDBACK_BYTES // len(piece) + 1))
    # the body is never finished (no last chunk): the server must answer from what it has read
    status, _, body = raw_exchange(base, post_head("/api/feedback", "Transfer-Encoding: chunked\r\n"), chunks)
    assert status == 413 and "64 KB" in json.loads(body)["error"]


def test_bodies_under_the_limit_still_reach_the_route(client: httpx.Client) -> None:
    history = [{"role": "user", "content": "bao cao " * 10_000}] * 9  # 720 KB, under MAX_ASK_BYTES
    assert len(json.dumps({"question": QUARTERLY, "history": history}).encode()) < MAX_ASK_BYTES
    r = client.post("/api/ask", json={"question": QUARTERLY, "history": history})
    assert r.status_code == 200, r.text


# ------------------------------------------------------------------------------- unreadable bodies
@pytest.mark.parametrize(
    "raw",
    [
        b'{"question": "\xff\xfe d\xe2n v\xe2n"}',  # not UTF-8
        b"[" * 10_000 + b"]" * 10_000,  # 10,000 levels deep
        b'{"question": "a", "filters": {"year_min": ' + b"9" * 5000 + b"}}",  # a 5,000-digit integer
        b'{"question": "Ai',  # cut short
        b"",  # empty
    ],
    ids=["invalid-utf8", "deep", "long-int", "truncated", "empty"],
)
def test_unreadable_bodies_are_400_in_vietnamese(client: httpx.Client, raw: bytes) -> None:
    for path in ("/api/ask", "/api/feedback"):
        r = client.post(path, content=raw, headers={"content-type": "application/json"})
        assert "JSON" in vietnamese_error(r, 400)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_declared_json_is_415(client: httpx.Client, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    r = client.post("/api/ask", content=json.dumps({"question": QUARTERLY}).encode(), headers=headers)
    assert "application/json" in vietnamese_error(r, 415)


@pytest.mark.parametrize(
    ("payload", "start"),
    [
        ({"question": 123}, "Yêu cầu không hợp lệ: question phải là chuỗi"),
        ({}, "Yêu cầu không hợp lệ: question thiếu trường này"),
        ({"question": "Ai ký?", "unexpected": True}, "Yêu cầu không hợp lệ: unexpected không có trường này"),
        ({"question": "Ai ký?", "filters": {"year_min": "2010"}}, "Yêu cầu không hợp lệ: filters.year_min phải là số"),
    ],
)
def test_validation_errors_are_vietnamese_first(client: httpx.Client, payload: dict, start: str) -> None:
    assert vietnamese_error(client.post("/api/ask", json=payload), 422).startswith(start)


# --------------------------------------------------------------------------- paths and methods
@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/api/ask", "POST"),
        ("PUT", "/api/ask", "POST"),
        ("DELETE", "/api/ask", "POST"),
        ("GET", "/api/feedback", "POST"),
        ("PUT", "/api/documents", "GET, POST"),  # POST: an administrator's upload (assistant/admin.py)
        ("DELETE", "/api/documents", "GET, POST"),
        ("PUT", "/api/documents/x.txt", "DELETE, GET"),  # a route of an included router (assistant/library.py)
        ("POST", "/healthz", "GET"),
        ("PUT", "/healthz", "GET"),
    ],
)
def test_wrong_method_is_405_with_allow(client: httpx.Client, method: str, path: str, allow: str) -> None:
    r = client.request(method, path)
    assert method in vietnamese_error(r, 405)
    assert r.headers["allow"] == allow


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/x"), ("POST", "/api/x"), ("GET", "/api/ask/extra")])
def test_unknown_api_path_is_404(client: httpx.Client, method: str, path: str) -> None:
    vietnamese_error(client.request(method, path), 404)


def test_the_page_and_gradio_routes_are_not_affected(client: httpx.Client) -> None:
    assert client.get("/").status_code == 200
    assert client.get("/gradio_api/info").status_code == 200
