"""The server's view of the engine: warming up before the first user, without ever failing start-up."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from assistant.engine import Assistant
from assistant.service import AssistantService
from assistant.settings import Settings


def test_warm_up_answers_once_and_never_raises(
    toy_settings: Settings, corpus_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="assistant.service")
    missing = AssistantService(toy_settings)
    missing.warm_up()  # no index yet: logged, not raised
    assert "warm-up skipped" in caplog.text and not missing.ready

    settings = toy_settings.model_copy(update={"corpus_dir": corpus_copy})
    Assistant(settings).sync()
    service = AssistantService(settings)
    service.warm_up()
    assert "warmed up in" in caplog.text and service.ready


def test_a_build_by_another_process_is_picked_up_without_a_restart(toy_settings: Settings, corpus_copy: Path) -> None:
    settings = toy_settings.model_copy(update={"corpus_dir": corpus_copy, "reload_check_s": 0.05})
    Assistant(settings).sync()
    service = AssistantService(settings)
    first = service.get()
    assert service.get() is first  # nothing changed on disk: the same engine
    (corpus_copy / "900_moi.txt").write_text(
        "KẾ HOẠCH\nTổ chức ngày hội đọc sách\n\nI. MỤC ĐÍCH\nPhòng Văn hóa tổ chức ngày hội đọc sách cho thiếu nhi.\n",
        encoding="utf-8",
    )
    Assistant(settings).sync()  # the indexer: another engine, as another process would be
    time.sleep(0.1)
    fresh = service.get()
    assert fresh is not first and any(d["doc_id"] == "900_moi.txt" for d in service.documents())
    assert "900_moi.txt" in {c.source for c in service.ask("Ai tổ chức ngày hội đọc sách?").citations}


def test_an_engine_handed_in_is_kept_until_the_index_changes(toy_settings: Settings, corpus_copy: Path) -> None:
    settings = toy_settings.model_copy(update={"corpus_dir": corpus_copy, "reload_check_s": 0.05})
    given = Assistant(settings)
    given.sync()
    service = AssistantService(settings, given)
    time.sleep(0.1)
    assert service.get() is given
