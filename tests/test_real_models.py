"""Real small models (SmolLM2-135M, Gemma-3-270M on llama-server) through the product's paths.

These assert the contract, not quality: no HTTP errors, every reply parses, at most one call
per request in classify mode, fallbacks and timeouts counted. Run with `pytest -m real_model`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.slicing_eval import EvalConfig, Evaluation

pytestmark = pytest.mark.real_model

PROTOCOLS = ("openai", "ollama")
N = 3  # decisions per run: a real call takes seconds on two shared cores


def _run(tmp_path: Path, model: str, *, timeout_s: float = 120.0, users: int = N,
         **extra: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Agent decisions through the eval's own code: (decision rows, summary rows)."""
    cfg = EvalConfig(scenarios=["center"], methods=["agent"], users=[users], model=model,
                     warmup=0, concurrency=1, timeout_s=timeout_s, privacy=True, **extra)
    out = tmp_path / "run"
    summary = Evaluation(cfg, out).run()
    rows = [json.loads(line) for line in (out / "decisions.jsonl").read_text().splitlines()]
    return rows, summary


@pytest.mark.parametrize("real_model", ["smollm2", "gemma3"], indirect=True)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_classify_mode_every_reply_parses_in_one_call(real_model: Any, protocol: str,
                                                      tmp_path: Path) -> None:
    rows, summary = _run(tmp_path, real_model.spec(protocol))
    assert len(rows) == N
    for row in rows:
        assert row["error"] is None, row["error"]  # no HTTP error, no parse failure
        assert row["fallback"] is False
        assert row["model_calls"] == 1  # parsed first time: no retry, no second request
        assert row["prompt_tokens"] > 0 and row["completion_tokens"] > 0
        assert row["intent"] in ("eMBB", "URLLC", "unclear")
    assert summary[0]["fallbacks"] == 0 and summary[0]["errors"] == 0
    assert summary[0]["llm_calls"] == N


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_timeout_is_a_counted_fallback(real_model: Any, protocol: str,
                                         tmp_path: Path) -> None:
    # 20 ms is shorter than any real completion here: the call must end at its deadline.
    rows, summary = _run(tmp_path, real_model.spec(protocol), timeout_s=0.02, users=1)
    assert rows[0]["fallback"] is True
    assert "timeout" in rows[0]["error"]
    assert summary[0]["fallbacks"] == 1 and summary[0]["errors"] == 1
    assert rows[0]["intent"] in ("eMBB", "URLLC", "unclear")  # the offline classifier decided


def test_tiered_offline_then_real_model(real_model: Any, tmp_path: Path) -> None:
    rows, summary = _run(tmp_path, f"tiered:offline,{real_model.spec('openai')}", users=4)
    tiers = {r["tier"] for r in rows}
    assert tiers <= {"offline", real_model.spec("openai")}
    assert all(r["error"] is None and not r["fallback"] for r in rows)
    # At most one call a request; a request no model saw was the device's. (A model answer
    # less sure than the device's leaves the device's standing: tier offline after a call.)
    assert all(r["model_calls"] <= 1 for r in rows)
    assert all(r["tier"] == "offline" for r in rows if r["model_calls"] == 0)


@pytest.mark.parametrize("real_model", ["smollm2", "gemma3"], indirect=True)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_plan_mode_every_proposal_parses_and_is_checked(real_model: Any, protocol: str,
                                                        tmp_path: Path) -> None:
    rows, summary = _run(tmp_path, real_model.spec(protocol), users=2, planner="model")
    for row in rows:
        assert row["error"] is None or "HTTP" not in row["error"], row["error"]
        assert row["fallback"] is False  # perception parsed
        assert row["planner"] in ("model", "fallback")
        # Every reply meant as a plan parsed; rejections are bounded (1 + 2 re-plans).
        assert row["planner_replies"] >= 1
        assert row["planner_proposals"] == row["planner_replies"], row
        assert row["planner_rejected"] <= 3
    assert summary[0]["planner"] == "model"
    assert summary[0]["planner_fallbacks"] == sum(r["planner"] == "fallback" for r in rows)
    assert summary[0]["min_rate_violations"] == 0  # whoever planned, the checks held


# -- chat -------------------------------------------------------------------------------------


def _session(spec: str) -> Any:
    from wireless_agent.chat.session import ChatOptions, ChatSession

    return ChatSession(ChatOptions(model=spec, timeout_s=120.0, privacy=True))


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("streamed", [True, False], ids=["streamed", "not-streamed"])
def test_chat_request_and_question_round_trip(real_model: Any, protocol: str,
                                              streamed: bool) -> None:
    from wireless_agent.chat.assistant import answer_with_model, tool_table

    session = _session(real_model.spec(protocol))
    try:
        record = session.submit("stream a 4K football match at cqi 9")
        assert record["model_error"] is None
        assert record["intent"]["source"] == "model"
        tokens: list[str] = []
        answer = answer_with_model(session, "How loaded is the eMBB slice now?",
                                   on_token=tokens.append if streamed else None)
        assert answer.error is None, answer.error
        assert answer.text
        assert set(answer.calls) <= set(tool_table(session))  # only real tools were run
        assert bool(tokens) == streamed
    finally:
        session.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_tool_call_and_result_reach_the_server_and_back(real_model: Any, protocol: str) -> None:
    """A tool call and its result in the history, sent through the chat backend, answered."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    from wireless_agent.chat.assistant import SYSTEM, langchain_tools
    from wireless_agent.chat.tools import slice_status

    session = _session(real_model.spec(protocol))
    try:
        result = slice_status(session)
        messages = [
            SystemMessage(SYSTEM), HumanMessage("How loaded is the eMBB slice?"),
            AIMessage("", tool_calls=[{"name": "slice_status", "args": {"slice": "eMBB"},
                                       "id": "call_0"}]),
            ToolMessage(json.dumps(result), tool_call_id="call_0"),
        ]
        reply, stats = session.backend.chat("explain", messages, tools=langchain_tools(session))
        assert stats.error is None, stats.error
        assert reply is not None and (reply.text or reply.tool_calls)
        assert stats.completion_tokens > 0
    finally:
        session.close()


def test_ollama_front_non_streamed_chat_with_format_and_num_predict(real_model: Any) -> None:
    """The `ollama` client itself, stream off, a schema as `format`, bounded by num_predict."""
    import ollama

    from wireless_agent.models.schemas import IntentDecision

    client = ollama.Client(host=real_model.ollama_url)
    names = [m.model for m in client.list().models]
    assert real_model.name in names
    reply = client.chat(model=real_model.name, stream=False,
                        messages=[{"role": "user", "content": "Classify: a 4K video stream."}],
                        format=IntentDecision.model_json_schema(),
                        options={"num_predict": 128, "temperature": 0})
    assert reply.done and reply.eval_count and reply.eval_count <= 128
    # The schema reached the grammar: one object with exactly its keys (number ranges are not
    # grammar-enforced by llama.cpp, so validation of values is the backend's job).
    answer = json.loads(reply.message.content)
    assert set(answer) == set(IntentDecision.model_fields)


def test_a_refused_request_is_a_format_fault_not_an_outage(real_model: Any) -> None:
    """What llama-server answers to a request it cannot serve: the backend reads it right."""
    from wireless_agent.models import wire
    from wireless_agent.models.backend import rejects_format
    from wireless_agent.models.tiered import is_outage

    body = {"model": real_model.name, "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 4, "stream": True,
            "response_format": {"type": "json_schema", "json_schema": {
                "name": "x", "schema": {"type": "object",
                                        "properties": {"a": {"$ref": "#/missing"}}}}}}
    with pytest.raises(wire.WireError) as caught:
        wire.post(f"{real_model.openai_url}/chat/completions", body, {}, 60.0, wire.read_sse)
    exc = caught.value
    assert exc.status == 400 and "missing" in exc.message  # the server's error, kept whole
    assert rejects_format(exc)  # the backend asks in the next form
    assert not is_outage(exc.message)  # and the tier is not cooled down for it


def test_typed_personal_data_never_reaches_the_real_model(real_model: Any) -> None:
    """Through `ollama:` (the front keeps every body it relays): a request and a question
    carrying a phone number, a card, an e-mail address and an IBAN reach the model without
    them, and the model still answers both."""
    from wireless_agent.chat.assistant import answer_with_model

    secrets = ("+44 20 7946 0958", "4111 1111 1111 1111", "jane.doe@example.com",
               "DE89 3704 0044 0532 0130 00")
    digits = [s.replace(" ", "") for s in secrets]
    before = len(real_model.front.bodies)
    session = _session(real_model.spec("ollama"))
    try:
        record = session.submit(f"stream a 4K football match; call me on {secrets[0]}, card "
                                f"{secrets[1]}")
        assert record["model_error"] is None
        answer = answer_with_model(session, f"mail the bill to {secrets[2]}, IBAN {secrets[3]}; "
                                            "how loaded is eMBB?")
        assert answer.error is None, answer.error
    finally:
        session.close()
    sent = json.dumps(real_model.front.bodies[before:])
    assert len(real_model.front.bodies) > before  # both turns reached the model
    flat = sent.replace(" ", "")
    for secret, compact in zip(secrets, digits, strict=True):
        assert secret not in sent and compact not in flat, secret
