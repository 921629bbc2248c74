"""Model errors: the one a backend raises when it cannot be used, and which failures are outages."""

from __future__ import annotations

import re

# Failures that will repeat on the next call too: the server is down, throttling, or
# misconfigured (a rate limit is an outage until it lifts; a bad key or model never answers).
_OUTAGE = re.compile(
    r"^(connection failed|timeout|HTTP (5\d\d|429|401|403|404)\b)|needs OPENAI_API_KEY"
)
# An HTTP 500 naming one of these is the server refusing this request, not being down.
_REQUEST_FAULT = re.compile(r"valid|schema|response_format|format|parse|unsupported|expected",
                            re.IGNORECASE)


class BackendError(RuntimeError):
    """A backend that cannot be used (the message is one line saying why and what to do)."""


def is_outage(error: str | None) -> bool:
    """Whether a failed call means the server is down (connection, timeout, 5xx, 429, config).

    An HTTP 500 that names a fault in the request (a validation error, a refused format) is
    the server answering deterministically, not an outage: the next request would be served.
    """
    if not error or _OUTAGE.search(error) is None:
        return False
    return not (error.startswith("HTTP 500") and _REQUEST_FAULT.search(error) is not None)
