"""Vietnamese syllable shape, and repair of syllables split by the spacing of justified PDF text.

A Vietnamese syllable is an onset, a rhyme (optional medial glide, a vowel nucleus, an optional coda)
and at most one tone mark. `is_syllable` checks that shape with general phonotactic rules, so it knows
no word list: "chế", "vận", "thực", "nghiêng", "quyết" pass; "ch", "v", "th", "ế" with "ch" glued
("chếch" passes, "chx" does not). `repair_split_syllables` joins two neighbouring tokens of a line when
the join is a syllable and either token cannot be one alone ("Quy ch ế" -> "Quy chế", "Dân v ận" ->
"Dân vận"), or when both could but the joined form is a word the same document uses elsewhere while the
pair itself is not ("hi ện" -> "hiện" where "hiện" occurs on its own).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng
_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdđghklmnprstvx])?"
# Rhymes without tone: bare or with a medial o/u, spelled as Vietnamese writes them.
_RHYME = (
    r"(?:a(?:i|o|u|y|c|ch|m|n|ng|nh|p|t)?|ă(?:c|m|n|ng|p|t)|â(?:u|y|c|m|n|ng|p|t)"
    r"|e(?:o|c|m|n|ng|p|t)?|ê(?:u|ch|m|n|nh|p|t)?|i(?:a|u|ch|m|n|nh|p|t)?|iê(?:u|c|m|n|ng|p|t)"
    r"|o(?:i|c|m|n|ng|p|t|ong|oc)?|ô(?:i|c|m|n|ng|p|t)?|ơ(?:i|m|n|p|t)?"
    r"|u(?:a|i|c|m|n|ng|p|t)?|uô(?:i|c|m|n|ng|t)|ư(?:a|i|u|c|m|n|ng|t)?|ươ(?:i|u|c|m|n|ng|p|t)"
    r"|y|yê(?:u|c|m|n|ng|t)"
    r"|oa(?:i|y|c|ch|m|n|ng|nh|p|t)?|oă(?:c|m|n|ng|t)|oe(?:o|n|t)?"
    r"|uê(?:ch|n|nh)?|uy(?:a|u|ch|n|nh|p|t)?|uyê(?:n|t)|uâ(?:n|ng|t|y)|uơ)"
)
_SHAPE = re.compile(f"{_ONSET}{_RHYME}")
_FRONT = "ieêy"  # k, gh, ngh come only before these; c, g, ng never do (except "gi")
_TOKEN = re.compile(r"[^\W\d_]+")
_MAX_TOKEN = 7  # the longest syllable, "nghiêng", has 7 letters


def _bare(word: str) -> tuple[str, int]:
    """The word in lower case without tone marks (NFC), and how many tone marks it had."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(c in _TONES for c in decomposed)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES)), tones


@lru_cache(maxsize=65536)
def is_syllable(word: str) -> bool:
    """Whether `word` has the shape of one Vietnamese syllable (onset + rhyme + at most one tone)."""
    if not word or len(word) > _MAX_TOKEN or not word.isalpha():
        return False
    if not (word.islower() or word.isupper() or word[1:].islower()):
        return False  # "cHế": not how a word is written
    bare, tones = _bare(word)
    if tones > 1 or not _SHAPE.fullmatch(bare):
        return False
    m = re.match(r"ngh|ng|gh|gi|kh|ch|qu|[kcg]", bare)
    onset = m.group(0) if m else ""
    rest = bare[len(onset) :]
    if onset in ("k", "gh", "ngh") and rest[:1] not in _FRONT:
        return False
    if onset in ("c", "g", "ng") and rest[:1] in "ieê":
        return False
    if onset == "qu" and rest[:1] in "uo":
        return False  # "quu", "quo": qu already holds the glide
    # The tone mark sits on the nucleus, never on a final glide: "giày", not "giaỳ" (but "thuý": y is the nucleus).
    if tones and re.search(r"[aâeêioôơuưy][iyou]$", rest) and not rest.endswith("uy"):
        last = unicodedata.normalize("NFD", word[-1].lower())
        if any(c in _TONES for c in last):
            return False
    # Stop codas (c, ch, p, t) take only the sắc or nặng tone.
    if re.search(r"(?:c|ch|p|t)$", bare) and tones:
        decomposed = unicodedata.normalize("NFD", word.lower())
        if not any(c in "\u0301\u0323" for c in decomposed):
            return False
    return True


def _is_fragment(token: str) -> bool:
    """A piece that cannot stand as a syllable, or a lone tone-marked vowel ("ế") cut from one."""
    if not is_syllable(token):
        return True
    return len(token) == 1 and _bare(token)[1] == 1


def _joinable(left: str, right: str, counts: Counter[str], pairs: Counter[tuple[str, str]]) -> bool:
    joined = left + right
    if not right.isalpha() or not left.isalpha() or not is_syllable(joined):
        return False
    if right[0].isupper() and not left.isupper():
        return False  # "ch Ế": a new word starting, not the rest of this one
    if _is_fragment(left) or _is_fragment(right):
        return True
    # Both halves could be syllables ("hi ện"): only a word this document uses, split where it never is whole.
    key = joined.lower()
    return counts[key] >= 2 and pairs[(left.lower(), right.lower())] < counts[key]


def syllable_counts(text: str) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """How often each word, and each pair of neighbouring words, occurs in `text` (lower case)."""
    counts: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for line in text.split("\n"):
        words = _TOKEN.findall(line.lower())
        counts.update(words)
        pairs.update(zip(words, words[1:], strict=False))
    return counts, pairs


def repair_split_syllables(line: str, counts: Counter[str], pairs: Counter[tuple[str, str]]) -> str:
    """`line` with syllables split by a single space joined again ("Quy ch ế" -> "Quy chế")."""
    parts = line.split(" ")
    if len(parts) < 2:
        return line
    out = [parts[0]]
    for part in parts[1:]:
        prev = out[-1]
        # Punctuation stays outside the check: "(th ực" and "ện," join on their letters.
        lead = re.match(r"^(.*?)([^\W\d_]*)$", prev)
        tail = re.match(r"^([^\W\d_]*)(.*)$", part)
        if lead and tail and lead.group(2) and tail.group(1):
            left, right = lead.group(2), tail.group(1)
            if _joinable(left, right, counts, pairs):
                out[-1] = prev + part
                continue
        out.append(part)
    return " ".join(out)


__all__ = ["is_syllable", "repair_split_syllables", "syllable_counts"]
