"""Compare models as network agents: one table and figure per model and planner, one eval code.

Every (model, planner) pair runs the agent through `evals.slicing_eval.Evaluation` on the same
grid, with the optimal allocator beside it, and is scored by the same columns: parse rate,
intent accuracy, throughput / optimal, admitted, violations, calls and tokens per request,
p50/p95 decision latency, fallbacks and timeouts. Local models (`--local smollm2,gemma3`) are
served by llama-server on 127.0.0.1 for the duration, `openai:NAME` and `ollama:NAME` both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evals.results import read_jsonl, write_atomic, write_csv
from evals.slicing_eval import EvalConfig, EvalError, Evaluation
from evals.table import final_rows
from wireless_agent.config import parse_planner
from wireless_agent.model_planner import transport_failure

COLUMNS = (
    "model", "kind", "planner", "scenario", "users", "decisions", "parse_rate",
    "classify_parse_rate", "plan_parse_rate", "intent_accuracy", "throughput_vs_optimal",
    "throughput_mbps", "admitted", "violations", "calls_per_request", "tokens_per_request",
    "latency_p50_ms", "latency_p95_ms", "fallbacks", "planner_fallbacks", "timeouts", "errors",
)
HEADERS = {
    "model": "model", "kind": "kind", "planner": "planner", "parse_rate": "parse rate",
    "intent_accuracy": "intent acc", "throughput_vs_optimal": "thr / optimal",
    "admitted": "admitted", "violations": "violations", "calls_per_request": "calls/req",
    "tokens_per_request": "tokens/req", "latency_p50_ms": "p50 ms", "latency_p95_ms": "p95 ms",
    "fallbacks": "fallbacks", "planner_fallbacks": "plan fallbacks", "timeouts": "timeouts",
}
SHOWN = tuple(HEADERS)


@dataclass
class CompareConfig:
    """Models (each a spec, repeatable: tiered specs hold commas), planners and the grid."""

    models: list[str]
    planners: list[str] = field(default_factory=lambda: ["tools"])
    scenario: str = "center"
    users: int = 10
    seeds: list[int] = field(default_factory=lambda: [0])
    timeout_s: float = 60.0
    warmup: int = 10  # as `eval`: the memory holds past offline episodes
    local: list[str] = field(default_factory=list)  # small models served here by llama-server

    def pairs(self) -> tuple[list[tuple[str, str]], list[str]]:
        """(model, planner) pairs to run, and notes on pairs left out."""
        if not self.models:
            raise EvalError("give at least one --model (repeat it: --model offline "
                            "--model openai:MODEL)")
        bad = [p for p in self.planners if p not in ("tools", "model")]
        if bad or not self.planners:
            raise EvalError(f"--planner {','.join(bad) or '(empty)'}: use tools, model or "
                            "tools,model")
        pairs, notes = [], []
        for m in dict.fromkeys(self.models):
            for p in dict.fromkeys(self.planners):
                if m == "offline" and p == "model":
                    notes.append("offline with --planner model: no model to plan; left out")
                    continue
                pairs.append((m, p))
        return pairs, notes


def kind(spec: str) -> str:
    """How a spec's answers are made, for the table: scripted fakes say so."""
    if spec == "offline":
        return "offline classifier"
    return "scripted" if "scripted" in spec else "real model"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")


def _classify_counts(row: dict[str, Any]) -> tuple[int, int]:
    """(replies, parsed) of a decision's perception calls (planner calls taken out)."""
    calls = int(row.get("model_calls") or 0) - int(row.get("planner_calls") or 0)
    if calls <= 0:
        return 0, 0
    error = row.get("error")
    if row.get("fallback"):
        # Retries are one per bad reply; a transport failure ended the last request unanswered.
        return (calls - 1 if transport_failure(error) else calls), 0
    return calls, 1


def score(spec: str, planner: str, out: Path) -> dict[str, Any]:
    """The compare row of one finished run folder."""
    from evals.plots import load_summary

    decisions = [r for r in read_jsonl(out / "decisions.jsonl") if r.get("method") == "agent"]
    summary = load_summary(out)
    final = next(r for r in final_rows(summary) if r["method"] == "agent")
    n = max(1, len(decisions))
    c_rep = c_ok = p_rep = p_ok = 0
    for r in decisions:
        rep, ok = _classify_counts(r)
        c_rep, c_ok = c_rep + rep, c_ok + ok
        p_rep += int(r.get("planner_replies") or 0)
        p_ok += int(r.get("planner_proposals") or 0)
    lat = np.asarray([float(r["latency_ms"]) for r in decisions] or [0.0])
    tokens = sum(int(r.get("prompt_tokens") or 0) + int(r.get("completion_tokens") or 0)
                 for r in decisions)

    def rate(ok: int, rep: int) -> float | None:
        return ok / rep if rep else None

    return {
        "model": spec, "kind": kind(spec), "planner": planner, "scenario": final["scenario"],
        "users": final["users"], "decisions": len(decisions),
        "parse_rate": rate(c_ok + p_ok, c_rep + p_rep),
        "classify_parse_rate": rate(c_ok, c_rep), "plan_parse_rate": rate(p_ok, p_rep),
        "intent_accuracy": final["intent_accuracy"],
        "throughput_vs_optimal": final["ratio_to_optimal"],
        "throughput_mbps": final["throughput_mbps"], "admitted": final["admitted"],
        "violations": final["min_rate_violations"],
        "calls_per_request": sum(int(r.get("model_calls") or 0) for r in decisions) / n,
        "tokens_per_request": tokens / n,
        "latency_p50_ms": float(np.percentile(lat, 50)),
        "latency_p95_ms": float(np.percentile(lat, 95)),
        "fallbacks": sum(bool(r.get("fallback")) for r in decisions),
        "planner_fallbacks": sum(r.get("planner") == "fallback" for r in decisions),
        "timeouts": sum("timeout" in str(r.get("error") or "") for r in decisions),
        "errors": sum(bool(r.get("error")) for r in decisions),
    }


def _cell(key: str, value: Any) -> str:
    if value is None or value == "":
        return "-"
    if key in ("parse_rate", "intent_accuracy", "throughput_vs_optimal",
               "classify_parse_rate", "plan_parse_rate"):
        return f"{float(value):.1%}"
    if key in ("latency_p50_ms", "latency_p95_ms", "tokens_per_request"):
        return f"{float(value):.0f}"
    if key == "calls_per_request":
        return f"{float(value):.2f}"
    if isinstance(value, float):
        return f"{value:g}" if value == int(value) else f"{value:.1f}"
    return str(value)


def markdown(rows: list[dict[str, Any]]) -> str:
    """The table as GitHub markdown."""
    head = "| " + " | ".join(HEADERS[k] for k in SHOWN) + " |"
    rule = "|" + "|".join("---" if k in ("model", "kind", "planner") else "---:"
                          for k in SHOWN) + "|"
    body = ["| " + " | ".join(_cell(k, r.get(k)) for k in SHOWN) + " |" for r in rows]
    return "\n".join([head, rule, *body]) + "\n"


def plot(rows: list[dict[str, Any]], path: Path) -> Path:
    """Parse rate, intent accuracy and throughput / optimal per model and planner, and p95."""
    from matplotlib.figure import Figure

    from evals.plots import save_png

    labels = [f"{r['model']}\n{r['planner']}" + ("\n(scripted)" if r["kind"] == "scripted"
                                                  else "") for r in rows]
    fig = Figure(figsize=(max(7.0, 1.6 * len(rows)), 4.8))
    share, lat = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 1.4]})
    x = np.arange(len(rows))
    for i, (key, name) in enumerate((("parse_rate", "parse rate"),
                                     ("intent_accuracy", "intent accuracy"),
                                     ("throughput_vs_optimal", "throughput / optimal"))):
        vals = [100 * float(r[key]) if r.get(key) not in (None, "") else 0.0 for r in rows]
        share.bar(x + (i - 1) * 0.27, vals, 0.27, label=name)
    share.set_xticks(x, labels, fontsize=7)
    share.set(ylabel="%", ylim=(0, 105), title="Models as network agents (same eval code)")
    share.legend(fontsize=8, loc="lower right")
    share.grid(axis="y", alpha=0.3)
    lat.bar(x - 0.2, [r["latency_p50_ms"] for r in rows], 0.4, label="p50")
    lat.bar(x + 0.2, [r["latency_p95_ms"] for r in rows], 0.4, label="p95")
    lat.set_xticks(x, labels, fontsize=6)
    lat.set(ylabel="decision latency (ms)", title="Latency")
    lat.set_yscale("symlog", linthresh=10)
    lat.legend(fontsize=8)
    fig.tight_layout()
    return save_png(fig, path)


@contextmanager
def _served(local: list[str]) -> Iterator[dict[str, dict[str, str]]]:
    """Environment per local model name while its llama-server runs (none: empty)."""
    if not local:
        yield {}
        return
    from wireless_agent.testing.local_models import LocalModels, LocalModelsMissing

    models = LocalModels()
    with ExitStack() as stack:
        stack.callback(models.close)
        try:
            yield {name: models.get(name).environ() for name in local}
        except LocalModelsMissing as exc:
            raise EvalError(str(exc)) from None


def _env_for(spec: str, served: dict[str, dict[str, str]]) -> dict[str, str]:
    """The server environment of a spec's local model (tiers: that of their local tier)."""
    names = re.findall(r"(?:openai|ollama):([^,]+)", spec)
    for name in names:
        if name in served:
            return served[name]
    return {}


def run_compare(cfg: CompareConfig, out: Path,
                on_run: Callable[[str, str], None] | None = None,
                on_decision: Callable[[], None] | None = None) -> tuple[list[dict], list[str]]:
    """Run every (model, planner) into `out/<model>__<planner>/`; write compare.csv/.md/.png."""
    from wireless_agent.testing import environ

    pairs, notes = cfg.pairs()
    rows = []
    out.mkdir(parents=True, exist_ok=True)
    with _served(cfg.local) as served:
        for spec, planner in pairs:
            if on_run:
                on_run(spec, planner)
            ecfg = EvalConfig(scenarios=[cfg.scenario], methods=["agent", "optimal"],
                              users=[cfg.users], seeds=cfg.seeds, model=spec,
                              planner=parse_planner(planner), warmup=cfg.warmup,
                              concurrency=1, timeout_s=cfg.timeout_s)
            folder = out / f"{_slug(spec)}__{planner}"
            with environ(**_env_for(spec, served)):
                Evaluation(ecfg, folder, resume=folder.is_dir()).run(on_decision=on_decision)
            rows.append(score(spec, planner, folder))
    write_csv(out / "compare.csv", rows, COLUMNS)
    write_atomic(out / "compare.md", markdown(rows))
    plot(rows, out / "compare.png")
    return rows, notes
