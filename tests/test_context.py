"""Context assembly with a model backend: what passed the privacy filter is what the model sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from env import SlicingEnv
from env.slices import SLICES
from evals.privacy.subscribers import generate_subscribers
from prompts import marked_request
from wireless_agent.agent import SlicingAgent
from wireless_agent.config import AgentConfig
from wireless_agent.graph import NODES, build_graph
from wireless_agent.memory.store import AgentMemory
from wireless_agent.privacy import default_filter
from wireless_agent.privacy.profiles import Profile
from wireless_agent.testing import Reply
from wireless_agent.testing.openai_server import FakeOpenAIServer

MODEL = "openai:gpt-fake"  # remote: the filter applies its stricter rules
REQUEST = "I need to steer a surgical robot from another hospital"
ANSWER = {"slice": "URLLC", "application": "scripted", "latency_ms": 5.0,
          "min_rate_mbps": 1.0, "confidence": 0.9}


@pytest.fixture
def subscriber() -> Profile:
    """A synthetic wireless subscriber (name, IMSI, phone, address, device, plan, CQI...)."""
    return generate_subscribers("wireless", 1, seed=7)[0]


def _agent(tmp_path: Path, subscriber: Profile, enabled: bool = True) -> SlicingAgent:
    memory = AgentMemory.open(tmp_path / f"m{enabled}")
    privacy = default_filter(memory.client, enabled=enabled)
    assert privacy.store is not None
    privacy.store.add([subscriber])
    return SlicingAgent(AgentConfig(model=MODEL, timeout_s=5.0), memory=memory,
                        privacy=privacy)


def _sent(fake: FakeOpenAIServer, tmp_path: Path, subscriber: Profile, request: str,
          enabled: bool = True) -> tuple[str, str]:
    """(system, user) texts the model got for one decision about `subscriber`."""
    fake.responder = lambda body: Reply.json(ANSWER)
    before = len(fake.chat_requests)
    agent = _agent(tmp_path, subscriber, enabled)
    env = SlicingEnv("north", users=3)
    env.reset(seed=0)
    agent.reset(env, episode_id=f"ctx-{enabled}")
    out = agent.decide(request=request, subscriber_id=subscriber.subscriber_id)
    assert out["intent"]["source"] == "model"
    [body] = fake.chat_requests[before:]
    system, user = (m["content"] for m in body["messages"])
    return system, user


def _flat(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def test_graph_retrieves_and_filters_before_the_model_call() -> None:
    order = [n for n in build_graph().get_graph().nodes if not n.startswith("__")]
    assert order == list(NODES)
    assert order.index("memory") < order.index("privacy") < order.index("assemble") < (
        order.index("perception"))


def test_forbidden_fields_never_reach_the_prompt_and_allowed_ones_do(
        openai_fake: FakeOpenAIServer, tmp_path: Path, subscriber: Profile) -> None:
    v = subscriber.values
    # The subscriber also types identifiers into the request itself.
    request = f"{REQUEST}; call me on {v['phone_number']}, SIM {v['imsi']}"
    system, user = _sent(openai_fake, tmp_path, subscriber, request)
    prompt = system + "\n" + user
    # The policy lets perception read the device and the CQI for a slicing request, remotely.
    assert f"- device: {v['device']}" in user
    assert f"- cqi: {v['cqi']}" in user
    # Identifiers, contact, location, health and payment data are denied to this role.
    for name in ("name", "imsi", "phone_number", "home_address", "current_position",
                 "health_condition", "payment_card", "subscription_plan"):
        assert _flat(str(v[name])) not in _flat(prompt), name
    assert "[REDACTED:phone_number]" in user and "[REDACTED:imsi]" in user
    # The request the model reads is the filtered one, between the markers.
    assert marked_request(user).startswith(REQUEST)


def test_prompt_holds_examples_rules_network_and_past_decisions(
        openai_fake: FakeOpenAIServer, tmp_path: Path, subscriber: Profile) -> None:
    openai_fake.responder = lambda body: Reply.json(ANSWER)
    agent = _agent(tmp_path, subscriber)
    env = SlicingEnv("north", users=3)
    env.reset(seed=0)
    agent.reset(env, episode_id="past")
    agent.decide(request="remote control of a surgical robot arm")  # becomes a past decision
    agent.end_episode()
    env.reset(seed=0)
    agent.reset(env, episode_id="now")
    out = agent.decide(request=REQUEST, subscriber_id=subscriber.subscriber_id)
    system, user = (m["content"] for m in openai_fake.chat_requests[-1]["messages"])
    assert out["prompt"] == [("system", system), ("user", user)]
    # Slicing rules with every number from env/slices.py.
    for s in SLICES:
        assert f"{s.capacity_mhz:g} MHz in all" in system
        assert f"{s.bw_min_mhz:g} to {s.bw_max_mhz:g} MHz each" in system
    # Few-shot examples: labelled requests from the memory's examples collection.
    examples = [i for i in out["retrieved"] if i["kind"] == "example"]
    assert examples
    assert "Labelled examples of similar requests:" in user
    for item in examples:
        line = f"{json.dumps(item['text'], ensure_ascii=False)} -> "
        assert line in user and f'"slice": "{item["metadata"]["slice"]}"' in user
    # The past decision, with its outcome, and the network view from the tools.
    assert '"remote control of a surgical robot arm" -> URLLC (scripted), admitted' in user
    assert "URLLC 30 of 30 MHz free (0 users)" in user
    assert f"CQI {out['user']['cqi']}" in user


def test_with_the_filter_off_the_model_sees_what_it_hides(
        openai_fake: FakeOpenAIServer, tmp_path: Path, subscriber: Profile) -> None:
    v = subscriber.values
    request = f"{REQUEST}; I live at {v['home_address']}"
    _, on = _sent(openai_fake, tmp_path, subscriber, request, enabled=True)
    _, off = _sent(openai_fake, tmp_path, subscriber, request, enabled=False)
    assert on != off
    assert _flat(v["home_address"]) not in _flat(on) and v["home_address"] in off
    assert v["name"] in off and _flat(v["name"]) not in _flat(on)
    assert v["device"] in on and v["device"] in off  # allowed either way


def test_privacy_filter_changes_model_decisions(
        openai_fake: FakeOpenAIServer, tmp_path: Path, subscriber: Profile) -> None:
    """Replaces the offline check that the filter changes nothing (offline it cannot)."""
    condition = str(subscriber.values["health_condition"])

    def scripted(body: dict) -> Reply:
        # A scripted model that puts anyone it knows to be ill on the low-latency slice.
        seen = json.dumps(body["messages"])
        slice_ = "URLLC" if _flat(condition) in _flat(seen) else "eMBB"
        return Reply.json({**ANSWER, "slice": slice_})

    openai_fake.responder = scripted
    request = f"I want to stream a video call with my doctor about my {condition}"
    decided = {}
    for enabled in (True, False):
        agent = _agent(tmp_path, subscriber, enabled)
        env = SlicingEnv("north", users=3)
        env.reset(seed=0)
        agent.reset(env, episode_id=f"d-{enabled}")
        out = agent.decide(request=request, subscriber_id=subscriber.subscriber_id)
        decided[enabled] = (out["intent"]["source"], out["intent"]["slice"],
                            int(env.slice_of[0]))
    assert decided[True] == ("model", "eMBB", 1)  # the condition never reached the model
    assert decided[False] == ("model", "URLLC", 2)


def test_tiered_backend_gets_the_request_and_the_assembled_prompt(
        openai_fake: FakeOpenAIServer, tmp_path: Path) -> None:
    from wireless_agent import boundary

    openai_fake.responder = lambda body: Reply.json({**ANSWER, "slice": "eMBB",
                                                     "confidence": 0.99})
    memory = AgentMemory.open(tmp_path / "m")
    agent = SlicingAgent(AgentConfig(model="tiered:offline,openai:gpt-fake", timeout_s=5.0),
                         memory=memory)
    env = SlicingEnv("north", users=3)
    env.reset(seed=0)
    agent.reset(env, episode_id="tiers")
    unsure = "online polling and surveys"  # below the device threshold: it climbs
    with boundary.recording() as rec:
        out = agent.decide(request=unsure)
    device = [r for r in rec if r.backend == "offline"]
    assert [r.text for r in device] == [unsure]  # the request itself, nothing re-parsed
    [body] = openai_fake.chat_requests
    assert [(m["role"], m["content"]) for m in body["messages"]] == [
        (role, text) for role, text in out["prompt"]]
    assert "Labelled examples of similar requests:" in out["prompt"][1][1]
    assert out["intent"]["tier"] == "openai:gpt-fake"
