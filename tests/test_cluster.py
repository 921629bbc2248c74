"""The grid on a local Dask cluster: same results as one process, kills lose and double nothing."""

from __future__ import annotations

import csv
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.bench import _scripted_answer
from evals.cluster import UnitTask, open_cluster, warm_units
from evals.slicing_eval import EvalConfig, Evaluation
from wireless_agent.cli import app
from wireless_agent.testing import environ
from wireless_agent.testing.openai_server import FakeOpenAIServer

CLI = [str(Path(sys.executable).with_name("wireless-agent"))]
OFFLINE = ["--scenario", "north", "--methods", "agent,greedy,optimal", "--users", "3,6",
           "--warmup", "2", "--no-plots"]
KEY = "sk-test-cluster-key-never-sent"
# A model grid slow enough (0.1 s an answer) that a kill lands mid-unit.
MODEL_CFG = dict(scenarios=["north"], methods=["agent", "prompt", "greedy"], users=[6, 12],
                 warmup=1, model="openai:gpt-fake", concurrency=2)


def summary(folder: Path) -> list[dict[str, str]]:
    """summary.csv rows without the timing column."""
    with (folder / "summary.csv").open() as fh:
        return [{k: v for k, v in r.items() if k != "decision_ms_p50"} for r in csv.DictReader(fh)]


def decisions(folder: Path) -> list[dict]:
    """Logged decisions without timing and free text, in (unit, step) order."""
    rows = [json.loads(x) for x in (folder / "decisions.jsonl").read_text().splitlines()]
    keys = [(r["unit"], r["step"]) for r in rows]
    assert len(keys) == len(set(keys)), "a decision was logged twice"
    drop = ("latency_ms", "explanation")
    return sorted(({k: v for k, v in r.items() if k not in drop} for r in rows),
                  key=lambda r: (r["unit"], r["step"]))


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.fixture(scope="module")
def model_server() -> Iterator[FakeOpenAIServer]:
    """A scripted OpenAI-protocol server on 127.0.0.1 answering in 0.1 s, in the environment."""
    with FakeOpenAIServer(responder=_scripted_answer, delay_s=0.1) as server, environ(
            OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY=KEY, NO_PROXY="127.0.0.1,localhost"):
        yield server


@pytest.fixture
def model_env(model_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server in this test's environment (the autouse hygiene clears the module's)."""
    monkeypatch.setenv("OPENAI_BASE_URL", model_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


@pytest.fixture(scope="module")
def model_baseline(model_server: FakeOpenAIServer,
                   tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model grid run in one process, without a cluster."""
    out = tmp_path_factory.mktemp("model") / "one"
    Evaluation(EvalConfig(**MODEL_CFG), out).run()
    return out


@pytest.mark.slow
def test_a_local_cluster_gives_the_summary_of_one_process(tmp_path: Path) -> None:
    one = tmp_path / "one"
    Evaluation(EvalConfig(scenarios=["north"], methods=["agent", "greedy", "optimal"],
                          users=[3, 6], warmup=2), one).run()
    res = subprocess.run([*CLI, "eval", *OFFLINE, "--out", str(tmp_path / "two"),
                          "--cluster", "local:2"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    assert summary(tmp_path / "two") == summary(one)
    assert decisions(tmp_path / "two") == decisions(one)
    final = res.stdout.strip().splitlines()[-1]
    counts = [int(part.split()[-1]) for part in final.split("per worker: ")[1].split(", ")]
    assert sum(counts) == 27, final  # every decision, each counted on the worker that made it


@pytest.mark.slow
def test_a_worker_killed_mid_run_leaves_a_complete_duplicate_free_result(
        tmp_path: Path, model_env: None, model_baseline: Path) -> None:
    cluster = open_cluster("local:2", threads=2)
    try:
        made: list[int] = []
        ev = Evaluation(EvalConfig(**MODEL_CFG), tmp_path / "killed", cluster=cluster)
        total_units = len(ev.units)
        runner = threading.Thread(target=ev.run, kwargs={"on_decision": lambda: made.append(1)})
        runner.start()
        deadline = time.monotonic() + 300
        while len(made) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        busy = [addr for addr, keys in cluster.client.processing().items() if keys]
        pid = cluster.client.run(os.getpid, workers=busy[:1])[busy[0]]
        done_at_kill = lines(tmp_path / "killed" / "units.jsonl")
        os.kill(pid, signal.SIGKILL)
        runner.join(timeout=600)
        assert not runner.is_alive()
    finally:
        cluster.close()
    assert done_at_kill < total_units, "the kill should land while units are running"
    assert summary(tmp_path / "killed") == summary(model_baseline)
    assert decisions(tmp_path / "killed") == decisions(model_baseline)


@pytest.mark.slow
def test_resume_with_a_cluster_after_a_killed_driver_completes_exactly(
        tmp_path: Path, model_env: None, model_baseline: Path) -> None:
    out = tmp_path / "driver"
    args = [*CLI, "eval", "--scenario", "north", "--methods", "agent,prompt,greedy", "--users",
            "6,12", "--warmup", "1", "--model", "openai:gpt-fake", "--concurrency", "2",
            "--no-plots", "--out", str(out), "--cluster", "local:2"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # its group holds the local workers too
    deadline = time.monotonic() + 300
    while lines(out / "units.jsonl") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 2 <= lines(out / "units.jsonl") < 6, "the driver should be killed mid-way"
    res = subprocess.run([*args, "--resume"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    assert summary(out) == summary(model_baseline)
    assert decisions(out) == decisions(model_baseline)
    assert lines(out / "units.jsonl") == 6


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def silent_scheduler() -> Iterator[str]:
    """An address that accepts TCP connections and never answers (a hung scheduler)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield f"tcp://127.0.0.1:{s.getsockname()[1]}"


@pytest.mark.parametrize("kind", ["refused", pytest.param("silent", marks=pytest.mark.slow)])
def test_an_unreachable_scheduler_is_one_line_within_5_s(
        tmp_path: Path, kind: str, request: pytest.FixtureRequest) -> None:
    if kind == "refused":
        address = f"tcp://127.0.0.1:{_closed_port()}"
    else:
        address = request.getfixturevalue("silent_scheduler")
    t0 = time.monotonic()
    res = CliRunner().invoke(app, ["eval", *OFFLINE, "--out", str(tmp_path / "x"),
                                   "--cluster", address])
    seconds = time.monotonic() - t0
    err = [x for x in res.stderr.splitlines() if x.strip()]
    assert res.exit_code == 2 and len(err) == 1 and err[0].startswith("error:"), res.stderr
    assert address in err[0] and "Traceback" not in res.stdout + res.stderr
    assert seconds <= 5.0
    assert not (tmp_path / "x").exists(), "nothing is written before the cluster answers"


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_line_from_the_command(tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{_closed_port()}"
    res = subprocess.run([*CLI, "eval", *OFFLINE, "--out", str(tmp_path / "x"), "--cluster",
                          address], capture_output=True, text=True, timeout=60)
    err = [x for x in res.stderr.splitlines() if x.strip()]
    assert res.returncode == 2 and len(err) == 1, res.stderr
    assert f"no Dask scheduler answers at {address} (Connection refused)" in err[0]


@pytest.mark.parametrize(("spec", "needle"), [
    ("local:0", "N must be a whole number from 1"),
    ("local:two", "N must be a whole number from 1"),
    ("tcp://127.0.0.1", "not a scheduler address"),
    ("http://127.0.0.1:8786", "not a scheduler address"),
    ("sched", "is not local[:N], tcp://HOST:PORT or a scheduler.json"),
    ("missing.json", "no such scheduler file"),
])
def test_a_bad_cluster_is_one_line(tmp_path: Path, spec: str, needle: str) -> None:
    res = CliRunner().invoke(app, ["eval", *OFFLINE, "--out", str(tmp_path / "x"),
                                   "--cluster", spec])
    err = [x for x in res.stderr.splitlines() if x.strip()]
    assert res.exit_code == 2 and len(err) == 1 and err[0].startswith("error:"), res.stderr
    assert needle in err[0]
    assert not (tmp_path / "x").exists()


def test_a_scheduler_file_without_an_address_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "scheduler.json"
    bad.write_text('{"type": "Scheduler"}')
    res = CliRunner().invoke(app, ["eval", *OFFLINE, "--out", str(tmp_path / "x"),
                                   "--cluster", str(bad)])
    assert res.exit_code == 2 and "needs an \"address\"" in res.stderr


def test_a_task_carries_no_key_and_no_endpoint(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    ev = Evaluation(EvalConfig(**MODEL_CFG), tmp_path / "t")
    try:
        task = UnitTask("run", ev.cfg, ev.units[0], (), warm_units(ev.units), None, str(ev.out))
    finally:
        ev.close()
    payload = pickle.dumps(task)
    assert KEY.encode() not in payload and b"127.0.0.1:9" not in payload
    assert {u.method for u in task.warm} == {"agent", "prompt", "greedy"}
