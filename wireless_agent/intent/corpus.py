"""Loading the labelled intent corpus and the text normalisation used to compare sentences."""

from __future__ import annotations

import json
import re
from pathlib import Path

from memory_store import SEED_DIR
from wireless_agent.intent.text import normalise_text

SLICES = ("eMBB", "URLLC")
UNCLEAR = "unclear"
DEFAULT_CORPUS = SEED_DIR / "intents.jsonl"
# Requests in zh, es, de, fr, pt, ja, ar and hi, written for training (never the test sets).
MULTILINGUAL_CORPUS = SEED_DIR / "intents_multilingual.jsonl"
# Off-topic, vague and gibberish texts, labelled "unclear", in every supported language.
UNCLEAR_CORPUS = SEED_DIR / "unclear.jsonl"
_KEYS = ("text", "slice", "application", "latency_ms", "min_rate_mbps")


def normalise(text: str) -> str:
    """Lower case, punctuation dropped, whitespace collapsed, any script: the duplicate key."""
    return " ".join(re.sub(r"[^\w ]|_", "", normalise_text(text)).split())


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


def load_unclear(path: Path | None = None) -> list[dict]:
    """Texts labelled unclear (JSON lines with a "text" field)."""
    path = UNCLEAR_CORPUS if path is None else Path(path)
    with path.open(encoding="utf-8") as fh:
        return [{"text": json.loads(line)["text"], "slice": UNCLEAR} for line in fh
                if line.strip()]


def load_training() -> list[dict]:
    """Everything the shipped classifier trains on: English, multilingual and unclear texts."""
    return load_corpus() + load_corpus(MULTILINGUAL_CORPUS) + load_unclear()
