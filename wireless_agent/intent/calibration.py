"""Temperature scaling: one scalar that turns raw scores into calibrated probabilities."""

from __future__ import annotations

import math

import numpy as np


def nll(logits: np.ndarray, y: np.ndarray, temperature: float) -> float:
    """Mean negative log-likelihood of labels y in {0, 1} under sigmoid(logits / temperature)."""
    z = logits / temperature
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def softmax_nll(scores: np.ndarray, y: np.ndarray, temperature: float) -> float:
    """Mean negative log-likelihood of class ids y under softmax(scores / temperature)."""
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(z).sum(axis=1))
    return float(np.mean(log_norm - z[np.arange(len(y)), y]))


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax of scores / temperature."""
    z = scores / temperature
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def fit_temperature(logits: np.ndarray, y: np.ndarray, lo: float = 0.05, hi: float = 20.0,
                    loss=None) -> float:
    """Temperature in [lo, hi] minimising the NLL, by golden-section search on log T."""
    loss = nll if loss is None else loss
    # The NLL is unimodal in log T for a fixed ranking, so golden section is enough and exact.
    a, b = math.log(lo), math.log(hi)
    g = (math.sqrt(5.0) - 1.0) / 2.0
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = loss(logits, y, math.exp(c)), loss(logits, y, math.exp(d))
    for _ in range(60):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = loss(logits, y, math.exp(c))
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = loss(logits, y, math.exp(d))
    return math.exp((a + b) / 2.0)


def expected_calibration_error(probs: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """ECE: count-weighted mean |confidence - accuracy| over equal-width confidence bins."""
    probs = np.asarray(probs, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if probs.size == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, probs, side="right") - 1, 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            ece += m.sum() / probs.size * abs(probs[m].mean() - correct[m].mean())
    return float(ece)
