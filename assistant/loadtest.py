"""Load test: N concurrent chat sessions (Gradio client and HTTP API) asking for T seconds on loopback.

Every session holds a two-turn conversation (a question, then a follow-up that only makes sense with the
first turn) over and over; the follow-up's sources are compared with those seen when the server was idle,
so a history mixed up between sessions shows as a mismatch. Prints requests, errors, busy replies,
p50/p95 latency and the server's RSS at start and end; exits 1 on any error or mismatch.

    python -m assistant.loadtest --sessions 20 --seconds 120                 # starts `assistant serve`
    python -m assistant.loadtest --sessions 20 --seconds 120 --url http://127.0.0.1:7860/ --pid 1234
"""

from __future__ import annotations

import assistant.offline  # noqa: F401  (first: gradio_client must not look anything up online)

# isort: split
import argparse
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx

from assistant.access import is_loopback
from assistant.measure import percentile, rss_mib
from assistant.service import BUSY

log = logging.getLogger(__name__)

# (question, follow-up): the follow-up names no place or year, so its sources come from the history.
CONVERSATIONS = (
    ("Kế hoạch của quận Gò Vấp năm 2010 do ai ký?", "Kế hoạch này có mục đích gì?"),
    ("Ủy ban nhân dân quận Ba Đình giao Phòng Nội vụ những việc gì năm 2025?", "Các phường phải làm gì?"),
    ("Ban Dân vận Thành ủy Hà Nội được yêu cầu những gì năm 2018?", "Ai ký văn bản này?"),
)
_FILE = re.compile(r'class="tl-file">([^<]*)<')
_BUSY_WORDS = BUSY.split(",")[0]


@dataclass
class Stats:
    """What all sessions saw (appended under a lock)."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {"gradio": [], "http": []})
    errors: list[str] = field(default_factory=list)
    mixups: list[str] = field(default_factory=list)
    busy: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, mode: str, seconds: float) -> None:
        """One successful request."""
        with self.lock:
            self.latencies[mode].append(seconds)

    def fail(self, kind: str, message: str) -> None:
        """One error or mixed-up history."""
        with self.lock:
            (self.mixups if kind == "mixup" else self.errors).append(message[:300])


def _gradio_client(url: str) -> Any:
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False)


def _ask_gradio(client: Any, question: str) -> tuple[list[str], str]:
    """One chat turn through the page's endpoint (the server keeps the session's chat): the answer's source
    files and its HTML."""
    _, chat = client.predict(question, [], [], None, None, api_name="/ask")
    html = chat[-1]["content"][0]["text"] if isinstance(chat[-1]["content"], list) else str(chat[-1]["content"])
    return _FILE.findall(html), html


def _ask_http(http: httpx.Client, question: str, history: list[dict[str, str]]) -> tuple[dict[str, Any], list[str]]:
    """One turn through POST /api/ask: the JSON body and the retrieved sources."""
    r = http.post("api/ask", json={"question": question, "history": history})
    if r.status_code == 503 and BUSY in r.json().get("error", ""):
        raise _Busy
    if r.status_code != 200:
        raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")
    body = r.json()
    return body, [x["source"] for x in body["retrieved"]]


class _Busy(Exception):
    """The server said it is busy (counted, not an error)."""


Expected = dict[str, list[list[list[str]]]]  # mode → conversation → turn → source files


def expected_sources(url: str) -> Expected:
    """Sources of every turn of every conversation, asked one at a time on the idle server."""
    client = _gradio_client(url)
    out: Expected = {"gradio": [], "http": []}
    with httpx.Client(base_url=url, timeout=120) as http:
        for q1, q2 in CONVERSATIONS:
            client.reset_session()
            s1, _ = _ask_gradio(client, q1)
            s2, _ = _ask_gradio(client, q2)
            out["gradio"].append([s1, s2])
            body, h1 = _ask_http(http, q1, [])
            history = [{"role": "user", "content": body["question"]}, {"role": "assistant", "content": body["answer"]}]
            _, h2 = _ask_http(http, q2, history)
            out["http"].append([h1, h2])
    client.close()
    return out


def session(n: int, mode: str, url: str, deadline: float, expected: Expected, stats: Stats) -> None:
    """One user: conversation after conversation until the deadline (bounded by time)."""
    client = _gradio_client(url) if mode == "gradio" else None
    http = httpx.Client(base_url=url, timeout=180)
    turn = 0
    try:
        while time.monotonic() < deadline:
            k = (n + turn) % len(CONVERSATIONS)
            turn += 1
            try:
                sources = _converse(mode, client, http, CONVERSATIONS[k], stats)
            except _Busy:
                with stats.lock:
                    stats.busy += 1
                time.sleep(1.0)
                continue
            except Exception as e:  # everything else counts as an error of the server
                stats.fail("error", f"{mode} session {n}: {type(e).__name__}: {e}")
                time.sleep(0.5)
                continue
            if sources != expected[mode][k]:
                stats.fail("mixup", f"{mode} session {n} conversation {k}: {sources} != {expected[mode][k]}")
    finally:
        http.close()
        if client is not None:
            client.close()


def _converse(mode: str, client: Any, http: httpx.Client, turns: tuple[str, str], stats: Stats) -> list[list[str]]:
    """Both turns of one conversation; the sources of each."""
    seen: list[list[str]] = []
    if mode == "gradio":
        client.reset_session()  # a new conversation: fresh server-side history
        for q in turns:
            t0 = time.perf_counter()
            files, html = _ask_gradio(client, q)
            if _BUSY_WORDS in html:
                raise _Busy
            if 'class="tl-error"' in html:
                raise RuntimeError(f"error shown in the chat: {html[:200]}")
            stats.record(mode, time.perf_counter() - t0)
            seen.append(files)
        return seen
    history: list[dict[str, str]] = []
    for q in turns:
        t0 = time.perf_counter()
        body, sources = _ask_http(http, q, history)
        stats.record(mode, time.perf_counter() - t0)
        history += [{"role": "user", "content": body["question"]}, {"role": "assistant", "content": body["answer"]}]
        seen.append(sources)
    return seen


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def own_server(timeout_s: float = 300.0) -> Iterator[tuple[str, int]]:
    """`assistant serve` on a free loopback port with the current settings; yields (url, pid)."""
    port = _free_port()
    env = {**os.environ, "ASSISTANT_HOST": "127.0.0.1", "ASSISTANT_PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError("server exited: " + (proc.stderr.read().decode()[-500:] if proc.stderr else ""))
            try:
                if httpx.get(url + "healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become healthy")
            time.sleep(0.5)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # a graceful shutdown may wait on open client connections
            proc.kill()
            proc.wait(timeout=10)


def rss_mib_of(pid: int | None) -> float | None:
    """Resident memory of the process, in MiB (None without a process id)."""
    return rss_mib(pid) if pid else None


def run_load(url: str, sessions: int, seconds: float, pid: int | None = None) -> dict[str, Any]:
    """Run the load against `url`; a summary dict (see `print_report`)."""
    if not is_loopback(urlparse(url).hostname or ""):
        raise ValueError(f"refusing to load-test a non-loopback address: {url}")
    url = url if url.endswith("/") else url + "/"
    rss_idle = rss_mib_of(pid)
    expected = expected_sources(url)  # also warms the model up
    rss_start, stats = rss_mib_of(pid), Stats()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=session, args=(n, "gradio" if n % 2 == 0 else "http", url, deadline, expected, stats))
        for n in range(sessions)
    ]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    peak, series = rss_start or 0.0, list[int]()  # RSS every 10 s shows whether memory levels off
    while any(t.is_alive() for t in threads):
        time.sleep(1.0)
        now = rss_mib_of(pid) or 0.0
        peak = max(peak, now)
        if pid and time.monotonic() - t0 >= 10 * len(series):
            series.append(round(now))
    elapsed = time.monotonic() - t0
    every = stats.latencies["gradio"] + stats.latencies["http"]
    return {
        "sessions": sessions,
        "seconds": round(elapsed, 1),
        "requests": len(every),
        "requests_per_s": round(len(every) / elapsed, 2),
        "errors": len(stats.errors),
        "mixups": len(stats.mixups),
        "busy": stats.busy,
        "p50_ms": {m: _pct(v, 50) for m, v in [("all", every), *stats.latencies.items()]},
        "p95_ms": {m: _pct(v, 95) for m, v in [("all", every), *stats.latencies.items()]},
        "rss_mib": {
            "idle": _round(rss_idle),
            "start": _round(rss_start),
            "end": _round(rss_mib_of(pid)),
            "peak": _round(peak or None),
        },
        "rss_every_10s_mib": series,
        "error_samples": stats.errors[:5],
        "mixup_samples": stats.mixups[:5],
    }


def _pct(values: list[float], p: int) -> float | None:
    """The p-th percentile (`assistant.measure.percentile`, nearest rank) of latencies in s, in ms."""
    value = percentile(values, p)
    return None if value is None else round(1000 * value, 1)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def print_report(s: dict[str, Any]) -> None:
    """The summary as a small table."""
    rows = [
        ("sessions × seconds", f"{s['sessions']} × {s['seconds']}"),
        ("requests (per s)", f"{s['requests']} ({s['requests_per_s']})"),
        ("errors / mixed-up histories / busy", f"{s['errors']} / {s['mixups']} / {s['busy']}"),
        *[(f"latency {m} p50 / p95 ms", f"{s['p50_ms'][m]} / {s['p95_ms'][m]}") for m in s["p50_ms"]],
        ("server RSS idle / start / end / peak MiB", " / ".join(str(v) for v in s["rss_mib"].values())),
    ]
    if s["rss_every_10s_mib"]:
        rows.append(("server RSS every 10 s MiB", " ".join(str(v) for v in s["rss_every_10s_mib"])))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    for line in s["error_samples"] + s["mixup_samples"]:
        print("  !", line)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; exit status 1 on errors or mixed-up histories."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--seconds", type=float, default=120.0)
    p.add_argument("--url", default="", help="A running server (loopback only); default: start `assistant serve`.")
    p.add_argument("--pid", type=int, default=None, help="Server process id, for RSS (with --url).")
    p.add_argument("--json", dest="json_path", default="", help="Also write the summary to this file.")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.url:
        summary = run_load(args.url, args.sessions, args.seconds, args.pid)
    else:
        with own_server() as (url, pid):
            summary = run_load(url, args.sessions, args.seconds, pid)
    print_report(summary)
    if args.json_path:
        with open(args.json_path, "w", encoding="utf-8") as f:
            json.dump(summary, f, ensure_ascii=False, indent=1)
    return 1 if summary["errors"] or summary["mixups"] else 0


if __name__ == "__main__":
    sys.exit(main())
