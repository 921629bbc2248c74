"""A real Chroma server on 127.0.0.1: runs keep their own memory; down or killed is one line."""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CLI = [str(Path(sys.executable).with_name("wireless-agent"))]
CHROMA = str(Path(sys.executable).with_name("chroma"))
GRID = ["--scenario", "center", "--methods", "agent", "--users", "30", "--warmup", "2",
        "--no-plots"]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ChromaServer:
    """`chroma run` on a loopback port, over a folder that outlives restarts."""

    def __init__(self, path: Path) -> None:
        self.path, self.port = path, _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The value for WIRELESS_AGENT_CHROMA_URL."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> ChromaServer:
        """Start and wait for the heartbeat (at most 60 s)."""
        self.proc = subprocess.Popen([CHROMA, "run", "--path", str(self.path), "--host",
                                      "127.0.0.1", "--port", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://{self.url}/api/v2/heartbeat", timeout=1)
                return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        pytest.fail("the Chroma server did not start in 60 s")

    def stop(self) -> None:
        """Kill it (no clean shutdown)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-data").start()
    try:
        yield server
    finally:
        server.stop()


def _eval(args: list[str], url: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "WIRELESS_AGENT_CHROMA_URL"}
    if url:
        env["WIRELESS_AGENT_CHROMA_URL"] = url
    return subprocess.run([*CLI, "eval", *args], capture_output=True, text=True, env=env,
                          timeout=600)


def _throughput(folder: Path) -> list[str]:
    with (folder / "summary.csv").open() as fh:
        return [r["throughput_mbps"] for r in csv.DictReader(fh)]


def test_runs_on_one_server_keep_their_own_memory(chroma: ChromaServer, tmp_path: Path) -> None:
    other = _eval([*GRID, "--rate-model", "3gpp", "--out", str(tmp_path / "3gpp")], chroma.url)
    assert other.returncode == 0, other.stderr
    shared = _eval([*GRID, "--out", str(tmp_path / "paper")], chroma.url)
    assert shared.returncode == 0, shared.stderr
    alone = _eval([*GRID, "--out", str(tmp_path / "embedded")], None)
    assert alone.returncode == 0, alone.stderr
    # The 3GPP run's episodes are not the paper run's: same result as a memory of its own.
    assert _throughput(tmp_path / "paper") == _throughput(tmp_path / "embedded")


def test_server_down_at_start_is_one_line_naming_what_exists(tmp_path: Path) -> None:
    res = _eval([*GRID, "--out", str(tmp_path / "r")], f"127.0.0.1:{_free_port()}")
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert res.returncode == 2 and len(lines) == 1, res.stderr
    assert "no Chroma server answers" in lines[0]
    assert "unset WIRELESS_AGENT_CHROMA_URL" in lines[0]


def test_server_killed_mid_run_is_one_line_and_the_run_resumes(chroma: ChromaServer,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "r"
    args = ["--scenario", "center", "--methods", "agent", "--users", "10,60,120", "--warmup",
            "1", "--no-plots", "--out", str(out)]
    env = {**os.environ, "WIRELESS_AGENT_CHROMA_URL": chroma.url}
    proc = subprocess.Popen([*CLI, "eval", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    log = out / "decisions.jsonl"
    deadline = time.monotonic() + 300
    while (not log.exists() or len(log.read_text().splitlines()) < 20) and \
            time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    chroma.stop()
    _, err = proc.communicate(timeout=300)
    lines = [x for x in err.splitlines() if x.strip()]
    assert proc.returncode == 2 and len(lines) == 1, err
    assert "memory stopped answering" in lines[0] and "--resume" in lines[0]
    chroma.start()
    res = _eval(["--out", str(out), "--resume"], chroma.url)
    assert res.returncode == 0, res.stderr
    assert len(_throughput(out)) == 3
