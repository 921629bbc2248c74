"""`wireless-agent chat`: scripted sessions, routing, resuming after kill -9, the model path."""

from __future__ import annotations

import io
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from wireless_agent.chat import ChatOptions, run_chat
from wireless_agent.chat.questions import route
from wireless_agent.chat.render import EXAMPLES
from wireless_agent.chat.store import SessionStore
from wireless_agent.cli import app
from wireless_agent.testing import Reply
from wireless_agent.testing.openai_server import FakeOpenAIServer

CLI = Path(sys.executable).with_name("wireless-agent")
INTENT = {"slice": "URLLC", "application": "robot_control", "latency_ms": 5,
          "min_rate_mbps": 10, "confidence": 0.9}


def chat(*args: str, input: str) -> str:
    """Run `wireless-agent chat ARGS` in-process with piped input; its output."""
    result = CliRunner().invoke(app, ["chat", *args], input=input)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def status_rows(text: str) -> dict[str, list[str]]:
    """The /status table rows printed last: slice -> [users, used, free, load]."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^(eMBB|URLLC)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+(\d+%)$", line.strip())
        if m:
            rows[m.group(1)] = list(m.groups()[1:])
    return rows


def test_scripted_session_changes_the_network_and_explains(tmp_path: Path) -> None:
    script = "\n".join([
        "I need to control a robot arm on the factory floor",
        "stream a 4K football match at cqi 9",
        "/status",
        "how loaded is URLLC?",
        "what is user 2's rate?",
        "/explain 1",
        "/model nonsense",
        "/quit",
        "I want to watch Netflix in HD",  # after /quit: never runs
    ]) + "\n"
    out = chat("--memory", str(tmp_path / "mem"), "--session", "t1", input=script)
    assert "\x1b[" not in out  # a pipe gets plain text
    assert re.search(r"user 1 \"I need to control a robot arm on the factory floor\" \(CQI \d+\)",
                     out)
    assert re.search(r"intent\s+URLLC industrial_control", out)
    assert re.search(r"plan\s+URLLC 5\.00 MHz \(floor 1\.00\)", out)
    assert re.search(r"result\s+admitted at 5\.00 MHz", out)
    assert re.search(r"user 2 \"stream a 4K football match\" \(CQI 9\)", out)  # cqi parsed out
    assert re.search(r"result\s+admitted at 20\.00 MHz, 190\.3 Mbps", out)
    assert status_rows(out) == {"eMBB": ["1", "20.00", "70.00", "22%"],
                                "URLLC": ["1", "5.00", "25.00", "17%"]}
    assert "URLLC 17% loaded: 1 user(s), 5.0 of 30 MHz used, 25.0 free" in out
    assert "User 2 (\"stream a 4K football match\", CQI 9) is on eMBB with 20.00 MHz: " \
           "190.3 Mbps, which meets the 100 Mbps minimum." in out
    assert "Intent: URLLC (industrial_control)" in out
    assert "the privacy filter let 2 document(s) through; nothing redacted" in out
    assert "still using offline" in out
    assert "user 3" not in out and "Netflix" not in out
    # The session database holds the two decisions and the questions, in order.
    state = SessionStore(tmp_path / "mem", "t1").state()
    kinds = [e["kind"] for e in state["events"]]
    assert kinds == ["request", "request", "question", "question"]
    assert [e["decision"]["action"]["intent"] for e in state["events"][:2]] == [2, 1]
    assert state["meta"] == {"scenario": "center", "slots": 100}


def test_what_if_names_who_would_lose_bandwidth_without_acting(tmp_path: Path) -> None:
    script = "\n".join([
        "stream a 4K football match at cqi 9",
        "I want to watch Netflix in HD at cqi 15",
        "download a big game update at cqi 12",
        "video call with the family at cqi 5",
        "which users would lose bandwidth if I admit a 4K stream at cqi 7?",
        "/status",
        "upload 8K drone footage at cqi 3",
        "why was user 5 rejected?",
        "what do you remember about drone footage?",
        "/users",
    ]) + "\n"
    out = chat("--memory", str(tmp_path / "mem"), input=script)
    assert ("1 user(s) would lose bandwidth: user 4 20.00->16.15 MHz (123.9->100.0 Mbps)"
            in out)
    assert status_rows(out)["eMBB"] == ["4", "80.00", "10.00", "89%"]  # the what-if did nothing
    assert re.search(r"plan\s+reject: eMBB needs 100 Mbps, which this channel cannot reach", out)
    assert "Plan: reject, because eMBB needs 100 Mbps" in out
    assert re.search(r"- past: \"upload 8K drone footage\" at CQI 3: eMBB, rejected", out)
    assert re.search(r"^\s*5\s+upload 8K drone footage\s+3\s+rejected", out, re.M)


@pytest.mark.parametrize(("text", "kind", "user"), [
    ("how loaded is URLLC?", "status", None),
    ("Is the network full?", "status", None),
    ("why was user 12 rejected?", "explain", 12),
    ("what is user 3's rate?", "user", 3),
    ("which users would lose bandwidth if I admit a 4K stream?", "what_if", None),
    ("who is on eMBB?", "users", None),
    ("why?", "explain", None),
    ("I need to control a robot arm on the factory floor", "request", None),
    ("Can I get a video call for my meeting?", "request", None),
    ("stream the full match in 4K", "request", None),
    ("? remote surgery", "other", None),
    ("what do you remember about robot arms?", "memory", None),
])
def test_questions_are_told_from_requests(text: str, kind: str, user: int | None) -> None:
    r = route(text)
    assert (r.kind, r.user_id) == (kind, user)


def test_welcome_examples_work_on_the_first_try(tmp_path: Path) -> None:
    buf = io.StringIO()
    console = Console(file=buf, width=120, force_terminal=False)
    run_chat(ChatOptions(memory=tmp_path / "mem"), console,
             stdin=io.StringIO("\n".join(EXAMPLES) + "\n"), interactive=True)
    out = buf.getvalue()
    assert "Type what a subscriber needs" in out and EXAMPLES[0] in out
    assert re.search(r"intent\s+URLLC .*\n.*\n.*\n\s+result\s+admitted", out)
    assert re.search(r"intent\s+eMBB .*\n.*\n.*\n\s+result\s+admitted", out)
    assert "URLLC 17% loaded: 1 user(s)" in out


# -- processes ----------------------------------------------------------------------------------


def _ctrl_c_as_in_a_terminal() -> None:
    # A shell that starts the suite in the background (`.ci/run &`) ignores SIGINT, and a child
    # inherits that; Ctrl-C tests need the default a terminal user has.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Chat:
    """A `wireless-agent chat` process fed line by line, its output read with a deadline."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [str(CLI), "chat", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            preexec_fn=_ctrl_c_as_in_a_terminal)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def send(self, line: str) -> None:
        """Type one line."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def until(self, pattern: str, timeout: float = 60.0) -> str:
        """Output up to and including the first line matching `pattern`."""
        got = []
        while True:
            line = self.lines.get(timeout=timeout)
            got.append(line)
            self.seen.append(line)
            if re.search(pattern, line):
                return "".join(got)


@pytest.fixture
def procs() -> Iterator[list[Chat]]:
    """Chat processes to kill whatever the test does."""
    started: list[Chat] = []
    yield started
    for c in started:
        if c.proc.poll() is None:
            c.proc.kill()
        c.proc.wait(timeout=10)


@pytest.mark.slow
def test_session_survives_kill_9(tmp_path: Path, procs: list[Chat]) -> None:
    args = ("--memory", str(tmp_path / "mem"), "--session", "night-shift")
    first = Chat(*args)
    procs.append(first)
    first.send("I need to control a robot arm on the factory floor")
    first.send("stream a 4K football match at cqi 9")
    first.send("video call with the family at cqi 5")
    first.send("/status")
    before = status_rows(first.until(r"slots left"))
    assert before["eMBB"][0] == "2" and before["URLLC"][0] == "1"
    first.proc.kill()  # SIGKILL: no clean shutdown
    first.proc.wait(timeout=10)

    out = subprocess.run([str(CLI), "chat", *args], input="/status\n/users\n",
                         capture_output=True, text=True, timeout=120).stdout
    assert "session night-shift resumed: 3 user(s) on the network" in out
    assert "> video call with the family at cqi 5" in out  # the last turns are shown
    assert status_rows(out) == before
    assert re.search(r"^\s*3\s+video call with the family\s+5\s+eMBB\s+20\.00", out, re.M)


def test_model_answers_with_tool_calls(openai_fake: FakeOpenAIServer, tmp_path: Path) -> None:
    openai_fake.script(
        Reply.json(INTENT),  # perception of the request
        Reply.tool_call("slice_status", {"slice": "URLLC"}),
        Reply("URLLC carries 1 user on 5.0 of 30 MHz, so it is 17% loaded."),
    )
    out = chat("--memory", str(tmp_path / "mem"), "--model", "openai:gpt-fake",
               input="I need to control a robot arm on the factory floor\n"
                     "how loaded is URLLC?\n")
    assert re.search(r"intent\s+URLLC robot_control, confidence 0\.90 "
                     r"\(openai:gpt-fake \(scripted fake\)\)", out)
    assert "URLLC carries 1 user on 5.0 of 30 MHz, so it is 17% loaded." in out
    asked, answered = openai_fake.chat_requests[1:]
    assert {t["function"]["name"] for t in asked["tools"]} == {
        "slice_status", "user_info", "explain_decision", "recall_memory", "what_if_admit"}
    tool_msg = [m for m in answered["messages"] if m["role"] == "tool"]
    assert '"used_mhz": 5.0' in tool_msg[0]["content"]
    assert '"utilization": 0.1667' in tool_msg[0]["content"]


@pytest.mark.slow
def test_dead_model_server_gives_one_line_and_goes_offline(tmp_path: Path,
                                                           procs: list[Chat]) -> None:
    server = FakeOpenAIServer().start()
    # Streamed answers close their connection, so no kept-alive socket outlives the server.
    server.script(Reply.tool_call("slice_status", {}), Reply("Both slices are empty."))
    env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-test-not-a-real-key",
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    c = Chat("--memory", str(tmp_path / "mem"), "--model", "openai:gpt-fake", "--timeout", "5",
             env=env)
    procs.append(c)
    try:
        c.send("how loaded is the network?")
        assert "Both slices are empty." in c.until(r"empty")
    finally:
        server.stop()
    c.send("how loaded is URLLC?")
    out = c.until(r"loaded: ")
    problems = [line for line in out.splitlines() if line.startswith("! ")]
    assert len(problems) == 1 and "stopped answering" in problems[0]
    assert "URLLC 0% loaded: 0 user(s)" in out  # answered offline from the tools
    c.send("I need to control a robot arm on the factory floor")
    out = c.until(r"result\s")
    assert re.search(r"intent\s+URLLC industrial_control, confidence [\d.]+ \(offline\)", out)
    assert "admitted at 5.00 MHz" in out
    c.send("/model openai:gpt-fake")
    assert "still using offline" in c.until(r"still using|model: ")
    c.proc.stdin.close()  # type: ignore[union-attr]
    assert c.proc.wait(timeout=30) == 0


@pytest.mark.slow
def test_ctrl_c_stops_a_slow_answer_and_the_chat_goes_on(tmp_path: Path,
                                                         procs: list[Chat]) -> None:
    # After the interrupted answer every call gets text with no intent JSON.
    with FakeOpenAIServer(default="no intent here") as server:
        server.script(Reply("too late", delay_s=30))
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-test-not-a-real-key",
               "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
        c = Chat("--memory", str(tmp_path / "mem"), "--model", "openai:gpt-fake", env=env)
        procs.append(c)
        c.send("how loaded is URLLC?")
        # On a loaded machine the chat may take long to start: wait for the question to reach
        # the server (then the answer is in flight), however long that takes up to 5 minutes.
        deadline = time.monotonic() + 300
        while not server.chat_requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.chat_requests, "the question never reached the model server"
        c.proc.send_signal(signal.SIGINT)
        assert "interrupted" in c.until(r"interrupted", timeout=120)
        c.send("I need to control a robot arm on the factory floor")
        c.send("/status")
        # The fake's default answer holds no intent JSON, so the request is classified offline.
        out = c.until(r"slots left")
        assert re.search(r"intent\s+URLLC .*\(fallback\)", out)
        assert status_rows(out)["URLLC"][0] == "1"
        c.proc.stdin.close()  # type: ignore[union-attr]
        assert c.proc.wait(timeout=30) == 0
    assert "too late" not in "".join(c.seen)


def test_save_keeps_an_unnamed_chat_for_later(tmp_path: Path) -> None:
    mem = str(tmp_path / "mem")
    out = chat("--memory", mem, input="I need to control a robot arm on the factory floor\n"
                                      "/save\n/save later\n")
    assert "this chat has no session name; write /save NAME" in out
    assert "resume with --session later" in out
    out = chat("--memory", mem, "--session", "later", input="/status\n")
    assert "session later resumed: 1 user(s)" in out
    assert status_rows(out)["URLLC"] == ["1", "5.00", "25.00", "17%"]


def test_a_bad_model_at_start_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["chat", "--memory", str(tmp_path / "m"), "--model",
                                      "openai:gpt-4o-mini"], input="/quit\n")
    assert result.exit_code == 2
    assert "needs OPENAI_API_KEY" in result.output
    assert "Traceback" not in result.output


def test_unclear_requests_get_a_clarifying_question(tmp_path: Path) -> None:
    script = "\n".join(["asdf qwerty zxcv", "something fast please", "今天天气怎么样",
                        "PLC cycle time 1 ms, 99.999 % reliability", "/status", "/quit"]) + "\n"
    out = chat("--memory", str(tmp_path / "mem"), "--session", "u1", input=script)
    assert out.count("not admitted;") == 3
    assert "What will it carry" in out and "它主要用于视频" in out
    assert re.search(r"figures\s+cycle 1 ms, reliability 99\.999 %, 5QI \d+ \(Delay-critical GBR",
                     out)
    assert status_rows(out)["URLLC"][0] == "1" and status_rows(out)["eMBB"][0] == "0"
