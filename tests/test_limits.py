"""What goes to and comes back from a model is capped: runaway replies, megabyte request lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from env.limits import MAX_REQUEST_CHARS
from evals.slicing_eval import EvalConfig, Evaluation
from wireless_agent.cli import app
from wireless_agent.models import IntentDecision, make_backend
from wireless_agent.models.backend import MAX_ECHO_CHARS
from wireless_agent.testing import Reply
from wireless_agent.testing.ollama_server import FakeOllamaServer
from wireless_agent.testing.openai_server import FakeOpenAIServer

GOOD = {"slice": "eMBB", "application": "video", "latency_ms": 50, "min_rate_mbps": 100,
        "confidence": 0.9}
BOTH = {**GOOD, "intent": "video", "bandwidth": 8, "rate": 40.0, "can_accommodate": True}
HUGE = 1_000_000


def longest_run(blob: str, char: str) -> int:
    """The longest run of `char` in `blob` (how much of a padded line got through)."""
    return max((len(m) for m in re.findall(f"{re.escape(char)}+", blob)), default=0)


# -- a 5 MB reply is read up to a cap and never sent back whole --------------------------------


def test_a_5mb_reply_is_not_sent_back_in_the_retry(openai_fake: FakeOpenAIServer) -> None:
    openai_fake.script(Reply("Z" * 5_000_000, chunk_chars=65_536), Reply.json(GOOD))
    backend = make_backend("openai:gpt-fake", timeout_s=20.0)
    answer, stats = backend.structured("classify", "stream video", IntentDecision, retries=1)
    assert isinstance(answer, IntentDecision) and stats.retried
    retry = openai_fake.chat_requests[1]
    echoed = [m["content"] for m in retry["messages"] if m["role"] == "assistant"]
    assert len(echoed) == 1 and len(echoed[0]) <= MAX_ECHO_CHARS + 40
    assert "chars cut" in echoed[0]
    assert len(json.dumps(retry)) < MAX_ECHO_CHARS + 5_000


def test_a_5mb_ollama_reply_is_cut_and_reported(ollama_fake: FakeOllamaServer) -> None:
    ollama_fake.script(Reply("Z" * 5_000_000, chunk_chars=65_536),
                       Reply("Z" * 5_000_000, chunk_chars=65_536))
    backend = make_backend("ollama:qwen2.5:3b", timeout_s=20.0)
    answer, stats = backend.structured("classify", "stream video", IntentDecision, retries=1)
    assert answer is None and stats.error is not None and "reply longer than" in stats.error
    retry = ollama_fake.chat_requests[1]
    assert len(json.dumps(retry)) < MAX_ECHO_CHARS + 5_000


# -- a 1 MB request line is cut before any prompt ----------------------------------------------


def _csv(path: Path) -> Path:
    rows = ["RX_ID,X,Y,Z,CQI,User_Request,Request_Label",
            "1,10,10,1.5,12,stream a 4K match for the fans,eMBB",
            f"2,20,20,1.5,9,please {'A' * HUGE} now,URLLC",
            "3,30,30,1.5,7,remote control of a crane,URLLC"]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.slow
def test_a_megabyte_request_line_is_cut_in_the_eval(tmp_path: Path,
                                                    openai_fake: FakeOpenAIServer) -> None:
    openai_fake.default = BOTH
    csv = _csv(tmp_path / "long.csv")
    cfg = EvalConfig(scenarios=[str(csv)], methods=["prompt", "agent"], model="openai:gpt-fake",
                     warmup=0, users=[3])
    evaluation = Evaluation(cfg, tmp_path / "run")
    cut = [n for n in evaluation.notes if "cut to their first" in n]
    assert len(cut) == 1 and "(rows 3)" in cut[0]  # said once, naming the row
    evaluation.run()
    evaluation.close()
    bodies = json.dumps(openai_fake.chat_requests)
    assert openai_fake.chat_requests and 0 < longest_run(bodies, "A") <= MAX_REQUEST_CHARS
    logged = (tmp_path / "run" / "decisions.jsonl").read_text()
    assert longest_run(logged, "A") <= MAX_REQUEST_CHARS


def test_the_eval_command_says_so_once(tmp_path: Path) -> None:
    csv = _csv(tmp_path / "long.csv")
    res = CliRunner().invoke(app, ["eval", "--scenario", str(csv), "--methods", "greedy",
                                   "--users", "3", "--no-plots", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert res.output.count("characters cut to their first") == 1


def test_a_megabyte_chat_line_is_cut_before_any_prompt(tmp_path: Path,
                                                       openai_fake: FakeOpenAIServer) -> None:
    openai_fake.script(Reply.json(GOOD), Reply("Noted."), Reply.json(GOOD))
    request = f"stream video {'A' * HUGE}"
    question = f"what is {'B' * HUGE}?"
    res = CliRunner().invoke(app, ["chat", "--memory", str(tmp_path / "mem"), "--session", "s",
                                   "--model", "openai:gpt-fake"],
                             input=f"{request}\n{question}\n")
    assert res.exit_code == 0, res.output
    assert res.output.count("that line was too long") == 2  # once per line
    bodies = json.dumps(openai_fake.chat_requests)
    assert len(openai_fake.chat_requests) >= 2  # the request's perception, the question
    assert 0 < longest_run(bodies, "A") <= MAX_REQUEST_CHARS
    assert 0 < longest_run(bodies, "B") <= MAX_REQUEST_CHARS
