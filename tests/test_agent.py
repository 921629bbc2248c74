"""The agent graph end to end: structure, offline decisions on the paper scenarios, memory."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from env import SlicingEnv
from evals.slicing_eval import EvalConfig, Evaluation
from wireless_agent.agent import SlicingAgent
from wireless_agent.config import AgentConfig
from wireless_agent.graph import NODES, build_graph
from wireless_agent.memory.store import AgentMemory, MemoryStoreError


def test_graph_has_the_five_nodes_in_order() -> None:
    graph = build_graph().get_graph()
    assert [n for n in graph.nodes if not n.startswith("__")] == list(NODES)
    edges = {(e.source, e.target) for e in graph.edges}
    chain = ["__start__", *NODES, "__end__"]
    assert edges == set(zip(chain, chain[1:], strict=False))


@pytest.fixture(scope="module")
def paper_results(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """The offline agent and the optimum on the three paper scenarios at N = 30."""
    out = tmp_path_factory.mktemp("eval") / "r"
    cfg = EvalConfig(methods=["agent", "optimal"], users=[30])
    return Evaluation(cfg, out).run()


@pytest.mark.parametrize("scenario", ["center", "north", "south"])
def test_offline_agent_is_near_the_optimum(paper_results: list[dict], scenario: str) -> None:
    rows = {r["method"]: r for r in paper_results if r["scenario"] == scenario}
    agent, optimal = rows["agent"], rows["optimal"]
    assert agent["min_rate_violations"] == 0
    assert agent["admitted"] >= optimal["admitted"] - 1
    assert agent["throughput_mbps"] >= 0.98 * optimal["throughput_mbps"]
    assert agent["intent_accuracy"] >= 0.9
    assert agent["llm_calls"] == 0


def test_agent_decision_explains_and_steps_the_env(tmp_path: Path) -> None:
    agent = SlicingAgent(AgentConfig(), memory=AgentMemory.open(tmp_path / "m"))
    env = SlicingEnv("north", users=3)
    env.reset(seed=0)
    agent.reset(env, episode_id="t")
    out = agent.decide(request="I need to steer a surgical robot from another hospital")
    assert out["intent"]["slice"] == "URLLC"
    assert env.t == 1 and env.slice_of[0] == 2
    assert "URLLC" in out["explanation"] and "admitted" in out["explanation"]
    assert [t["node"] for t in out["trace"]] == list(NODES)
    agent.end_episode()
    assert len(agent.memory.recall_episodes("surgical robot", k=1)) == 1


@pytest.mark.slow  # a second Python process
def test_a_new_process_reopens_the_persisted_memory(tmp_path: Path) -> None:
    agent = SlicingAgent(AgentConfig(), memory=AgentMemory.open(tmp_path / "m"))
    env = SlicingEnv("north", users=3)
    env.reset(seed=0)
    agent.reset(env, episode_id="t")
    agent.decide(request="I need to steer a surgical robot from another hospital")
    agent.end_episode()
    # A new process reopens the persisted memory with its registered embedding function.
    code = (f"from wireless_agent.memory.store import AgentMemory; "
            f"m = AgentMemory.open({str(tmp_path / 'm')!r}); "
            f"print(len(m.recall_episodes('surgical robot', k=1)))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert res.stdout.strip() == "1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # starts a Chroma server process
def test_memory_on_a_chroma_server(tmp_path: Path) -> None:
    chroma = Path(sys.executable).with_name("chroma")
    port = _free_port()
    proc = subprocess.Popen([str(chroma), "run", "--path", str(tmp_path / "db"), "--host",
                             "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                memory = AgentMemory.open(url=url)
                break
            except MemoryStoreError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        agent = SlicingAgent(AgentConfig(), memory=memory)
        env = SlicingEnv("south", users=5)
        obs, _ = env.reset(seed=0)
        agent.reset(env, episode_id="server")
        for _ in range(5):
            agent.act(env, obs)
        agent.end_episode()
        assert memory.episodes.count() == 5
        assert memory.traffic_profile("south").episodes == 1
        assert memory.recall_knowledge("remote surgery robot", key="u", k=2)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_unreachable_chroma_server_is_one_line() -> None:
    with pytest.raises(MemoryStoreError, match="no Chroma server answers") as err:
        AgentMemory.open(url=f"http://127.0.0.1:{_free_port()}")
    assert "\n" not in str(err.value)


def test_unclear_request_is_rejected_and_counted(tmp_path: Path) -> None:
    import dataclasses

    agent = SlicingAgent(AgentConfig(), memory=AgentMemory.open(tmp_path / "m"))
    env = SlicingEnv("north", users=3)
    obs, _ = env.reset(seed=0)
    agent.reset(env, episode_id="u")
    env.replace_arrival(dataclasses.replace(env.current.user, request="asdf qwerty zxcv"))
    decision = agent.act(env, obs)
    rec, info = decision.record, decision.step[4]
    assert rec["intent"] == "unclear" and rec["unclear"] and rec["reason"] == "unclear"
    assert rec["slice"] is None and rec["question"]
    assert decision.action["intent"] == 0 and decision.action["admit"] == 0
    assert not info["admitted_now"] and info["rejected"] == 1
    # A request with figures carries them into the record, with the 5QI they map to.
    env.replace_arrival(dataclasses.replace(
        env.current.user, request="cycle time 1 ms, 99.999 % reliability for the press PLC"))
    rec = agent.act(env, decision.step[0]).record
    assert rec["intent"] == "URLLC" and "unclear" not in rec
    assert rec["requirements"]["5qi"]["resource_type"] == "Delay-critical GBR"
    assert rec["requirements"]["per"] == pytest.approx(1e-5)
