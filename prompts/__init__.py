"""Prompt templates, one file per prompt, loaded by name."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from string import Template

PROMPT_DIR = Path(__file__).parent


@cache
def load(name: str) -> Template:
    """The template `prompts/NAME.md` ($-placeholders, so JSON braces need no escaping)."""
    path = PROMPT_DIR / f"{name}.md"
    if not path.is_file():
        raise KeyError(f"no prompt named {name!r} in {PROMPT_DIR}")
    return Template(path.read_text(encoding="utf-8").strip())


def render(name: str, **values: object) -> str:
    """The prompt `name` with its $-placeholders filled."""
    return load(name).substitute({k: str(v) for k, v in values.items()})


_MARKED = re.compile(r"<<<REQUEST\n(.*)\nREQUEST>>>", re.DOTALL)


def marked_request(text: str) -> str:
    """The request between a perception prompt's markers (the whole text without markers).

    For loopback fakes that answer by the request they received; the agent never needs it.
    """
    found = _MARKED.search(text)
    return found.group(1) if found else text
