"""Conversations: the history bookkeeping shared by the chat UI, `assistant chat` and the evaluation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.types import Answer
from index.types import Filters


class Conversation:
    """One user's conversation: asks with the history so far and records each turn."""

    def __init__(self, assistant: Any, filters: Filters | None = None) -> None:
        self.assistant = assistant
        self.filters = filters
        self.history: list[dict[str, str]] = []

    def ask(self, question: str) -> Answer:
        """Answer the next question in the context of the earlier turns."""
        answer = self.assistant.ask(question, history=list(self.history), filters=self.filters)
        self.history += [
            {"role": "user", "content": answer.question},
            {"role": "assistant", "content": answer.answer},
        ]
        return answer


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
