"""QA: command-line paths a new user takes, each refused with one line that says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import one_line

from evals.slicing_eval import EvalConfig, Evaluation


def test_plot_on_an_interrupted_run_says_to_resume_it(tmp_path: Path) -> None:
    """Before: 'give a folder written by `wireless-agent eval`' about a folder eval wrote."""
    out = tmp_path / "run"
    cfg = EvalConfig(scenarios=["north"], methods=["greedy"], users=[3], warmup=0)
    evaluation = Evaluation(cfg, out)
    evaluation.close()  # interrupted before any unit finished: manifest, no summary
    line = one_line(["plot", str(out)])
    assert "not finished" in line and f"--out {out} --resume" in line


@pytest.mark.parametrize("folder", ["missing", "empty"])
def test_plot_on_a_folder_eval_never_wrote_still_says_so(tmp_path: Path, folder: str) -> None:
    if folder == "empty":
        (tmp_path / folder).mkdir()
    assert "has no summary.csv" in one_line(["plot", str(tmp_path / folder)])


@pytest.mark.parametrize("where", ["read-only", "under-a-file"])
def test_intent_eval_out_that_cannot_be_written_is_one_line_before_scoring(
        tmp_path: Path, readonly_dir: Path, where: str) -> None:
    """Before: an OSError / FileExistsError traceback after scoring every request."""
    if where == "read-only":
        target, expect = readonly_dir / "intent.md", "not writable"
    else:
        (tmp_path / "f").write_text("x")
        target, expect = tmp_path / "f" / "intent.md", "which is a file"
    line = one_line(["intent-eval", "--no-latency", "--out", str(target)])
    assert expect in line and str(target) in line


@pytest.mark.parametrize("command", ["eval", "scenarios"])
def test_a_negative_campus_seed_is_one_line(tmp_path: Path, command: str) -> None:
    """Before: numpy's 'expected non-negative integer' traceback."""
    args = [command, "--scenario", "campus:-1"]
    if command == "eval":
        args += ["--out", str(tmp_path / "run"), "--no-plots"]
    assert "campus seed '-1'" in one_line(args)
    assert not (tmp_path / "run").exists()


def test_resume_of_a_folder_without_a_run_is_refused(tmp_path: Path) -> None:
    """Before: `--resume` on a new folder silently started a fresh default run there."""
    line = one_line(["eval", "--out", str(tmp_path / "nothing-here"), "--resume"])
    assert "holds no run to continue" in line and "drop --resume" in line
    assert not (tmp_path / "nothing-here").exists()
