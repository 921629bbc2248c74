"""Intent-classifier evaluation: accuracy on the paper scenarios and held-out set, calibration."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from env.scenarios import PAPER_SCENARIOS, PAPER_USERS, load_population
from wireless_agent.intent import IntentClassifier
from wireless_agent.intent.calibration import expected_calibration_error

HELDOUT = Path(__file__).parent / "data" / "heldout_requests.jsonl"
BINS = 10


def load_heldout(path: Path = HELDOUT) -> list[dict]:
    """Held-out requests ({"text", "slice"}) never used for training."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def paper_sets() -> dict[str, tuple[list[str], list[str]]]:
    """Texts and labels of the paper's scenario sets, named as reported."""
    full = {name: load_population(name) for name in PAPER_SCENARIOS}
    sets = {f"{name}[:{PAPER_USERS}]": s.head(PAPER_USERS) for name, s in full.items()}
    sets[f"center[all {len(full['center'])}]"] = full["center"]
    return {k: ([u.request for u in s.users], [u.label for u in s.users]) for k, s in sets.items()}


def reliability(probs: np.ndarray, correct: np.ndarray, bins: int = BINS) -> list[dict]:
    """Per confidence bin: bin edges, count, mean confidence and accuracy (empty bins omitted)."""
    probs = np.asarray(probs, dtype=float)
    correct = np.asarray(correct, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, probs, side="right") - 1, 0, bins - 1)
    table = []
    for b in range(bins):
        m = which == b
        if m.any():
            table.append(
                {
                    "lo": float(edges[b]),
                    "hi": float(edges[b + 1]),
                    "count": int(m.sum()),
                    "confidence": float(probs[m].mean()),
                    "accuracy": float(correct[m].mean()),
                }
            )
    return table


def _score(clf: IntentClassifier, texts: list[str], labels: list[str]) -> dict:
    """Accuracy, per-text confidence and correctness, and the misclassified texts."""
    proba = clf.predict_proba(texts)
    pred = np.where(proba[:, 1] >= 0.5, "URLLC", "eMBB")
    correct = pred == np.array(labels)
    conf = proba.max(axis=1)
    return {
        "n": len(texts),
        "accuracy": float(correct.mean()) if texts else 0.0,
        "confidence": conf,
        "correct": correct,
        "errors": [
            {"text": t, "label": lab, "confidence": float(c)}
            for t, lab, c, ok in zip(texts, labels, conf, correct, strict=True)
            if not ok
        ],
    }


def intent_report(clf: IntentClassifier | None = None) -> dict:
    """Accuracy per set, and reliability table plus ECE on the held-out set."""
    clf = IntentClassifier.default() if clf is None else clf
    sets = paper_sets()
    heldout = load_heldout()
    sets["heldout"] = ([r["text"] for r in heldout], [r["slice"] for r in heldout])
    report: dict = {"sets": {}}
    for name, (texts, labels) in sets.items():
        s = _score(clf, texts, labels)
        report["sets"][name] = {"n": s["n"], "accuracy": s["accuracy"], "errors": s["errors"]}
        if name == "heldout":
            report["reliability"] = reliability(s["confidence"], s["correct"])
            report["ece"] = expected_calibration_error(s["confidence"], s["correct"], BINS)
    report["temperature"] = clf.temperature
    return report


def main() -> None:
    """Print the report as plain tables."""
    from rich.console import Console
    from rich.table import Table

    report = intent_report()
    # Set names hold brackets, which rich would otherwise parse as markup.
    console = Console(markup=False, width=120)
    acc = Table(title="Intent accuracy")
    for col in ("set", "n", "accuracy", "errors"):
        acc.add_column(col)
    for name, s in report["sets"].items():
        acc.add_row(name, str(s["n"]), f"{s['accuracy']:.3f}", str(len(s["errors"])))
    console.print(acc)
    rel = Table(
        title=f"Held-out reliability (ECE {report['ece']:.3f}, T {report['temperature']:.3f})"
    )
    for col in ("bin", "count", "mean confidence", "accuracy"):
        rel.add_column(col)
    for row in report["reliability"]:
        rel.add_row(
            f"{row['lo']:.1f}-{row['hi']:.1f}",
            str(row["count"]),
            f"{row['confidence']:.3f}",
            f"{row['accuracy']:.3f}",
        )
    console.print(rel)
    for name, s in report["sets"].items():
        for e in s["errors"]:
            console.print(
                f"[{name}] wrong (conf {e['confidence']:.2f}, truth {e['label']}): {e['text']}"
            )


if __name__ == "__main__":
    main()
