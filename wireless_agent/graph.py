"""The agent graph, top to bottom: observe, memory, privacy, assemble, perceive, plan, act."""

from __future__ import annotations

from functools import cache
from typing import Any

from langgraph.graph import END, START, StateGraph

from wireless_agent.context import AgentContext
from wireless_agent.nodes import action, assemble, memory, observe, perception, planning, privacy
from wireless_agent.state import AgentInput, AgentState

# Retrieval and the filter come before the model call, so the prompt holds what passed.
NODES = ("observe", "memory", "privacy", "assemble", "perception", "planning", "action")
_FUNCTIONS = {"observe": observe, "memory": memory, "privacy": privacy, "assemble": assemble,
              "perception": perception, "planning": planning, "action": action}


def build_graph(checkpointer: Any = None) -> Any:
    """Compile the graph (a checkpointer only for chat sessions that must persist)."""
    graph = StateGraph(AgentState, context_schema=AgentContext, input_schema=AgentInput)
    for name in NODES:
        graph.add_node(name, _FUNCTIONS[name])
    graph.add_edge(START, NODES[0])
    for a, b in zip(NODES, NODES[1:], strict=False):
        graph.add_edge(a, b)
    graph.add_edge(NODES[-1], END)
    return graph.compile(checkpointer=checkpointer)


@cache
def default_graph() -> Any:
    """The graph compiled once per process for batch runs (no checkpointer)."""
    return build_graph()
