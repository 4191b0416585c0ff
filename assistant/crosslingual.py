"""English questions over Vietnamese documents: a small domain glossary turns them into search terms."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_GLOSSARY = Path(__file__).resolve().parent / "glossary_en_vi.tsv"
# Capitalised words that open a question or a request, not names ("Summarize decision 1696.").
_NOT_NAMES = frozenset(
    "who what which when where why how the under in is are does do did please summarize summarise list give show"
    " tell describe explain according".split()
)
_NAME = re.compile(r"\b(?:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*|\d[\w/.-]*)\b")


@cache
def glossary() -> list[tuple[str, str]]:
    """(english, vietnamese) pairs, longest English phrases first so they win over their words."""
    pairs = []
    for line in _GLOSSARY.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            en, _, vi = line.partition("\t")
            pairs.append((en.strip().lower(), vi.strip()))
    return sorted(pairs, key=lambda p: -len(p[0]))


def vietnamese_terms(question: str) -> str:
    """Vietnamese search terms for an English question: glossary terms plus names and numbers as typed.

    >>> vietnamese_terms("Who signed Go Vap's plan?")
    'ký Go Vap kế hoạch'
    >>> vietnamese_terms("What must the Department of Home Affairs of Lao Cai do?")
    'Sở Nội vụ Lao Cai'
    """
    text = question.lower()
    found: list[tuple[int, str]] = []
    for en, vi in glossary():
        for m in re.finditer(rf"\b{re.escape(en)}\b", text):
            found.append((m.start(), vi))
            text = text[: m.start()] + " " * len(en) + text[m.end() :]  # a phrase consumes its words
    # Names are what the glossary left: "Department of Home Affairs of Lao Cai" gives "Sở", "Nội vụ" and "Lao Cai",
    # not "Department" and "Home Affairs" again (a phrase's words are blanked in `text`, at the same offsets).
    blank = text.replace(" ", "\0") if len(text) == len(question) else ""  # consumed words: no name runs over them
    left = "".join(c if c.isspace() or b != "\0" else "\0" for c, b in zip(question, blank, strict=True)) or question
    names = [(m.start(), m.group(0)) for m in _NAME.finditer(left) if m.group(0).lower() not in _NOT_NAMES]
    return " ".join(t for _, t in sorted(found + names))
