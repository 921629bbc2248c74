"""Eval paths a new user and injected faults broke: parallel units, dynamic mode, resume, locks."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import one_line
from typer.testing import CliRunner

from evals.results import exclusive
from evals.slicing_eval import EvalConfig, Evaluation
from wireless_agent.cli import app
from wireless_agent.testing.openai_server import FakeOpenAIServer

CLI = [str(Path(sys.executable).with_name("wireless-agent"))]
SMALL = ["--scenario", "north", "--methods", "agent,greedy", "--users", "3,6", "--warmup", "1",
         "--no-plots"]
# Both answer shapes at once: the agent's intent schema and the paper prompt's fields.
BOTH = {"slice": "eMBB", "application": "video", "latency_ms": 50.0, "min_rate_mbps": 100.0,
        "confidence": 0.9, "intent": "video", "bandwidth": 10, "rate": 500.0, "latency": 50,
        "can_accommodate": True}


def ok(args: list[str]) -> str:
    """Run the CLI in-process and expect success; its output."""
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, (res.stdout, res.stderr, res.exception)
    return res.stdout


def summary(folder: Path) -> list[dict[str, str]]:
    """summary.csv without its timing column."""
    with (folder / "summary.csv").open() as fh:
        return [{k: v for k, v in r.items() if k != "decision_ms_p50"} for r in csv.DictReader(fh)]


def decisions(folder: Path) -> list[dict]:
    """Every logged decision."""
    return [json.loads(x) for x in (folder / "decisions.jsonl").read_text().splitlines()]


# -- parallel units ------------------------------------------------------------------------------


@pytest.mark.slow
def test_parallel_offline_eval_in_a_fresh_process_matches_the_serial_one(tmp_path: Path) -> None:
    # A fresh interpreter: the deadlock was two threads importing chromadb for the first time.
    for name, extra in (("par", ["--concurrency", "4"]), ("ser", ["--concurrency", "1"])):
        res = subprocess.run([*CLI, "eval", *SMALL, "--methods", "agent,greedy,optimal",
                              "--out", str(tmp_path / name), *extra],
                             capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr
    assert summary(tmp_path / "par") == summary(tmp_path / "ser")


@pytest.mark.slow
def test_model_backed_eval_with_three_methods_runs_units_in_threads(tmp_path: Path) -> None:
    with FakeOpenAIServer(default=BOTH) as server:
        env = {**os.environ, "OPENAI_BASE_URL": server.base_url,
               "OPENAI_API_KEY": "sk-test-not-a-real-key", "NO_PROXY": "127.0.0.1,localhost"}
        args = [*CLI, "eval", "--scenario", "north", "--methods", "agent,prompt,greedy",
                "--users", "2,4", "--warmup", "1", "--model", "openai:gpt-fake", "--no-plots",
                "--out", str(tmp_path / "m")]  # default concurrency: 8 threads
        res = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
        assert res.returncode == 0, res.stderr
        again = subprocess.run([*args, "--resume"], capture_output=True, text=True, env=env,
                               timeout=300)
        assert again.returncode == 0, again.stderr
    rows = summary(tmp_path / "m")
    assert {(r["method"], r["users"]) for r in rows} == {
        (m, n) for m in ("agent", "prompt", "greedy") for n in ("2", "4")}
    assert all(int(r["llm_calls"]) > 0 for r in rows if r["method"] in ("agent", "prompt"))


# -- dynamic mode --------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["campus", "center"])
def test_every_method_runs_dynamic_mode_over_several_seeds(tmp_path: Path, scenario: str) -> None:
    cfg = EvalConfig(scenarios=[scenario], methods=["agent", "rule", "optimal", "greedy"],
                     users=[10, 30], seeds=[0, 1, 2], mode="dynamic", warmup=1)
    rows = Evaluation(cfg, tmp_path / "d").run()
    assert {(r["method"], r["seed"]) for r in rows} == {
        (m, s) for m in ("agent", "rule", "optimal", "greedy") for s in (0, 1, 2)}
    for row in decisions(tmp_path / "d"):
        if row["admitted"]:  # as of the admission, even when the user left before the next
            assert row["slice"] in ("eMBB", "URLLC") and row["bandwidth"] > 0
            assert row["rate_mbps"] > 0


# -- resume integrity ----------------------------------------------------------------------------


@pytest.fixture
def finished(tmp_path: Path) -> Path:
    """A small finished run whose units must be replayed from decisions.jsonl."""
    out = tmp_path / "run"
    ok(["eval", *SMALL, "--out", str(out)])
    (out / "units.jsonl").unlink()  # every unit must be rebuilt from its decisions
    return out


def test_duplicated_rows_are_dropped_and_replay_goes_by_step(finished: Path) -> None:
    clean = summary(finished)
    lines = (finished / "decisions.jsonl").read_text().splitlines()
    shuffled = [*lines[::-1], *lines[:5]]  # out of order, and five rows twice
    (finished / "decisions.jsonl").write_text("\n".join(shuffled) + "\n")
    out = ok(["eval", "--out", str(finished), "--resume", "--no-plots"])
    assert "0 decisions" in out
    assert summary(finished) == clean
    keys = [(r["unit"], r["step"]) for r in decisions(finished)]
    assert len(keys) == len(set(keys)) == len(lines)


@pytest.mark.parametrize(("bad", "needle"), [
    ("[1,2,3]", "line 3 is not a decision"),
    ("null", "line 3 is not a decision"),
    ("{}", "line 3 is not a decision"),
    ('{"unit": "north|agent|0|6", "action": {}}', "line 3 is not a decision"),
    ("{not json", "line 3 is not valid JSON"),
])
def test_a_line_that_is_not_a_decision_gets_one_line(finished: Path, bad: str,
                                                     needle: str) -> None:
    lines = (finished / "decisions.jsonl").read_text().splitlines()
    lines.insert(2, bad)
    (finished / "decisions.jsonl").write_text("\n".join(lines) + "\n")
    assert needle in one_line(["eval", "--out", str(finished), "--resume"])


def test_a_hole_in_a_units_log_is_refused(finished: Path) -> None:
    rows = decisions(finished)
    unit = next(r["unit"] for r in rows if r["step"] == 4)
    kept = [r for r in rows if not (r["unit"] == unit and r["step"] == 2)]
    (finished / "decisions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept))
    line = one_line(["eval", "--out", str(finished), "--resume"])
    assert f"{unit} has no step 2" in line


def test_a_step_logged_twice_with_different_actions_is_refused(finished: Path) -> None:
    rows = decisions(finished)
    twin = {**rows[0], "action": {**rows[0]["action"], "admit": 1 - rows[0]["action"]["admit"]}}
    (finished / "decisions.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in [*rows, twin]))
    assert "again with another action" in one_line(["eval", "--out", str(finished), "--resume"])


def test_a_second_run_on_the_same_folder_is_refused(finished: Path) -> None:
    with exclusive(finished):
        line = one_line(["eval", "--out", str(finished), "--resume"])
    assert "in use by another run (pid" in line
    ok(["eval", "--out", str(finished), "--resume", "--no-plots"])  # released: runs again


def test_resume_reads_the_stored_arguments(finished: Path) -> None:
    clean = summary(finished)
    ok(["eval", "--out", str(finished), "--resume", "--no-plots"])
    assert summary(finished) == clean
    # Given again in another order: the same run.
    ok(["eval", "--out", str(finished), "--resume", "--users", "6,3", "--methods",
        "greedy,agent", "--no-plots"])
    line = one_line(["eval", "--out", str(finished), "--resume", "--users", "3,9"])
    assert "--users [3, 9] differs from the run" in line
    assert "--mode" in one_line(["eval", "--out", str(finished), "--resume", "--mode",
                                 "dynamic"])
    manifest = json.loads((finished / "manifest.json").read_text())
    prov = manifest["provenance"]
    assert prov["command"].startswith("wireless-agent eval") or prov["command"]
    assert "numpy" in prov["versions"] and prov["python"]


# -- one clear line ------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "needle"), [
    (["--methods", "prompt"], "prompt needs a model backend"),
    (["--methods", ""], "--methods is empty"),
    (["--warmup", "-3"], "--warmup -3 is negative"),
    (["--timeout", "-1"], "--timeout -1 must be a finite number of seconds above 0"),
    (["--concurrency", "0"], "--concurrency 0 must be at least 1"),
    (["--seeds", "a,b"], "e.g. 0,1,2 or 0-4"),
    (["--seeds", "5-1"], "e.g. 0,1,2 or 0-4"),
    (["--rate-model", "x"], "--rate-model 'x' is unknown"),
    (["--resume"], "--resume needs --out"),
])
def test_bad_eval_arguments_are_refused_before_anything_is_written(
        tmp_path: Path, args: list[str], needle: str) -> None:
    out = tmp_path / "r"
    line = one_line(["eval", *(["--out", str(out)] if "--resume" not in args else []), *args])
    assert needle in line
    assert not out.exists()


def test_out_that_is_a_file_or_under_one_gets_one_line(tmp_path: Path) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("x")
    assert "is a file" in one_line(["eval", "--out", str(afile)])
    assert "which is a file" in one_line(["eval", "--out", str(afile / "sub")])


def test_read_only_results_folder_gets_one_line(readonly_dir: Path) -> None:
    assert "not writable" in one_line(["eval", "--out", str(readonly_dir / "r")])
    assert "not writable" in one_line(["eval", "--out", str(readonly_dir)])


def test_a_short_csv_clips_the_default_n_saying_so(tmp_path: Path) -> None:
    src = Path(__file__).parents[1] / "env" / "data" / "north.csv"
    lines = src.read_text().splitlines()
    short = tmp_path / "short.csv"
    short.write_text("\n".join(lines[:13]) + "\n")  # header + 12 users
    out = ok(["eval", "--scenario", str(short), "--methods", "greedy", "--out",
              str(tmp_path / "r"), "--no-plots"])
    assert "the file has 12 users; N clipped to 12" in " ".join(out.split())
    assert {r["users"] for r in summary(tmp_path / "r")} == {"1", "5", "10", "12"}


def test_seeds_that_change_nothing_are_said_to_be_identical(tmp_path: Path) -> None:
    out = ok(["eval", "--scenario", "north", "--methods", "greedy", "--users", "5", "--seeds",
              "0,1,2", "--out", str(tmp_path / "r"), "--no-plots"])
    assert "every seed gives the same episode in paper mode" in " ".join(out.split())
    assert [r["seed"] for r in summary(tmp_path / "r")] == ["0"]


def test_scenarios_refuses_zero_users() -> None:
    assert "--users 0" in one_line(["scenarios", "--users", "0"])


def test_a_sweep_with_every_upper_tier_down_is_refused(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    line = one_line(["eval", "--sweep-threshold", "--model", "tiered:offline,openai:gpt-fake",
                     "--scenario", "north", "--out", str(tmp_path / "s")])
    assert "nothing to sweep" in line
    assert not (tmp_path / "s").exists()


@pytest.mark.slow  # the whole sweep over every paper and held-out request: ~25 s
def test_tier_sweep_labels_its_tiers_scripted_and_writes_into_a_folder(tmp_path: Path) -> None:
    from evals.tier_sweep import SCRIPTED_SPEC, main

    assert "scripted-edge" in SCRIPTED_SPEC and "scripted-cloud" in SCRIPTED_SPEC
    main(["--thresholds", "0.97", "--workers", "4", "--out", str(tmp_path / "sweep")])
    assert (tmp_path / "sweep" / "tier_sweep.png").read_bytes()[:4] == b"\x89PNG"
