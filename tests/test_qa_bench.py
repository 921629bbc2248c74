"""QA: bench's concurrency timings, made against a scripted fake server, say so."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.bench import bench_concurrency


@pytest.mark.slow  # a server and two evals: ~10 s
def test_concurrency_timings_name_the_scripted_server(tmp_path: Path) -> None:
    """Before: `wireless-agent bench` showed concurrency_16_s with no word of the fake."""
    res = bench_concurrency(tmp_path, delay_s=0.0, episodes=2, users=1, levels=(1, 2))
    assert "concurrency_1_s" in res and "concurrency_2_s" in res
    assert "scripted" in res["concurrency_server"]
