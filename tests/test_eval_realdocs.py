"""The real-documents gate: real plans of other localities and real provincial files in their original formats.

The corpus is eval/realdocs/*.txt (public plans and reports of the dân vận chính quyền family, sources in
eval/realdocs/SOURCES.md) plus the files of ../shared/realdocs (text and scanned PDFs, .doc, .docx; CI clones
the repository beside a copy of shared/). A file whose reader is not installed (no OCR, no LibreOffice) is left
out by the index build with a one-line message; its questions then count as misses, which is what the gate
measures. The thresholds are eval/thresholds-realdocs.toml.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from pathlib import Path

import pytest

from assistant.evaluate import evaluate
from eval.metrics import fold
from eval.runner import KINDS, load_dataset

from .conftest import REPO

DATASET = REPO / "eval" / "datasets" / "realdocs.jsonl"
THRESHOLDS = REPO / "eval" / "thresholds-realdocs.toml"
OWN_DOCS = REPO / "eval" / "realdocs"
SHARED_DOCS = REPO.parent / "shared" / "realdocs"
OUT = REPO / "test-output"
# Items of each kind at least (5: one miss stays within a per-kind gate of `misses = 1`).
MIN_PER_KIND = dict.fromkeys(KINDS, 5) | {"fact": 15, "role": 8}

log = logging.getLogger(__name__)


def _corpus_files() -> list[Path]:
    """Every document the dataset is about: the bundled real plans and the shared original-format files."""
    shared = sorted(p for p in SHARED_DOCS.iterdir() if p.is_file() and p.name != "SOURCES.md")
    return sorted(OWN_DOCS.glob("*.txt")) + shared


def test_dataset_names_only_documents_of_its_corpus():
    items = load_dataset(DATASET)
    names = {p.name for p in OWN_DOCS.glob("*.txt")}
    if SHARED_DOCS.is_dir():
        names |= {p.name for p in SHARED_DOCS.iterdir() if p.name != "SOURCES.md"}
    named = {d for item in items for d in item["docs"]}
    assert len(items) >= 60
    assert named <= names, f"unknown documents: {sorted(named - names)}"
    assert {p.name for p in OWN_DOCS.glob("*.txt")} <= named, "every bundled real plan is asked about"


def test_every_kind_has_its_minimum_of_items():
    counts = Counter(item["kind"] for item in load_dataset(DATASET))
    for kind, minimum in MIN_PER_KIND.items():
        assert counts[kind] >= minimum, f"{kind}: {counts[kind]} < {minimum}"


def test_evidence_and_facts_lie_in_the_bundled_real_plans():
    """Items over eval/realdocs only: every evidence span and one alternative of every fact group is in the text
    (compared folded, so a span survives the reflow of wrapped lines)."""
    texts = {p.name: fold(p.read_text(encoding="utf-8")) for p in OWN_DOCS.glob("*.txt")}
    checked = 0
    for item in load_dataset(DATASET):
        if not item["docs"] or not set(item["docs"]) <= set(texts):
            continue
        docs = [texts[d] for d in item["docs"]]
        for evidence in item["evidence"]:
            assert any(fold(evidence) in t for t in docs), f"{item['id']}: evidence not in its documents: {evidence!r}"
        for group in item["facts"]:
            assert any(fold(alt) in t for alt in group for t in docs), (
                f"{item['id']}: no fact of {group} in its documents"
            )
        checked += 1
    assert checked >= 30


def test_every_bundled_real_plan_is_listed_in_sources():
    sources = (OWN_DOCS / "SOURCES.md").read_text(encoding="utf-8")
    for path in OWN_DOCS.glob("*.txt"):
        assert f"`{path.name}`" in sources, f"{path.name} has no source in eval/realdocs/SOURCES.md"


@pytest.mark.slow
def test_real_documents_meet_their_thresholds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from assistant.engine import Assistant
    from assistant.settings import Settings

    if not SHARED_DOCS.is_dir():
        pytest.skip(f"{SHARED_DOCS} is missing: the gate is calibrated on the shared original-format files")
    corpus = tmp_path / "realdocs"
    corpus.mkdir()
    for path in _corpus_files():
        shutil.copy2(path, corpus / path.name)
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    settings = Settings(data_dir=data, corpus_dir=corpus)
    built = Assistant(settings).sync()
    for name, message in built.not_indexed:
        log.warning("not indexed: %s: %s", name, message)
    assistant = Assistant.open(settings)

    report = OUT / "eval-realdocs-report.json"
    failures = evaluate(
        assistant,
        settings,
        DATASET,
        report,
        OUT / "eval-realdocs-report.html",
        thresholds_path=THRESHOLDS,
    )
    assert failures == [], "\n".join(failures)
    data_json = json.loads(report.read_text(encoding="utf-8"))
    assert len(data_json["items"]) >= 60
