"""Offline eMBB/URLLC intent classifier: TF-IDF, kernel ridge, temperature scaling."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import numpy as np

from wireless_agent.intent.calibration import fit_temperature
from wireless_agent.intent.corpus import SLICES, load_corpus
from wireless_agent.intent.features import TfidfFeatures
from wireless_agent.intent.ridge import fit_ridge, grouped_cv_scores
from wireless_agent.intent.sparse import CsrMatrix

# Chosen by grouped cross-validation on the corpus (accuracy, NLL after calibration), never on
# the paper or held-out sets.
_LAMBDA = 0.3
_FOLDS = 5
# Examples this similar (cosine of word features) are paraphrases of one another; they share a
# cross-validation fold so the temperature is fitted on genuinely unseen wording.
_PARAPHRASE_COS = 0.5


@dataclass(frozen=True)
class IntentPrediction:
    """Predicted slice with its calibrated confidence and the nearest application's QoS needs."""

    slice: str
    confidence: float
    application: str
    latency_ms: float
    min_rate_mbps: float


@dataclass(frozen=True)
class _Application:
    """One application category: its slice, centroid and member examples for QoS lookup."""

    name: str
    urllc: bool
    columns: np.ndarray  # sorted feature ids any member uses
    members: np.ndarray  # (members, len(columns)) dense block of member features
    qos: list[tuple[float, float]]  # (latency_ms, min_rate_mbps) per member


def _paraphrase_groups(words: CsrMatrix) -> np.ndarray:
    """Group id per row: connected components of the 'is a paraphrase of' graph."""
    n = words.shape[0]
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows, cols = np.nonzero(np.triu(words.gram(), 1) > _PARAPHRASE_COS)
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        parent[find(i)] = find(j)
    return np.array([find(i) for i in range(n)])


def _folds(groups: np.ndarray, seed: int) -> np.ndarray:
    """Fold id per row; whole paraphrase groups are dealt round-robin in a seeded order."""
    unique = np.unique(groups)
    order = np.random.default_rng(seed).permutation(len(unique))
    fold_of_group = np.empty(len(unique), dtype=np.int64)
    fold_of_group[order] = np.arange(len(unique)) % _FOLDS
    return fold_of_group[np.searchsorted(unique, groups)]


def _applications(examples: list[dict], x: CsrMatrix) -> list[_Application]:
    """Per application: centroid direction and a compact dense block of its members."""
    apps = []
    for name in sorted({e["application"] for e in examples}):
        rows = [i for i, e in enumerate(examples) if e["application"] == name]
        parts = [
            (x.indices[x.indptr[i] : x.indptr[i + 1]], x.data[x.indptr[i] : x.indptr[i + 1]])
            for i in rows
        ]
        columns = np.unique(np.concatenate([c for c, _ in parts]))
        members = np.zeros((len(rows), len(columns)))
        for r, (c, v) in enumerate(parts):
            members[r, np.searchsorted(columns, c)] = v
        apps.append(
            _Application(
                name=name,
                urllc=examples[rows[0]]["slice"] == "URLLC",
                columns=columns,
                members=members,
                qos=[
                    (float(examples[i]["latency_ms"]), float(examples[i]["min_rate_mbps"]))
                    for i in rows
                ],
            )
        )
    return apps


class IntentClassifier:
    """Deterministic text-to-slice classifier with calibrated probabilities and QoS lookup."""

    def __init__(
        self,
        features: TfidfFeatures,
        weights: np.ndarray,
        bias: float,
        temperature: float,
        applications: list[_Application],
    ) -> None:
        self.features = features
        self.weights = weights
        self.bias = bias
        self.temperature = temperature
        self._apps = applications
        # Unit centroids, feature-major so a request's few features gather as one row slice.
        centroids = np.zeros((features.dim, len(applications)))
        for k, app in enumerate(applications):
            mean = app.members.mean(axis=0)
            centroids[app.columns, k] = mean / (np.linalg.norm(mean) or 1.0)
        self._centroids_t = centroids
        self._app_urllc = np.array([a.urllc for a in applications])

    @classmethod
    def train(cls, examples: list[dict], seed: int = 0) -> IntentClassifier:
        """Fit features, ridge weights and a cross-validated temperature on the examples."""
        texts = [e["text"] for e in examples]
        y = np.array([1.0 if e["slice"] == "URLLC" else -1.0 for e in examples])
        features = TfidfFeatures.fit(texts)
        x = features.matrix(texts)
        dual, inverse = fit_ridge(x.gram(), y, _LAMBDA)
        groups = _paraphrase_groups(x.select_columns(features.n_char, features.dim))
        scores = grouped_cv_scores(y, dual, inverse, _folds(groups, seed))
        temperature = fit_temperature(scores, (y > 0).astype(np.float64))
        return cls(
            features, x.rmatvec(dual), float(dual.sum()), temperature, _applications(examples, x)
        )

    @classmethod
    def default(cls) -> IntentClassifier:
        """The classifier trained on memory_store/intents.jsonl, built once per process."""
        return _default_classifier()

    def _p_urllc(self, idx: np.ndarray, vals: np.ndarray) -> float:
        """Calibrated probability of URLLC for one sparse feature vector."""
        z = (float(self.weights[idx] @ vals) + self.bias) / self.temperature
        return float(np.exp(-np.logaddexp(0.0, -z)))

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Calibrated probabilities, shape (n, 2), columns [eMBB, URLLC]."""
        out = np.empty((len(texts), 2))
        for i, t in enumerate(texts):
            p = self._p_urllc(*self.features.sparse(t))
            out[i] = (1.0 - p, p)
        return out

    def predict(self, text: str) -> IntentPrediction:
        """Slice, calibrated confidence, nearest application and its typical QoS for a request."""
        idx, vals = self.features.sparse(text)
        p = self._p_urllc(idx, vals)
        urllc = p >= 0.5
        # Only applications of the predicted slice are candidates, so QoS never contradicts it.
        cos = self._centroids_t[idx].T @ vals
        cos[self._app_urllc != urllc] = -np.inf
        app = self._apps[int(np.argmax(cos))]
        pos = np.searchsorted(app.columns, idx)
        hit = pos < len(app.columns)
        hit[hit] = app.columns[pos[hit]] == idx[hit]
        latency, rate = app.qos[int(np.argmax(app.members[:, pos[hit]] @ vals[hit]))]
        return IntentPrediction(
            slice=SLICES[int(urllc)],
            confidence=float(p if urllc else 1.0 - p),
            application=app.name,
            latency_ms=latency,
            min_rate_mbps=rate,
        )


_DEFAULT_LOCK = threading.Lock()


@functools.cache
def _trained_default() -> IntentClassifier:
    """Train on the shipped corpus (memoised)."""
    return IntentClassifier.train(load_corpus(), seed=0)


def _default_classifier() -> IntentClassifier:
    """Train once on the shipped corpus; later calls, from any thread, reuse the same object."""
    # The lock keeps parallel evaluation workers from each training their own copy.
    with _DEFAULT_LOCK:
        return _trained_default()
