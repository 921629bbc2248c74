"""The agent graph's nodes, one module each: perception, memory, privacy, planning, action."""

from wireless_agent.nodes.action import action
from wireless_agent.nodes.memory import memory
from wireless_agent.nodes.perception import perception
from wireless_agent.nodes.planning import planning
from wireless_agent.nodes.privacy import privacy

__all__ = ["action", "memory", "perception", "planning", "privacy"]
