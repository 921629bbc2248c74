"""QA: an interrupted eval (Ctrl-C, a failing unit) stops promptly and resumes in full."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CLI = str(Path(sys.executable).with_name("wireless-agent"))
# Long enough (~20 s on 2 shared cores) that a prompt stop is told apart from running to the end.
GRID = ["--mode", "dynamic", "--scenario", "campus,center", "--seeds", "0-3", "--users",
        "30,100", "--concurrency", "4", "--no-plots", "--warmup", "1"]
TOTAL = 2 * 4 * 4 * 130  # scenarios x seeds x methods x (30 + 100)


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def _default_sigint() -> None:
    # A child of a non-interactive shell inherits SIGINT ignored; a terminal's Ctrl-C is not.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_ctrl_c_stops_a_parallel_eval_promptly_and_resume_finishes_it(tmp_path: Path) -> None:
    """Ctrl-C during --concurrency 4 ends the run in seconds, not after every unit has run."""
    out = tmp_path / "run"
    env = {**os.environ, "WIRELESS_AGENT_MEMORY": str(tmp_path / "mem")}
    proc = subprocess.Popen([CLI, "eval", *GRID, "--out", str(out)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_default_sigint)
    deadline = time.monotonic() + 60
    while _lines(out / "decisions.jsonl") < 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=60)
    stopped_in = time.monotonic() - t0
    assert proc.returncode == 2, err
    assert "rerun with --resume" in err and "Traceback" not in err
    assert stopped_in < 5, f"Ctrl-C took {stopped_in:.1f} s to stop the run"
    assert _lines(out / "decisions.jsonl") < TOTAL  # it did stop, not run everything
    assert not (out / "summary.csv").exists()

    res = subprocess.run([CLI, "eval", "--out", str(out), "--resume"], env=env, text=True,
                         capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr
    rows = [json.loads(x) for x in (out / "decisions.jsonl").read_text().splitlines()]
    keys = {(r["unit"], r["step"]) for r in rows}
    assert len(keys) == len(rows) == TOTAL  # none lost, none doubled
    assert _lines(out / "units.jsonl") == 2 * 4 * 4 * 2  # one per (scenario, method, seed, N)


def _new_group_default_sigint() -> None:
    # A terminal's Ctrl-C reaches the whole foreground process group: the driver and the
    # Dask worker processes it started.
    os.setpgrp()
    _default_sigint()


@pytest.mark.slow
def test_ctrl_c_of_a_local_cluster_run_is_one_line_and_workers_print_no_traceback(
        tmp_path: Path) -> None:
    """Before: every Dask worker process printed a KeyboardInterrupt traceback."""
    pytest.importorskip("distributed")
    out = tmp_path / "run"
    env = {**os.environ, "WIRELESS_AGENT_MEMORY": str(tmp_path / "mem")}
    proc = subprocess.Popen([CLI, "eval", *GRID, "--cluster", "local:2", "--out", str(out)],
                            env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_new_group_default_sigint)
    deadline = time.monotonic() + 120
    while _lines(out / "decisions.jsonl") < 100 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, proc.communicate()
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-2000:]
    errors = [x for x in err.splitlines() if x.startswith("error:")]
    assert len(errors) == 1 and "--resume" in errors[0], err[-2000:]
