"""Shared fixtures: every test gets its own data folder; the real-model index is built once per session.

Test tiers (markers registered in pyproject.toml): the default run is logic and small real components, plus the
`>>>` examples of the packages' docstrings; `integration` (real servers, subprocesses, external programs),
`slow` (the real embedding model), `browser` (headless Chromium) and `lint` (ruff, mypy) run with `-m ""`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import assistant.offline  # noqa: F401  (before anything imports gradio/chromadb/transformers)

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
BA_DINH_2025 = "003_7bfcb32814c81f86.txt"
GO_VAP_2010 = "002_f8451427429f5507.txt"


# Docstring examples (`--doctest-modules`) that need more than the default tier gives: the real model.
SLOW_DOCTESTS = {"index.fast_e5"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        help="rewrite the snapshot files (tests/fixtures/prompts/) from the current prompts instead of comparing",
    )


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Doctest items carry no markers of their own: put the ones that load the real model in the slow tier."""
    for item in items:
        if isinstance(item, pytest.DoctestItem) and item.name in SLOW_DOCTESTS:
            item.add_marker(pytest.mark.slow)


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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright, one launch per browser-test module (the modules skip
    themselves when Chromium or Playwright is missing)."""
    from playwright import sync_api

    from tests.test_ui_browser import CHROMIUM, CHROMIUM_ARGS

    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()
