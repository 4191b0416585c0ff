"""Evaluation runner: load the dataset, ask every item, score it, check thresholds, format tables.

The application supplies `ask(turns) -> dict` (the shape of `assistant ask --json` for the
last turn); this module never imports the application.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from eval import metrics
from eval.feedback import REVIEW_KEY
from prompts import phrases

log = logging.getLogger(__name__)

KINDS = (
    "fact",
    "role",
    "list",
    "multi-document",
    "no-diacritics",
    "paraphrase",
    "english",
    "multi-turn",
    "unanswerable",
    "injection",
    "duties",  # a unit's tasks or the tasks due in a date window, answered from the stored assignments (issue 18)
)
_KEYS = ("id", "kind", "turns", "docs", "evidence", "facts")
# Summary values where lower is better: a threshold on them is a maximum, not a minimum.
LOWER_IS_BETTER = frozenset({"latency_p50_ms", "latency_p95_ms"})

Ask = Callable[[list[str]], dict[str, Any]]


def _is_str_list(value: Any, *, allow_empty: bool = True) -> bool:
    return (
        isinstance(value, list)
        and (allow_empty or bool(value))
        and all(isinstance(v, str) and v.strip() for v in value)
    )


def validate_item(item: Any) -> None:
    """Raise ValueError if `item` does not have the exact dataset shape."""
    if not isinstance(item, dict):
        raise ValueError("item is not a JSON object")
    if REVIEW_KEY in item:
        raise ValueError(f"a draft from feedback: complete it and delete its '{REVIEW_KEY}' key (see eval/feedback.py)")
    if set(item) != set(_KEYS):
        unknown = sorted(set(item) - set(_KEYS))
        missing = sorted(set(_KEYS) - set(item))
        raise ValueError(f"bad keys (unknown: {unknown}, missing: {missing})")
    if not isinstance(item["id"], str) or not item["id"]:
        raise ValueError("'id' must be a non-empty string")
    if item["kind"] not in KINDS:
        raise ValueError(f"'kind' must be one of {', '.join(KINDS)}, got {item['kind']!r}")
    if not _is_str_list(item["turns"], allow_empty=False):
        raise ValueError("'turns' must be a non-empty list of non-empty strings")
    for key in ("docs", "evidence"):
        if not _is_str_list(item[key]):
            raise ValueError(f"'{key}' must be a list of non-empty strings")
    facts = item["facts"]
    if not isinstance(facts, list) or not all(_is_str_list(g, allow_empty=False) for g in facts):
        raise ValueError("'facts' must be a list of non-empty lists of non-empty strings")
    if not item["docs"] and (item["evidence"] or facts):
        raise ValueError("an unanswerable item (no docs) must have empty evidence and facts")
    if item["docs"] and not item["evidence"]:
        raise ValueError("an answerable item needs at least one evidence string")


def load_dataset(path: str | Path) -> list[dict[str, Any]]:
    """Load and validate a JSONL dataset; errors name the file and line."""
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                validate_item(item)
            except (json.JSONDecodeError, ValueError) as exc:
                raise ValueError(f"{path}, line {lineno}: {exc}") from exc
            if item["id"] in seen:
                raise ValueError(f"{path}, line {lineno}: duplicate id {item['id']!r}")
            seen.add(item["id"])
            items.append(item)
    return items


def is_answerable(item: Mapping[str, Any]) -> bool:
    """An item is answerable when it names at least one gold document."""
    return bool(item["docs"])


def cited_passage(citation: Mapping[str, Any]) -> str:
    """The text a citation vouches for: its passage plus its document title, issuer, number, date, section."""
    keys = ("title", "issuer", "number", "date", "section", "text")
    return " ".join(str(citation.get(k) or "") for k in keys)


# The product's own notices about what an answer lists (prompts/phrases.yaml): a list goes on in the «Nhiệm vụ» tab
# ("Còn $n nhiệm vụ khác …"), a unit has no task of its own ("Không có việc giao riêng cho $unit; …"). They say
# what the index holds, not what a passage says, so groundedness does not score them; the rest of their sentence is.
_NOTICE_KEYS = ("duties_more", "duties_of_class")


@functools.cache
def _notices() -> tuple[re.Pattern[str], ...]:
    out = []
    for key, text in phrases().items():
        if key.removesuffix("_en") in _NOTICE_KEYS and text.strip():
            pattern = re.sub(r"\\\$\w+", ".+?", re.escape(text.strip()))  # "$unit" stands for any words
            out.append(re.compile(rf"(?m)^{pattern}[ \t]*"))
    return tuple(out)


def without_notices(answer: str) -> str:
    """An answer without the product's notices (`_NOTICE_KEYS`), for its groundedness: what remains of a line
    that opens with one is scored as any sentence.

    >>> without_notices("Không có việc giao riêng cho Sở Tư pháp; việc giao chung: Các Sở … [1].")
    'Các Sở … [1].'
    """
    for pattern in _notices():
        answer = pattern.sub("", answer)
    return answer


def score_item(item: Mapping[str, Any], response: Mapping[str, Any], k: int) -> dict[str, float | None]:
    """Metrics for one item; those that do not apply are None."""
    answer = str(response.get("answer") or "")
    abstained = bool(response.get("abstained"))
    by_n = {int(c["n"]): c for c in response.get("citations") or []}
    # Only passages the answer actually cites count; an unknown [n] is an invalid citation.
    cited_ns = metrics.parse_citations(answer)
    cited_texts = [str(by_n[n].get("text", "")) for n in cited_ns if n in by_n]
    cited_sources = [str(by_n[n].get("source", "")) if n in by_n else "" for n in cited_ns]
    retrieved = [str(r.get("text", "")) for r in response.get("retrieved") or []]
    out: dict[str, float | None] = dict.fromkeys(metrics.METRICS)
    if is_answerable(item):
        out["evidence_hit_at_k"] = metrics.evidence_hit_at_k(retrieved, item["evidence"], k)
        out["reciprocal_rank"] = metrics.reciprocal_rank(retrieved, item["evidence"])
        out["citation_support"] = metrics.citation_support(cited_texts, item["evidence"])
        out["citation_precision"] = metrics.citation_precision(cited_sources, item["docs"])
        if len(set(item["docs"])) > 1:  # answered by several documents: the answer must cite each
            out["document_recall"] = metrics.document_recall(cited_sources, item["docs"])
        out["fact_recall"] = metrics.fact_recall(answer, item["facts"])
        if item["facts"]:
            out["answer_first"] = metrics.answer_first(answer, item["facts"], abstained)
        out["answered"] = metrics.answered(abstained)
    else:
        out["abstained"] = 1.0 - metrics.answered(abstained)
    if not abstained:
        # A citation carries its passage and where it comes from (title, issuer, date, section).
        passages = {n: cited_passage(c) for n, c in by_n.items()}
        out["groundedness"], _ = metrics.sentence_groundedness(without_notices(answer), passages)
    return out


def run(
    items: Sequence[Mapping[str, Any]],
    ask: Ask,
    k: int = 5,
    config: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Ask every item through `ask(turns)`, score it and build the report dict."""
    records: list[dict[str, Any]] = []
    for item in items:
        started = time.perf_counter()
        error = None
        try:
            response = dict(ask(list(item["turns"])))
        except Exception as exc:  # one failing item must not lose the whole run
            log.exception("item %s failed", item["id"])
            error = f"{type(exc).__name__}: {exc}"
            response = {"answer": "", "abstained": False, "citations": [], "retrieved": []}
        elapsed_ms = (time.perf_counter() - started) * 1000
        latency = response.get("latency_ms")
        record = {
            "id": item["id"],
            "kind": item["kind"],
            "question": item["turns"][-1],
            "turns": list(item["turns"]),
            "gold_docs": list(item["docs"]),
            "facts": [list(g) for g in item["facts"]],
            "answer": str(response.get("answer") or ""),
            "abstained": bool(response.get("abstained")),
            "citations": list(response.get("citations") or []),
            "retrieved": list(response.get("retrieved") or []),
            "latency_ms": float(latency) if latency is not None else elapsed_ms,
            "mode": str(response.get("mode") or ""),  # llm, extractive or extractive-fallback
            "metrics": score_item(item, response, k),
        }
        if error:
            record["error"] = error
        records.append(record)
    summary = metrics.summarize(records)
    summary["modes"] = dict(sorted(Counter(r["mode"] for r in records if r["mode"]).items()))
    return {"config": {"k": k, **dict(config or {})}, "summary": summary, "items": records}


def load_thresholds(path: str | Path) -> dict[str, Any]:
    """Read the thresholds TOML ([overall], [kind.<name>], optional [meta]).

    A gate is a number (a fixed minimum; a maximum for latencies) or `{measured = x, misses = m}`: the
    metric may fall at most m items below the measured mean, counted in the items it applies to (see
    `gate_limit`), so the margin follows the item count of each kind.
    """
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    for section, table in [("overall", data.get("overall", {}))] + [
        (f"kind.{name}", t) for name, t in data.get("kind", {}).items()
    ]:
        for key, value in table.items():
            if key not in metrics.METRICS and key not in LOWER_IS_BETTER:
                raise ValueError(f"{path}: [{section}] unknown metric {key!r}")
            if isinstance(value, dict) and key not in LOWER_IS_BETTER:
                measured, misses = value.get("measured"), value.get("misses")
                good_measured = _is_number(measured) and 0 <= measured <= 1  # type: ignore[operator]
                good_misses = isinstance(misses, int) and not isinstance(misses, bool) and misses >= 0
                if set(value) != {"measured", "misses"} or not (good_measured and good_misses):
                    raise ValueError(
                        f"{path}: [{section}] {key} must be a number or {{measured = 0..1, misses = integer >= 0}}"
                    )
            elif not _is_number(value):
                raise ValueError(f"{path}: [{section}] {key} must be a number")
    for key, value in data.get("assignments", {}).items():  # eval.tasks: plain minima
        if key not in ("precision", "recall", "deadlines") or not (_is_number(value) and 0 <= value <= 1):
            raise ValueError(f"{path}: [assignments] {key} must be precision, recall or deadlines = 0..1")
    return data


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def gate_limit(gate: Any, applies_to: int) -> tuple[float, str]:
    """The minimum a gate sets for a metric measured over `applies_to` items, and how it was derived.

    `{measured = 0.9, misses = 1}` over 9 items gives 0.9 - 1/9: one item may flip (rank 5 → 6 on another
    machine) without failing the gate, a second may not.

    >>> gate_limit({"measured": 1.0, "misses": 1}, 9)[0] == 1.0 - 1 / 9 - 1e-9
    True
    >>> gate_limit(0.8, 9)
    (0.8, '')
    """
    if not isinstance(gate, dict):
        return float(gate), ""
    n = max(applies_to, 1)
    limit = float(gate["measured"]) - gate["misses"] / n - 1e-9  # 1e-9: a mean equal to the limit passes
    return limit, f"measured {gate['measured']:.3f}, {gate['misses']} of {n} items may miss"


def check_thresholds(summary: Mapping[str, Any], thresholds: Mapping[str, Any]) -> list[str]:
    """Human-readable failures, e.g. "overall.citation_support 0.71 < 0.80"; empty when all pass."""
    checks: list[tuple[str, Mapping[str, Any] | None, Mapping[str, Any]]] = [
        ("overall", summary.get("overall"), thresholds.get("overall", {}))
    ]
    for kind, table in thresholds.get("kind", {}).items():
        checks.append((f"kind.{kind}", summary.get("kinds", {}).get(kind), table))
    failures: list[str] = []
    for label, row, table in checks:
        for name, gate in table.items():
            value = None if row is None else row.get(name)
            if value is None:
                failures.append(f"{label}.{name} missing (no items it applies to)")
                continue
            applies_to = int((row or {}).get("counts", {}).get(name, (row or {}).get("n", 1)))
            limit, how = gate_limit(gate, applies_to)
            why = f" ({how})" if how else ""
            if name in LOWER_IS_BETTER and value > limit:
                failures.append(f"{label}.{name} {_pair(value, limit, 0)} > {_pair(limit, value, 0)}{why}")
            elif name not in LOWER_IS_BETTER and value < limit:
                failures.append(f"{label}.{name} {_pair(value, limit, 2)} < {_pair(limit, value, 2)}{why}")
    return failures


def _pair(value: float, other: float, digits: int) -> str:
    """Format `value`, adding digits until it reads differently from `other` (0.3999 vs 0.40)."""
    for d in range(digits, digits + 5):
        if f"{value:.{d}f}" != f"{other:.{d}f}":
            return f"{value:.{d}f}"
    return f"{value:.{digits}f}"


COLUMNS = (
    ("n", "n"),
    ("hit@k", "evidence_hit_at_k"),
    ("MRR", "reciprocal_rank"),
    ("cit.support", "citation_support"),
    ("cit.precision", "citation_precision"),
    ("doc recall", "document_recall"),
    ("fact recall", "fact_recall"),
    ("answer 1st", "answer_first"),
    ("answered", "answered"),
    ("abstained", "abstained"),
    ("grounded", "groundedness"),
    ("p50 ms", "latency_p50_ms"),
    ("p95 ms", "latency_p95_ms"),
)


def _cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "n" or key in LOWER_IS_BETTER:
        return f"{value:.0f}"
    return f"{value:.2f}"


def _rows(summary: Mapping[str, Any]) -> list[list[str]]:
    named = [*summary.get("kinds", {}).items(), ("overall", summary["overall"])]
    return [[name] + [_cell(key, row.get(key)) for _, key in COLUMNS] for name, row in named]


def format_table(summary: Mapping[str, Any]) -> str:
    """Plain-text table: one row per kind plus "overall"; blank where a metric does not apply."""
    header = ["kind"] + [label for label, _ in COLUMNS]
    rows = [header, *_rows(summary)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for idx, r in enumerate(rows):
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
        if idx == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_markdown_table(summary: Mapping[str, Any]) -> str:
    """The same table as Markdown, for the README."""
    header = ["kind"] + [label for label, _ in COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * len(COLUMNS)) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in _rows(summary)]
    return "\n".join(lines)
