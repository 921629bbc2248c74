"""Warnings said once per process, shared by the backends and the tiers."""

from __future__ import annotations

import logging
import threading

_WARNED: set[str] = set()
_WARNED_LOCK = threading.Lock()


def warn_once(logger: logging.Logger, key: str, message: str, *args: object) -> None:
    """Log a warning on `logger` the first time `key` is seen in this process."""
    with _WARNED_LOCK:
        if key in _WARNED:
            return
        _WARNED.add(key)
    logger.warning(message, *args)
