"""What every model backend offers the graph, the chat and the baselines (no implementation)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel

from wireless_agent.models.parsing import Validator
from wireless_agent.models.stats import CallStats

if TYPE_CHECKING:
    from langchain_core.messages import AIMessage, BaseMessage

# A prompt: one user text, or (role, text) pairs such as [("system", ...), ("user", ...)].
Prompt = str | Sequence[tuple[str, str]]


@runtime_checkable
class Backend(Protocol):
    """A model behind a spec: structured answers and chat turns that never raise on failure."""

    name: str
    timeout_s: float

    @property
    def remote(self) -> bool:
        """Whether prompts leave this process."""
        ...

    @property
    def endpoint(self) -> str:
        """The server(s) this backend talks to."""
        ...

    def structured(
        self,
        role: str,
        prompt: Prompt,
        schema: type[BaseModel],
        validate: Validator | None = None,
        retries: int = 1,
        *,
        request: str | None = None,
    ) -> tuple[BaseModel | None, CallStats]:
        """One `schema` object for `prompt` (`request`: the raw request it was built around)."""
        ...

    def chat(
        self,
        role: str,
        messages: Prompt | Sequence[BaseMessage],
        tools: Sequence[Any] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> tuple[AIMessage | None, CallStats]:
        """One chat turn, tools bound if given; None with the error in the stats on failure."""
        ...
