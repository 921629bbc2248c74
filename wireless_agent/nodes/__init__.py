"""The agent graph's nodes, one module each, in graph order."""

from wireless_agent.nodes.action import action
from wireless_agent.nodes.assemble import assemble
from wireless_agent.nodes.memory import memory
from wireless_agent.nodes.observe import observe
from wireless_agent.nodes.perception import perception
from wireless_agent.nodes.planning import planning
from wireless_agent.nodes.privacy import privacy

__all__ = ["action", "assemble", "memory", "observe", "perception", "planning", "privacy"]
