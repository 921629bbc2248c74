"""Result files of an evaluation: appended JSONL, atomic CSV/JSON, and the run manifest."""

from __future__ import annotations

import csv
import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from evals.records import DecisionRow, UnitLine

DECISIONS = "decisions.jsonl"
UNITS = "units.jsonl"
SUMMARY = "summary.csv"
MANIFEST = "manifest.json"
LOCK = ".lock"
PROVENANCE = "provenance"  # manifest key that says how a run was made, not what it is
SUMMARY_COLUMNS = (
    "scenario", "method", "seed", "users", "throughput_mbps", "bandwidth_utilization",
    "embb_utilization", "urllc_utilization", "admitted", "rejected", "min_rate_violations",
    "intent_accuracy", "llm_calls", "prompt_tokens", "completion_tokens", "fallbacks",
    "errors", "decision_ms_p50", "model", "tier_shares", "planner", "planner_fallbacks",
    # Over the seeds of the same (scenario, method, N): the row's group, repeated on each row.
    "seeds", "throughput_mean_mbps", "throughput_ci95_mbps", "admitted_mean", "admitted_ci95",
    # Dynamic mode only: time-averaged Mbps against the per-interval bound, blocking.
    "time_avg_throughput_mbps", "bound_mbps", "ratio_to_bound", "blocking_rate",
    "peak_violations", "ratio_to_bound_mean", "ratio_to_bound_ci95", "label_bound_mbps",
    "ratio_to_label_bound", "ratio_to_label_bound_mean", "ratio_to_label_bound_ci95",
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


def write_csv(path: Path, rows: Sequence[Mapping[str, object]], columns: tuple[str, ...]
              ) -> None:
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

    def write(self, row: Mapping[str, object]) -> None:
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


def _identity(manifest: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in manifest.items() if k != PROVENANCE}


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The manifest of a results folder, or None when it has none; one line if unreadable."""
    mpath = out / MANIFEST
    if not mpath.is_file():
        return None
    try:
        data = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{mpath} is unreadable ({type(exc).__name__}); restore it or "
                           "choose another --out") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{mpath} is not a manifest; restore it or choose another --out")
    return data


def check_out_dir(out: Path) -> None:
    """One line if `out` cannot hold results (a file, under a file, or not writable)."""
    for parent in [out, *out.parents]:
        if parent.exists():
            if not parent.is_dir():
                what = "is a file" if parent == out else f"is under {parent}, which is a file"
                raise ResultsError(f"--out {out} {what}; give a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise ResultsError(f"--out {out}: {parent} is not writable; give a folder "
                                   "you can write to")
            return


def prepare_dir(out: Path, manifest: dict[str, Any], resume: bool) -> None:
    """Create `out` or check it may be resumed with the same arguments."""
    check_out_dir(out)
    old = read_manifest(out)
    if old is not None:
        if not resume:
            raise ResultsError(f"{out} already holds results; pass --resume to continue them "
                               "or choose another --out")
        old_id, new_id = _identity(old), _identity(manifest)
        if old_id != new_id:
            changed = sorted(k for k in set(old_id) | set(new_id)
                             if old_id.get(k) != new_id.get(k))
            raise ResultsError(f"{out} holds results made with other arguments "
                               f"({', '.join(changed)}); use the same ones or another --out")
        return
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_atomic(out / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
    except OSError as exc:
        raise ResultsError(f"cannot write results in {out} ({exc.strerror}); give a folder "
                           "you can write to") from None


@contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """Hold the results folder for one run; a second run gets one line naming the holder."""
    path = out / LOCK
    try:
        fh = path.open("a+", encoding="utf-8")
    except OSError as exc:
        raise ResultsError(f"cannot lock {out} ({exc.strerror}); give a folder you can "
                           "write to") from None
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise ResultsError(f"{out} is in use by another run ({holder}); wait for it to "
                               "end or choose another --out") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        yield
    finally:
        fh.close()  # closing releases the lock


def _is_decision(row: Any) -> bool:
    action = row.get("action") if isinstance(row, dict) else None
    return (isinstance(row.get("unit") if isinstance(row, dict) else None, str)
            and isinstance(row.get("step"), int) and not isinstance(row.get("step"), bool)
            and row["step"] >= 0 and isinstance(action, dict)
            and {"intent", "admit", "bandwidth", "reallocate"} <= set(action))


def read_decisions(path: Path) -> list[DecisionRow]:
    """The decisions of a decisions.jsonl, for reading (report, plots): lines that are not
    decisions (a torn last line, no unit, step or action) are left out. Fields other than
    those may be missing in a run of an older version: read them with .get."""
    return [cast("DecisionRow", r) for r in read_jsonl(path) if _is_decision(r)]


def load_decisions(path: Path, keep: set[str]) -> dict[str, list[DecisionRow]]:
    """Logged decisions per unit, in step order, repaired on disk; one line if unrepairable.

    A torn last line (a killed run) and decisions repeated with the same action (two runs at
    once) are dropped; a line that is not a decision, a step logged twice with different
    actions, or a hole before later steps cannot be repaired and is refused.
    """
    if not path.is_file():
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path} is unreadable ({type(exc).__name__}); restore it or "
                           "choose another --out") from None
    lines = text.splitlines()
    by_unit: dict[str, dict[int, DecisionRow]] = {}
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            if no == len(lines):
                continue  # torn by a kill mid-write: that decision is made again
            raise ResultsError(f"{path}: line {no} is not valid JSON; delete that unit's lines "
                               "from there on (they are run again) or choose another --out"
                               ) from None
        if not _is_decision(row):
            raise ResultsError(f"{path}: line {no} is not a decision (needs unit, step and "
                               "action); delete it or choose another --out")
        if row["unit"] not in keep:
            continue
        steps = by_unit.setdefault(row["unit"], {})
        seen = steps.get(row["step"])
        if seen is None:
            # Checked as far as replay needs (unit, step, action); other fields are read with
            # .get, since a run of an older version may lack some.
            steps[row["step"]] = cast("DecisionRow", row)
        elif seen["action"] != row["action"]:
            raise ResultsError(f"{path}: line {no} logs step {row['step']} of {row['unit']} "
                               "again with another action; delete the unit's lines or choose "
                               "another --out")
    out: dict[str, list[DecisionRow]] = {}
    for unit, steps in by_unit.items():
        order = sorted(steps)
        if order != list(range(len(order))):
            hole = next(i for i, s in enumerate(order) if s != i)
            raise ResultsError(f"{path}: {unit} has no step {hole} but has later steps; delete "
                               f"that unit's lines from step {hole} on or choose another --out")
        out[unit] = [steps[s] for s in order]
    repaired = "".join(json.dumps(r, default=_jsonable, separators=(",", ":")) + "\n"
                       for rows in out.values() for r in rows)
    if repaired != text:
        write_atomic(path, repaired)
    return out


def load_units(path: Path) -> dict[str, UnitLine]:
    """Finished units by key; a torn last line is dropped, any other bad line refused."""
    if not path.is_file():
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    done: dict[str, UnitLine] = {}
    for no, line in enumerate(lines, 1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            if no == len(lines):
                continue
            raise ResultsError(f"{path}: line {no} is not valid JSON; delete it (that unit is "
                               "run again) or choose another --out") from None
        if not (isinstance(row, dict) and isinstance(row.get("unit"), str)
                and isinstance(row.get("rows"), list)):
            raise ResultsError(f"{path}: line {no} is not a finished unit; delete it or choose "
                               "another --out")
        done[row["unit"]] = cast("UnitLine", row)
    return done
