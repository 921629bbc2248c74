"""Local workers start warm: the agent imported once in a fork server, the classifier shipped."""

from __future__ import annotations

import sys

import pytest

from evals.cluster import WORKER_MODULES, open_cluster


def _state() -> tuple[bool, int]:
    """On a worker: whether the agent is imported, and how many classifiers were handed over."""
    from wireless_agent.intent.classifier import _INSTALLED

    return "wireless_agent.agent" in sys.modules, len(_INSTALLED)


@pytest.mark.slow
def test_local_workers_get_the_agent_imported_and_the_drivers_classifier() -> None:
    assert "wireless_agent.agent" in WORKER_MODULES
    cluster = open_cluster("local:2", threads=1, agent=True)
    try:
        cluster.prepare_workers()
        states = cluster.client.run(_state)
        assert len(states) == 2
        assert all(state == (True, 1) for state in states.values()), states
        cluster.prepare_workers()  # once is enough: a second call sends nothing
    finally:
        cluster.close()


@pytest.mark.slow
def test_a_grid_without_the_agent_trains_nothing() -> None:
    cluster = open_cluster("local:1", threads=1, agent=False)
    try:
        cluster.prepare_workers()
        (state,) = cluster.client.run(_state).values()
        assert state[1] == 0
    finally:
        cluster.close()
