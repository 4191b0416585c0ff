"""Log-log plot of latency and index build time against corpus size (matplotlib, Agg backend)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def plot_scale(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    """Write a PNG with two panels: ask/retrieval p50 and p95 (ms), and index build time (s), against
    the number of chunks, one line per embedder; returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_embedder: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_embedder[r["embedder"]].append(r)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 7))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for n, (name, rs) in enumerate(sorted(by_embedder.items())):
        rs = sorted(rs, key=lambda r: r["chunks"])
        x, c = [r["chunks"] for r in rs], colors[n % len(colors)]
        left.plot(x, [r["ask_ms"]["p50"] for r in rs], "o-", color=c, label=f"ask p50 · {name}")
        left.plot(x, [r["ask_ms"]["p95"] for r in rs], "o--", color=c, alpha=0.6, label=f"ask p95 · {name}")
        left.plot(x, [r["retrieval_ms"]["p50"] for r in rs], "s:", color=c, label=f"retrieval p50 · {name}")
        li = [(r["chunks"], r["llamaindex"]["retrieval_ms"]["p50"]) for r in rs if r.get("llamaindex")]
        if li:
            left.plot(
                *zip(*li, strict=True), "x-.", color=c, alpha=0.8, label=f"llama-index VectorStoreIndex p50 · {name}"
            )
    builds: dict[tuple[str, str], tuple[int, float]] = {}
    for r in rows:
        b = r.get("index_build") or {}
        if b.get("seconds") is not None:
            builds[(b.get("backend", r["embedder"]), r["corpus"])] = (r["chunks"], b["seconds"])
    for backend in sorted({k[0] for k in builds}):
        pts = sorted(v for k, v in builds.items() if k[0] == backend)
        right.plot(*zip(*pts, strict=True), "o-", label=f"full index build · {backend}")
    for ax, title, unit in ((left, "Latency", "ms"), (right, "Index build time", "s")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("chunks in the index")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


ARCHIVE_STAGES = ("reading", "ocr", "chunking", "passages", "sentences", "write", "other")


def plot_archive(res: dict[str, Any], path: Path, target_min: float = 20.0) -> Path:
    """Write a PNG of one `bench archive` run: the minutes of each stage of today's path (scaled from its
    documents to the archive's) and of the new path, as two stacked bars, with the target as a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    docs = res["archive"]["docs"]
    today, new = res["paths"]["today"], res["paths"]["new"]
    scale = docs / max(today["docs_indexed"], 1)
    bars = [
        (f"today ({today['spec']['backend']}, 1 thread),\nscaled from {today['docs_indexed']} documents", today, scale),
        (f"new ({new['spec']['backend']}, {new['embed_threads']} threads, {new['readers']} readers)", new, 1.0),
    ]
    fig, ax = plt.subplots(figsize=(12, 4.5))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for y, (_, run, factor) in enumerate(bars):
        left = 0.0
        # Main-process seconds add up to the total; OCR in reader processes overlaps them and is left out.
        for n, key in enumerate(ARCHIVE_STAGES):
            row = run["stages"].get(key)
            if not row or (key == "ocr" and run["readers"]):
                continue
            minutes = row["seconds"] * factor / 60
            ax.barh(y, minutes, left=left, color=colors[n % len(colors)], label=row["label"] if y == 0 else None)
            left += minutes
        ax.text(left, y, f"  {left:.1f} min", va="center")
    ax.axvline(target_min, color="black", linestyle="--", linewidth=1)
    ax.text(target_min, 1.45, f" {target_min:g} min", va="bottom")
    ax.set_yticks(range(len(bars)), [b[0] for b in bars])
    ax.set_xlabel(f"minutes to index {docs:,} documents end to end")
    machine = res["machine"]
    ax.set_title(f"`{res['command']}` · {machine.get('cores')} cores, {machine.get('cpu', '')}")
    ax.set_ylim(-0.6, 1.9)
    ax.legend(loc="upper right", fontsize=8, ncol=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
