"""Conversations: the history bookkeeping shared by the chat UI, `assistant chat` and the evaluation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from assistant.condense import user_turns
from assistant.types import Answer
from index.types import Filters


class Conversation:
    """One user's conversation: asks with the history so far and records each turn.

    `assistant` is anything with the `ask` and `stream` of `Assistant` (the engine, or the server's
    `AssistantService`); `history` continues an earlier conversation (the chat page keeps it per browser session).
    """

    def __init__(self, assistant: Any, filters: Filters | None = None, history: Sequence[dict[str, Any]] = ()) -> None:
        self.assistant = assistant
        self.filters = filters
        self.history: list[dict[str, Any]] = list(history)

    def questions(self) -> list[str]:
        """The questions asked so far, oldest first."""
        return user_turns(self.history)

    def ask(self, question: str) -> Answer:
        """Answer the next question in the context of the earlier turns."""
        answer = self.assistant.ask(question, history=list(self.history), filters=self.filters)
        self.record(answer)
        return answer

    def stream(self, question: str) -> Iterator[str | Answer]:
        """Answer text as it grows, then the final `Answer`, recorded as the next turn when it arrives (a
        question that fails leaves the history as it was)."""
        for part in self.assistant.stream(question, history=list(self.history), filters=self.filters):
            if not isinstance(part, str):
                self.record(part)
            yield part

    def record(self, answer: Answer) -> None:
        """Add the turn of `answer` (the question as cleaned, and the answer text) to the history."""
        self.history += [
            {"role": "user", "content": answer.question},
            {"role": "assistant", "content": answer.answer},
        ]


def run_turns(assistant: Any, turns: Sequence[str], filters: Filters | None = None) -> Answer:
    """Play the user turns of a conversation; the answer to the last one is returned."""
    if not turns:
        raise ValueError("A conversation needs at least one turn.")
    conv = Conversation(assistant, filters)
    answer = None
    for turn in turns:
        answer = conv.ask(turn)
    assert answer is not None
    return answer
