"""The one metrics module: every method is scored by these functions on environment state."""

from __future__ import annotations

import numpy as np

from env.slices import EMBB, TOTAL_MHZ, URLLC

# Lookup tables indexed by slice index (0 = none, 1 = eMBB, 2 = URLLC).
RATE_MIN = np.array([0.0, EMBB.rate_min_mbps, URLLC.rate_min_mbps])
CAPACITY = np.array([1.0, EMBB.capacity_mhz, URLLC.capacity_mhz])
# Rates within this tolerance of the minimum are not violations (float round-off of solvers).
RATE_TOL = 1e-6
_RATE_FLOOR = [float(r) - RATE_TOL for r in RATE_MIN]


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



class SliceTally:
    """Per-slice MHz, rate, users and violations kept one user at a time (O(1) per change).

    The environment scores with this so a step costs the same at any episode length; it
    returns exactly the keys of `network_metrics`, which stays the reference it is tested
    against.
    """

    __slots__ = ("rate", "used", "users", "violations")

    def __init__(self) -> None:
        self.used = [0.0, 0.0, 0.0]
        self.rate = [0.0, 0.0, 0.0]
        self.users = [0, 0, 0]
        self.violations = 0

    def add(self, s: int, bw: float, per_mhz: float) -> None:
        """A user of slice `s` now holds `bw` MHz at `per_mhz` Mbps per MHz."""
        rate = bw * per_mhz
        self.used[s] += bw
        self.rate[s] += rate
        self.users[s] += 1
        self.violations += rate < _RATE_FLOOR[s]

    def remove(self, s: int, bw: float, per_mhz: float) -> None:
        """A user of slice `s` holding `bw` MHz leaves."""
        rate = bw * per_mhz
        self.users[s] -= 1
        self.violations -= rate < _RATE_FLOOR[s]
        if self.users[s] == 0:  # an empty slice is exactly empty: no round-off carried on
            self.used[s] = self.rate[s] = 0.0
        else:
            self.used[s] -= bw
            self.rate[s] -= rate

    def metrics(self, admitted: int, rejected: int, classified: int,
                correct: int) -> dict[str, float]:
        """The same dict as `network_metrics`, from the running sums."""
        used, users = self.used, self.users
        return {
            "throughput_mbps": self.rate[1] + self.rate[2],
            "bandwidth_utilization": (used[1] + used[2]) / TOTAL_MHZ,
            "embb_utilization": used[1] / EMBB.capacity_mhz,
            "urllc_utilization": used[2] / URLLC.capacity_mhz,
            "admitted": admitted,
            "rejected": rejected,
            "active": users[1] + users[2],
            "min_rate_violations": self.violations,
            "intent_accuracy": correct / classified if classified else float("nan"),
        }
