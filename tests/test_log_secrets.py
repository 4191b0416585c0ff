"""Secrets never reach a log line, the console or an answer: the access token in a URL however it is spelled, and
the LLM API key echoed back by a failing LLM server. Library warnings stay out of the console. Real servers on
127.0.0.1, the CLI's own logging set-up, the hash-embedder index."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from assistant.cli import setup_logging
from assistant.engine import Assistant
from assistant.redact import MASK, RedactFilter, add_secrets
from assistant.server import BackgroundServer, create_app, run
from assistant.settings import Settings
from assistant.types import Answer
from prompts import phrase
from tests.test_api import QUARTERLY, assert_error, build_toy_index, toy_settings

TOKEN = "s3cret-Tok-91xq"
KEY = "sk-echoed-Key-7731"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_toy_index(tmp_path_factory.mktemp("log_secrets"))


@pytest.fixture
def cli_logging(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[Settings], Path]]:
    """`setup_logging` exactly as the CLI calls it (undone afterwards); returns the log file. caplog sees DEBUG."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    levels = {
        name: lg.level for name, lg in logging.Logger.manager.loggerDict.items() if isinstance(lg, logging.Logger)
    }
    caplog.set_level(logging.DEBUG)

    def setup(settings: Settings) -> Path:
        setup_logging(settings)
        return settings.data_dir / "logs" / "assistant.log"

    yield setup
    for h in root.handlers:
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    for name, lg in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(lg, logging.Logger):
            lg.setLevel(levels.get(name, logging.NOTSET))
    if hasattr(root, "_assistant_configured"):
        del root._assistant_configured


def everything_logged(caplog: pytest.LogCaptureFixture, log_file: Path, console: Any) -> str:
    """Every record (message and traceback), the log file, and what reached stdout and stderr."""
    records = [f"{r.getMessage()}\n{r.exc_text or ''}\n{r.stack_info or ''}" for r in caplog.records]
    return "\n".join([*records, caplog.text, log_file.read_text(encoding="utf-8"), console.out, console.err])


# ------------------------------------------------------------------------------ access token in URLs
class RunServer:
    """`assistant.server.run(settings)` for real, with uvicorn's blocking `run` moved into a thread (port 0)."""

    def __init__(self, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
        self.options: dict[str, Any] = {}

        def uvicorn_run(app: Any, **options: Any) -> None:
            self.options = options
            self.server = uvicorn.Server(uvicorn.Config(app, **{**options, "port": 0}))
            self.thread = threading.Thread(target=self.server.run, daemon=True)
            self.thread.start()

        monkeypatch.setattr(uvicorn, "run", uvicorn_run)
        run(settings)
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}/"

    def stop(self) -> None:
        """Ask uvicorn to exit (it finishes in its thread)."""
        self.server.should_exit = True
        self.thread.join(10)


@pytest.mark.integration
@pytest.mark.parametrize("how", ["run", "background"])
def test_access_token_is_in_no_log_line_however_it_is_spelled(
    how: str,
    data_dir: Path,
    cli_logging: Callable[[Settings], Path],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = toy_settings(data_dir, access_token=TOKEN, log_level="DEBUG")
    log_file = cli_logging(settings)
    server: RunServer | BackgroundServer
    if how == "run":
        server = served = RunServer(settings, monkeypatch)
        assert served.options["log_level"] == "debug"  # access lines are on
    else:
        server = BackgroundServer(create_app(settings), log_level="info").start()
    encoded = "".join(f"%{ord(ch):02X}" for ch in TOKEN)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            # Only the exact `token` name opens the page; every other spelling is refused but still hidden.
            for name in ("Token", "TOKEN", "%74oken", "t%6Fken", "%54OKEN"):
                assert_error(c.get(f"/?{name}={TOKEN}&lang=vi"), 401)
            assert_error(c.get(f"/{TOKEN}"), 401)
            assert_error(c.get(f"/healthz?x={encoded}"), 401)
            assert c.post(f"/api/ask?token={TOKEN}", json={"question": QUARTERLY}).status_code == 200
            r = c.get(f"/?token={encoded}")  # the exact name with the value percent-encoded
            assert r.status_code == 303 and r.headers["location"] == "./"
    finally:
        server.stop()
    console = capfd.readouterr()
    assert '"GET /?%74oken=***&lang=vi HTTP/1.1" 401' in console.out  # uvicorn's access log was captured
    assert any(r.getMessage().startswith("access denied: GET") for r in caplog.records)
    logged = everything_logged(caplog, log_file, console)
    assert TOKEN not in logged and encoded not in logged


# ---------------------------------------------------------------------------------- LLM API key echoed
class EchoingLLMServer:
    """An OpenAI-compatible server that refuses every key and echoes the Authorization header in its error."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                auth = self.headers.get("Authorization", "")
                outer.seen.append(auth)
                body = json.dumps(
                    {"error": {"message": f"Invalid API key provided: {auth}", "type": "invalid_request_error"}}
                ).encode()
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def echoing() -> Iterator[EchoingLLMServer]:
    s = EchoingLLMServer()
    yield s
    s.close()


@pytest.mark.integration
def test_llm_api_key_echoed_by_the_server_is_never_logged_or_shown(
    toy_settings: Settings,
    corpus_copy: Path,
    echoing: EchoingLLMServer,
    cli_logging: Callable[[Settings], Path],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    Assistant(toy_settings).sync([corpus_copy])
    settings = toy_settings.model_copy(
        update={
            "llm": "openai",
            "llm_base_url": echoing.url,
            "llm_model": "m",
            "llm_api_key": SecretStr(KEY),
            "llm_timeout_s": 3.0,
            "llm_max_retries": 0,
            "log_level": "DEBUG",
        }
    )
    log_file = cli_logging(settings)
    a = Assistant.open(settings)
    answers = [a.ask(QUARTERLY), a.ask("Còn báo cáo năm thì sao?", history=[{"role": "user", "content": QUARTERLY}])]
    streamed = list(a.stream(QUARTERLY))
    answers.append(streamed[-1])  # type: ignore[arg-type]
    assert echoing.seen and all(auth == f"Bearer {KEY}" for auth in echoing.seen)  # the key went out, came back
    assert all(isinstance(x, Answer) and x.notice == phrase("llm_fallback") for x in answers)
    shown = json.dumps([x.to_json() for x in answers] + [p for p in streamed if isinstance(p, str)], ensure_ascii=False)
    assert KEY not in shown
    # A traceback whose exception carries the key (an unexpected failure logged with exc_info).
    try:
        raise RuntimeError(f"upstream said: Authorization: Bearer {KEY}")
    except RuntimeError:
        logging.getLogger("assistant.api").exception("/api/ask failed")
    console = capfd.readouterr()
    text = log_file.read_text(encoding="utf-8")
    assert "LLM call failed" in text and "AuthenticationError" in text and "Traceback" in text
    assert KEY not in text and KEY not in console.err and KEY not in console.out
    records = [r for r in caplog.records if r.name != "assistant.api"]  # the test's own record is raw in caplog
    assert records and not any(KEY in r.getMessage() for r in records)


# -------------------------------------------------------------------------------- console vs. log file
def test_library_warnings_go_to_the_log_file_not_the_console(
    toy_settings: Settings, cli_logging: Callable[[Settings], Path], capfd: pytest.CaptureFixture[str]
) -> None:
    log_file = cli_logging(toy_settings)
    logging.getLogger("pypdf").warning("EOF marker not found")
    logging.getLogger("pypdf._reader").warning("Ignoring wrong pointing object 6 0")
    logging.getLogger("index.ingest").warning("skipped broken.pdf")
    logging.getLogger("assistant.engine").warning("own warning")
    logging.getLogger("eval.runner").warning("eval warning")
    logging.getLogger("assistantx").warning("look-alike name")
    logging.getLogger("chromadb").error("library error")
    err = capfd.readouterr().err
    assert "EOF marker" not in err and "wrong pointing" not in err and "look-alike" not in err
    assert all(m in err for m in ("skipped broken.pdf", "own warning", "eval warning", "library error"))
    text = log_file.read_text(encoding="utf-8")
    assert all(m in text for m in ("EOF marker not found", "wrong pointing", "skipped broken.pdf", "library error"))


def test_redact_filter_keeps_every_record_formattable() -> None:
    add_secrets(KEY)

    def filtered(msg: object, *args: object) -> logging.LogRecord:
        record = logging.LogRecord("assistant.x", logging.WARNING, __file__, 1, msg, args or None, None)
        RedactFilter().filter(record)
        return record

    assert filtered("using token=%s for %s", "abc", "x").getMessage() == "using token=*** for x"
    assert filtered("retry %d of %s", 2, f"Bearer {KEY}").getMessage() == "retry 2 of Bearer ***"
    assert filtered("%s%s", KEY[:6], KEY[6:]).getMessage() == MASK  # a secret formed only by formatting
    assert filtered(RuntimeError(f"key {KEY}")).getMessage() == f"key {MASK}"
    assert (
        filtered("%(where)s", {"where": f"http://u:{KEY}@h/v1?api_key=z"}).getMessage() == "http://***@h/v1?api_key=***"
    )
