"""Composition of the web server: FastAPI app = HTTP API + access control + the Gradio chat page.

`create_app` builds the app (tests serve it on 127.0.0.1 in a thread); `run` serves it with uvicorn.
"""

from __future__ import annotations

import assistant.offline  # noqa: F401  (first: no analytics or downloads from gradio/chromadb)

# isort: split
import logging
import os
import threading
import time
from typing import Any

import gradio as gr
import uvicorn
from fastapi import FastAPI

from assistant import api, library
from assistant.access import check_exposure, install_access_control
from assistant.admin import install_admin
from assistant.app import App
from assistant.cors import CorsPolicy
from assistant.engine import Assistant
from assistant.errors import USER_ERRORS
from assistant.gradio_gate import GradioGate
from assistant.redact import uvicorn_log_config
from assistant.settings import Settings
from assistant.ui import build_ui, mount_options

log = logging.getLogger(__name__)


def create_app(settings: Settings, assistant: Assistant | None = None) -> FastAPI:
    """The whole web app: API routes, access control, and the chat UI mounted at "/" (honouring root_path).

    `assistant` (tests) is an engine opened by the caller, served until the index changes on disk."""
    check_exposure(settings)
    # Gradio keeps uploads and cached files in GRADIO_TEMP_DIR (default /tmp/gradio): keep them in the data folder.
    os.environ["GRADIO_TEMP_DIR"] = str(settings.data_dir / "tmp")
    service = App.from_settings(settings, engine=assistant).service
    try:
        service.get()
        threading.Thread(target=service.warm_up, name="warm-up", daemon=True).start()
    except USER_ERRORS as e:  # serve anyway: /healthz says 503 and the page says why until the index exists
        log.warning("starting without an index: %s", e)
    app = FastAPI(
        title="Trợ lý dân vận chính quyền", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json"
    )  # Swagger UI would load its assets from a CDN
    app.state.service = service
    app.state.settings = settings
    app.include_router(library.router)  # before api's: its /api/documents and the /tai-lieu/ list page win
    app.include_router(api.router)
    # The page has no file inputs: Gradio's generic upload route would only let anyone write files here.
    app.add_api_route("/gradio_api/upload", api.no_uploads, methods=["POST"], include_in_schema=False)
    api.install_error_handlers(app)
    app.add_middleware(GradioGate)  # text-only inputs, and only the Gradio routes the page uses
    install_admin(app, settings)  # admin routes (uploads: own body limits), inside the access control
    install_access_control(app, settings)
    app.add_middleware(CorsPolicy, settings=settings)  # added last: runs first (Gradio grants any origin)
    blocks = build_ui(service, settings)
    app = gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        root_path=settings.root_path.rstrip("/") or None,
        server_name=settings.host,
        server_port=settings.port,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        run_history=False,
        enable_monitoring=False,
        footer_links=["api"],
        show_error=False,
        max_file_size=int(settings.max_file_mb * 1_000_000),
        **mount_options(),
    )
    # Gradio checks file paths found in event inputs ("uploaded files only") once `launch()` has run, and
    # a mounted app never runs it; mark it launched so that check applies too, behind GradioGate.
    blocks.has_launched = True
    return app


class BackgroundServer:
    """A uvicorn server running `app` in a daemon thread (tests, embedding); `stop()` shuts it down."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning") -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="assistant-server", daemon=True)

    def start(self, timeout_s: float = 30.0) -> BackgroundServer:
        """Start and wait until the socket accepts connections."""
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        return self

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321/."""
        sock = self.server.servers[0].sockets[0]
        host, port = sock.getsockname()[:2]
        return f"http://{host}:{port}/"

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask the server to exit and wait for its thread."""
        self.server.should_exit = True
        self.thread.join(timeout_s)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run(settings: Settings) -> None:
    """Serve the app with uvicorn on settings.host:port (refuses a public bind without access control)."""
    check_exposure(settings)
    app = create_app(settings)
    shown = "localhost" if settings.host in ("127.0.0.1", "::1") else settings.host
    log.info("Trợ lý đang chạy tại http://%s:%d%s/", shown, settings.port, settings.root_path.rstrip("/"))
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=uvicorn_log_config(),  # uvicorn's console handlers, with secrets redacted
        proxy_headers=True,
        server_header=False,
    )
