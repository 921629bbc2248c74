"""The memory writes any number of queued decisions within the Chroma client's batch limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from wireless_agent.memory.store import AgentMemory

N = 10_000  # the agent at N = 10000 queued this many in one episode


@pytest.mark.slow
def test_flush_of_10000_decisions_fits_the_clients_batch_limit(tmp_path: Path) -> None:
    memory = AgentMemory.open(tmp_path / "mem")  # real embedded Chroma
    limit = int(memory.client.get_max_batch_size())
    assert limit < N  # otherwise this test proves nothing
    for step in range(N):
        memory.remember("big-episode", step, f"user {step} wants video {step % 7}",
                        {"scenario": "huge", "slice_index": 1 + step % 2, "per_mhz": 2.5})
    assert memory.flush() == N
    assert memory.episodes.count() == N
    assert memory.flush() == 0  # nothing left queued
    profile = memory.traffic_profile("huge")
    assert profile.episodes == 1 and profile.slice_share[1] == pytest.approx(0.5)
    # Reopened from disk: every batch was written, none half.
    again = AgentMemory.open(tmp_path / "mem")
    assert again.episodes.count() == N
