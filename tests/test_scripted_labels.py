"""A run answered by a scripted loopback fake says scripted in every table, figure and file."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wireless_agent.cli import app
from wireless_agent.models.listing import scripted_tiers
from wireless_agent.testing.ollama_server import FakeOllamaServer
from wireless_agent.testing.openai_server import FakeOpenAIServer

BOTH = {"slice": "eMBB", "application": "video", "latency_ms": 50, "min_rate_mbps": 100,
        "confidence": 0.9, "intent": "video", "bandwidth": 8, "rate": 40.0,
        "can_accommodate": True}


class _Plain(BaseHTTPRequestHandler):
    """A server that is not one of the fakes: lists one model, says nothing about scripts."""

    def do_GET(self) -> None:
        data = json.dumps({"object": "list", "data": [{"id": "real-model"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def plain_server() -> Iterator[str]:
    """The /v1 base URL of a server that is not a scripted fake."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Plain)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_fakes_are_recognised_and_other_servers_are_not(
        openai_fake: FakeOpenAIServer, ollama_fake: FakeOllamaServer, plain_server: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert scripted_tiers("openai:gpt-fake") == ["openai:gpt-fake"]
    assert scripted_tiers("tiered:offline,ollama:qwen2.5:3b,openai:gpt-fake") == [
        "ollama:qwen2.5:3b", "openai:gpt-fake"]
    monkeypatch.setenv("OPENAI_BASE_URL", plain_server)
    assert scripted_tiers("openai:real-model") == []
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")  # nothing there: not scripted
    assert scripted_tiers("ollama:qwen2.5:3b") == []


@pytest.mark.slow
def test_an_eval_against_a_fake_says_scripted_everywhere(
        openai_fake: FakeOpenAIServer, tmp_path: Path) -> None:
    openai_fake.default = BOTH
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["eval", "--scenario", "north", "--methods", "prompt,greedy",
                                   "--users", "2", "--model", "openai:gpt-fake", "--out",
                                   str(out)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    title = next(line for line in res.output.splitlines() if "Slicing evaluation" in line)
    assert "scripted" in title
    assert "answered by a scripted fake server" in res.output
    with (out / "summary.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert all("scripted" in r["model"] for r in rows if r["method"] == "prompt")
    assert json.loads((out / "manifest.json").read_text())["provenance"]["scripted"] == [
        "openai:gpt-fake"]
    assert "**Scripted:** openai:gpt-fake" in (out / "report.md").read_text()
    svgs = list((out / "figures").glob("*.svg"))
    assert svgs and all("[scripted model]" in p.read_text() for p in svgs)


def test_an_offline_eval_is_not_called_scripted(tmp_path: Path) -> None:
    out = tmp_path / "off"
    res = CliRunner().invoke(app, ["eval", "--scenario", "north", "--methods", "greedy",
                                   "--users", "2", "--no-plots", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "scripted" not in res.output
    assert json.loads((out / "manifest.json").read_text())["provenance"]["scripted"] == []


def test_privacy_bench_against_a_fake_is_labelled_scripted(
        openai_fake: FakeOpenAIServer, tmp_path: Path) -> None:
    from evals.privacy.bench import _label

    assert "scripted" in _label("openai:gpt-fake", None)
    assert "scripted" in _label("openai:gpt-fake", "my run")  # a label cannot hide it
    assert _label("offline", None) == "offline"


@pytest.mark.slow
def test_wirelessbench_against_a_fake_is_labelled_scripted(
        openai_fake: FakeOpenAIServer, tmp_path: Path) -> None:
    openai_fake.default = BOTH
    out = tmp_path / "wb"
    res = CliRunner().invoke(app, ["wirelessbench", "--task", "wcns", "--limit", "2",
                                   "--model", "openai:gpt-fake", "--out", str(out)],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["label"] == "scripted fake: openai:gpt-fake"
    assert "[scripted fake:" in res.output  # the table title (rich wraps it)


def test_the_eval_sweep_against_a_fake_says_scripted(openai_fake: FakeOpenAIServer,
                                                     tmp_path: Path) -> None:
    openai_fake.default = {"slice": "URLLC", "application": "x", "latency_ms": 5.0,
                           "min_rate_mbps": 1.0, "confidence": 0.99}
    res = CliRunner().invoke(app, ["eval", "--sweep-threshold", "--model",
                                   "tiered:offline,openai:gpt-fake", "--scenario", "north",
                                   "--users", "4", "--out", str(tmp_path / "s")],
                             env={"COLUMNS": "300"})
    assert res.exit_code == 0, res.output
    with (tmp_path / "s" / "tier_sweep.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["tiers"] == "scripted" for r in rows)
    title = next(line for line in res.output.splitlines() if "Tier sweep over" in line)
    assert "scripted" in title
