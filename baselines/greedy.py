"""The floor: classify the request, give a fixed bandwidth per slice, first come first served."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from env.policy import Decision, make_action
from env.slices import EMBB, URLLC, slice_by_name
from env.slicing_env import SlicingEnv


def _default_classifier() -> Callable[[str], str]:
    """The project's intent classifier, imported late: it is optional for this baseline."""
    from wireless_agent.intent import IntentClassifier

    model = IntentClassifier.default()
    return lambda text: model.predict(text).slice


class GreedyBaseline:
    """Online, no oracle: slice from `classify`, fixed MHz per slice, no re-allocation."""

    name = "greedy"
    offline = False

    def __init__(
        self,
        classify: Callable[[str], str] | None = None,
        embb_mhz: float = 10,
        urllc_mhz: float = 3,
    ) -> None:
        self.classify = classify if classify is not None else _default_classifier()
        self.mhz = {EMBB.index: float(embb_mhz), URLLC.index: float(urllc_mhz)}
        self.capacity = {EMBB.index: EMBB.capacity_mhz, URLLC.index: URLLC.capacity_mhz}

    def reset(self, env: SlicingEnv) -> None:
        """Nothing to prepare: the policy keeps no state between users."""

    def act(self, env: SlicingEnv, obs: dict[str, Any]) -> Decision:
        """Admit the arriving user at its slice's fixed MHz if that much is still free."""
        label = self.classify(obs["request"])
        try:
            intent = slice_by_name(str(label)).index
        except KeyError:
            return Decision(make_action(env, 0, False), {"intent": str(label), "error": "label"})
        used = float(obs["slice_used_mhz"][intent - 1])
        bw = self.mhz[intent]
        # The observation is float32: allow its rounding when the slice is exactly full.
        fits = used + bw <= self.capacity[intent] + 1e-5
        return Decision(make_action(env, intent, fits, bw if fits else 0.0),
                        {"intent": str(label), "slice": str(label),
                         "bandwidth": bw if fits else 0.0})
