"""The chat never sends, stores or remembers what the policy forbids; one chat per session."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import chromadb
from typer.testing import CliRunner

from wireless_agent.chat.store import SESSION_FILE, SessionStore
from wireless_agent.cli import app
from wireless_agent.testing import Reply
from wireless_agent.testing.openai_server import FakeOpenAIServer

INTENT = {"slice": "eMBB", "application": "video", "latency_ms": 50, "min_rate_mbps": 100,
          "confidence": 0.9}
# What a subscriber or an operator might type that no model and no file may get.
SECRETS = {
    "card": "4111 1111 1111 1111",
    "phone": "+44 7700 900123",
    "imsi": "310150123456789",
    "email": "ana.lima@example.org",
    "iban": "DE89 3704 0044 0532 0130 00",
    "name": "Ana Lima",
}


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isalnum()).lower()


def leaked(blob: str) -> list[str]:
    """Which secrets appear in `blob`, in any spacing or case."""
    flat = _digits(blob)
    return [k for k, v in SECRETS.items() if _digits(v) in flat]


def test_nothing_typed_that_the_policy_forbids_reaches_the_model_or_disk(
        openai_fake: FakeOpenAIServer, tmp_path: Path) -> None:
    openai_fake.script(
        Reply.json(INTENT),  # perception of the request
        Reply("Noted."),  # first question
        Reply("Still noted."),  # second question: its history holds the first turns
    )
    request = (f"Hi, I am {SECRETS['name']}, stream 4K video please; card {SECRETS['card']}, "
               f"call {SECRETS['phone']}")
    question = (f"what do you know about imsi {SECRETS['imsi']}, mail {SECRETS['email']}, "
                f"iban {SECRETS['iban']}?")
    again = f"what else do you know about {SECRETS['name']}?"  # told once, known after
    mem = tmp_path / "mem"
    res = CliRunner().invoke(app, ["chat", "--memory", str(mem), "--session", "s1", "--model",
                                   "openai:gpt-fake"], input=f"{request}\n{question}\n{again}\n")
    assert res.exit_code == 0, res.output
    bodies = openai_fake.chat_requests
    assert len(bodies) == 3  # the request, then two questions with history
    for body in bodies:
        assert leaked(json.dumps(body, ensure_ascii=False)) == []
    # The second question carries the first turns as history: filtered, not dropped.
    assert "stream 4K video" in json.dumps(bodies[2])
    # Nothing raw on disk: the session database and the memory.
    db = sqlite3.connect(str(mem / SESSION_FILE))
    stored = " ".join(e for (e,) in db.execute("SELECT event FROM events"))
    assert stored and leaked(stored) == []
    episodes = chromadb.PersistentClient(path=str(mem)).get_collection("episodes")
    docs = " ".join(episodes.get()["documents"])
    assert "stream 4K video" in docs and leaked(docs) == []


def test_a_second_chat_on_the_same_session_gets_one_line(tmp_path: Path) -> None:
    holder = SessionStore(tmp_path / "mem", "shared")
    try:
        res = CliRunner().invoke(app, ["chat", "--memory", str(tmp_path / "mem"), "--session",
                                       "shared"], input="/quit\n")
    finally:
        holder.close()
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert res.exit_code == 2 and len(lines) == 1
    assert "session shared is open in another chat (pid" in lines[0]
    # Released: the same session opens again, and other sessions were never blocked.
    again = CliRunner().invoke(app, ["chat", "--memory", str(tmp_path / "mem"), "--session",
                                     "shared"], input="/quit\n")
    assert again.exit_code == 0, again.output


def test_events_are_numbered_in_one_step(tmp_path: Path) -> None:
    store = SessionStore(tmp_path, "n")
    store.append([{"kind": "question", "input": "a"}], meta={"scenario": "center"})
    store.append([{"kind": "question", "input": "b"}, {"kind": "question", "input": "c"}])
    store.close()
    again = SessionStore(tmp_path, "n")
    state = again.state()
    again.close()
    assert [e["seq"] for e in state["events"]] == [0, 1, 2]
    assert [e["input"] for e in state["events"]] == ["a", "b", "c"]
    assert state["meta"] == {"scenario": "center"}


def test_bad_session_folders_and_files_get_one_line(tmp_path: Path, readonly_dir: Path) -> None:
    garbage = tmp_path / "g"
    garbage.mkdir()
    (garbage / SESSION_FILE).write_bytes(b"this is not sqlite" * 100)
    for folder, needle in ((garbage, "not a usable session database"),
                           (readonly_dir, "cannot keep sessions in")):
        res = CliRunner().invoke(app, ["chat", "--session", "x", "--session-dir", str(folder)],
                                 input="/quit\n")
        lines = [x for x in res.stderr.splitlines() if x.strip()]
        assert res.exit_code == 2 and len(lines) == 1 and needle in lines[0], res.output


def test_bad_memory_folders_get_one_line(tmp_path: Path, readonly_dir: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "chroma.sqlite3").write_bytes(b"\x00garbage" * 500)
    for folder, needle in ((afile, "is a file, not a folder"),
                           (readonly_dir, "cannot open the memory"),
                           (garbage, "damaged or not a Chroma store")):
        res = CliRunner().invoke(app, ["chat", "--memory", str(folder)], input="/quit\n")
        lines = [x for x in res.stderr.splitlines() if x.strip()]
        assert res.exit_code == 2 and len(lines) == 1 and needle in lines[0], res.output
        assert "Traceback" not in res.output
