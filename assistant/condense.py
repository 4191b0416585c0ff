"""Follow-up questions: carry the entities of earlier turns into retrieval (rule-based condensation)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from assistant.headline import kinds_named
from assistant.textmatch import content_terms, entities, entity_kind
from index.normalize import fold

_FOLLOWUP_START = re.compile(
    r"^\s*(còn|thế còn|vậy còn|vậy|thế|con|the con|vay|and|what about|how about|also)\b", re.IGNORECASE
)
_PRONOUN = re.compile(
    r"\b(đó|này|ấy|họ|đơn vị đó|văn bản này|kế hoạch này|do|nay|it|they|that|this|them)\b", re.IGNORECASE
)


def user_turns(history: Sequence[dict[str, Any]]) -> list[str]:
    """The user messages of a history, oldest first (malformed entries are ignored)."""
    return [str(h.get("content", "")) for h in history if isinstance(h, dict) and h.get("role") == "user"]


def is_followup(question: str) -> bool:
    """Whether a question leans on earlier turns ("Còn hạn báo cáo năm thì sao?")."""
    return bool(_FOLLOWUP_START.search(question) or _PRONOUN.search(question) or len(content_terms(question)) <= 2)


def gives_only_names(question: str, known: Iterable[str] = ()) -> bool:
    """Whether a follow-up names only what changes ("Còn quận Gò Vấp thì sao?", "Còn kế hoạch của Ba Đình năm
    2025?"): what it asks is the earlier question's, whose words then weigh as its own."""
    own = entities(question, known)
    return bool(own) and is_followup(question) and not _asks(question, own)


def _asks(question: str, own: Sequence[str]) -> list[str]:
    """The content words of `question` besides its names `own`, the kinds of document it names ("Còn kế hoạch của
    Ba Đình?") and a year's "năm": what it asks of its own."""
    kinds = {entity_kind(e) for e in own}
    own_words = {w for e in own for w in fold(e).split()} | {w for k in kinds_named(question) for w in k.split()}
    own_words |= {"nam"} if "year" in kinds else set()
    return [t for t in content_terms(question) if fold(t) not in own_words]


def condense(question: str, history: Sequence[dict[str, Any]], known: Iterable[str] = ()) -> str:
    """A standalone search query: the question plus entities of the previous user turns it omits.

    `known` names (issuing bodies, places of the indexed documents) count as entities too. A name the question
    gives replaces the inherited one of its kind ("Còn Phòng X?" replaces Phòng Y); a new place or document
    also drops the inherited year, which was that of the old place's document ("Kế hoạch năm 2025 của Ba Đình
    do ai ký?" → "Còn quận Gò Vấp thì sao?" asks for Gò Vấp's plan, of whatever year), and a new place or year
    the inherited document number (another place's plan is another document). A question that gives
    nothing but a name keeps the previous question's intent: its words, without the names replaced.
    """
    previous = user_turns(history)
    if not previous or not is_followup(question):
        return question
    q_fold = fold(question)
    own = entities(question, known)
    own_kinds = {entity_kind(e) for e in own}
    dropped = set(own_kinds)
    if own_kinds & {"place", "docno"} and "year" not in own_kinds:
        dropped.add("year")
    if own_kinds & {"place", "year"}:  # "Còn kế hoạch của Ba Đình năm 2025?" after "Theo kế hoạch 08/KH-UBND, …"
        dropped.add("docno")
    carry = [
        e for e in entities(" ".join(previous[-2:]), known) if fold(e) not in q_fold and entity_kind(e) not in dropped
    ]
    if own and not _asks(question, own):  # "Còn quận Gò Vấp thì sao?": the previous question, with the new name
        intent = previous[-1]
        for e in entities(intent, known):
            if entity_kind(e) in dropped:
                intent = re.sub(re.escape(e), " ", intent, flags=re.IGNORECASE)
        intent = re.sub(r"\s+([?.,;:])", r"\1", " ".join(intent.split()))  # "Ai ký ?" → "Ai ký?"
        head = ", ".join(e for e in carry if fold(e) not in fold(intent))
        return f"{head}: {intent} {question}" if head else f"{intent} {question}"
    if not carry:  # nothing named: keep the topic words of the last question instead (not a replaced name's)
        replaced = {w for e in entities(previous[-1], known) if entity_kind(e) in dropped for w in content_terms(e)}
        carry = [t for t in content_terms(previous[-1]) if fold(t) not in q_fold and t not in replaced][:6]
    # Commas keep inherited names apart ("quận Ba Đình, Phòng Nội vụ", not one long place name).
    return f"{', '.join(carry)}: {question}" if carry else question
