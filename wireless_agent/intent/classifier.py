"""Offline intent classifier: eMBB, URLLC or unclear, with stated QoS figures read and weighed."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import numpy as np

from wireless_agent.intent.calibration import fit_temperature, softmax, softmax_nll
from wireless_agent.intent.corpus import SLICES, UNCLEAR, load_training
from wireless_agent.intent.features import TfidfFeatures
from wireless_agent.intent.qos import parse_requirements
from wireless_agent.intent.reading import Reading, read_request
from wireless_agent.intent.ridge import fit_ridge, grouped_cv_scores
from wireless_agent.intent.sparse import CsrMatrix
from wireless_agent.intent.text import tokens

# Chosen by grouped cross-validation on the corpus (accuracy, NLL after calibration), never on
# the paper or held-out sets.
_LAMBDA = 0.3
_FOLDS = 5
# Examples this similar (cosine of word features) are paraphrases of one another; they share a
# cross-validation fold so the temperature is fitted on genuinely unseen wording.
_PARAPHRASE_COS = 0.5
CLASSES = (*SLICES, UNCLEAR)  # score columns
# Concepts that mark a request as about something other than the network.
_OFF_TOPIC = frozenset({"weather", "joke", "cooking", "trivia"})
# Concepts that state a service need: a question naming one is about the network after all.
_QOS_CONCEPTS = frozenset({"latency", "lowlatency", "realtime", "instant", "reliable", "jitter",
                           "cycle", "nodelay", "tolerant", "besteffort", "critical"})
# Confidence when the figures decide: agreeing words, silent words, words that disagree.
# Held-out QoS requests are right at these levels (evals/intent_eval.py reports them).
_FIGURES_AGREE, _FIGURES_ALONE, _FIGURES_OVER_WORDS = 0.98, 0.93, 0.75
# Figures that point both ways leave the words to decide, at no more than this confidence.
_CONFLICT_CAP = 0.7
# A request with no known word, concept or figure is not a request we can read.
_GIBBERISH_CONFIDENCE = 0.97
# Known words, but every one of them negated: what the subscriber does want is unknown.
_ALL_NEGATED_CONFIDENCE = 0.6
# Below this, a request naming no application, device or need is asked about, not admitted.
_VAGUE_BELOW = 0.5
# A question about an off-topic matter (weather, trivia, recipes) that asks for no connection.
_OFF_TOPIC_QUESTION_CONFIDENCE = 0.9


@dataclass(frozen=True)
class IntentPrediction:
    """Predicted slice (or unclear) with calibrated confidence, application and QoS needs."""

    slice: str  # eMBB or URLLC: the better slice even when unclear
    confidence: float  # probability that this outcome (the slice, or unclear) is right
    application: str
    latency_ms: float
    min_rate_mbps: float
    unclear: bool = False
    requirements: dict | None = None  # figures stated in the request, their 5QI and slice
    reason: str = ""  # why unclear, or what decided when figures and words disagree

    @property
    def outcome(self) -> str:
        """'unclear' or the slice name."""
        return UNCLEAR if self.unclear else self.slice


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
        bias: np.ndarray,
        temperature: float,
        applications: list[_Application],
        known_words: frozenset[int],
    ) -> None:
        self.features = features
        self.weights = weights  # (dim, classes)
        self.bias = bias  # (classes,)
        self.temperature = temperature
        self._apps = applications
        self._known_words = known_words
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
        readings = [read_request(e["text"]) for e in examples]
        labels = np.array([CLASSES.index(e["slice"]) for e in examples])
        y = np.where(np.arange(len(CLASSES))[None, :] == labels[:, None], 1.0, -1.0)
        features = TfidfFeatures.fit(readings)
        x = features.matrix(readings)
        dual, inverse = fit_ridge(x.gram(), y, _LAMBDA)
        words = x.select_columns(features.n_char + features.n_concept, features.dim)
        groups = _paraphrase_groups(words)
        scores = grouped_cv_scores(y, dual, inverse, _folds(groups, seed))
        temperature = fit_temperature(scores, labels, loss=softmax_nll)
        in_domain = [i for i, e in enumerate(examples) if e["slice"] != UNCLEAR]
        # Words of slice requests (not of the unclear ones) count as "known" evidence.
        known = frozenset(
            int(j) for i in in_domain for j in x.indices[x.indptr[i] : x.indptr[i + 1]]
            if j >= features.n_char + features.n_concept
        )
        weights = np.stack([x.rmatvec(dual[:, k]) for k in range(len(CLASSES))], axis=1)
        apps = _applications([examples[i] for i in in_domain],
                             CsrMatrix.from_rows([_row(x, i) for i in in_domain], x.shape[1]))
        return cls(features, weights, dual.sum(axis=0), temperature, apps, known)

    @classmethod
    def default(cls) -> IntentClassifier:
        """The classifier trained on the shipped corpus, built once per process."""
        return _default_classifier()

    def _proba(self, idx: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """Calibrated probabilities over CLASSES for one sparse feature vector."""
        scores = vals @ self.weights[idx] + self.bias
        return softmax(scores, self.temperature)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Calibrated probabilities, shape (n, 3), columns [eMBB, URLLC, unclear], words only."""
        out = np.empty((len(texts), len(CLASSES)))
        for i, t in enumerate(texts):
            out[i] = self._proba(*self.features.sparse(read_request(t)))
        return out

    def _evidence(self, reading: Reading, idx: np.ndarray) -> int:
        """How many known words and in-domain concepts the request has."""
        words = sum(int(j) in self._known_words for j in idx.tolist())
        return words + self._concepts_in_domain(reading)

    @staticmethod
    def _concepts_in_domain(reading: Reading) -> int:
        """How many concepts of the request name an application, device or service need."""
        return sum(not c.startswith("not_") and c not in _OFF_TOPIC for c in reading.concepts)

    def _negated_evidence(self, reading: Reading) -> bool:
        """Whether the request names known things, all of them under a negation."""
        if any(c.startswith("not_") for c in reading.concepts):
            return True
        vocab = self.features.vocab
        return any(vocab.get(f"w:{w}", -1) in self._known_words
                   for w in tokens(reading.normalised))

    def predict(self, text: str) -> IntentPrediction:
        """Slice or unclear, calibrated confidence, nearest application and QoS for a request."""
        reading = read_request(text)
        idx, vals = self.features.sparse(reading)
        req = parse_requirements(reading.normalised, set(reading.concepts))
        p = self._proba(idx, vals) if idx.size else np.array([0.0, 0.0, 1.0])
        urllc = bool(p[1] > p[0])
        words_slice = SLICES[int(urllc)]
        unclear = bool(p[2] >= p[int(urllc)])
        confidence = float(p[2] if unclear else p[int(urllc)])
        reason = ""
        if req.slice is not None:
            # Stated figures outweigh loose words; disagreeing words lower the confidence.
            agree = not unclear and words_slice == req.slice
            confidence = (max(_FIGURES_AGREE, confidence) if agree
                          else _FIGURES_ALONE if unclear else _FIGURES_OVER_WORDS)
            reason = "figures" if agree or unclear else "figures over words"
            urllc, unclear = req.slice == "URLLC", False
        elif req.conflict:
            urllc, unclear = bool(p[1] > p[0]), False
            confidence = min(_CONFLICT_CAP, float(p[int(urllc)] / (p[0] + p[1])))
            reason = "figures conflict; words decide"
        elif self._evidence(reading, idx) == 0:
            unclear, confidence, reason = True, _GIBBERISH_CONFIDENCE, "no known words"
            if self._negated_evidence(reading):
                confidence, reason = _ALL_NEGATED_CONFIDENCE, "every need negated"
        elif (reading.question and not reading.need and reading.concepts & _OFF_TOPIC
              and not reading.concepts & _QOS_CONCEPTS and not req.stated):
            unclear, reason = True, "off-topic question"
            confidence = max(_OFF_TOPIC_QUESTION_CONFIDENCE, float(p[2]))
        elif unclear:
            reason = "off-topic or too vague"
        elif confidence < _VAGUE_BELOW and not self._concepts_in_domain(reading):
            unclear, reason = True, "too vague"
            confidence = 1.0 - confidence
        app, latency, rate = self._application(idx, vals, urllc)
        if req.any or req.stated:
            latency = req.tightest_ms() or latency
        return IntentPrediction(
            slice=SLICES[int(urllc)],
            confidence=confidence,
            application=app,
            latency_ms=latency,
            min_rate_mbps=rate,
            unclear=unclear,
            requirements=req.as_dict() if (req.any or req.stated) else None,
            reason=reason,
        )

    def _application(self, idx: np.ndarray, vals: np.ndarray, urllc: bool
                     ) -> tuple[str, float, float]:
        """Nearest application of the slice and its nearest member's latency and rate."""
        # Only applications of the predicted slice are candidates, so QoS never contradicts it.
        cos = self._centroids_t[idx].T @ vals if idx.size else np.zeros(len(self._apps))
        cos[self._app_urllc != urllc] = -np.inf
        app = self._apps[int(np.argmax(cos))]
        pos = np.searchsorted(app.columns, idx)
        hit = pos < len(app.columns)
        hit[hit] = app.columns[pos[hit]] == idx[hit]
        latency, rate = app.qos[int(np.argmax(app.members[:, pos[hit]] @ vals[hit]))]
        return app.name, latency, rate


def _row(x: CsrMatrix, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Row i of a CSR matrix as (indices, values)."""
    return x.indices[x.indptr[i] : x.indptr[i + 1]], x.data[x.indptr[i] : x.indptr[i + 1]]


_DEFAULT_LOCK = threading.Lock()


@functools.cache
def _trained_default() -> IntentClassifier:
    """Train on the shipped corpus (memoised)."""
    return IntentClassifier.train(load_training(), seed=0)


_INSTALLED: list[IntentClassifier] = []  # a default trained in another process, handed over


def _default_classifier() -> IntentClassifier:
    """Train once on the shipped corpus; later calls, from any thread, reuse the same object."""
    # The lock keeps parallel evaluation workers from each training their own copy.
    with _DEFAULT_LOCK:
        return _INSTALLED[0] if _INSTALLED else _trained_default()


def install_default(classifier: IntentClassifier) -> None:
    """Use `classifier`, the default trained by another process, instead of training again."""
    with _DEFAULT_LOCK:
        _INSTALLED[:] = [classifier]
