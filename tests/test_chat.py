"""assistant/chat.py: a conversation asks each question with the turns before it and records what was asked and
answered; its filters hold for every turn; streamed turns are recorded when their answer arrives. Real engine over a
real small index (bundled corpus, hashing embedder)."""

from __future__ import annotations

import pytest

from assistant.chat import Conversation, run_turns
from assistant.engine import Assistant
from assistant.errors import QuestionError
from assistant.settings import Settings
from assistant.types import Answer
from index.types import Filters
from tests.conftest import CORPUS, GO_VAP_2010

FIRST = "Kế hoạch của quận Gò Vấp năm 2010 do ai ký?"
FOLLOW_UP = "Kế hoạch này có mục đích gì?"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    settings = Settings(embed_backend="hash", data_dir=tmp_path_factory.mktemp("chat") / "data")
    Assistant(settings).sync([CORPUS])
    return Assistant.open(settings)


def test_each_turn_is_recorded_and_the_next_is_asked_with_it(assistant: Assistant) -> None:
    conv = Conversation(assistant)
    first = conv.ask(FIRST)
    assert conv.history == [{"role": "user", "content": FIRST}, {"role": "assistant", "content": first.answer}]
    follow = conv.ask(FOLLOW_UP)
    assert [t["role"] for t in conv.history] == ["user", "assistant", "user", "assistant"]
    assert conv.history[2:] == [{"role": "user", "content": FOLLOW_UP}, {"role": "assistant", "content": follow.answer}]
    assert "Gò Vấp" in follow.search_query  # "kế hoạch này" is the plan of the first turn
    assert follow.citations and follow.citations[0].source == GO_VAP_2010
    alone = assistant.ask(FOLLOW_UP)  # without the first turn the same words name no plan in particular
    assert alone.search_query == FOLLOW_UP and alone.citations[0].source != GO_VAP_2010


def test_the_conversation_filters_hold_for_every_turn(assistant: Assistant) -> None:
    conv = Conversation(assistant, Filters(sources=(GO_VAP_2010,)))
    for question in ("Ai chịu trách nhiệm báo cáo quý?", "Còn kiểm tra thì sao?"):
        answer = conv.ask(question)
        assert {c.source for c in answer.citations} <= {GO_VAP_2010}
        assert {r.chunk.source for r in answer.retrieved} == {GO_VAP_2010}


def test_run_turns_plays_the_conversation_and_returns_the_last_answer(assistant: Assistant) -> None:
    played = run_turns(assistant, [FIRST, FOLLOW_UP])
    conv = Conversation(assistant)
    conv.ask(FIRST)
    assert played.answer == conv.ask(FOLLOW_UP).answer
    with pytest.raises(ValueError, match="at least one turn"):
        run_turns(assistant, [])


def test_a_streamed_turn_continues_the_given_history_and_is_recorded_at_its_answer(assistant: Assistant) -> None:
    """The chat page keeps each browser session's history and streams its answers through `Conversation`."""
    earlier = Conversation(assistant)
    first = earlier.ask(FIRST)
    conv = Conversation(assistant, history=earlier.history)
    parts = list(conv.stream(FOLLOW_UP))
    final = parts[-1]
    assert isinstance(final, Answer) and all(isinstance(p, str) for p in parts[:-1]) and len(parts) > 2
    assert "Gò Vấp" in final.search_query  # the given history was used
    assert conv.history[:2] == earlier.history and len(earlier.history) == 2  # continued, not shared
    assert conv.history[2:] == [{"role": "user", "content": FOLLOW_UP}, {"role": "assistant", "content": final.answer}]
    assert conv.questions() == [FIRST, FOLLOW_UP] and first.question == FIRST


def test_a_failed_question_leaves_the_history_as_it_was(assistant: Assistant) -> None:
    conv = Conversation(assistant)
    conv.ask(FIRST)
    with pytest.raises(QuestionError):
        list(conv.stream("?!?!"))
    assert conv.questions() == [FIRST]
