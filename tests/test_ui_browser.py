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
def intranet_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A second local server (another origin, like an intranet portal): its folder and address."""
    site = tmp_path_factory.mktemp("intranet")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield site, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def app_url(settings, intranet_site: tuple[Path, str]) -> Iterator[str]:
    """The app, with the portal's origin allowed to call the Word export (ASSISTANT_EMBED_ORIGINS)."""
    portal = intranet_site[1].rstrip("/")
    with BackgroundServer(create_app(settings.model_copy(update={"embed_origins": [portal]}))) as srv:
        yield srv.url


@pytest.fixture(scope="module")
def intranet_url(app_url: str, intranet_site: tuple[Path, str]) -> str:
    """The example pages on the portal's server, pointing at the app."""
    site, url = intranet_site
    for name in ("iframe.html", "web-component.html"):
        text = (REPO / "examples" / name).read_text(encoding="utf-8")
        assert EXAMPLE_APP_URL in text
        (site / name).write_text(text.replace(EXAMPLE_APP_URL, app_url), encoding="utf-8")
    return url


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


def test_follow_up_naming_another_district_in_the_page(page: Any, app_url: str) -> None:
    """Issue 14's sequence: after "Kế hoạch năm 2025 của Ba Đình do ai ký?", "Còn quận Gò Vấp thì sao?" answered
    "Không tìm thấy…" (the carried year blocked the new place); it answers who signed Gò Vấp's plan."""
    page.goto(app_url, wait_until="load")
    page.locator("#tl-question textarea").wait_for(timeout=WAIT_MS)
    ask(page, "Kế hoạch năm 2025 của Ba Đình do ai ký?")
    follow = ask(page, "Còn quận Gò Vấp thì sao?")
    assert "Không tìm thấy" not in follow.inner_text()
    files = follow.locator(".tl-card .tl-file").all_inner_texts()
    assert files and files[0] == GO_VAP_2010


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


AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"  # npm ci (package-lock.json); .ci/run installs it
ENGLISH_LEFT = ("Use via API", "Built with", "Clear", "Textbox", "no such document", "Loading", "Settings")


def axe_violations(page: Any) -> list[str]:
    """Serious and critical axe-core violations of the page, one line each (axe injected from node_modules)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => {
          const r = await axe.run(document, { resultTypes: ["violations"] });
          return r.violations.filter((v) => ["serious", "critical"].includes(v.impact))
            .map((v) => v.id + ": " + v.nodes.slice(0, 4).map((n) => n.target.join(" ")
              + " (" + (n.any[0] || n.all[0] || n.none[0] || {}).message + ")").join(" | "));
        }"""
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_accessibility_and_vietnamese_page(browser: Any, app_url: str, scheme: str) -> None:
    """axe-core finds no serious or critical violation (contrast, names, roles) in light and dark; the page is
    Vietnamese (`lang="vi"`, no English left), has headings, messages announced as text, citation links named."""
    if not AXE.exists():
        pytest.skip("needs axe-core: run `npm ci` at the repo root (.ci/run does)")
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN", color_scheme=scheme)
    pg = context.new_page()
    try:
        pg.goto(app_url, wait_until="load")
        pg.locator("#tl-question textarea").wait_for(timeout=WAIT_MS)
        answer = ask(pg, QUARTERLY)
        ask(pg, "Ai ký kế hoạch khong-co-that năm 1850?")  # an error or abstention in the chat too
        pg.wait_for_timeout(800)
        assert pg.evaluate("() => document.documentElement.lang") == "vi"
        assert pg.locator("h1").count() == 1 and "Trợ lý" in pg.locator("h1").inner_text()
        assert pg.locator("h2").count() >= 2
        labels = pg.locator("#tl-chat [aria-label]").evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
        raw = [x for x in labels if "<div" in x or "class=" in x or "message:" in x]  # gradio's default: raw HTML
        assert labels and not raw, raw[:3]
        link = answer.locator("a.tl-cite").first
        assert (link.get_attribute("aria-label") or "").startswith("Nguồn 1: ")
        visible = pg.locator("body").inner_text()
        named = " ".join(
            pg.locator("[aria-label], [title], [placeholder]").evaluate_all(
                "els => els.map(e => [e.getAttribute('aria-label'), e.getAttribute('title'),"
                " e.getAttribute('placeholder')].join(' '))"
            )
        )
        left = [w for w in ENGLISH_LEFT if w in visible or w in named]
        assert not left, f"English left on the page: {left}"
        assert (violations := axe_violations(pg)) == [], "\n".join(violations)
    finally:
        context.close()


def answer_tool(answer: Any, act: str) -> Any:
    """The answer's own copy / 👍 / 👎 button."""
    return answer.locator(f".tl-tools [data-act='{act}']")


def feedback_lines(settings: Any) -> list[dict[str, Any]]:
    path = settings.feedback_path
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_feedback_on_any_answer_and_a_changed_vote_replaces(page: Any, app_url: str, settings: Any) -> None:
    """Each answer has its own 👍/👎; rating an earlier answer works, and 👍 after 👎 leaves one line."""
    page.goto(app_url, wait_until="load")
    page.locator("#tl-question textarea").wait_for(timeout=WAIT_MS)
    first = ask(page, "Kế hoạch của quận Gò Vấp năm 2010 do ai ký?")
    second = ask(page, QUARTERLY)
    before = len(feedback_lines(settings))
    answer_tool(first, "down").click()
    page.locator("#tl-fb-status", has_text="Cảm ơn").wait_for(timeout=WAIT_MS)
    page.locator("#tl-comment textarea").fill("Đúng người ký, sửa lại đánh giá")
    answer_tool(first, "up").click()
    page.wait_for_timeout(1500)
    answer_tool(second, "down").click()
    page.wait_for_timeout(1500)
    lines = feedback_lines(settings)[before:]
    assert [(e["question"], e["vote"]) for e in lines] == [
        ("Kế hoạch của quận Gò Vấp năm 2010 do ai ký?", "up"),
        (QUARTERLY, "down"),
    ]
    assert lines[0]["comment"] == "Đúng người ký, sửa lại đánh giá" and lines[0]["answer_id"] != lines[1]["answer_id"]
    assert lines[1]["turns"] == ["Kế hoạch của quận Gò Vấp năm 2010 do ai ký?"]
    assert answer_tool(first, "up").get_attribute("aria-pressed") == "true"
    assert answer_tool(first, "down").get_attribute("aria-pressed") == "false"


def test_copy_export_print_and_saved_conversations(browser: Any, app_url: str, tmp_path: Path) -> None:
    """Copy an answer with its sources; export the conversation as Markdown and Word (footnotes) and print it
    whole to PDF; a new conversation keeps the old one in the saved list (no question asked), across reloads;
    «Xem toàn văn» opens the document at the passage with the quote marked."""
    from pypdf import PdfReader

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN", accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    pg = context.new_page()
    dialogs: list[str] = []

    def on_dialog(d: Any) -> None:
        dialogs.append(d.message)
        d.dismiss()

    pg.on("dialog", on_dialog)
    try:
        pg.goto(app_url, wait_until="load")
        pg.locator("#tl-question textarea").wait_for(timeout=WAIT_MS)
        first_q = "Kế hoạch của quận Gò Vấp năm 2010 do ai ký?"
        first = ask(pg, first_q)
        ask(pg, QUARTERLY)
        ask(pg, "Kế hoạch này có mục đích gì?")

        answer_tool(first, "copy").click()
        first.locator(".tl-tools", has_text="Đã sao chép").wait_for(timeout=WAIT_MS)
        copied = pg.evaluate("() => navigator.clipboard.readText()")
        assert first.locator(".tl-text").inner_text().split("\n")[0] in copied
        assert "\nNguồn:\n[1] Kế hoạch 08/KH-UBND — " in copied and GO_VAP_2010 in copied and "<" not in copied

        with pg.expect_download() as dl:
            pg.locator("#tl-export-md").click()
        md = Path(dl.value.path()).read_text(encoding="utf-8")
        assert dl.value.suggested_filename.endswith(".md")
        assert f"## Câu hỏi 1: {first_q}" in md and f"## Câu hỏi 2: {QUARTERLY}" in md
        assert "[^1]" in md and "\n[^1]: Kế hoạch 08/KH-UBND — " in md

        with pg.expect_download() as dl:
            pg.locator("#tl-export-docx").click()
        assert dl.value.suggested_filename.endswith(".docx")
        import docx

        document = docx.Document(dl.value.path())
        texts = [p.text for p in document.paragraphs]
        assert f"Câu hỏi 1: {first_q}" in texts and "Câu hỏi 3: Kế hoạch này có mục đích gì?" in texts
        import zipfile

        with zipfile.ZipFile(dl.value.path()) as z:
            assert "Kế hoạch 08/KH-UBND" in z.read("word/footnotes.xml").decode()

        pg.emulate_media(media="print")
        pdf = tmp_path / "hoi-thoai.pdf"
        pg.pdf(path=str(pdf))
        pg.emulate_media(media="screen")
        printed = " ".join(" ".join(p.extract_text() for p in PdfReader(str(pdf)).pages).split())
        assert first_q in printed and "Kế hoạch này có mục đích gì?" in printed
        assert "Kế hoạch 08/KH-UBND" in printed, printed[-300:]
        assert "Câu hỏi mẫu" not in printed and "Cuộc trò chuyện mới" not in printed  # only the conversation

        card = first.locator(".tl-sources .tl-card").first
        with context.expect_page() as popup:
            card.locator("a.tl-open").click()
        doc = popup.value
        doc.wait_for_load_state()
        assert "/tai-lieu/" in doc.url and "#c" in doc.url
        assert doc.locator("section:target mark").count() >= 1 and doc.locator("h1").inner_text().startswith("Kế hoạch")
        doc.close()

        pg.locator("#tl-new").click()
        pg.locator("#tl-chat .tl-answer").first.wait_for(state="detached", timeout=WAIT_MS)
        saved = pg.locator("#tl-history-list .tl-hist-open")
        saved.first.wait_for(timeout=WAIT_MS)
        assert saved.count() == 1 and first_q in saved.first.inner_text()
        ask(pg, QUARTERLY)
        pg.locator("#tl-chat button[aria-label='Xóa hội thoại']").click()  # the chat's own trash button
        pg.locator("#tl-chat .tl-answer").first.wait_for(state="detached", timeout=WAIT_MS)
        ask(pg, "Ai ký kế hoạch của Ba Đình năm 2025?")
        pg.wait_for_timeout(500)
        pg.reload(wait_until="load")
        pg.locator("#tl-history-list .tl-hist-open").nth(2).wait_for(timeout=WAIT_MS)
        titles = pg.locator("#tl-history-list .tl-hist-title").all_inner_texts()
        assert titles == ["Ai ký kế hoạch của Ba Đình năm 2025?", QUARTERLY, first_q]  # newest first, all kept
        pg.locator("#tl-history-list .tl-hist-open").nth(2).click()
        dialog = pg.locator("#tl-saved[role=dialog]")
        dialog.wait_for(timeout=WAIT_MS)
        assert dialog.locator("h3").all_inner_texts() == [first_q, QUARTERLY, "Kế hoạch này có mục đích gì?"]
        pg.keyboard.press("Escape")
        dialog.wait_for(state="detached", timeout=WAIT_MS)
        assert not dialogs, f"the page asked: {dialogs}"
    finally:
        context.close()


# Per passage box with a highlight: whether the highlight shows (whole, or from its first line at the box's
# top when taller than the box), and whether the box opened scrolled.
HIGHLIGHTS_IN_VIEW = """(answer) => [...answer.querySelectorAll('.tl-card .tl-passage')].flatMap((p) => {
  const mark = p.querySelector('mark');
  if (!mark) return [];
  const box = p.getBoundingClientRect(), at = mark.getBoundingClientRect();
  const line = parseFloat(getComputedStyle(p).lineHeight) || 20;
  const seen = at.top >= box.top - 1 && (at.bottom <= box.bottom + 1 || at.top <= box.top + 2 * line);
  return [[seen, p.scrollTop > 0]];
})"""


def test_phone_layout(browser: Any, app_url: str) -> None:
    """390×844: the input on the first screen, examples folded, no "cột bên phải", cards within the width,
    each passage box open at its highlight, the feedback row on whole lines."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="vi-VN"
    )
    pg = context.new_page()
    try:
        pg.goto(app_url, wait_until="load")
        box = pg.locator("#tl-question textarea")
        box.wait_for(timeout=WAIT_MS)
        pg.wait_for_timeout(1200)
        top = box.bounding_box()
        assert top and top["y"] + top["height"] <= 844, top
        assert "cột bên phải" not in pg.locator("body").inner_text()
        assert not pg.locator(".tl-example").first.is_visible()  # folded under «Câu hỏi mẫu»
        shot(pg, "phone-start.png")
        pg.locator("#tl-examples").get_by_text("Câu hỏi mẫu").first.click()
        pg.locator(".tl-example").first.wait_for(state="visible", timeout=WAIT_MS)
        answer = ask(pg, QUARTERLY)
        pg.wait_for_timeout(500)
        boxes = answer.evaluate(HIGHLIGHTS_IN_VIEW)
        assert boxes and all(seen for seen, _ in boxes), boxes  # every highlight shows without scrolling
        assert any(scrolled for _, scrolled in boxes), boxes  # (a box here opens scrolled down to its highlight)
        width = pg.evaluate("() => document.documentElement.clientWidth")
        for card in answer.locator(".tl-card").all()[:3]:
            b = card.bounding_box()
            assert b and b["x"] >= 0 and b["x"] + b["width"] <= width + 1, b
        for sel in ("#tl-up", "#tl-down", "#tl-new"):
            b = pg.locator(sel).bounding_box()
            assert b and b["height"] < 60, (sel, b)
        label = pg.locator(".tl-fb-label").bounding_box()
        assert label and label["height"] < 60, label  # not a word per line
        for tool in answer.locator(".tl-tool").all():
            b = tool.bounding_box()
            assert b and b["height"] < 45, b
        pg.evaluate("() => window.scrollTo(0, 0)")
        pg.wait_for_timeout(300)
        shot(pg, "phone.png")
    finally:
        context.close()


def test_web_component_bubble_fits_and_exports(page: Any, intranet_url: str) -> None:
    """In the `<gradio-app>` embed the question bubble is as tall as its text; Markdown export works there, and
    so does the Word export, a cross-origin call the app allows for the portal's origin only (embed_origins):
    the file opens in python-docx with the question and the citations as footnotes."""
    import zipfile
    from xml.sax.saxutils import escape

    import docx

    page.goto(intranet_url + "web-component.html", wait_until="load")
    page.locator("#tl-question textarea").wait_for(timeout=WAIT_MS)
    answer = ask(page, QUARTERLY)
    bubble = page.locator("#tl-chat .tl-user").last.locator("xpath=ancestor::*[contains(@class,'message')][1]")
    b = bubble.bounding_box()
    assert b and b["height"] < 120, b
    assert answer.locator(".tl-text").bounding_box()["height"] > 40  # the answer has room to be read
    with page.expect_download() as dl:
        page.locator("#tl-export-md").click()
    assert f"## Câu hỏi 1: {QUARTERLY}" in Path(dl.value.path()).read_text(encoding="utf-8")
    with page.expect_download() as dl:
        page.locator("#tl-export-docx").click()
    assert dl.value.suggested_filename.endswith(".docx")
    assert f"Câu hỏi 1: {QUARTERLY}" in [p.text for p in docx.Document(dl.value.path()).paragraphs]
    data = json.loads(answer.locator(".tl-data").text_content())
    cited = [escape(s["heading"]) for s in data["sources"] if f"[{s['n']}]" in data["a"]]
    with zipfile.ZipFile(dl.value.path()) as z:
        notes = z.read("word/footnotes.xml").decode()
        refs = z.read("word/document.xml").decode().count("<w:footnoteReference")
    assert cited and refs >= len(cited) and all(h in notes for h in cited), notes[:500]
    assert page.locator(".tl-toast").count() == 0  # no "cannot export here" notice


def test_keyboard_reaches_and_operates_the_answer_controls(page: Any, app_url: str, settings: Any) -> None:
    """Tab from the answer's text reaches a citation link, the passage, «Xem toàn văn» and the answer's
    👍 button; Enter on the link scrolls to its card, Enter on 👍 records the vote."""
    page.goto(app_url, wait_until="load")
    page.locator("#tl-question textarea").wait_for(timeout=WAIT_MS)
    answer = ask(page, QUARTERLY)
    answer.locator(".tl-text").click()  # keyboard focus starts inside the answer, as after reading it
    reached: list[str] = []
    for _ in range(120):
        page.keyboard.press("Tab")
        cls = page.evaluate("() => (document.activeElement.className || '') + '|' + document.activeElement.textContent")
        if "tl-cite" in cls and not reached:
            reached.append("cite")
            page.keyboard.press("Enter")
            page.wait_for_timeout(900)
            card_id = page.evaluate("() => document.activeElement.getAttribute('href')").lstrip("#")
            assert card_in_view(page, card_id)
        elif "tl-passage" in cls and "passage" not in reached:
            reached.append("passage")
        elif "tl-open" in cls and "open" not in reached:
            reached.append("open")
        elif "tl-tool" in cls and "Hữu ích" in cls:
            reached.append("up")
            before = len(feedback_lines(settings))
            page.keyboard.press("Enter")
            page.locator("#tl-fb-status", has_text="Cảm ơn").wait_for(timeout=WAIT_MS)
            page.wait_for_timeout(500)
            assert len(feedback_lines(settings)) == before + 1
            break
    assert reached[0] == "cite" and reached[-1] == "up" and set(reached) == {"cite", "passage", "open", "up"}, reached
