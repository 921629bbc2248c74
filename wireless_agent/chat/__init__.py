"""`wireless-agent chat`: an interactive REPL with the agent on a live slicing network."""

from wireless_agent.chat.repl import run_chat
from wireless_agent.chat.session import ChatOptions, ChatSession

__all__ = ["ChatOptions", "ChatSession", "run_chat"]
