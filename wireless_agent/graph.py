"""The agent graph: perception -> memory -> privacy -> planning -> action, for one user."""

from __future__ import annotations

from functools import cache
from typing import Any

from langgraph.graph import END, START, StateGraph

from wireless_agent.context import AgentContext
from wireless_agent.nodes import action, memory, perception, planning, privacy
from wireless_agent.state import AgentState

NODES = ("perception", "memory", "privacy", "planning", "action")


def build_graph(checkpointer: Any = None) -> Any:
    """Compile the five-node graph (a checkpointer only for chat sessions that must persist)."""
    graph = StateGraph(AgentState, context_schema=AgentContext)
    graph.add_node("perception", perception)
    graph.add_node("memory", memory)
    graph.add_node("privacy", privacy)
    graph.add_node("planning", planning)
    graph.add_node("action", action)
    graph.add_edge(START, "perception")
    graph.add_edge("perception", "memory")
    graph.add_edge("memory", "privacy")
    graph.add_edge("privacy", "planning")
    graph.add_edge("planning", "action")
    graph.add_edge("action", END)
    return graph.compile(checkpointer=checkpointer)


@cache
def default_graph() -> Any:
    """The graph compiled once per process for batch runs (no checkpointer)."""
    return build_graph()
