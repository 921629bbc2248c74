"""The `python -m evals.*` entry points: help is help, and each runs as the README says."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evals.bench import cli

ROOT = Path(__file__).resolve().parents[1]


def run_module(*args: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    """`python -m ARGS` in a fresh interpreter from the repository root, and its seconds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.monotonic()
    res = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                         cwd=ROOT, env=env, timeout=timeout)
    return res, time.monotonic() - start


def test_bench_help_prints_help_and_runs_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    start = time.monotonic()
    with pytest.raises(SystemExit) as stop:
        cli(["--help"])
    assert stop.value.code == 0 and time.monotonic() - start < 1.0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m evals.bench") and "cluster" in out
    assert "single env" not in out  # no figure was measured


def test_bench_refuses_bad_arguments_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for bad in (["nonsense"], ["cluster", "--threads", "0"]):
        with pytest.raises(SystemExit) as stop:
            cli(bad)
        assert stop.value.code == 2
        err = [x for x in capsys.readouterr().err.splitlines() if x.startswith("python -m")]
        assert len(err) == 1, bad


@pytest.mark.slow
@pytest.mark.parametrize("module", ["evals.intent_eval", "evals.bench", "evals.tier_sweep"])
def test_module_help_is_quick_and_exits_0(module: str) -> None:
    res, took = run_module(module, "--help", timeout=30)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"usage: python -m {module}")
    assert took < 10.0, f"{module} --help took {took:.1f} s: it ran something"


@pytest.mark.slow
def test_bench_quick_runs_to_the_end() -> None:
    res, _ = run_module("evals.bench", "--quick", timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    for figure in ("single env", "optimal at N=200", "eval_decisions_per_s",
                   "speedup_16_over_1"):
        assert figure in res.stdout
