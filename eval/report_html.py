"""Self-contained HTML report for an evaluation run: inline CSS and SVG, no scripts, no URLs.

Every value taken from the report is HTML-escaped: documents, answers and questions are
untrusted text, so a passage containing "<script>" renders as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from pathlib import Path
from typing import Any

from eval.runner import COLUMNS, LOWER_IS_BETTER

# Metrics drawn in the per-kind bar charts, with their short labels.
CHART_METRICS = (
    ("hit@k", "evidence_hit_at_k"),
    ("cit.support", "citation_support"),
    ("fact recall", "fact_recall"),
    ("answered", "answered"),
    ("abstained", "abstained"),
    ("grounded", "groundedness"),
)

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:1rem 0}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:1rem}
.chart{border:1px solid #ddd;padding:.5rem}
.item{border:1px solid #ccc;margin:1rem 0;padding:.75rem}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
.passage{background:#f6f6f6;padding:.5rem;margin:.5rem 0;white-space:pre-wrap}
.answer{white-space:pre-wrap}
.bad{color:#a00}
.meta{color:#666;font-size:.9em}
pre{white-space:pre-wrap}
"""


def _esc(value: Any) -> str:
    return escape(str(value), quote=True)


def _metric(item: Mapping[str, Any], name: str) -> float | None:
    value = item.get("metrics", {}).get(name)
    return None if value is None else float(value)


def is_failure(item: Mapping[str, Any]) -> bool:
    """True for an item worth showing: wrong, unsupported, unanswered or ungrounded."""
    fact, support, ans = (_metric(item, n) for n in ("fact_recall", "citation_support", "answered"))
    abstained, grounded = _metric(item, "abstained"), _metric(item, "groundedness")
    if ans is not None and (ans < 1 or (fact is not None and fact < 1) or support == 0):
        return True
    if abstained is not None and abstained < 1:
        return True
    return grounded is not None and grounded < 1


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return ""
    return f"{value:.0f}" if key == "n" or key in LOWER_IS_BETTER else f"{value:.2f}"


def _summary_table(summary: Mapping[str, Any]) -> str:
    head = "".join(f"<th>{_esc(label)}</th>" for label, _ in COLUMNS)
    rows = [*summary.get("kinds", {}).items(), ("overall", summary.get("overall", {}))]
    body = "".join(
        f"<tr><td>{_esc(name)}</td>" + "".join(f"<td>{_esc(_fmt(k, row.get(k)))}</td>" for _, k in COLUMNS) + "</tr>"
        for name, row in rows
    )
    return f"<table><tr><th>kind</th>{head}</tr>{body}</table>"


def _bar_chart(name: str, row: Mapping[str, Any]) -> str:
    bar_w, gap, height, top = 36, 14, 120, 34  # top: room for the title and a full bar's value
    width = len(CHART_METRICS) * (bar_w + gap) + gap
    parts = [
        f'<svg width="{width}" height="{top + height + 48}" role="img" aria-label="{_esc(name)}">',
        f'<text x="{gap}" y="14" font-size="13" font-weight="bold">{_esc(name)} (n={_esc(row.get("n", ""))})</text>',
        f'<line x1="0" y1="{top + height}" x2="{width}" y2="{top + height}" stroke="#999"/>',
    ]
    for i, (label, key) in enumerate(CHART_METRICS):
        x = gap + i * (bar_w + gap)
        value = row.get(key)
        if value is not None:
            h = max(0.0, min(1.0, float(value))) * height
            parts.append(
                f'<rect x="{x}" y="{top + height - h:.1f}" width="{bar_w}" height="{h:.1f}" fill="#4a7ab5">'
                f"<title>{_esc(label)}: {float(value):.2f}</title></rect>"
            )
            parts.append(f'<text x="{x}" y="{top + height - h - 3:.1f}" font-size="10">{float(value):.2f}</text>')
        parts.append(
            f'<text x="{x}" y="{top + height + 14}" font-size="9" '
            f'transform="rotate(30 {x} {top + height + 14})">{_esc(label)}</text>'
        )
    parts.append("</svg>")
    return f'<div class="chart">{"".join(parts)}</div>'


def _passages(citations: Iterable[Mapping[str, Any]]) -> str:
    blocks = []
    for c in citations:
        head = f"[{_esc(c.get('n', '?'))}] {_esc(c.get('source', ''))}"
        if c.get("section"):
            head += f" › {_esc(c['section'])}"
        blocks.append(f'<div class="passage"><div class="meta">{head}</div>{_esc(c.get("text", ""))}</div>')
    return "".join(blocks) or "<p class='meta'>(no citations)</p>"


def _item(item: Mapping[str, Any]) -> str:
    turns = item.get("turns") or [item.get("question", "")]
    earlier = "".join(f"<li>{_esc(t)}</li>" for t in turns[:-1])
    metrics = ", ".join(f"{_esc(k)}={_esc(_fmt(k, v))}" for k, v in item.get("metrics", {}).items() if v is not None)
    expected = "; ".join(" | ".join(group) for group in item.get("facts", []))
    error = f"<p class='bad'>error: {_esc(item['error'])}</p>" if item.get("error") else ""
    return (
        f'<div class="item"><h3>{_esc(item.get("id", ""))} <span class="meta">{_esc(item.get("kind", ""))}'
        f" · gold: {_esc(', '.join(item.get('gold_docs', [])) or '(none: should abstain)')}</span></h3>"
        + (f"<ol class='meta'>{earlier}</ol>" if earlier else "")
        + f"<p><b>Q:</b> {_esc(item.get('question', ''))}</p>"
        + (f"<p class='meta'>expected: {_esc(expected)}</p>" if expected else "")
        + f"<p class='meta'>{metrics}</p>{error}"
        + '<div class="cols"><div><b>Answer'
        + (" (abstained)" if item.get("abstained") else "")
        + f'</b><div class="answer">{_esc(item.get("answer", ""))}</div></div>'
        + f"<div><b>Cited passages</b>{_passages(item.get('citations', []))}</div></div></div>"
    )


def render_html(report: Mapping[str, Any]) -> str:
    """The report as one self-contained HTML page."""
    summary = report.get("summary", {})
    rows = [*summary.get("kinds", {}).items(), ("overall", summary.get("overall", {}))]
    failing = [it for it in report.get("items", []) if is_failure(it)]
    config = "".join(f"<li>{_esc(k)}: {_esc(v)}</li>" for k, v in report.get("config", {}).items())
    threshold_failures = report.get("threshold_failures")
    thresholds = ""
    if threshold_failures is not None:
        lis = "".join(f"<li class='bad'>{_esc(f)}</li>" for f in threshold_failures) or "<li>all passed</li>"
        thresholds = f"<h2>Thresholds</h2><ul>{lis}</ul>"
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>Evaluation report</title><style>{_CSS}</style></head><body>"
        f"<h1>Evaluation report</h1><ul class='meta'>{config}</ul>{thresholds}"
        f"<h2>Summary</h2>{_summary_table(summary)}"
        f"<div class='charts'>{''.join(_bar_chart(name, row) for name, row in rows)}</div>"
        f"<h2>Failing items ({len(failing)} of {len(report.get('items', []))})</h2>"
        + "".join(_item(it) for it in failing)
        + "</body></html>"
    )


def write_html(report: Mapping[str, Any], path: str | Path) -> None:
    """Write the report as a self-contained HTML file."""
    Path(path).write_text(render_html(report), encoding="utf-8")
