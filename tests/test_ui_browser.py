"""The chat page in headless Chromium: streamed answers, [n] links to source cards, escaping, embedding,
feedback, and no request leaving 127.0.0.1. Real server, real (hash-embedder) index."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
import functools
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from assistant.server import BackgroundServer, create_app
from tests.conftest import GO_VAP_2010, REPO
from tests.test_api import QUARTERLY, XSS_QUESTION, build_toy_index, toy_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = REPO / "test-output" / "screenshots"
EXAMPLE_APP_URL = "http://127.0.0.1:7860/"  # the address the example pages are written for
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
WAIT_MS = 30_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's headless Chromium at /usr/bin/chromium "
        "(apt-get install -y chromium; .ci/run installs it)",
    ),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright python package")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory):
    return toy_settings(build_toy_index(tmp_path_factory.mktemp("ui")))


@pytest.fixture(scope="module")
def app_url(settings) -> Iterator[str]:
    with BackgroundServer(create_app(settings)) as srv:
        yield srv.url


@pytest.fixture(scope="module")
def intranet_url(app_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The example pages, served by a second local server (another origin, like an intranet portal)."""
    site = tmp_path_factory.mktemp("intranet")
    for name in ("iframe.html", "web-component.html"):
        text = (REPO / "examples" / name).read_text(encoding="utf-8")
        assert EXAMPLE_APP_URL in text
        (site / name).write_text(text.replace(EXAMPLE_APP_URL, app_url), encoding="utf-8")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that records every request and every JS dialog; both are checked after the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
    pg = context.new_page()
    pg.requests, pg.dialogs = [], []
    pg.on("request", lambda r: pg.requests.append(r.url))
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    yield pg
    context.close()
    outside = [
        u for u in pg.requests if urlparse(u).scheme not in ("data", "blob") and urlparse(u).hostname not in LOCAL_HOSTS
    ]
    assert not outside, f"requests left 127.0.0.1: {outside[:5]}"
    assert not pg.dialogs, f"a script ran: {pg.dialogs}"


def shot(target: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(SHOTS / name))


def ask(root: Any, question: str) -> Any:
    """Type a question, send it, and wait until the answer with its cards is complete."""
    n = root.locator("#tl-chat .tl-answer").count()
    root.locator("#tl-question textarea").fill(question)
    root.locator("#tl-send").click()
    answer = root.locator("#tl-chat .tl-answer").nth(n)
    answer.locator(".tl-card, .tl-error").first.wait_for(timeout=WAIT_MS)
    time.sleep(1.0)  # the page scrolls the chat to the start of the new answer
    return answer


def card_in_view(root: Any, card_id: str) -> bool:
    """Whether the card's top is inside the visible part of the chat's scroll box."""
    return root.locator(f"#{card_id}").evaluate(
        """(card) => {
          let box = card.parentElement;
          const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowY);
          while (box && !scrolls(box)) box = box.parentElement;
          const r = card.getBoundingClientRect();
          const b = (box || document.documentElement).getBoundingClientRect();
          return r.height > 0 && r.top >= b.top - 2 && r.top < b.bottom - 20;
        }"""
    )


def check_citation_link(root: Any, answer: Any, expected_quote: str) -> None:
    """Click [1] and check its source card scrolls into view with the cited, highlighted passage."""
    link = answer.locator("a.tl-cite", has_text="[1]").first
    card_id = link.get_attribute("href").lstrip("#")
    assert card_id.startswith("src-") and card_id.endswith("-1")
    link.click()
    root.locator(f"#{card_id}").wait_for(state="visible")
    time.sleep(0.9)  # smooth scrolling
    assert card_in_view(root, card_id)
    card = root.locator(f"#{card_id}")
    marks = " ".join(card.locator("mark").all_inner_texts())
    assert " ".join(expected_quote.split()) in " ".join(marks.split())


def first_quote(app_url: str, question: str) -> str:
    """The first supporting sentence of citation [1], as the HTTP API reports it."""
    body = httpx.post(app_url + "api/ask", json={"question": question}, timeout=60).json()
    c = body["citations"][0]
    s, e = c["quotes"][0]
    return c["text"][s:e]


def test_streamed_answer_links_to_highlighted_source_cards(page: Any, app_url: str) -> None:
    page.goto(app_url, wait_until="load")
    page.locator("#tl-question textarea").wait_for(timeout=WAIT_MS)
    assert page.locator(".tl-doc").count() == 6  # corpus box
    page.evaluate("""() => { window.__lengths = new Set();
        setInterval(() => { const t = document.querySelectorAll('#tl-chat .tl-text');
          if (t.length) window.__lengths.add(t[t.length - 1].textContent.length); }, 5); }""")
    answer = ask(page, QUARTERLY)
    assert len(page.evaluate("() => [...window.__lengths]")) >= 3  # placeholder, partial answers, final
    assert "[1]" in answer.locator(".tl-text").inner_text()
    page.wait_for_timeout(900)
    shot(page, "chat.png")
    url = page.url
    check_citation_link(page, answer, first_quote(app_url, QUARTERLY))
    page.wait_for_timeout(900)
    assert page.url == url  # the link scrolled, it did not navigate
    assert card_in_view(page, answer.locator("a.tl-cite").first.get_attribute("href").lstrip("#"))
    shot(page, "chat-source.png")
    related = answer.locator("details.tl-related")
    if related.count():
        assert not related.first.evaluate("d => d.open")  # other passages start collapsed
    page.locator("#tl-new").click()
    page.locator("#tl-chat .tl-answer").first.wait_for(state="detached", timeout=WAIT_MS)
    assert page.locator("#tl-chat .message-row").count() == 0


def _luminance(css_color: str) -> float:
    """Relative luminance of an `rgb(...)`/`rgba(...)` computed colour (WCAG formula)."""
    parts = [float(x) for x in css_color[css_color.index("(") + 1 : -1].replace("/", ",").split(",")[:3]]
    lin = [(c / 255) / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in parts]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_dark_mode_keeps_answer_and_cards_readable(browser: Any, app_url: str) -> None:
    """A browser set to a dark colour scheme gets Gradio's dark theme: answer, cards and the highlighted
    quote must stay readable (contrast ratio of text to its background at least 4.5, WCAG AA)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN", color_scheme="dark")
    pg = context.new_page()
    requests: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    try:
        pg.goto(app_url, wait_until="load")
        pg.locator("#tl-question textarea").wait_for(timeout=WAIT_MS)
        assert pg.evaluate("() => document.body.classList.contains('dark')")
        answer = ask(pg, QUARTERLY)
        check_citation_link(pg, answer, first_quote(app_url, QUARTERLY))
        pg.wait_for_timeout(900)
        shot(pg, "chat-dark.png")
        for selector in (".tl-text", ".tl-card .tl-title", ".tl-card .tl-passage", ".tl-card mark"):
            fg, bg = answer.locator(selector).first.evaluate(
                """(el) => { const fg = getComputedStyle(el).color;
                  let node = el, bg = 'rgba(0, 0, 0, 0)';
                  while (node && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
                    bg = getComputedStyle(node).backgroundColor; node = node.parentElement; }
                  return [fg, bg]; }"""
            )
            hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
            assert (hi + 0.05) / (lo + 0.05) >= 4.5, f"{selector}: {fg} on {bg}"
    finally:
        context.close()
    outside = [
        u for u in requests if urlparse(u).scheme not in ("data", "blob") and urlparse(u).hostname not in LOCAL_HOSTS
    ]
    assert not outside, f"requests left 127.0.0.1: {outside[:5]}"


def test_follow_up_uses_the_conversation(page: Any, app_url: str, settings) -> None:
    page.goto(app_url, wait_until="load")
    page.locator("#tl-question textarea").wait_for(timeout=WAIT_MS)
    ask(page, "Kế hoạch của quận Gò Vấp năm 2010 do ai ký?")
    follow = ask(page, "Kế hoạch này có mục đích gì?")
    files = follow.locator(".tl-card .tl-file").all_inner_texts()
    assert files and files[0] == GO_VAP_2010
    page.locator("#tl-down").click()  # feedback keeps the conversation, so it can become a multi-turn eval item
    page.locator("#tl-fb-status", has_text="Cảm ơn").wait_for(timeout=WAIT_MS)
    entry = json.loads(settings.feedback_path.read_text(encoding="utf-8").splitlines()[-1])
    assert entry["vote"] == "down" and entry["question"] == "Kế hoạch này có mục đích gì?"
    assert entry["turns"] == ["Kế hoạch của quận Gò Vấp năm 2010 do ai ký?"]


def test_example_question_and_feedback(page: Any, app_url: str, settings) -> None:
    page.goto(app_url, wait_until="load")
    page.locator(".tl-example").first.wait_for(timeout=WAIT_MS)
    page.locator(".tl-example", has_text="Gò Vấp").click()
    page.locator("#tl-chat .tl-card").first.wait_for(timeout=WAIT_MS)
    before = settings.feedback_path.read_text().splitlines() if settings.feedback_path.exists() else []
    page.locator("#tl-comment textarea").fill("Rõ ràng, đúng người ký")
    page.locator("#tl-up").click()
    page.locator("#tl-fb-status", has_text="Cảm ơn").wait_for(timeout=WAIT_MS)
    lines = settings.feedback_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(before) + 1
    entry = json.loads(lines[-1])
    assert entry["vote"] == "up" and entry["comment"] == "Rõ ràng, đúng người ký"
    assert "Gò Vấp" in entry["question"] and entry["citations"]


def test_filters_by_picked_and_typed_documents_and_years(page: Any, app_url: str) -> None:
    """Open the filters: the year boxes start empty (not "0"); a document picked from the list or typed by
    file name restricts the sources; an unknown file name or a bad year is a clear message."""
    page.goto(app_url, wait_until="load")
    page.locator("#tl-question textarea").wait_for(timeout=WAIT_MS)
    page.locator("#tl-filters").click()
    year_from = page.locator("#tl-f-min input, #tl-f-min textarea").first
    year_from.wait_for(timeout=WAIT_MS)
    assert year_from.input_value() == ""
    assert page.locator("#tl-f-max input, #tl-f-max textarea").first.input_value() == ""
    answer = ask(page, QUARTERLY)  # with the filters open and empty: the answer cites both plans
    assert len(set(answer.locator(".tl-card .tl-file").all_inner_texts())) >= 2
    typed = page.locator("#tl-f-sources input")
    typed.fill(GO_VAP_2010)
    typed.press("Enter")
    answer = ask(page, QUARTERLY)
    assert set(answer.locator(".tl-sources .tl-card .tl-file").all_inner_texts()) == {GO_VAP_2010}
    typed.fill("khong-co-van-ban-nay.txt")
    typed.press("Enter")
    answer = ask(page, QUARTERLY)
    assert "khong-co-van-ban-nay.txt" in answer.locator(".tl-error").inner_text()
    page.locator("#tl-f-sources .token-remove, #tl-f-sources .remove-all").last.click()
    year_from.fill("năm ngoái")
    answer = ask(page, QUARTERLY)
    assert "1900" in answer.locator(".tl-error").inner_text()
    shot(page, "filters.png")


def test_hostile_document_shows_as_text(page: Any, app_url: str) -> None:
    page.goto(app_url, wait_until="load")
    page.locator("#tl-question textarea").wait_for(timeout=WAIT_MS)
    answer = ask(page, XSS_QUESTION)
    card = answer.locator(".tl-card").first
    text = card.inner_text()
    assert "<script>alert(1)</script>" in text and "[link](http://evil)" in text and "onerror=alert(2)" in text
    chat = page.locator("#tl-chat")
    assert chat.locator("script").count() == 0 and chat.locator("img[src='x']").count() == 0
    assert chat.locator("a[href*='evil']").count() == 0
    assert "<script>" in page.locator(".tl-docs").inner_text()  # document list escapes titles too
    page.wait_for_timeout(500)
    shot(page, "xss-as-text.png")


@pytest.mark.parametrize("example", ["iframe.html", "web-component.html"])
def test_intranet_examples_embed_the_app(page: Any, app_url: str, intranet_url: str, example: str) -> None:
    page.goto(intranet_url + example, wait_until="load")
    root = page.frame_locator("#tro-ly") if example == "iframe.html" else page
    root.locator("#tl-question textarea").wait_for(timeout=WAIT_MS)
    answer = ask(root, QUARTERLY)
    check_citation_link(root, answer, first_quote(app_url, QUARTERLY))
    page.wait_for_timeout(900)
    shot(page, f"embedded-{example.removesuffix('.html')}.png")
    if example == "web-component.html":
        assert app_url + "gradio.js" in page.requests  # the loader came from the app, not a CDN


def _prefix_proxy(prefix: str, backend: str, pages: dict[str, str]) -> Any:
    """A tiny reverse proxy like the nginx snippet in examples/README.md: strips `prefix`, streams."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, Response, StreamingResponse
    from starlette.routing import Route

    client = httpx.AsyncClient(timeout=None)
    hop = {"host", "content-length", "transfer-encoding", "connection", "content-encoding"}

    async def forward(request: Request) -> Response:
        path = request.url.path
        if path in pages:
            return HTMLResponse(pages[path])
        if not path.startswith(prefix + "/"):
            return Response("not found", status_code=404)
        url = backend.rstrip("/") + path[len(prefix) :] + (f"?{request.url.query}" if request.url.query else "")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in hop}
        headers |= {"x-forwarded-host": request.headers["host"], "x-forwarded-proto": "http"}
        upstream = await client.send(
            client.build_request(request.method, url, headers=headers, content=await request.body()),
            stream=True,
        )
        return StreamingResponse(
            upstream.aiter_bytes(),
            status_code=upstream.status_code,
            headers={k: v for k, v in upstream.headers.items() if k.lower() not in hop},
        )

    return Starlette(routes=[Route("/{p:path}", forward, methods=["GET", "POST", "HEAD", "OPTIONS"])])


def test_reverse_proxy_prefix_with_root_path(page: Any, settings) -> None:
    """Published under /tro-ly/ by a prefix-stripping proxy: the page and the web component work."""
    pages: dict[str, str] = {}
    with (
        BackgroundServer(create_app(settings.model_copy(update={"root_path": "/tro-ly"}))) as backend,
        BackgroundServer(_prefix_proxy("/tro-ly", backend.url, pages)) as site,
    ):
        portal = (REPO / "examples" / "web-component.html").read_text(encoding="utf-8")
        portal = portal.replace(EXAMPLE_APP_URL + "gradio.js", "/tro-ly/gradio.js")
        pages["/portal.html"] = portal.replace(f'src="{EXAMPLE_APP_URL}"', f'src="{site.url}tro-ly/"')
        for url in (site.url + "tro-ly/", site.url + "portal.html"):
            page.goto(url, wait_until="load")
            page.locator("#tl-question textarea").wait_for(timeout=WAIT_MS)
            assert "[1]" in ask(page, QUARTERLY).locator(".tl-text").inner_text()
    paths = {urlparse(u).path for u in page.requests}
    # Outside the prefix only the portal page itself, gradio's manifest link and its stray CSS preload.
    assert {p for p in paths if not p.startswith("/tro-ly/")} <= {"/portal.html", "/manifest.json"} | {
        p for p in paths if p.startswith("/assets/index-") and p.endswith(".css")
    }
