"""A WirelessBench run: items answered in parallel, scored, appended, resumable, summarised."""

from __future__ import annotations

import contextvars
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from evals.results import JsonlWriter, prepare_dir, repair_jsonl, write_atomic
from evals.wirelessbench.agent import AgentOptions, BenchAgent
from evals.wirelessbench.data import DATA_DIR, WirelessBenchError, load_items
from evals.wirelessbench.rules import parse_rules
from evals.wirelessbench.scoring import COMPONENTS, SCORERS, WCMSA_WEIGHTS, WCNS_WEIGHTS
from evals.wirelessbench.scoring import components as component_scores

SCORES = "scores.jsonl"
PREDICTIONS = "predictions.jsonl"
SUMMARY = "summary.json"
FIGURE = "wirelessbench.png"
WEIGHTS = {"wcns": WCNS_WEIGHTS, "wcmsa": WCMSA_WEIGHTS}


@dataclass(frozen=True)
class RunConfig:
    """What to run: task, items, agent options, and how many items at once."""

    task: str = "wcns"
    split: str = "test"
    data: str | None = None
    limit: int | None = None
    model: str = "offline"
    privacy: bool = True
    ray_tracing: str = "precomputed"
    timeout_s: float = 30.0
    concurrency: int | None = None
    label: str = ""  # e.g. "scripted" for a run against a scripted fake server

    def manifest(self) -> dict[str, Any]:
        """The arguments a resumed run must share (concurrency may change)."""
        out = asdict(self)
        out.pop("concurrency")
        return {"kind": "wirelessbench", **out}


def published_points() -> list[dict[str, Any]]:
    """The WirelessBench authors' published reference points."""
    return json.loads((DATA_DIR / "published.json").read_text(encoding="utf-8"))["points"]


class WirelessBenchRun:
    """One task's items into a results folder, appending scores as it goes."""

    def __init__(self, cfg: RunConfig, out: Path, resume: bool = False,
                 agent: BenchAgent | None = None) -> None:
        if cfg.limit is not None and cfg.limit < 1:
            raise WirelessBenchError("--limit must be at least 1")
        self.cfg = cfg
        self.out = Path(out)
        items = load_items(cfg.task, cfg.split, Path(cfg.data) if cfg.data else None)
        self.items = items[: cfg.limit] if cfg.limit else items
        for item in self.items:  # an item whose rules cannot be read fails now, not midway
            parse_rules(item)
        prepare_dir(self.out, cfg.manifest(), resume)
        keys = {self.key(i) for i in self.items}
        self.done = {r["unit"]: r for r in repair_jsonl(self.out / SCORES, keep=keys)}
        self._agent = agent
        self._agent_lock = threading.Lock()

    def key(self, item: dict[str, Any]) -> str:
        """The unit of an item in the scores file."""
        return f"{self.cfg.task}:{item['id']}"

    @property
    def todo(self) -> list[dict[str, Any]]:
        """Items not scored yet."""
        return [i for i in self.items if self.key(i) not in self.done]

    def agent(self) -> BenchAgent:
        """The agent (built once, on first use)."""
        with self._agent_lock:
            if self._agent is None:
                self._agent = BenchAgent(AgentOptions(
                    model=self.cfg.model, timeout_s=self.cfg.timeout_s,
                    privacy=self.cfg.privacy, ray_tracing=self.cfg.ray_tracing))
            return self._agent

    def run(self, on_item: Callable[[], None] | None = None) -> dict[str, Any]:
        """Answer and score what is left; returns the summary (also written to summary.json)."""
        writer = JsonlWriter(self.out / SCORES)
        lock = threading.Lock()

        def one(item: dict[str, Any]) -> None:
            row = self.score_item(item)
            writer.write(row)
            with lock:
                self.done[row["unit"]] = row
            if on_item is not None:
                on_item()

        try:
            todo = self.todo
            workers = self.cfg.concurrency or (8 if self.cfg.model != "offline" else 1)
            if todo:
                self.agent()
            if workers <= 1 or len(todo) <= 1:
                for item in todo:
                    one(item)
            else:
                # Each worker runs in a copy of this context, so a boundary recording sees all.
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    futures = [pool.submit(contextvars.copy_context().run, one, i)
                               for i in todo]
                    try:
                        for f in futures:
                            f.result()
                    except BaseException:  # Ctrl-C or a crash: do not start queued items
                        for f in futures:
                            f.cancel()
                        raise
        finally:
            writer.close()
        return self.finish()

    def score_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """Answer one item and score the answer with WirelessBench's rules."""
        answer = self.agent().answer(self.cfg.task, item)
        score, extracted = SCORERS[self.cfg.task](item["answer"], answer["prediction"])
        return {"unit": self.key(item), "id": item["id"], "score": score,
                "components": component_scores(self.cfg.task, extracted),
                "prediction": answer["prediction"], "extracted": extracted,
                "steps": answer["steps"], "latency_ms": answer["latency_ms"]}

    def finish(self) -> dict[str, Any]:
        """Write predictions.jsonl (their format, item order) and summary.json atomically."""
        rows = [self.done[self.key(i)] for i in self.items if self.key(i) in self.done]
        text = "".join(json.dumps({"question": i["question"],
                                   "prediction": self.done[self.key(i)]["prediction"]},
                                  ensure_ascii=False) + "\n"
                       for i in self.items if self.key(i) in self.done)
        write_atomic(self.out / PREDICTIONS, text)
        summary = summarise(self.cfg, rows, len(self.items))
        write_atomic(self.out / SUMMARY, json.dumps(summary, indent=2))
        return summary


def summarise(cfg: RunConfig, rows: list[dict[str, Any]], total: int) -> dict[str, Any]:
    """Overall score, each component's mean, and how the answers were produced."""
    n = len(rows)
    names = COMPONENTS[cfg.task]
    mean = {c: (sum(r["components"][c] for r in rows) / n if n else 0.0) for c in names}
    intents = [r["steps"]["intent"] for r in rows]
    return {
        "task": cfg.task, "split": cfg.split if cfg.data is None else None, "data": cfg.data,
        "model": cfg.model, "label": cfg.label, "ray_tracing": cfg.ray_tracing,
        "items": n, "items_total": total,
        "overall": sum(r["score"] for r in rows) / n if n else 0.0,
        "components": mean, "weights": WEIGHTS[cfg.task],
        # Items where a component fell short: where to look for the agent's or the gold's error.
        "short_of_full": {c: sum(1 for r in rows if r["components"][c] < 1.0) for c in names},
        "slice_sources": dict(Counter(i["source"] for i in intents)),
        "ray_tracing_sources": dict(Counter(r["steps"]["ray_tracing"]["source"] for r in rows)),
        "model_calls": sum(i.get("calls", 0) for i in intents),
        "model_errors": sum(1 for i in intents if i.get("error")),
        "prompt_tokens": sum(i.get("prompt_tokens", 0) for i in intents),
        "completion_tokens": sum(i.get("completion_tokens", 0) for i in intents),
        "latency_ms_p50": _median([r["latency_ms"] for r in rows]),
        "published": published_points(),
        "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _median(values: list[float]) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
