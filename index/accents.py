"""Restore Vietnamese diacritics of a question typed without accents, from the corpus's own words.

"bao cao quy" is ambiguous syllable by syllable ("quy" is quy định, quý, quỹ...), but the corpus says
which accented bigrams exist: a Viterbi pass over the folded syllables picks the accented sequence
whose bigrams the documents use most. Syllables the corpus does not know are left as typed.

The corpus counts (`AccentCounts`) are kept with the index and updated with the chunk set (the texts of
removed chunks are subtracted, new ones added), so the model is loaded, never recounted, at query time.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from index.normalize import fold, tokenize

_MAX_CANDIDATES = 6
_QUESTION_WORDS = Path(__file__).resolve().parent / "question_words.txt"
_QUESTION_WEIGHT = 5  # each bundled question phrase counts as this many corpus occurrences


@dataclass
class AccentCounts:
    """Accented syllables and syllable pairs counted over a set of texts (the chunks of an index)."""

    unigrams: Counter[str] = field(default_factory=Counter)
    bigrams: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, texts: Iterable[str], sign: int = 1) -> None:
        """Count `texts` in (sign 1) or out (sign -1, texts counted in before)."""
        uni: Counter[str] = Counter()
        bi: Counter[tuple[str, str]] = Counter()
        for text in texts:
            toks = tokenize(text)
            uni.update(toks)
            bi.update(zip(toks, toks[1:], strict=False))
        if sign > 0:
            self.unigrams.update(uni)
            self.bigrams.update(bi)
        else:
            self.unigrams.subtract(uni)
            self.bigrams.subtract(bi)
            if any(v < 0 for v in self.unigrams.values()) or any(v < 0 for v in self.bigrams.values()):
                raise ValueError("accent counts went negative: texts removed that were never added")
            self.unigrams = +self.unigrams  # drop the zeros: as if never counted
            self.bigrams = +self.bigrams

    def to_json(self) -> dict[str, dict[str, int]]:
        """Plain dict (pairs as "a b": syllables never hold spaces)."""
        return {
            "unigrams": dict(sorted(self.unigrams.items())),
            "bigrams": {f"{a} {b}": n for (a, b), n in sorted(self.bigrams.items())},
        }

    @classmethod
    def from_json(cls, d: dict[str, dict[str, int]]) -> AccentCounts:
        """Inverse of `to_json`."""
        bigrams: Counter[tuple[str, str]] = Counter()
        for pair, n in d["bigrams"].items():
            a, b = pair.split(" ")
            bigrams[(a, b)] = int(n)
        return cls(Counter({w: int(n) for w, n in d["unigrams"].items()}), bigrams)


class AccentRestorer:
    """Bigram model of accented syllables, keyed by their folded form."""

    def __init__(self, unigrams: Counter[str], bigrams: Counter[tuple[str, str]]) -> None:
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.total = sum(unigrams.values()) or 1
        by_fold: dict[str, list[str]] = defaultdict(list)
        # Most frequent first, ties by spelling: the same model whatever order the counts were made in.
        for word, _ in sorted(unigrams.items(), key=lambda kv: (-kv[1], kv[0])):
            f = fold(word)
            if len(by_fold[f]) < _MAX_CANDIDATES:
                by_fold[f].append(word)
        self.by_fold = dict(by_fold)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> AccentRestorer:
        """Count accented syllables and syllable pairs of the corpus."""
        counts = AccentCounts()
        counts.add(texts)
        return cls.from_counts(counts)

    @classmethod
    def from_counts(cls, counts: AccentCounts) -> AccentRestorer:
        """The model of corpus counts, plus the bundled question phrases (read now, so edits apply at once)."""
        uni = Counter(counts.unigrams)
        bi = Counter(counts.bigrams)
        for line in _QUESTION_WORDS.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                toks = tokenize(line)
                for _ in range(_QUESTION_WEIGHT):
                    uni.update(toks)
                    bi.update(zip(toks, toks[1:], strict=False))
        return cls(uni, bi)

    def _log_uni(self, w: str) -> float:
        return math.log((self.unigrams.get(w, 0) + 0.1) / self.total)

    def _log_bi(self, a: str, b: str) -> float:
        # Interpolated: a seen pair is worth far more than two frequent syllables side by side.
        pair = self.bigrams.get((a, b), 0)
        return math.log((pair + 0.01 * (self.unigrams.get(b, 0) + 0.1) / self.total) / (self.unigrams.get(a, 0) + 1))

    def restore_tokens(self, tokens: list[str]) -> list[str]:
        """Most likely accented form of each token; tokens already accented or unknown stay."""
        if not tokens:
            return []
        options = [[t] if t != fold(t) or fold(t) not in self.by_fold else self.by_fold[fold(t)] for t in tokens]
        best: list[dict[str, tuple[float, list[str]]]] = [{w: (self._log_uni(w), [w]) for w in options[0]}]
        for i in range(1, len(tokens)):
            layer: dict[str, tuple[float, list[str]]] = {}
            for w in options[i]:
                score, path = max(
                    ((s + self._log_bi(prev, w), p) for prev, (s, p) in best[-1].items()), key=lambda x: x[0]
                )
                layer[w] = (score, path + [w])
            best.append(layer)
        return max(best[-1].values(), key=lambda x: x[0])[1]

    def restore(self, text: str) -> str:
        """The text's syllables with diacritics restored where the text had none (lower case)."""
        if fold(text) != text.lower():  # typed with accents: trust the user
            return text
        return " ".join(self.restore_tokens(tokenize(text)))
