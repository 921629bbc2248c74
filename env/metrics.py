"""The one metrics module: every method is scored by these functions on environment state."""

from __future__ import annotations

import numpy as np

from env.slices import EMBB, TOTAL_MHZ, URLLC

# Lookup tables indexed by slice index (0 = none, 1 = eMBB, 2 = URLLC).
RATE_MIN = np.array([0.0, EMBB.rate_min_mbps, URLLC.rate_min_mbps])
CAPACITY = np.array([1.0, EMBB.capacity_mhz, URLLC.capacity_mhz])
# Rates within this tolerance of the minimum are not violations (float round-off of solvers).
RATE_TOL = 1e-6

def network_metrics(
    slice_of: np.ndarray,
    bandwidth: np.ndarray,
    per_mhz: np.ndarray,
    admitted: int,
    rejected: int,
    classified: int,
    correct: int,
) -> dict[str, float]:
    """Throughput, utilisation, counts and intent accuracy of the network as it is now."""
    rates = bandwidth * per_mhz
    used = slice_used(slice_of, bandwidth)
    violations = int(np.count_nonzero((slice_of > 0) & (rates < RATE_MIN[slice_of] - RATE_TOL)))
    return {
        "throughput_mbps": float(rates.sum()),
        "bandwidth_utilization": float(used[1] + used[2]) / TOTAL_MHZ,
        "embb_utilization": float(used[1]) / EMBB.capacity_mhz,
        "urllc_utilization": float(used[2]) / URLLC.capacity_mhz,
        "admitted": admitted,
        "rejected": rejected,
        "active": int(np.count_nonzero(slice_of)),
        "min_rate_violations": violations,
        "intent_accuracy": correct / classified if classified else float("nan"),
    }


def slice_used(slice_of: np.ndarray, bandwidth: np.ndarray) -> np.ndarray:
    """MHz in use per slice index (array of 3, index 0 unused)."""
    return np.bincount(slice_of, weights=bandwidth, minlength=3)

