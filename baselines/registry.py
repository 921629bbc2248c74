"""Method names to policy constructors: the one place evals and the CLI look methods up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from baselines.greedy import GreedyBaseline
from baselines.optimal import OptimalBaseline
from baselines.rule import RuleBaseline
from env.policy import Policy


def _agent(**options: Any) -> Policy:
    from wireless_agent.agent import SlicingAgent

    return SlicingAgent(**options)


def _prompt(**options: Any) -> Policy:
    from baselines.prompt import PromptBaseline

    return PromptBaseline(**options)


METHODS: dict[str, Callable[..., Policy]] = {
    "agent": _agent,
    "prompt": _prompt,
    "rule": RuleBaseline,
    "optimal": OptimalBaseline,
    "greedy": GreedyBaseline,
}
# Oracle methods that see the whole episode: run once per N rather than once per episode.
OFFLINE_METHODS = frozenset({"rule", "optimal"})
MODEL_METHODS = ("prompt",)  # methods that cannot run without a model backend


def make_policy(name: str, **options: Any) -> Policy:
    """A fresh policy for the method `name`, built with `options` as keyword arguments."""
    try:
        factory = METHODS[name]
    except KeyError:
        raise ValueError(
            f"unknown method {name!r}; choose one of {', '.join(sorted(METHODS))}"
        ) from None
    return factory(**options)
