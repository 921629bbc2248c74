"""WirelessAgent: an LLM agent for wireless network slicing."""

__version__ = "0.1.0"
