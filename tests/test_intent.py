"""Tests of the offline intent classifier, its corpus and the held-out set."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from env.scenarios import PAPER_SCENARIOS, load_population
from evals.intent_eval import intent_report, load_heldout, reliability
from wireless_agent.intent import IntentClassifier, IntentPrediction, load_corpus, normalise
from wireless_agent.intent.calibration import expected_calibration_error
from wireless_agent.intent.ridge import fit_ridge, grouped_cv_scores
from wireless_agent.intent.sparse import CsrMatrix

QOS_RANGES = {"eMBB": ((10, 100), (100, 400)), "URLLC": ((1, 10), (1, 100))}
# Words every request shares; a near-copy is judged on the rest.
_FILLER = frozenset(
    {"i", "want", "to", "need", "the", "a", "an", "my", "for", "of", "in", "on", "with", "we"}
    | {"must", "and", "be", "can", "is", "it"}
)


def _paper_sentences() -> set[str]:
    """Every distinct request sentence of the paper's three scenario files."""
    return {u.request for name in PAPER_SCENARIOS for u in load_population(name).users}


def _keys(text: str) -> set[str]:
    """Both readings of the normalisation: other characters dropped, or turned into spaces."""
    spaced = " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())
    return {normalise(text), spaced}


def _content(text: str) -> set[str]:
    """Content words of a text."""
    return set(re.findall(r"[a-z0-9]+", text.lower())) - _FILLER


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return load_corpus()


@pytest.fixture(scope="module")
def heldout() -> list[dict]:
    return load_heldout()


@pytest.fixture(scope="module")
def report() -> dict:
    return intent_report()


def test_corpus_is_large_balanced_and_consistent(corpus: list[dict]) -> None:
    assert len(corpus) >= 600
    counts = {s: sum(e["slice"] == s for e in corpus) for s in QOS_RANGES}
    assert min(counts.values()) >= 0.4 * len(corpus)
    apps: dict[str, str] = {}
    for e in corpus:
        (lat_lo, lat_hi), (rate_lo, rate_hi) = QOS_RANGES[e["slice"]]
        assert lat_lo <= e["latency_ms"] <= lat_hi, e
        assert rate_lo <= e["min_rate_mbps"] <= rate_hi, e
        assert re.fullmatch(r"[a-z][a-z0-9_]*", e["application"]), e
        # An application belongs to exactly one slice.
        assert apps.setdefault(e["application"], e["slice"]) == e["slice"], e
    assert len(apps) >= 20
    assert len({normalise(e["text"]) for e in corpus}) == len(corpus)


def test_heldout_is_large_and_disjoint_from_corpus(corpus: list[dict], heldout: list[dict]) -> None:
    assert len(heldout) >= 150
    assert {r["slice"] for r in heldout} == {"eMBB", "URLLC"}
    corpus_keys = set().union(*(_keys(e["text"]) for e in corpus))
    for r in heldout:
        assert not _keys(r["text"]) & corpus_keys, r["text"]


def test_no_paper_sentence_in_corpus_or_heldout(corpus: list[dict], heldout: list[dict]) -> None:
    paper = _paper_sentences()
    assert len(paper) > 40
    paper_keys = set().union(*(_keys(t) for t in paper))
    ours = [e["text"] for e in corpus] + [r["text"] for r in heldout]
    for text in ours:
        assert not _keys(text) & paper_keys, text
    # Near-copies (a word or two changed) are excluded too: content-word overlap stays low.
    for p in paper:
        pc = _content(p)
        for text in ours:
            tc = _content(text)
            assert len(pc & tc) / len(pc | tc) < 0.6, (p, text)


def test_training_is_deterministic(corpus: list[dict]) -> None:
    a = IntentClassifier.train(corpus, seed=0)
    b = IntentClassifier.default()  # trained separately on the same corpus and seed
    assert np.array_equal(a.weights, b.weights)
    assert a.temperature == b.temperature
    texts = ["I want to watch 4K video", "robot arm control on the line", ""]
    assert np.array_equal(a.predict_proba(texts), b.predict_proba(texts))
    assert [a.predict(t) for t in texts] == [b.predict(t) for t in texts]
    assert IntentClassifier.default() is IntentClassifier.default()


def test_predictions_are_well_formed() -> None:
    clf = IntentClassifier.default()
    texts = ["stream an 8k film tonight", "trip the breakers at the substation now", "", "zzz"]
    proba = clf.predict_proba(texts)
    assert proba.shape == (4, 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    for text, row in zip(texts, proba, strict=True):
        pred = clf.predict(text)
        assert isinstance(pred, IntentPrediction)
        assert pred.slice == ("URLLC" if row[1] >= 0.5 else "eMBB")
        assert 0.5 <= pred.confidence <= 1.0
        assert pred.confidence == pytest.approx(row.max())
    assert clf.predict_proba([]).shape == (0, 2)


def test_application_and_qos_follow_the_slice(heldout: list[dict]) -> None:
    clf = IntentClassifier.default()
    for r in heldout:
        pred = clf.predict(r["text"])
        (lat_lo, lat_hi), (rate_lo, rate_hi) = QOS_RANGES[pred.slice]
        assert lat_lo <= pred.latency_ms <= lat_hi
        assert rate_lo <= pred.min_rate_mbps <= rate_hi
    assert clf.predict("please let me do a remote surgery on a patient").application == (
        "remote_surgery"
    )
    assert clf.predict("I'd like to binge a show in ultra HD").application == "video_streaming"


def test_accuracy_floors(report: dict) -> None:
    sets = report["sets"]
    assert {"center[:30]", "north[:30]", "south[:30]", "center[all 200]", "heldout"} <= set(sets)
    for name, s in sets.items():
        assert s["accuracy"] >= 0.9, (name, s["accuracy"], s["errors"])


def test_heldout_calibration(report: dict) -> None:
    # Measured ECE 0.012 on the held-out set; the bound leaves room for corpus edits.
    assert report["ece"] < 0.05
    assert sum(row["count"] for row in report["reliability"]) == report["sets"]["heldout"]["n"]
    assert 0.05 < report["temperature"] < 20.0


def test_sparse_gram_and_grouped_cv_are_exact() -> None:
    rng = np.random.default_rng(1)
    dense = rng.random((12, 30)) * (rng.random((12, 30)) < 0.2)
    rows = [(np.flatnonzero(r), r[np.flatnonzero(r)]) for r in dense]
    x = CsrMatrix.from_rows(rows, 30)
    assert np.allclose(x.gram(), dense @ dense.T)
    assert np.allclose(x.rmatvec(np.arange(12.0)), dense.T @ np.arange(12.0))
    y = np.where(rng.random(12) < 0.5, -1.0, 1.0)
    fold = np.arange(12) % 3
    dual, inverse = fit_ridge(dense @ dense.T, y, lam=0.5)
    scores = grouped_cv_scores(y, dual, inverse, fold)
    k = dense @ dense.T + 1.0
    for f in range(3):
        train, test = fold != f, fold == f
        refit, _ = fit_ridge(k[np.ix_(train, train)] - 1.0, y[train], lam=0.5)
        assert np.allclose(scores[test], k[np.ix_(test, train)] @ refit)


def test_reliability_and_ece_arithmetic() -> None:
    probs = np.array([0.55, 0.58, 0.95, 0.99, 1.0])
    correct = np.array([1, 0, 1, 1, 0])
    table = reliability(probs, correct, bins=10)
    assert [(r["lo"], r["count"]) for r in table] == [(0.5, 2), (0.9, 3)]
    assert table[0]["accuracy"] == 0.5
    assert table[1]["confidence"] == pytest.approx((0.95 + 0.99 + 1.0) / 3)
    expected = 2 / 5 * abs(0.565 - 0.5) + 3 / 5 * abs((0.95 + 0.99 + 1.0) / 3 - 2 / 3)
    assert expected_calibration_error(probs, correct, 10) == pytest.approx(expected)


def test_train_on_custom_examples_and_load_errors(tmp_path: Path) -> None:
    rows = [
        {
            "text": f"{verb} {obj}",
            "slice": sl,
            "application": app,
            "latency_ms": lat,
            "min_rate_mbps": rate,
        }
        for verb in ("watch", "stream", "enjoy", "see", "play")
        for obj, sl, app, lat, rate in (
            ("a movie in 4k", "eMBB", "video", 50, 150),
            ("the match in hd", "eMBB", "sports", 40, 150),
        )
    ] + [
        {
            "text": f"{verb} {obj}",
            "slice": "URLLC",
            "application": app,
            "latency_ms": 2,
            "min_rate_mbps": 10,
        }
        for verb in ("control", "steer", "drive", "operate", "command")
        for obj, app in (("the robot arm", "robot"), ("the surgical tool", "surgery"))
    ]
    path = tmp_path / "mini.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    clf = IntentClassifier.train(load_corpus(path), seed=3)
    assert clf.predict("watch a movie in 4k please").slice == "eMBB"
    assert clf.predict("control the robot arm now").application == "robot"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "x", "slice": "mMTC"}) + "\n")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        load_corpus(bad)
