"""The shipped WirelessBench data (WCNS, WCMSA; test and validate) and user-given item files."""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

from wireless_agent.radio import RayTracer, RayTracingTable

DATA_DIR = Path(__file__).parent / "data"
TASKS = ("wcns", "wcmsa")
SPLITS = ("test", "validate")
REGION_TABLES = {
    "HKUST_Center": "ray_tracing_results_center.csv",
    "HKUST_North": "ray_tracing_results_north.csv",
    "HKUST_South": "ray_tracing_results_south.csv",
}
_INPUT_FIELDS = {
    "wcns": ("embb_users", "urllc_users", "user_x", "user_y", "region", "service_request"),
    "wcmsa": ("trajectory", "region", "service_request", "min_rate", "embb_users",
              "urllc_users"),
}


class WirelessBenchError(ValueError):
    """Bad benchmark input: the message is one line saying what is wrong and what to do."""


def dataset_path(task: str, split: str) -> Path:
    """The shipped file of a task's split."""
    check_task(task)
    if split not in SPLITS:
        raise WirelessBenchError(f"--split {split!r} is unknown; use {' or '.join(SPLITS)}")
    return DATA_DIR / f"{task}_{split}.jsonl.gz"


def check_task(task: str) -> None:
    """Raise a one-line error for a task that is not WCNS or WCMSA."""
    if task not in TASKS:
        raise WirelessBenchError(f"--task {task!r} is unknown; use {' or '.join(TASKS)}")


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        raise WirelessBenchError(f"{path}: no such file; give a WirelessBench JSONL file "
                                 "(e.g. datasets/wcns_test.jsonl of a checkout)")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                return fh.read().splitlines()
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise WirelessBenchError(f"{path}: cannot be read ({type(exc).__name__}); give a "
                                 "UTF-8 JSONL file, optionally gzip'ed") from None


def load_items(task: str, split: str = "test", data: Path | None = None) -> list[dict[str, Any]]:
    """The items of a task: the shipped split, or the JSONL file at `data`, checked."""
    check_task(task)
    path = Path(data) if data is not None else dataset_path(task, split)
    items: list[dict[str, Any]] = []
    for n, line in enumerate(_lines(path), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise WirelessBenchError(f"{path} line {n}: not JSON ({exc.msg}); each line must "
                                     "be one WirelessBench item") from None
        problem = _problem(task, item)
        if problem:
            raise WirelessBenchError(f"{path} line {n}: {problem}; is this a {task.upper()} "
                                     "file?")
        item.setdefault("id", n)
        items.append(item)
    if not items:
        raise WirelessBenchError(f"{path}: holds no items")
    ids = [str(i["id"]) for i in items]
    if len(set(ids)) != len(ids):
        raise WirelessBenchError(f"{path}: item ids repeat; give each item its own id")
    return items


def _problem(task: str, item: Any) -> str | None:
    if not isinstance(item, dict):
        return "not a JSON object"
    for key in ("question", "input", "answer"):
        if key not in item:
            return f"no {key!r} field"
    if not isinstance(item["input"], dict) or not isinstance(item["answer"], dict):
        return "'input' and 'answer' must be objects"
    missing = [k for k in _INPUT_FIELDS[task] if k not in item["input"]]
    return f"input lacks {', '.join(missing)}" if missing else None


@cache
def shipped_ray_tracer() -> RayTracer:
    """The ray-tracing tool over WirelessBench's three HKUST region tables."""
    return RayTracer({region: RayTracingTable.from_csv(DATA_DIR / "ray_tracing" / name, region)
                      for region, name in REGION_TABLES.items()})
