"""Format invariance: the bundled corpus as .docx, text PDF, .doc and scan answers as well as the .txt files.

Each variant of the corpus (built by `assistant.bench.format_files`) is indexed in its own folder under
`<data_dir>/bench/formats/<variant>` with the configured embedder (its vector cache shared), and the
evaluation set is run over it. The dataset names gold documents by file name ("003_….txt"); a variant keeps
each document's stem, so the bench maps the sources of its citations back to the .txt names before scoring
(the dataset is not changed). Every overall and per-kind metric is compared with the .txt run, within
max(tolerance, 1/n) where n is the number of items the metric applies to: one item flipping is always allowed.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.bench import bench_root
from assistant.bench.format_files import soffice_convert, write_docx, write_scan
from assistant.settings import Settings
from eval import metrics as eval_metrics
from eval import runner

log = logging.getLogger(__name__)

VARIANTS = ("txt", "docx", "pdf", "doc", "scan")
TOLERANCE = 0.03
SCAN_TOLERANCE = 0.05  # OCR may misread a character or two
# The evaluation table's quality columns (eval.runner.COLUMNS without the count and the latencies).
METRICS = tuple((label, key) for label, key in runner.COLUMNS if key in eval_metrics.METRICS)


def make_variants(corpus: Path, out: Path, variants: Sequence[str], dpi: int = 200) -> dict[str, Path]:
    """Write each variant of the .txt files of `corpus` into `out/<variant>/corpus` (same stems); their folders."""
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise ValueError(f"Không rõ định dạng {', '.join(unknown)} (unknown variant; use {', '.join(VARIANTS)})")
    sources = sorted(corpus.glob("*.txt"))
    if not sources:
        raise ValueError(f"{corpus}: không có tệp .txt (no .txt files)")
    build = out / "_build"
    shutil.rmtree(build, ignore_errors=True)
    folders: dict[str, Path] = {}
    for name in variants:
        folders[name] = out / name / "corpus"
        shutil.rmtree(folders[name], ignore_errors=True)
        folders[name].mkdir(parents=True)
    if "txt" in folders:
        for s in sources:
            shutil.copy2(s, folders["txt"] / s.name)
    if set(variants) - {"txt"}:
        docx = [write_docx(s.read_text(encoding="utf-8"), build / "docx" / f"{s.stem}.docx") for s in sources]
        _place(docx, folders.get("docx"))
        if {"pdf", "scan"} & set(variants):
            pdfs = soffice_convert(docx, build / "pdf", "pdf")
            _place(pdfs, folders.get("pdf"))
            if "scan" in folders:
                for pdf in pdfs:
                    write_scan(pdf, folders["scan"] / pdf.name, dpi=dpi)
        if "doc" in folders:
            _place(soffice_convert(docx, build / "doc", "doc"), folders["doc"])
    shutil.rmtree(build, ignore_errors=True)
    return folders


def _place(files: Sequence[Path], folder: Path | None) -> None:
    if folder is not None:
        for f in files:
            shutil.copy2(f, folder / f.name)


def gold_names(response: dict[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """`response` with the `source` of each citation and retrieved passage renamed through `names`
    (variant file name -> the dataset's .txt name); unknown sources are kept."""
    out = dict(response)
    for key in ("citations", "retrieved"):
        out[key] = [
            {**r, "source": names.get(Path(str(r.get("source", ""))).name, r.get("source"))}
            for r in response.get(key) or []
        ]
    return out


def evaluate_variant(
    settings: Settings, name: str, folder: Path, items: list[dict[str, Any]], embedder: Any, k: int = 5
) -> dict[str, Any]:
    """Index the variant's folder in `<folder>/../data` and run the dataset over it; the eval report plus the sync."""
    from assistant.app import App
    from assistant.chat import run_turns
    from assistant.indexer import build_index

    data = folder.parent / "data"
    vs = settings.model_copy(update={"data_dir": data, "corpus_dir": folder, "index_path": None})
    shutil.rmtree(vs.index_dir, ignore_errors=True)  # a fresh index; the OCR cache under data/cache stays
    app = App.from_settings(vs, index=build_index(vs, embedder=embedder))
    t0 = time.perf_counter()
    report = app.indexer.sync([folder])
    index_s = time.perf_counter() - t0
    a = app.engine()
    names = {f.name: f"{f.stem}.txt" for f in folder.iterdir()}

    def ask(turns: list[str]) -> dict[str, Any]:
        return gold_names(run_turns(a, turns).to_json(), names)

    log.info("%s: indexed %d chunks in %.0f s; asking %d questions", name, report.chunks, index_s, len(items))
    result = runner.run(items, ask, k=k, config={"variant": name, "fingerprint": a.index.fingerprint})
    result["sync"] = {
        "files": len(names),
        "chunks": report.chunks,
        "not_indexed": [list(x) for x in report.not_indexed],
        "index_s": round(index_s, 1),
    }
    result["documents"] = a.documents()
    return result


def metric_tolerance(tolerance: float, row: Mapping[str, Any], key: str) -> float:
    """The tolerance for one metric of a summary row: max(tolerance, 1/n), n the items the metric applies to
    (the row's "counts"), so that one item flipping is always within it (doc recall is over 7 questions)."""
    n = (row.get("counts") or {}).get(key) or 0
    return max(tolerance, 1 / n) if n else tolerance


def compare(reports: Mapping[str, dict[str, Any]], tolerance: float, scan_tolerance: float) -> dict[str, Any]:
    """Per variant: the overall metrics further from the .txt run than their tolerance (`metric_tolerance`: the
    gate), the same for each kind (shown, not gated), and the items whose metrics differ from the same item over
    the .txt files."""
    base = reports["txt"]
    out: dict[str, Any] = {}
    for name, rep in reports.items():
        if name == "txt":
            continue
        tol = scan_tolerance if name == "scan" else tolerance
        kinds = rep["summary"]["kinds"]
        rows = [("overall", base["summary"]["overall"], rep["summary"]["overall"])]
        rows += [(f"kind.{kd}", row, kinds.get(kd, {})) for kd, row in base["summary"]["kinds"].items()]
        beyond = [
            {
                "where": label,
                "metric": key,
                "txt": round(want[key], 3),
                "variant": round(got[key], 3),
                "tolerance": round(metric_tolerance(tol, want, key), 3),
            }
            for label, want, got in rows
            for _, key in METRICS
            if want.get(key) is not None
            and got.get(key) is not None
            and abs(got[key] - want[key]) > metric_tolerance(tol, want, key) + 1e-9
        ]
        base_items = {r["id"]: r["metrics"] for r in base["items"]}
        items = []
        for r in rep["items"]:
            want_m, got_m = base_items[r["id"]], r["metrics"]
            diff = {
                key: [want_m[key], got_m[key]]
                for key in got_m
                if want_m.get(key) is not None and got_m[key] is not None and abs(want_m[key] - got_m[key]) > 1e-9
            }
            if diff:
                items.append({"id": r["id"], "kind": r["kind"], "txt_vs_variant": diff})
        out[name] = {
            "tolerance": tol,
            "within": not any(b["where"] == "overall" for b in beyond),
            "beyond": beyond,
            "items": items,
        }
    return out


def run(
    settings: Settings,
    corpus: Path,
    dataset: Path,
    variants: Sequence[str] = VARIANTS,
    tolerance: float = TOLERANCE,
    scan_tolerance: float = SCAN_TOLERANCE,
    dpi: int = 200,
    echo: Callable[[str], None] = log.info,
) -> dict[str, Any]:
    """Build the variants, index and evaluate each, compare with the .txt run."""
    from assistant.engine import build_embedder

    wanted = ["txt", *[v for v in variants if v != "txt"]]  # the .txt run is the reference
    items = runner.load_dataset(dataset)
    out = bench_root(settings.data_dir) / "formats"
    t0 = time.perf_counter()
    folders = make_variants(corpus, out, wanted, dpi=dpi)
    echo(f"variants written in {time.perf_counter() - t0:.0f} s under {out}")
    embedder = build_embedder(settings)  # one model and one vector cache (the data folder's) for all variants
    reports: dict[str, dict[str, Any]] = {}
    for name in wanted:
        t1 = time.perf_counter()
        reports[name] = evaluate_variant(settings, name, folders[name], items, embedder)
        echo(f"{name}: {time.perf_counter() - t1:.0f} s, {reports[name]['sync']['chunks']} chunks")
    return {
        "config": {
            "corpus": str(corpus),
            "dataset": str(dataset),
            "embed_backend": settings.embed_backend,
            "llm": settings.llm,
            "ocr": settings.ocr,
            "dpi": dpi,
            "tolerance": tolerance,
            "scan_tolerance": scan_tolerance,
        },
        "variants": {
            n: {"summary": r["summary"], "sync": r["sync"], "documents": r["documents"]} for n, r in reports.items()
        },
        "comparison": compare(reports, tolerance, scan_tolerance),
        "items": {n: r["items"] for n, r in reports.items()},
    }


def _cell(value: Any) -> str:
    return "" if value is None else f"{value:.2f}"


def format_table(res: Mapping[str, Any], markdown: bool = False) -> str:
    """One row per variant (overall metrics, chunks, files not indexed), then what lies beyond the tolerance."""
    header = ["variant", *(label for label, _ in METRICS), "chunks", "not indexed"]
    rows = []
    for name, v in res["variants"].items():
        overall = v["summary"]["overall"]
        rows.append(
            [
                name,
                *(_cell(overall.get(key)) for _, key in METRICS),
                str(v["sync"]["chunks"]),
                str(len(v["sync"]["not_indexed"])),
            ]
        )
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    else:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = [
            "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            for r in [header, *rows]
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
    for name, cmp in res["comparison"].items():
        verdict = "within" if cmp["within"] else "NOT within"
        lines.append(
            f"{name}: overall metrics {verdict} {cmp['tolerance']:.2f} of txt (or 1/n, n the items a metric is over)"
        )
        lines += [
            f"  {b['where']}.{b['metric']}: txt {b['txt']:.2f}, {name} {b['variant']:.2f}"
            f" (tolerance {b['tolerance']:.2f})"
            for b in cmp["beyond"]
        ]
        if cmp["items"]:
            lines.append(f"  items that differ: {', '.join(i['id'] for i in cmp['items'])}")
    return "\n".join(lines)
