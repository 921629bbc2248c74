"""Next-position prediction from a trajectory: a constant-velocity Kalman filter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class KalmanConfig:
    """Noise model of the filter, chosen from the physics, not fitted to any benchmark.

    Pedestrians and slow vehicles on a campus change speed by well under 1 m/s per step, and
    positions that come from a ray-tracing grid are reported to the centimetre, so the filter
    trusts the measurements and lets the velocity follow the latest steps.
    """

    dt_s: float = 1.0
    accel_std: float = 0.5  # m/s^2, white-acceleration process noise
    meas_std: float = 0.05  # m, position measurement noise
    init_vel_std: float = 10.0  # m/s, prior on the first velocity


def _matrices(cfg: KalmanConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    dt = cfg.dt_s
    f = np.eye(4)
    f[0, 2] = f[1, 3] = dt
    h = np.zeros((2, 4))
    h[0, 0] = h[1, 1] = 1.0
    # Discrete white-noise acceleration, per axis [[dt^4/4, dt^3/2], [dt^3/2, dt^2]].
    g = np.array([[dt * dt / 2, 0.0], [0.0, dt * dt / 2], [dt, 0.0], [0.0, dt]])
    q = g @ g.T * cfg.accel_std**2
    r = np.eye(2) * cfg.meas_std**2
    return f, h, q, r


def predict_next_position(
    track: Sequence[tuple[float, float]], cfg: KalmanConfig | None = None
) -> tuple[float, float]:
    """Filter the observed positions (oldest first) and predict the position one step ahead."""
    cfg = cfg or KalmanConfig()
    z = np.asarray(track, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] != 2 or len(z) == 0:
        raise ValueError("a trajectory is a non-empty list of (x, y) positions")
    if len(z) == 1:
        return float(z[0, 0]), float(z[0, 1])
    f, h, q, r = _matrices(cfg)
    x = np.array([z[0, 0], z[0, 1], 0.0, 0.0])
    p = np.diag([cfg.meas_std**2, cfg.meas_std**2, cfg.init_vel_std**2, cfg.init_vel_std**2])
    for meas in z[1:]:
        x = f @ x
        p = f @ p @ f.T + q
        s = h @ p @ h.T + r
        k = p @ h.T @ np.linalg.inv(s)
        x = x + k @ (meas - h @ x)
        p = (np.eye(4) - k @ h) @ p
    nxt = f @ x
    return float(nxt[0]), float(nxt[1])
