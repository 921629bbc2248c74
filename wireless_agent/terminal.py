"""The command line's consoles and how bad input becomes one line (`fail`, `guarded`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

T = TypeVar("T")
# Piped output keeps whole table rows: a file has no terminal width to fit.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


def fail(message: str) -> NoReturn:
    """Print one line naming what is wrong and exit with status 2."""
    # Escaped: a path or an install hint ('wireless-agent[cluster]') is not rich markup.
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def user_errors() -> tuple[type[BaseException], ...]:
    """Exception types that mean bad input, reported as one line instead of a traceback."""
    from env.scenarios import ScenarioError
    from evals.results import ResultsError
    from evals.slicing_eval import EvalError
    from wireless_agent.chat.store import SessionStoreError
    from wireless_agent.config import ConfigError
    from wireless_agent.memory.store import MemoryStoreError

    kinds: list[type[BaseException]] = [ScenarioError, EvalError, ResultsError, MemoryStoreError,
                                        SessionStoreError, ConfigError]
    try:
        from wireless_agent.models import BackendError, ModelSpecError

        kinds += [BackendError, ModelSpecError]
    except ImportError:
        pass
    return tuple(kinds)


def guarded(fn: Callable[[], T]) -> T:
    """Run `fn`, turning user errors into one clear line."""
    try:
        return fn()
    except user_errors() as exc:
        fail(str(exc))
        raise  # unreachable: fail exits
