"""Caps on what a user may feed the agent: one request line is cut before any prompt sees it."""

from __future__ import annotations

# A subscriber request or an operator question is a sentence or two; a line a thousand times
# longer is pasted by mistake or hostile, and would otherwise go whole into every prompt.
MAX_REQUEST_CHARS = 2_000


def cap_request(text: str, limit: int = MAX_REQUEST_CHARS) -> tuple[str, int]:
    """`text` cut to `limit` characters, and how many were cut (0 when it fits)."""
    if len(text) <= limit:
        return text, 0
    return text[:limit], len(text) - limit


def cut_note(where: str, cut: int, limit: int = MAX_REQUEST_CHARS) -> str:
    """One line saying a request was cut, and by how much."""
    return (f"{where}: {cut} characters past the first {limit} were cut (a request is read up "
            f"to {limit} characters)")
