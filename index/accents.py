"""Restore Vietnamese diacritics of a question typed without accents, from the corpus's own words.

"bao cao quy" is ambiguous syllable by syllable ("quy" is quy định, quý, quỹ...), but the corpus says
which accented bigrams exist: a Viterbi pass over the folded syllables picks the accented sequence
whose bigrams the documents use most. Syllables the corpus does not know are left as typed.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from index.normalize import fold, tokenize

_MAX_CANDIDATES = 6
_QUESTION_WORDS = Path(__file__).resolve().parent / "question_words.txt"
_QUESTION_WEIGHT = 5  # each bundled question phrase counts as this many corpus occurrences


class AccentRestorer:
    """Bigram model of accented syllables, keyed by their folded form."""

    def __init__(self, unigrams: Counter[str], bigrams: Counter[tuple[str, str]]) -> None:
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.total = sum(unigrams.values()) or 1
        by_fold: dict[str, list[str]] = defaultdict(list)
        for word, _ in unigrams.most_common():
            f = fold(word)
            if len(by_fold[f]) < _MAX_CANDIDATES:
                by_fold[f].append(word)
        self.by_fold = dict(by_fold)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> AccentRestorer:
        """Count accented syllables and syllable pairs of the corpus."""
        uni: Counter[str] = Counter()
        bi: Counter[tuple[str, str]] = Counter()
        for text in texts:
            toks = tokenize(text)
            uni.update(toks)
            bi.update(zip(toks, toks[1:], strict=False))
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
        return math.log(
            (pair + 0.01 * (self.unigrams.get(b, 0) + 0.1) / self.total) / (self.unigrams.get(a, 0) + 1)
        )

    def restore_tokens(self, tokens: list[str]) -> list[str]:
        """Most likely accented form of each token; tokens already accented or unknown stay."""
        if not tokens:
            return []
        options = [
            [t] if t != fold(t) or fold(t) not in self.by_fold else self.by_fold[fold(t)] for t in tokens
        ]
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
