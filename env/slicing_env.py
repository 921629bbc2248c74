"""The gymnasium environment of online eMBB/URLLC network slicing."""

from __future__ import annotations

import string
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from env.arrivals import Arrival, get_arrivals
from env.metrics import CAPACITY, network_metrics, slice_used
from env.rates import get_rate_model
from env.scenarios import Scenario, ScenarioError, User, load_population, load_scenario
from env.slices import EMBB, URLLC

MAX_REQUEST_CHARS = 256
REQUEST_CHARSET = string.printable
_BW_MIN = np.array([0.0, EMBB.bw_min_mhz, URLLC.bw_min_mhz])
_BW_MAX = np.array([0.0, EMBB.bw_max_mhz, URLLC.bw_max_mhz])
_EPS = 1e-6  # MHz; solvers and float sums land a hair above capacity
LABEL_INDEX = {"eMBB": 1, "URLLC": 2}


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

    `info` holds the metrics of `env.metrics.network_metrics`, plus `intent_correct` of this
    step, the arriving user's `uid`, `label`, and the outcome (`admitted_now`, `reason`).
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
        self._allowed_chars = set(REQUEST_CHARSET)
        self._reset_state([])

    # -- state ---------------------------------------------------------------------------

    def _reset_state(self, schedule: list[Arrival]) -> None:
        n = self.length
        self.schedule = schedule
        # Cleaned once per episode: filtering characters on every step costs more than a step.
        self._requests = [self._clean_request(a.user.request) for a in schedule]
        self.t = 0
        self.slice_of = np.zeros(n, dtype=np.int64)
        self.bandwidth = np.zeros(n, dtype=np.float64)
        self.per_mhz = np.zeros(n, dtype=np.float64)
        self.cqi = np.zeros(n, dtype=np.int64)
        self.departure = np.full(n, np.inf)
        self.admitted = self.rejected = self.departed = 0
        self.classified = self.correct = 0
        self._throughput = 0.0
        self._violations = 0

    @property
    def current(self) -> Arrival | None:
        """The arrival waiting for a decision, or None when the episode is over."""
        return self.schedule[self.t] if self.t < len(self.schedule) else None

    def _clean_request(self, text: str) -> str:
        text = "".join(ch if ch in self._allowed_chars else " " for ch in text)
        return text[:MAX_REQUEST_CHARS]

    def _obs(self) -> dict[str, Any]:
        arrival = self.current
        used = slice_used(self.slice_of, self.bandwidth)
        user: User | None = arrival.user if arrival else None
        return {
            "request": self._requests[self.t] if user else "",
            "cqi": user.cqi if user else 1,
            "position": np.array([user.x, user.y, user.z] if user else [0, 0, 0], np.float32),
            "slice_used_mhz": np.minimum(used[1:], CAPACITY[1:]).astype(np.float32),
            "user_slice": self.slice_of.copy(),
            "user_bandwidth": self.bandwidth.astype(np.float32),
            "user_cqi": self.cqi.copy(),
            "step": self.t,
        }

    def metrics(self) -> dict[str, float]:
        """The network's metrics now (the same function every method is scored with)."""
        return network_metrics(self.slice_of, self.bandwidth, self.per_mhz, self.admitted,
                               self.rejected, self.classified, self.correct)

    def _depart_until(self, now: float) -> None:
        gone = (self.slice_of > 0) & (self.departure <= now)
        if gone.any():
            self.departed += int(gone.sum())
            self.slice_of[gone] = 0
            self.bandwidth[gone] = 0.0

    # -- gymnasium API -------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start a new episode; `seed` fixes the dynamic mode's arrivals."""
        super().reset(seed=seed)
        self._reset_state(self.arrivals.schedule(self.scenario, self.length, self.np_random))
        info = self.metrics()
        info.update(uid=self.current.user.uid, time=self.current.time)
        return self._obs(), info

    def step(self, action: dict[str, Any]) -> tuple[dict, float, bool, bool, dict[str, Any]]:
        """Apply one decision for the arriving user; see the class docstring."""
        arrival = self.current
        if arrival is None:
            raise RuntimeError("the episode is over; call reset()")
        before_tp, before_viol = self._throughput, self._violations
        i, user = self.t, arrival.user

        realloc = action.get("reallocate")
        realloc_refused = False
        if realloc is not None and np.max(realloc) >= 0:
            realloc_refused = not self._reallocate(np.asarray(realloc, dtype=np.float64))

        intent = int(action.get("intent", 0))
        label_idx = LABEL_INDEX[user.label]
        intent_correct: bool | None = None
        if intent in (1, 2):
            self.classified += 1
            intent_correct = intent == label_idx
            self.correct += intent_correct

        self.cqi[i] = user.cqi
        self.per_mhz[i] = self.rate_model.per_mhz_table[user.cqi]
        self.departure[i] = arrival.departure
        reason = ""
        admitted_now = False
        if int(action.get("admit", 0)) == 1 and intent in (1, 2):
            bw = float(np.asarray(action.get("bandwidth", 0.0)).reshape(-1)[0])
            bw = min(max(bw, _BW_MIN[intent]), _BW_MAX[intent])
            used = float(self.bandwidth[self.slice_of == intent].sum())
            if used + bw <= CAPACITY[intent] + _EPS:
                self.slice_of[i] = intent
                self.bandwidth[i] = bw
                self.admitted += 1
                admitted_now = True
            else:
                reason = "capacity"
        else:
            reason = "declined" if intent in (1, 2) else "unclassified"
        if not admitted_now:
            self.rejected += 1

        # What the arriving user got, before departures can take it away again.
        slice_now, bw_now = int(self.slice_of[i]), float(self.bandwidth[i])
        rate_now = bw_now * float(self.per_mhz[i])
        self.t += 1
        nxt = self.current
        if nxt is not None and self.mode != "paper":
            self._depart_until(nxt.time)
        info = self.metrics()
        self._throughput = info["throughput_mbps"]
        self._violations = info["min_rate_violations"]
        reward = (self._throughput - before_tp) / 100.0 - (self._violations - before_viol)
        info.update(
            uid=user.uid, label=user.label, intent_correct=intent_correct,
            admitted_now=admitted_now, reason=reason, realloc_refused=realloc_refused,
            rate_mbps=rate_now, slice_index=slice_now, bandwidth_mhz=bw_now,
        )
        terminated = nxt is None
        return self._obs(), float(reward), terminated, False, info

    def _reallocate(self, new_bw: np.ndarray) -> bool:
        """Apply per-slot bandwidths (clipped to slice limits) if every slice stays in capacity."""
        active = self.slice_of > 0
        change = active & (new_bw[: self.length] >= 0)
        if not change.any():
            return True
        s = self.slice_of
        proposed = np.where(change, np.clip(new_bw[: self.length], _BW_MIN[s], _BW_MAX[s]),
                            self.bandwidth)
        used = slice_used(s, proposed)
        if (used[1:] > CAPACITY[1:] + _EPS).any():
            return False
        self.bandwidth = proposed
        return True

    def replace_arrival(self, user: User) -> None:
        """Make `user` the one arriving now (interactive use: a typed request, say)."""
        old = self.current
        if old is None:
            raise RuntimeError("the episode is over; call reset()")
        self.schedule[self.t] = Arrival(user, old.time, old.departure)
        self._requests[self.t] = self._clean_request(user.request)

    def render(self) -> str | None:
        """A one-line text summary of the slices (render_mode 'ansi')."""
        m = self.metrics()
        return (f"step {self.t}/{self.length}  eMBB {m['embb_utilization']:.0%}  "
                f"URLLC {m['urllc_utilization']:.0%}  throughput {m['throughput_mbps']:.1f} Mbps  "
                f"admitted {m['admitted']}  rejected {m['rejected']}")
