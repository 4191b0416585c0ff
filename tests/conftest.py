"""Shared fixtures: every test gets its own data folder; the real-model index is built once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import assistant.offline  # noqa: F401  (before anything imports gradio/chromadb/transformers)

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
BA_DINH_2025 = "003_7bfcb32814c81f86.txt"
GO_VAP_2010 = "002_f8451427429f5507.txt"


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """ASSISTANT_DATA_DIR points at a fresh folder; no other ASSISTANT_* setting leaks in."""
    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    return data


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled corpus."""
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


@pytest.fixture(scope="session")
def real_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the bundled corpus indexed by the real default embedder (built once)."""
    from assistant.engine import Assistant
    from assistant.settings import Settings

    data = tmp_path_factory.mktemp("real") / "data"
    settings = Settings(data_dir=data)
    Assistant(settings).sync()
    return data


@pytest.fixture
def real_assistant(real_data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    """The answer engine over the real index (read-only use)."""
    from assistant.engine import Assistant
    from assistant.settings import Settings

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(real_data_dir))
    return Assistant.open(Settings())


@pytest.fixture
def toy_settings(_isolated_data_dir: Path):
    """Settings with the deterministic hashing embedder (no model); files under tmp_path may be ingested."""
    from assistant.settings import Settings

    return Settings(embed_backend="hash", data_dir=_isolated_data_dir, ingest_dirs=[_isolated_data_dir.parent])
