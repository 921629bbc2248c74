"""QA: the chat names a scripted fake model server as scripted, on screen and in the session."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from wireless_agent.cli import app
from wireless_agent.testing import Reply
from wireless_agent.testing.openai_server import FakeOpenAIServer

INTENT = {"slice": "URLLC", "application": "robot_control", "latency_ms": 5.0,
          "min_rate_mbps": 1.0, "confidence": 0.9}


def test_a_scripted_server_is_named_scripted_in_the_chat(
        openai_fake: FakeOpenAIServer, tmp_path: Path) -> None:
    """Before: 'model openai:gpt-fake' and '(openai:gpt-fake)', as if a real model answered."""
    openai_fake.script(Reply.json(INTENT))
    res = CliRunner().invoke(app, ["chat", "--model", "openai:gpt-fake", "--session", "s",
                                   "--session-dir", str(tmp_path), "--memory",
                                   str(tmp_path / "mem")],
                             input="I need to control a robot arm on the factory floor\n/model\n")
    assert res.exit_code == 0, res.output
    assert "model openai:gpt-fake (scripted fake), room for" in res.output
    assert "confidence 0.90 (openai:gpt-fake (scripted fake))" in res.output
    assert "model: openai:gpt-fake (scripted fake)" in res.output
    with sqlite3.connect(tmp_path / "chat-sessions.sqlite") as db:
        events = [json.loads(e) for (e,) in db.execute("select event from events")]
    assert any("scripted fake" in str(e.get("decision", {}).get("model_label")) for e in events)


def test_offline_stays_plain_offline(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["chat"], input="/model\n")
    assert res.exit_code == 0, res.output
    assert "model offline, room for" in res.output and "scripted" not in res.output
