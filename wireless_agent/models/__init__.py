"""Model backends: spec strings, structured calls through the boundary, checks and listings."""

from wireless_agent.models.backend import ModelBackend, OfflineBackend
from wireless_agent.models.errors import BackendError
from wireless_agent.models.factory import make_backend
from wireless_agent.models.listing import check_backend, list_backends
from wireless_agent.models.protocol import Backend, Prompt
from wireless_agent.models.schemas import IntentDecision, PromptAnswer
from wireless_agent.models.spec import ModelSpec, ModelSpecError, parse_spec
from wireless_agent.models.stats import CallStats

__all__ = [
    "Backend", "BackendError", "CallStats", "IntentDecision", "ModelBackend", "ModelSpec",
    "ModelSpecError", "OfflineBackend", "Prompt", "PromptAnswer", "check_backend",
    "list_backends", "make_backend", "parse_spec",
]
