"""Assignments stored with the index (issue 18): extracted by a sync, kept for the documents it does not touch,
dropped with their document, the same whatever order the files are read in."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson

from assistant.indexer import build_index
from assistant.settings import Settings
from index import taskstore
from index.pipeline import PlanIndex

BA_DINH = "003_7bfcb32814c81f86.txt"
GO_VAP = "002_f8451427429f5507.txt"


def _rows(index: PlanIndex) -> list[dict]:
    return [a.to_dict() for a in taskstore.load_assignments(index.dir)]


def test_a_build_stores_the_assignments_of_each_plan(toy_settings: Settings, corpus_copy: Path) -> None:
    index = build_index(toy_settings)
    index.sync([corpus_copy])
    rows = taskstore.load_assignments(index.dir)
    by_doc = {a.source for a in rows}
    assert {BA_DINH, GO_VAP} <= by_doc
    noi_vu = [a for a in rows if a.source == BA_DINH and "noi vu" in a.unit_key]
    assert noi_vu, "Ba Đình's plan gives Phòng Nội vụ tasks"
    text = (corpus_copy / BA_DINH).read_text(encoding="utf-8")
    for a in noi_vu:
        assert a.meta.place == "Ba Đình" and a.year == 2025
        assert a.task.strip() and a.task in text
    assert any(a.due is not None for a in rows if a.source == BA_DINH)
    assert taskstore.load_lexicon(index.dir).names  # learned from the plans' headings


def test_unchanged_documents_keep_their_rows_and_a_removed_one_loses_them(
    toy_settings: Settings, corpus_copy: Path
) -> None:
    index = build_index(toy_settings)
    index.sync([corpus_copy])
    before = _rows(index)
    ba_dinh = [r for r in before if r["source"] == BA_DINH]
    (corpus_copy / GO_VAP).unlink()
    index.sync([corpus_copy])
    after = _rows(index)
    assert [r for r in after if r["source"] == BA_DINH] == ba_dinh
    assert not [r for r in after if r["source"] == GO_VAP]
    shutil.copy(Path(__file__).parents[1] / "corpus" / GO_VAP, corpus_copy / GO_VAP)
    index.sync([corpus_copy])
    assert sorted(map(orjson.dumps, _rows(index))) == sorted(map(orjson.dumps, before))


def test_rows_do_not_depend_on_the_order_files_are_read(toy_settings: Settings, corpus_copy: Path) -> None:
    one = build_index(toy_settings)
    one.sync([corpus_copy])
    first = _rows(one)
    other = toy_settings.model_copy(update={"data_dir": toy_settings.data_dir.parent / "other"})
    two = build_index(other)
    two.sync([corpus_copy / GO_VAP])  # Gò Vấp first, then the others: the lexicon grows in another order
    two.sync([corpus_copy])
    # the stored lexicon of the first sync is kept, so the second sync reads with at least those names
    assert taskstore.load_lexicon(two.dir).names.keys() >= taskstore.load_lexicon(one.dir).names.keys()
    assert [r for r in _rows(two) if r["source"] == BA_DINH] == [r for r in first if r["source"] == BA_DINH]


def test_a_rebuild_forgets_the_old_rows(toy_settings: Settings, corpus_copy: Path) -> None:
    index = build_index(toy_settings)
    index.sync([corpus_copy])
    for name in list(p.name for p in corpus_copy.iterdir()):
        if name != BA_DINH:
            (corpus_copy / name).unlink()
    index.sync([corpus_copy], rebuild=True)
    assert {r["source"] for r in _rows(index)} == {BA_DINH}
