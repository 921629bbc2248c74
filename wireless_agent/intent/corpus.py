"""Loading the labelled intent corpus and the text normalisation used to compare sentences."""

from __future__ import annotations

import json
import re
from pathlib import Path

from memory_store import SEED_DIR

SLICES = ("eMBB", "URLLC")
DEFAULT_CORPUS = SEED_DIR / "intents.jsonl"
_KEYS = ("text", "slice", "application", "latency_ms", "min_rate_mbps")


def normalise(text: str) -> str:
    """Lower case, only [a-z0-9 ] kept, whitespace collapsed: the key for duplicate checks."""
    return " ".join(re.sub(r"[^a-z0-9 ]", "", text.lower()).split())


def load_corpus(path: Path | None = None) -> list[dict]:
    """Labelled examples from a JSON-lines file (default: memory_store/intents.jsonl)."""
    path = DEFAULT_CORPUS if path is None else Path(path)
    rows: list[dict] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            missing = [k for k in _KEYS if k not in row]
            if missing or row["slice"] not in SLICES:
                raise ValueError(f"{path}:{n}: bad intent example (missing {missing})")
            rows.append(row)
    return rows
