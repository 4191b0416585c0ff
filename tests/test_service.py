"""The server's view of the engine: warming up before the first user, without ever failing start-up."""

from __future__ import annotations

import logging
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
