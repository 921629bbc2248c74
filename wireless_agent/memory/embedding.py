"""Offline, deterministic text embedding (feature hashing) registered with Chroma."""

from __future__ import annotations

import re
import zlib
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

_WORD = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens of a text."""
    return _WORD.findall(text.lower())


def hashed_features(text: str, dim: int) -> np.ndarray:
    """L2-normalised hashed bag of words, word bigrams and character trigrams."""
    vec = np.zeros(dim, dtype=np.float32)
    words = tokens(text)
    grams = words + [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)]
    for w in words:
        padded = f" {w} "
        grams.extend(padded[i : i + 3] for i in range(len(padded) - 2))
    for g in grams:
        h = zlib.crc32(g.encode())
        # The sign bit keeps hash collisions from only ever adding up.
        vec[h % dim] += 1.0 if (h >> 31) & 1 else -1.0
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm else vec


@register_embedding_function
class HashingEmbedding(EmbeddingFunction[Documents]):
    """Chroma embedding function that needs no model download: hashed n-gram features."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def __call__(self, input: Documents) -> Embeddings:
        return [hashed_features(t, self.dim) for t in input]

    @staticmethod
    def name() -> str:
        return "wireless_agent_hashing"

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashingEmbedding:
        return HashingEmbedding(dim=int(config.get("dim", 256)))

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine", "l2", "ip"]
