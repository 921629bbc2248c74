"""TF-IDF features: word uni/bigrams, character n-grams and lexicon concepts, in plain numpy."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from wireless_agent.intent.reading import Reading
from wireless_agent.intent.sparse import CsrMatrix
from wireless_agent.intent.text import tokens

# Character n-grams carry morphology and survive typos ("survelliance"); words carry meaning.
_CHAR_RANGE = (3, 5)
# Character n-grams of words seen so far are memoised per vocabulary, up to this many words.
_WORD_CACHE_LIMIT = 50_000


def _char_grams(word: str) -> list[str]:
    """Character n-grams of one word padded with spaces, prefixed by their block."""
    padded = f" {word} "
    lo, hi = _CHAR_RANGE
    return [f"c:{padded[i : i + n]}" for n in range(lo, hi + 1) for i in range(len(padded) - n + 1)]


def _word_grams(words: list[str]) -> list[str]:
    """Word unigrams and bigrams, prefixed by their block."""
    bigrams = [f"w:{a}_{b}" for a, b in zip(words, words[1:], strict=False)]
    return [f"w:{w}" for w in words] + bigrams


def _grams(reading: Reading) -> list[str]:
    """Every gram of a reading: char n-grams, words and bigrams, concepts, prefixed by block."""
    out: list[str] = []
    for seg in reading.segments:
        words = tokens(seg.text)
        out.extend(_word_grams(words))
        for w in words:
            out.extend(_char_grams(w))
        out.extend(f"k:{c}" for c in seg.concepts)
    return out


@dataclass
class TfidfFeatures:
    """A fitted vocabulary with inverse document frequencies; maps texts to unit vectors."""

    vocab: dict[str, int]
    idf: np.ndarray
    n_char: int  # the sorted vocabulary puts "c:" grams first, then "k:" concepts, then "w:"
    n_concept: int
    _word_cache: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def fit(cls, readings: list[Reading], min_df: int = 2) -> TfidfFeatures:
        """Learn the vocabulary (grams in at least `min_df` texts) and smoothed idf."""
        df: Counter[str] = Counter()
        for r in readings:
            df.update(set(_grams(r)))
        kept = sorted(g for g, c in df.items() if c >= min_df)
        n = len(readings)
        idf = np.array([math.log((1 + n) / (1 + df[g])) + 1.0 for g in kept], dtype=np.float64)
        n_char = sum(g.startswith("c:") for g in kept)
        n_concept = sum(g.startswith("k:") for g in kept)
        return cls(vocab={g: i for i, g in enumerate(kept)}, idf=idf, n_char=n_char,
                   n_concept=n_concept)

    @property
    def dim(self) -> int:
        """Number of features."""
        return len(self.vocab)

    def _segment(self, text: str, concepts: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Indices and block-normalised tf-idf values of one segment."""
        counts: Counter[int] = Counter()
        vocab = self.vocab
        words = tokens(text)
        for g in _word_grams(words):
            j = vocab.get(g)
            if j is not None:
                counts[j] += 1
        for w in words:
            counts.update(self._char_indices(w))
        for c in concepts:
            j = vocab.get(f"k:{c}")
            if j is not None:
                counts[j] += 1
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        # Sublinear tf: repeating a word should not keep multiplying its weight.
        vals = (1.0 + np.log(tf)) * self.idf[idx]
        return idx, self._normalise_blocks(idx, vals)

    def sparse(self, reading: Reading) -> tuple[np.ndarray, np.ndarray]:
        """Indices and values of a reading: its segments' vectors summed by weight, unit norm."""
        parts = [(self._segment(s.text, s.concepts), s.weight) for s in reading.segments]
        parts = [(p, w) for p, w in parts if p[0].size]
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        if len(parts) == 1:
            return parts[0][0]
        idx = np.concatenate([p[0] for p, _ in parts])
        vals = np.concatenate([p[1] * w for p, w in parts])
        uniq, inv = np.unique(idx, return_inverse=True)
        summed = np.bincount(inv, weights=vals)
        norm = float(np.linalg.norm(summed))
        return uniq, summed / norm if norm > 0 else summed

    def _char_indices(self, word: str) -> list[int]:
        """Vocabulary indices of a word's character n-grams, memoised (words recur a lot)."""
        hit = self._word_cache.get(word)
        if hit is None:
            vocab = self.vocab
            hit = [j for g in _char_grams(word) if (j := vocab.get(g)) is not None]
            # The bound keeps a long-running agent fed with odd tokens from growing without limit.
            if len(self._word_cache) < _WORD_CACHE_LIMIT:
                self._word_cache[word] = hit
        return hit

    def _normalise_blocks(self, idx: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """Each block (characters, concepts, words) to unit norm, then the whole to unit norm."""
        # Blocks weigh the same, so the far more numerous n-grams do not drown the words, and a
        # request in a language the corpus barely covers still speaks through its concepts.
        lo, hi = self.n_char, self.n_char + self.n_concept
        for mask in (idx < lo, (idx >= lo) & (idx < hi), idx >= hi):
            norm = float(np.linalg.norm(vals[mask]))
            if norm > 0:
                vals[mask] /= norm
        norm = float(np.linalg.norm(vals))
        return vals / norm if norm > 0 else vals

    def matrix(self, readings: list[Reading]) -> CsrMatrix:
        """Sparse row matrix (len(readings), dim) of feature vectors."""
        return CsrMatrix.from_rows([self.sparse(r) for r in readings], self.dim)
