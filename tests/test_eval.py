"""Batch evaluation: the grid, resumable results, and one-line errors for bad arguments."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.results import ResultsError
from evals.slicing_eval import EvalConfig, EvalError, Evaluation
from wireless_agent.cli import app

CLI = [str(Path(sys.executable).with_name("wireless-agent"))]


def test_grid_with_every_offline_method(tmp_path: Path) -> None:
    cfg = EvalConfig(scenarios=["north"], users=[1, 5, 10])
    ev = Evaluation(cfg, tmp_path / "r")
    assert ev.notes and "prompt" in ev.notes[0]  # offline: said in one line, not invented
    rows = ev.run()
    got = {(r["method"], r["users"]) for r in rows}
    assert got == {(m, n) for m in ("agent", "rule", "optimal", "greedy") for n in (1, 5, 10)}
    with (tmp_path / "r" / "summary.csv").open() as fh:
        header = next(csv.reader(fh))
    for col in ("scenario", "method", "users", "throughput_mbps", "bandwidth_utilization",
                "embb_utilization", "urllc_utilization", "admitted", "rejected",
                "min_rate_violations", "intent_accuracy", "llm_calls", "prompt_tokens",
                "completion_tokens", "fallbacks", "decision_ms_p50"):
        assert col in header
    rule = {r["users"]: r["throughput_mbps"] for r in rows if r["method"] == "rule"}
    assert rule[1] == pytest.approx(264.25, abs=0.5)  # the paper's number, via the env
    lines = (tmp_path / "r" / "decisions.jsonl").read_text().splitlines()
    # every method: one episode per N (1 + 5 + 10), online ones too
    assert len(lines) == 4 * 16


def test_same_arguments_do_no_work_twice(tmp_path: Path) -> None:
    cfg = EvalConfig(scenarios=["south"], methods=["greedy", "optimal"], users=[5])
    Evaluation(cfg, tmp_path / "r").run()
    again = Evaluation(cfg, tmp_path / "r", resume=True)
    assert again.todo == [] and again.decisions_left() == 0
    with pytest.raises(ResultsError, match="--resume"):
        Evaluation(cfg, tmp_path / "r")
    other = EvalConfig(scenarios=["south"], methods=["greedy"], users=[5])
    with pytest.raises(ResultsError, match="other arguments"):
        Evaluation(other, tmp_path / "r", resume=True)


def _count(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.mark.slow
def test_resume_after_a_killed_run_loses_and_repeats_nothing(tmp_path: Path) -> None:
    args = ["eval", "--scenario", "center", "--methods", "agent,greedy", "--users",
            "1,40,120", "--warmup", "0", "--no-plots"]
    clean = tmp_path / "clean"
    subprocess.run([*CLI, *args, "--out", str(clean)], check=True, capture_output=True)
    out = tmp_path / "killed"
    proc = subprocess.Popen([*CLI, *args, "--out", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while _count(out / "decisions.jsonl") < 40 and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    written = _count(out / "decisions.jsonl")
    assert 40 <= written < 322, "the run should be killed mid-way"
    res = subprocess.run([*CLI, *args, "--out", str(out), "--resume"], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in (out / "decisions.jsonl").read_text().splitlines()]
    keys = [(r["unit"], r["step"]) for r in rows]
    assert len(keys) == len(set(keys)) == 2 * (1 + 40 + 120)  # no duplicate, no lost line
    strip = ("latency_ms", "explanation")
    def norm(rs: list[dict]) -> list[dict]:
        return sorted(({k: v for k, v in r.items() if k not in strip} for r in rs),
                      key=lambda r: (r["unit"], r["step"]))
    clean_rows = [json.loads(x) for x in (clean / "decisions.jsonl").read_text().splitlines()]
    assert norm(rows) == norm(clean_rows)
    def summary(d: Path) -> list[dict]:
        with (d / "summary.csv").open() as fh:
            return [{k: v for k, v in r.items() if k != "decision_ms_p50"}
                    for r in csv.DictReader(fh)]
    assert summary(out) == summary(clean)


@pytest.mark.parametrize(("args", "needle"), [
    (["--methods", "agent,oracle"], "unknown method oracle"),
    (["--scenario", "mars"], "unknown scenario 'mars'"),
    (["--scenario", "north", "--users", "1,31"], "fewer than the 31"),
    (["--users", "1,x"], "not a whole number"),
    (["--scenario", "missing.csv"], "missing.csv: no such scenario file"),
])
def test_bad_arguments_get_one_clear_line(tmp_path: Path, args: list[str], needle: str) -> None:
    res = CliRunner().invoke(app, ["eval", "--out", str(tmp_path / "r"), *args])
    assert res.exit_code == 2
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and needle in lines[0], res.stderr
    assert "Traceback" not in res.stderr + res.stdout


def test_eval_config_rejects_non_positive_users() -> None:
    with pytest.raises(EvalError, match="positive"):
        Evaluation(EvalConfig(users=[0, 5]), Path("/nonexistent/never-written"))


def test_sweep_threshold_traces_accuracy_against_escalation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from wireless_agent.testing.openai_server import FakeOpenAIServer

    answer = {"slice": "URLLC", "application": "x", "latency_ms": 5.0, "min_rate_mbps": 1.0,
              "confidence": 0.99}
    with FakeOpenAIServer(default=answer) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        res = CliRunner().invoke(app, ["eval", "--sweep-threshold", "--model",
                                       "tiered:offline,openai:gpt-fake", "--scenario", "north",
                                       "--users", "10", "--out", str(tmp_path / "s")])
    assert res.exit_code == 0, res.stderr
    with (tmp_path / "s" / "tier_sweep.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    shares = [float(r["device_share"]) for r in rows]
    # Threshold 0.5 keeps all on the device; at 1.0 every request goes up, but a less sure
    # cloud answer never overrides the device, so its answers stand where it was surer.
    assert shares[0] == 1.0 and shares[-1] < shares[0]
    assert shares == sorted(shares, reverse=True)
    assert (tmp_path / "s" / "tier_sweep.png").read_bytes()[:4] == b"\x89PNG"
