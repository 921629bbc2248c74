"""Result files of an evaluation: appended JSONL, atomic CSV/JSON, and the run manifest."""

from __future__ import annotations

import csv
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

DECISIONS = "decisions.jsonl"
UNITS = "units.jsonl"
SUMMARY = "summary.csv"
MANIFEST = "manifest.json"
SUMMARY_COLUMNS = (
    "scenario", "method", "seed", "users", "throughput_mbps", "bandwidth_utilization",
    "embb_utilization", "urllc_utilization", "admitted", "rejected", "min_rate_violations",
    "intent_accuracy", "llm_calls", "prompt_tokens", "completion_tokens", "fallbacks",
    "errors", "decision_ms_p50", "model", "tier_shares",
)


class ResultsError(ValueError):
    """A results folder that cannot be used as asked (one line: what and what to do)."""


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every complete line of a JSONL file; a torn last line (killed mid-write) is dropped."""
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` so that readers see the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, 0o644)  # mkstemp makes files private; results are meant to be shared
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_csv(path: Path, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    """Write rows as CSV atomically (unknown keys are left out)."""
    import io

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, buf.getvalue())


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV file as dicts of strings."""
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


class JsonlWriter:
    """Appends one JSON object per line, flushed at once, safe across threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fh = path.open("a", encoding="utf-8")

    def write(self, row: dict[str, Any]) -> None:
        """Append and flush one line."""
        line = json.dumps(row, default=_jsonable, separators=(",", ":")) + "\n"
        with self._lock:
            self._fh.write(line)
            self._fh.flush()

    def close(self) -> None:
        """Close the file."""
        self._fh.close()


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def repair_jsonl(path: Path, keep: set[str] | None = None) -> list[dict[str, Any]]:
    """Drop a torn last line (and, with `keep`, lines of other units); returns what stays."""
    rows = read_jsonl(path)
    if keep is not None:
        rows = [r for r in rows if r.get("unit") in keep]
    text = "".join(json.dumps(r, default=_jsonable, separators=(",", ":")) + "\n" for r in rows)
    if path.is_file() and path.read_text(encoding="utf-8") != text:
        write_atomic(path, text)
    return rows


def prepare_dir(out: Path, manifest: dict[str, Any], resume: bool) -> None:
    """Create `out` or check it may be resumed with the same arguments."""
    mpath = out / MANIFEST
    if mpath.is_file():
        old = json.loads(mpath.read_text(encoding="utf-8"))
        if not resume:
            raise ResultsError(f"{out} already holds results; pass --resume to continue them "
                               "or choose another --out")
        if old != manifest:
            changed = sorted(k for k in set(old) | set(manifest) if old.get(k) != manifest.get(k))
            raise ResultsError(f"{out} holds results made with other arguments "
                               f"({', '.join(changed)}); use the same ones or another --out")
        return
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(mpath, json.dumps(manifest, indent=2, sort_keys=True))
