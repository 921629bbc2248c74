"""The gymnasium environment of online eMBB/URLLC network slicing."""

from __future__ import annotations

import heapq
import math
import string
from functools import lru_cache
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from env.arrivals import Arrival, get_arrivals
from env.metrics import SliceTally
from env.rates import get_rate_model
from env.scenarios import Scenario, ScenarioError, User, load_population, load_scenario
from env.slices import EMBB, URLLC

MAX_REQUEST_CHARS = 256
REQUEST_CHARSET = string.printable
_BW_MIN = np.array([0.0, EMBB.bw_min_mhz, URLLC.bw_min_mhz])
_BW_MAX = np.array([0.0, EMBB.bw_max_mhz, URLLC.bw_max_mhz])
_LIMITS = {s.index: (s.bw_min_mhz, s.bw_max_mhz, s.capacity_mhz) for s in (EMBB, URLLC)}
_EPS = 1e-6  # MHz; solvers and float sums land a hair above capacity
LABEL_INDEX = {"eMBB": 1, "URLLC": 2}
_SLICE_NAME = {1: EMBB.name, 2: URLLC.name}
_ALLOWED = frozenset(REQUEST_CHARSET)


@lru_cache(maxsize=8192)
def _clean_request(text: str) -> str:
    """The request as the observation space allows it (cached: episodes reuse requests)."""
    return "".join(ch if ch in _ALLOWED else " " for ch in text)[:MAX_REQUEST_CHARS]


def _scalar(value: Any) -> float:
    """The first element of a scalar or array-like (the action's bandwidth)."""
    if isinstance(value, np.ndarray):
        return float(value.flat[0]) if value.size else 0.0
    if isinstance(value, list | tuple):
        return float(value[0]) if value else 0.0
    return float(value)




class SlicingEnv(gym.Env):
    """Online admission and bandwidth allocation of users arriving at two hard slices.

    One user arrives per step with a free-text request, a position and a CQI. The agent
    classifies the request into a slice, admits or rejects the user with a bandwidth, and may
    re-allocate the users already admitted. The environment enforces the slice capacities and
    per-user bandwidth limits whatever the action says, and scores everything with
    `env.metrics`.

    ## Action Space

    `Dict`:

    | key          | space                      | meaning                                         |
    |--------------|----------------------------|-------------------------------------------------|
    | `intent`     | `Discrete(3)`              | classified slice: 0 none, 1 eMBB, 2 URLLC       |
    | `admit`      | `Discrete(2)`              | 1 admits the arriving user into `intent`        |
    | `bandwidth`  | `Box(0, 20, (1,))`         | MHz for the arriving user, clipped to its slice |
    | `reallocate` | `Box(-1, 20, (L,))`        | new MHz per user slot; < 0 keeps the slot as is |

    A re-allocation is applied only if it keeps every slice within capacity (values are clipped
    to the slice's per-user range first); otherwise it is refused whole. The arriving user is
    admitted only if its clipped bandwidth fits in what is left of its slice.

    ## Observation Space

    `Dict` (L = episode length, slot i = the i-th arrival):

    | key              | space                       | meaning                                    |
    |------------------|-----------------------------|--------------------------------------------|
    | `request`        | `Text(256)`                 | the arriving user's free-text request      |
    | `cqi`            | `Discrete(15, start=1)`     | the arriving user's CQI                    |
    | `position`       | `Box(-1e5, 1e5, (3,))`      | the arriving user's x, y, z in metres      |
    | `slice_used_mhz` | `Box(0, [90, 30], (2,))`    | MHz in use in eMBB and URLLC               |
    | `user_slice`     | `MultiDiscrete([3] * L)`    | slice of each slot: 0 none, 1 eMBB, 2 URLLC|
    | `user_bandwidth` | `Box(0, 20, (L,))`          | MHz of each slot                           |
    | `user_cqi`       | `MultiDiscrete([16] * L)`   | CQI of each slot that has arrived, else 0  |
    | `step`           | `Discrete(L + 1)`           | index of the arriving user                 |

    ## Rewards

    The change in total throughput in units of 100 Mbps, minus 1 for every user newly below its
    slice's minimum rate (and plus 1 for every one lifted above it).

    ## Episode End

    Terminates after L arrivals. Never truncates (wrap with `TimeLimit` if needed).

    ## Arguments

    | argument     | default    | meaning                                                   |
    |--------------|------------|-----------------------------------------------------------|
    | `scenario`   | `"center"` | center, north, south, `campus[:SEED]`, a CSV, a `Scenario` |
    | `users`      | `None`     | episode length L (paper: 30; CSV and dynamic: file rows)  |
    | `rate_model` | `"paper"`  | `paper` (10 B log10(1 + 10^(CQI/10))) or `3gpp` (38.214)  |
    | `mode`       | `"paper"`  | `paper`: file order, nobody leaves; `dynamic`: Poisson    |
    |              |            | arrivals, exponential holding, users drawn from the file  |

    `info` holds the metrics of `env.metrics.network_metrics` (kept incrementally, so a step
    costs the same at any L), plus `intent_correct` of this step, the arriving user's `uid`,
    `label`, and the outcome as of the admission: `admitted_now`, `reason`, `slice` (name or
    None), `bandwidth_mhz` and `rate_mbps`. In dynamic mode the users whose holding time ends
    before the next arrival leave after the decision (possibly the user just admitted); the
    metrics are after they left and `departed_now` counts them. `time_avg_throughput_mbps` is
    the throughput averaged over time from the first arrival to this one (before its
    decision, which holds from then on), and `peak_violations` the most users below their
    minimum rate after any step so far.
    """

    metadata = {"render_modes": ["ansi"]}

    def __init__(
        self,
        scenario: str | Scenario = "center",
        users: int | None = None,
        rate_model: str = "paper",
        mode: str = "paper",
        render_mode: str | None = None,
    ) -> None:
        if users is not None and users < 1:
            raise ScenarioError(f"users={users}: an episode needs at least 1 user; give users "
                                "of 1 or more (or None for the scenario's episode)")
        if isinstance(scenario, Scenario):
            self.scenario = scenario
        elif mode == "dynamic":  # users are drawn from everyone the place holds
            self.scenario = load_population(scenario)
        else:
            self.scenario = load_scenario(scenario, users)
        if users is not None and mode == "paper":
            if users > len(self.scenario):
                raise ScenarioError(f"scenario {self.scenario.name} has {len(self.scenario)} "
                                    f"users, fewer than the {users} asked for")
            self.scenario = self.scenario.head(users)
        self.rate_model = get_rate_model(rate_model)
        self.arrivals = get_arrivals(mode)
        self.mode = mode
        self.render_mode = render_mode
        length = len(self.scenario) if users is None else users
        if length < 1:
            raise ScenarioError(f"scenario {self.scenario.name} has no users; an episode needs "
                                "at least 1 (check the file's rows)")
        self.length = length
        self.action_space = spaces.Dict({
            "intent": spaces.Discrete(3),
            "admit": spaces.Discrete(2),
            "bandwidth": spaces.Box(0.0, 20.0, (1,), np.float64),
            "reallocate": spaces.Box(-1.0, 20.0, (length,), np.float64),
        })
        self.observation_space = spaces.Dict({
            "request": spaces.Text(MAX_REQUEST_CHARS, min_length=0, charset=REQUEST_CHARSET),
            "cqi": spaces.Discrete(15, start=1),
            "position": spaces.Box(-1e5, 1e5, (3,), np.float32),
            "slice_used_mhz": spaces.Box(
                np.zeros(2, np.float32),
                np.array([EMBB.capacity_mhz, URLLC.capacity_mhz], np.float32),
                dtype=np.float32,
            ),
            "user_slice": spaces.MultiDiscrete([3] * length),
            "user_bandwidth": spaces.Box(0.0, 20.0, (length,), np.float32),
            "user_cqi": spaces.MultiDiscrete([16] * length),
            "step": spaces.Discrete(length + 1),
        })
        self._reset_state([])

    # -- state ---------------------------------------------------------------------------

    def _reset_state(self, schedule: list[Arrival]) -> None:
        n = self.length
        self.schedule = schedule
        self.t = 0
        self.slice_of = np.zeros(n, dtype=np.int64)
        self.bandwidth = np.zeros(n, dtype=np.float64)
        self.per_mhz = np.zeros(n, dtype=np.float64)
        self.cqi = np.zeros(n, dtype=np.int64)
        self.departure = np.full(n, np.inf)
        self._bandwidth32 = np.zeros(n, dtype=np.float32)
        self._used32 = np.zeros(2, dtype=np.float32)  # slice_used_mhz, capped at capacity
        self._tally = SliceTally()
        self._leaving: list[tuple[float, int]] = []  # heap of (departure time, slot)
        self.admitted = self.rejected = self.departed = 0
        self.classified = self.correct = 0
        # Throughput integrated over time (dynamic mode's score): Mbps x s since the first
        # arrival, up to `_clock`; the most users below their minimum at any moment.
        self._start = self._clock = schedule[0].time if schedule else 0.0
        self._area = 0.0
        self.peak_violations = 0

    @property
    def current(self) -> Arrival | None:
        """The arrival waiting for a decision, or None when the episode is over."""
        return self.schedule[self.t] if self.t < len(self.schedule) else None

    @property
    def arriving(self) -> User:
        """The user waiting for a decision; RuntimeError when the episode is over."""
        now = self.current
        if now is None:
            raise RuntimeError("the episode is over; call reset()")
        return now.user

    def _obs(self) -> dict[str, Any]:
        t = self.t
        user = self.schedule[t].user if t < len(self.schedule) else None
        return {
            "request": _clean_request(user.request) if user else "",
            "cqi": user.cqi if user else 1,
            "position": np.array((user.x, user.y, user.z) if user else (0, 0, 0), np.float32),
            # Fresh copies (gymnasium: users keep what they are given); a memcpy each, the
            # only per-step cost that grows with the episode length.
            "slice_used_mhz": self._used32.copy(),
            "user_slice": self.slice_of.copy(),
            "user_bandwidth": self._bandwidth32.copy(),
            "user_cqi": self.cqi.copy(),
            "step": t,
        }

    def metrics(self) -> dict[str, float]:
        """The network's metrics now (`env.metrics.network_metrics`, kept incrementally)."""
        return self._tally.metrics(self.admitted, self.rejected, self.classified, self.correct)

    def _set(self, slot: int, s: int, bw: float) -> None:
        """Give `slot` slice `s` at `bw` MHz (s = 0: the slot holds nothing)."""
        old_s = int(self.slice_of[slot])
        per_mhz = float(self.per_mhz[slot])
        if old_s:
            self._tally.remove(old_s, float(self.bandwidth[slot]), per_mhz)
        if s:
            self._tally.add(s, bw, per_mhz)
        self.slice_of[slot] = s
        self.bandwidth[slot] = bw
        self._bandwidth32[slot] = bw
        for changed in {old_s, s} - {0}:
            self._used32[changed - 1] = min(self._tally.used[changed], _LIMITS[changed][2])

    def _advance(self, now: float) -> None:
        """Integrate the throughput held since the last event up to `now`."""
        rate = self._tally.rate
        self._area += (rate[1] + rate[2]) * (now - self._clock)
        self._clock = now

    def time_average_throughput(self) -> float:
        """Mbps averaged over time from the first arrival to the latest event integrated."""
        span = self._clock - self._start
        return self._area / span if span > 0 else 0.0

    def _depart_until(self, now: float) -> int:
        """Release every user whose holding time ended by `now`; how many left."""
        gone = 0
        while self._leaving and self._leaving[0][0] <= now:
            when, slot = heapq.heappop(self._leaving)
            self._advance(when)
            self._set(slot, 0, 0.0)
            gone += 1
        self.departed += gone
        return gone

    # -- gymnasium API -------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start a new episode; `seed` fixes the dynamic mode's arrivals."""
        super().reset(seed=seed)
        self._reset_state(self.arrivals.schedule(self.scenario, self.length, self.np_random))
        first = self.current
        if first is None:  # __init__ refuses empty episodes; an arrival model returned none
            raise ScenarioError(f"scenario {self.scenario.name}: the {self.mode} arrivals "
                                "scheduled no user; use another scenario or mode")
        info: dict[str, Any] = self.metrics()
        info.update(uid=first.user.uid, time=first.time)
        return self._obs(), info

    def step(self, action: dict[str, Any]) -> tuple[dict, float, bool, bool, dict[str, Any]]:
        """Apply one decision for the arriving user; see the class docstring."""
        i = self.t
        if i >= len(self.schedule):
            raise RuntimeError("the episode is over; call reset()")
        arrival = self.schedule[i]
        user = arrival.user
        tally = self._tally
        self._advance(arrival.time)
        time_avg = self.time_average_throughput()  # over [first arrival, this arrival]
        before_tp = tally.rate[1] + tally.rate[2]
        before_viol = tally.violations

        realloc = action.get("reallocate")
        realloc_refused = False
        if realloc is not None:
            realloc = np.asarray(realloc, dtype=np.float64)
            if realloc.size and realloc.max() >= 0:
                realloc_refused = not self._reallocate(realloc)

        intent = int(action.get("intent", 0))
        label_idx = LABEL_INDEX[user.label]
        intent_correct: bool | None = None
        if intent in (1, 2):
            self.classified += 1
            intent_correct = intent == label_idx
            self.correct += intent_correct

        per_mhz = float(self.rate_model.per_mhz_table[user.cqi])
        self.cqi[i] = user.cqi
        self.per_mhz[i] = per_mhz
        self.departure[i] = arrival.departure
        reason = ""
        admitted_now = False
        bw = 0.0
        if int(action.get("admit", 0)) == 1 and intent in (1, 2):
            bw = _scalar(action.get("bandwidth", 0.0))
            lo, hi, capacity = _LIMITS[intent]
            bw = min(max(bw, lo), hi)
            if tally.used[intent] + bw <= capacity + _EPS:
                self._set(i, intent, bw)
                self.admitted += 1
                admitted_now = True
                if arrival.departure < math.inf:
                    heapq.heappush(self._leaving, (arrival.departure, i))
            else:
                reason = "capacity"
        else:
            reason = "declined" if intent in (1, 2) else "unclassified"
        if not admitted_now:
            self.rejected += 1
            bw = 0.0

        self.t = i + 1
        nxt = self.schedule[i + 1] if i + 1 < len(self.schedule) else None
        # The user's allocation is reported as admitted; who leaves before the next arrival
        # (possibly this user) is applied after, and counted in `departed_now`.
        departed_now = self._depart_until(nxt.time) if nxt is not None else 0
        info: dict[str, Any] = tally.metrics(self.admitted, self.rejected, self.classified,
                                             self.correct)
        self.peak_violations = max(self.peak_violations, tally.violations)
        reward = ((info["throughput_mbps"] - before_tp) / 100.0
                  - (tally.violations - before_viol))
        info |= {
            "uid": user.uid, "label": user.label, "intent_correct": intent_correct,
            "admitted_now": admitted_now, "reason": reason, "realloc_refused": realloc_refused,
            "slice": _SLICE_NAME[intent] if admitted_now else None,
            "bandwidth_mhz": bw, "rate_mbps": bw * per_mhz, "departed_now": departed_now,
            "time_avg_throughput_mbps": time_avg, "peak_violations": self.peak_violations,
        }
        return self._obs(), reward, nxt is None, False, info

    def _reallocate(self, new_bw: np.ndarray) -> bool:
        """Apply per-slot bandwidths (clipped to slice limits) if every slice stays in capacity."""
        slots = np.flatnonzero(new_bw[: self.length] >= 0)
        slots = slots[self.slice_of[slots] > 0]
        if not slots.size:
            return True
        s = self.slice_of[slots]
        values = np.clip(new_bw[slots], _BW_MIN[s], _BW_MAX[s])
        delta = np.bincount(s, weights=values - self.bandwidth[slots], minlength=3)
        used = self._tally.used
        if (used[1] + delta[1] > _LIMITS[1][2] + _EPS
                or used[2] + delta[2] > _LIMITS[2][2] + _EPS):
            return False
        for slot, si, b in zip(slots.tolist(), s.tolist(), values.tolist(), strict=True):
            self._set(slot, si, b)
        return True

    def replace_arrival(self, user: User) -> None:
        """Make `user` the one arriving now (interactive use: a typed request, say)."""
        old = self.current
        if old is None:
            raise RuntimeError("the episode is over; call reset()")
        self.schedule[self.t] = Arrival(user, old.time, old.departure)

    def render(self) -> str | None:
        """A one-line text summary of the slices (render_mode 'ansi')."""
        m = self.metrics()
        return (f"step {self.t}/{self.length}  eMBB {m['embb_utilization']:.0%}  "
                f"URLLC {m['urllc_utilization']:.0%}  throughput {m['throughput_mbps']:.1f} Mbps  "
                f"admitted {m['admitted']}  rejected {m['rejected']}")
