"""The error a backend raises when it cannot be used at all."""

from __future__ import annotations


class BackendError(RuntimeError):
    """A backend that cannot be used (the message is one line saying why and what to do)."""
