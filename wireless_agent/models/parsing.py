"""Turn a model's text reply into a validated pydantic object, or one line saying why not."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

Validator = Callable[[BaseModel], "str | None"]
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")


def _load_json(text: str) -> Any:
    """The JSON value in `text`, tolerating code fences, prose around one object, and raw
    newlines or tabs inside strings (models write multi-line explanations that way)."""
    stripped = _FENCE.sub("", text.strip()).strip()
    try:
        return json.loads(stripped, strict=False)
    except json.JSONDecodeError as first:
        start, end = stripped.find("{"), stripped.rfind("}")
        if 0 <= start < end:
            try:
                return json.loads(stripped[start : end + 1], strict=False)
            except json.JSONDecodeError:
                pass
        raise first


def format_validation_error(exc: ValidationError) -> str:
    """A compact one-line summary of pydantic's errors (field: problem; ...)."""
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ())) or "answer"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def parse_reply(
    text: str, schema: type[BaseModel], validate: Validator | None = None
) -> tuple[BaseModel | None, str | None]:
    """The reply parsed into `schema` and checked by `validate`, or None and the reason."""
    if not text or not text.strip():
        return None, "empty reply"
    try:
        data = _load_json(text)
    except json.JSONDecodeError as exc:
        return None, f"reply is not valid JSON ({exc.msg} at char {exc.pos})"
    if not isinstance(data, dict):
        return None, f"reply is JSON {type(data).__name__}, expected one object"
    try:
        obj = schema.model_validate(data)
    except ValidationError as exc:
        return None, format_validation_error(exc)
    if validate is not None:
        problem = validate(obj)
        if problem:
            return None, problem
    return obj, None
