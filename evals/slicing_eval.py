"""Batch slicing evaluation: scenarios x methods x N x seeds, scored by one env and one metric."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from env.scenarios import PAPER_SCENARIOS, Scenario, ScenarioError, load_population, load_scenario
from env.slicing_env import SlicingEnv
from evals.results import (
    DECISIONS,
    SUMMARY,
    SUMMARY_COLUMNS,
    UNITS,
    JsonlWriter,
    prepare_dir,
    read_jsonl,
    repair_jsonl,
    write_csv,
)

ALL_METHODS = ("agent", "prompt", "rule", "optimal", "greedy")
MODEL_METHODS = ("prompt",)  # methods that cannot run without a model backend
DEFAULT_USERS = (1, 5, 10, 15, 20, 25, 30)
WARMUP_SEED = 10_000  # past episodes never share a seed with scored ones


class EvalError(ValueError):
    """Bad evaluation arguments (one line: what is wrong and what to do)."""


@dataclass
class EvalConfig:
    """The grid and how to run it."""

    scenarios: list[str] = field(default_factory=lambda: list(PAPER_SCENARIOS))
    methods: list[str] | None = None  # None: every method the backend can run
    users: list[int] = field(default_factory=lambda: list(DEFAULT_USERS))
    seeds: list[int] = field(default_factory=lambda: [0])
    model: str = "offline"
    rate_model: str = "paper"
    mode: str = "paper"
    warmup: int = 10
    privacy: bool = True
    concurrency: int | None = None
    timeout_s: float = 30.0

    def manifest(self) -> dict[str, Any]:
        """What identifies the results (resume must see the same)."""
        out = asdict(self)
        out.pop("concurrency")
        out["methods"] = self.resolved_methods()[0]
        return out

    def resolved_methods(self) -> tuple[list[str], list[str]]:
        """Methods to run, and notes about methods left out."""
        notes: list[str] = []
        methods = list(self.methods) if self.methods else list(ALL_METHODS)
        unknown = [m for m in methods if m not in ALL_METHODS]
        if unknown:
            raise EvalError(f"unknown method {', '.join(unknown)}; choose from "
                            f"{', '.join(ALL_METHODS)}")
        if self.model.startswith("tiered:") and "prompt" in methods:
            methods.remove("prompt")
            notes.append("prompt: the paper's baseline asks one model; give it ollama:MODEL or "
                         "openai:MODEL, not tiers")
        if self.model == "offline":
            for m in MODEL_METHODS:
                if m in methods:
                    methods.remove(m)
                    notes.append(f"{m}: needs a model backend (--model ollama:MODEL or "
                                 "openai:MODEL); not run with --model offline")
        return methods, notes


@dataclass(frozen=True)
class Unit:
    """One episode to run: online methods once per seed, offline (oracle) methods once per N."""

    scenario: str
    method: str
    seed: int
    length: int
    snapshots: tuple[int, ...]

    @property
    def key(self) -> str:
        """Stable identity in the result files."""
        return f"{self.scenario}|{self.method}|{self.seed}|{self.length}"


def _scenario(spec: str, seed: int, users: int | None) -> Scenario:
    if spec == "campus":
        spec = f"campus:{seed}"
    return load_scenario(spec, users=users)


def plan_units(cfg: EvalConfig, methods: list[str]) -> list[Unit]:
    """Every episode of the grid, checked against the scenarios' sizes."""
    users = sorted(set(cfg.users))
    if not users or users[0] < 1:
        raise EvalError("--users needs positive whole numbers, e.g. 1,5,10,30")
    from baselines.registry import OFFLINE_METHODS

    units = []
    for spec in cfg.scenarios:
        for seed in cfg.seeds:
            scn = _scenario(spec, seed, users[-1])  # raises ScenarioError if too small
            for method in methods:
                if method in OFFLINE_METHODS:
                    units += [Unit(scn.name, method, seed, n, (n,)) for n in users]
                else:
                    units.append(Unit(scn.name, method, seed, users[-1], tuple(users)))
    return units


class Evaluation:
    """Runs a grid into a results folder, appending as it goes and resuming what is there."""

    def __init__(self, cfg: EvalConfig, out: Path, resume: bool = False) -> None:
        self.cfg = cfg
        self.out = Path(out)
        self.methods, self.notes = cfg.resolved_methods()
        self.units = plan_units(cfg, self.methods)
        prepare_dir(self.out, cfg.manifest(), resume)
        done = read_jsonl(self.out / UNITS)
        self.done = {u["unit"]: u for u in done}
        keys = {u.key for u in self.units}
        # Decisions of units that did not finish are kept and replayed, not run again.
        self.logged: dict[str, list[dict[str, Any]]] = {}
        for row in repair_jsonl(self.out / DECISIONS, keep=keys):
            self.logged.setdefault(row["unit"], []).append(row)
        self._memory = None
        self._warm_lock = threading.RLock()
        self._warmed: set[str] = set()
        self.warmup_decisions = 0  # agent decisions made to give the memory past episodes

    @property
    def todo(self) -> list[Unit]:
        """Units not finished yet."""
        return [u for u in self.units if u.key not in self.done]

    def decisions_left(self) -> int:
        """Decisions still to make (for a progress bar)."""
        return sum(u.length - len(self.logged.get(u.key, [])) for u in self.todo)

    # -- policies -------------------------------------------------------------------------

    def memory(self) -> Any:
        """The agent memory of this results folder (warm-up episodes live there)."""
        with self._warm_lock:  # concurrent units must not race Chroma's client registry
            if self._memory is None:
                from wireless_agent.memory.store import AgentMemory

                self._memory = AgentMemory.open(self.out / "memory")
        return self._memory

    def _warm_up(self, unit: Unit) -> None:
        """Give the agent past episodes of the scenario: seeded dynamic traffic, offline path."""
        from wireless_agent.agent import SlicingAgent
        from wireless_agent.config import AgentConfig

        with self._warm_lock:
            if unit.scenario in self._warmed or self.cfg.warmup <= 0:
                return
            memory = self.memory()
            population = load_population(_spec_of(unit.scenario, self.cfg), seed=unit.seed)
            agent = SlicingAgent(AgentConfig(model="offline"), memory=memory)
            for k in range(self.cfg.warmup):
                if memory.episode_count(unit.scenario) >= self.cfg.warmup:
                    break
                env = SlicingEnv(population, users=min(unit.length, len(population)) or 1,
                                 rate_model=self.cfg.rate_model, mode="dynamic")
                env.scenario.name = unit.scenario
                obs, _ = env.reset(seed=WARMUP_SEED + k)
                agent.reset(env, episode_id=f"warmup-{unit.scenario}-{k}")
                done = False
                while not done:
                    done = agent.act(env, obs).step[2]
                    self.warmup_decisions += 1
                agent.end_episode()
            self._warmed.add(unit.scenario)

    def policy(self, unit: Unit) -> Any:
        """A fresh policy for one unit."""
        if unit.method == "agent":
            from wireless_agent.agent import SlicingAgent
            from wireless_agent.config import AgentConfig

            self._warm_up(unit)
            config = AgentConfig(model=self.cfg.model, privacy=self.cfg.privacy,
                                 timeout_s=self.cfg.timeout_s)
            return SlicingAgent(config, memory=self.memory(), learn=False)
        if unit.method == "prompt":
            from baselines.prompt import PromptBaseline

            return PromptBaseline(self.cfg.model)
        from baselines.registry import make_policy

        return make_policy(unit.method)

    # -- running --------------------------------------------------------------------------

    def run(self, on_decision: Callable[[], None] | None = None) -> list[dict[str, Any]]:
        """Run what is left; returns the summary rows (also written to summary.csv)."""
        decisions = JsonlWriter(self.out / DECISIONS)
        units = JsonlWriter(self.out / UNITS)
        try:
            workers = self.cfg.concurrency or (8 if self.cfg.model != "offline" else 1)
            todo = self.todo
            if workers <= 1 or len(todo) <= 1:
                for unit in todo:
                    self._run_unit(unit, decisions, units, on_decision)
            else:
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    futures = [pool.submit(self._run_unit, u, decisions, units, on_decision)
                               for u in todo]
                    for f in futures:
                        f.result()
        finally:
            decisions.close()
            units.close()
            if self._memory is not None:
                self._memory.flush()
        return self.summary()

    def _run_unit(self, unit: Unit, decisions: JsonlWriter, units: JsonlWriter,
                  on_decision: Callable[[], None] | None) -> None:
        scn = _scenario(_spec_of(unit.scenario, self.cfg), unit.seed, unit.length)
        env = SlicingEnv(scn, users=unit.length, rate_model=self.cfg.rate_model,
                         mode=self.cfg.mode)
        obs, _ = env.reset(seed=unit.seed)
        policy = self.policy(unit)
        if unit.method == "agent":
            policy.reset(env, episode_id=f"eval-{unit.key}")
        else:
            policy.reset(env)
        rows: list[dict[str, Any]] = []
        logged = sorted(self.logged.get(unit.key, []), key=lambda r: r["step"])
        history: list[dict[str, Any]] = []
        info: dict[str, Any] = {}
        for step in range(unit.length):
            if step < len(logged):  # replay what an interrupted run already decided
                row = logged[step]
                obs, _, _, _, info = env.step(_action_from_log(env, row["action"]))
            else:
                t0 = time.perf_counter()
                decision = policy.act(env, obs)
                if decision.step is None:
                    obs, _, _, _, info = env.step(decision.action)
                else:
                    obs, _, _, _, info = decision.step
                ms = (time.perf_counter() - t0) * 1000.0
                row = _decision_row(unit, step, env, decision, info, ms)
                decisions.write(row)
                if on_decision:
                    on_decision()
            history.append(row)
            if step + 1 in unit.snapshots:
                rows.append(_snapshot(unit, step + 1, info, history, self.cfg.model))
        if hasattr(policy, "end_episode"):
            policy.end_episode()
        units.write({"unit": unit.key, "rows": rows})
        self.done[unit.key] = {"unit": unit.key, "rows": rows}

    def summary(self) -> list[dict[str, Any]]:
        """Summary rows of every finished unit, in grid order; written to summary.csv."""
        rows = [r for u in self.units if u.key in self.done for r in self.done[u.key]["rows"]]
        write_csv(self.out / SUMMARY, rows, SUMMARY_COLUMNS)
        return rows


def _spec_of(scenario_name: str, cfg: EvalConfig) -> str:
    """The scenario spec in the config that produced a scenario name."""
    for spec in cfg.scenarios:
        if spec == scenario_name or Path(spec).stem == scenario_name:
            return spec
        if spec == "campus" and scenario_name.startswith("campus"):
            return spec
    return scenario_name


def _action_log(action: dict[str, Any]) -> dict[str, Any]:
    realloc = np.asarray(action.get("reallocate", []), dtype=np.float64)
    return {
        "intent": int(action["intent"]), "admit": int(action["admit"]),
        "bandwidth": float(np.asarray(action.get("bandwidth", [0.0])).reshape(-1)[0]),
        "reallocate": {int(i): float(realloc[i]) for i in np.flatnonzero(realloc >= 0)},
    }


def _action_from_log(env: SlicingEnv, logged: dict[str, Any]) -> dict[str, Any]:
    realloc = np.full(env.length, -1.0)
    for slot, mhz in logged["reallocate"].items():
        realloc[int(slot)] = mhz
    return {"intent": logged["intent"], "admit": logged["admit"],
            "bandwidth": np.array([logged["bandwidth"]]), "reallocate": realloc}


def _decision_row(unit: Unit, step: int, env: SlicingEnv, decision: Any,
                  info: dict[str, Any], ms: float) -> dict[str, Any]:
    user = env.schedule[step].user
    rec = decision.record
    return {
        "unit": unit.key, "scenario": unit.scenario, "method": unit.method, "seed": unit.seed,
        "step": step, "uid": user.uid, "request": user.request, "cqi": user.cqi,
        "label": user.label, "intent": rec.get("intent"), "intent_correct": info["intent_correct"],
        "admitted": info["admitted_now"], "reason": info["reason"],
        # The env says where the user went, as of the admission (it may have left since).
        "slice": info["slice"],
        "bandwidth": round(info["bandwidth_mhz"], 4),
        "rate_mbps": round(info["rate_mbps"], 4),
        "rate_claim_mbps": rec.get("rate_claim_mbps"),
        "reallocations": rec.get("reallocations", 0),
        "model_calls": rec.get("model_calls", 0), "prompt_tokens": rec.get("prompt_tokens", 0),
        "completion_tokens": rec.get("completion_tokens", 0),
        "latency_ms": round(rec.get("latency_ms", ms), 3), "fallback": bool(rec.get("fallback")),
        "error": rec.get("error"), "tier": rec.get("tier"),
        "explanation": rec.get("explanation"),
        "action": _action_log(decision.action),
    }


def _tier_shares(history: list[dict[str, Any]]) -> str:
    """Share of decisions per deciding tier, e.g. 'offline:0.87;ollama:qwen2.5:3b:0.13'."""
    tiers = [h.get("tier") for h in history if h.get("tier")]
    if not tiers:
        return ""
    counts = {t: tiers.count(t) for t in dict.fromkeys(tiers)}
    return ";".join(f"{t}:{n / len(tiers):.3f}" for t, n in counts.items())


def _snapshot(unit: Unit, n: int, info: dict[str, Any], history: list[dict[str, Any]],
              model: str) -> dict[str, Any]:
    lat = [h["latency_ms"] for h in history]
    acc = info["intent_accuracy"]
    return {
        "scenario": unit.scenario, "method": unit.method, "seed": unit.seed, "users": n,
        "throughput_mbps": round(info["throughput_mbps"], 4),
        "bandwidth_utilization": round(info["bandwidth_utilization"], 6),
        "embb_utilization": round(info["embb_utilization"], 6),
        "urllc_utilization": round(info["urllc_utilization"], 6),
        "admitted": info["admitted"], "rejected": info["rejected"],
        "min_rate_violations": info["min_rate_violations"],
        "intent_accuracy": "" if acc != acc else round(acc, 6),
        "llm_calls": sum(h["model_calls"] or 0 for h in history),
        "prompt_tokens": sum(h["prompt_tokens"] or 0 for h in history),
        "completion_tokens": sum(h["completion_tokens"] or 0 for h in history),
        "fallbacks": sum(bool(h["fallback"]) for h in history),
        "errors": sum(bool(h["error"]) for h in history),
        "decision_ms_p50": round(statistics.median(lat), 4) if lat else 0.0,
        "tier_shares": _tier_shares(history),
        "model": model if unit.method in ("agent", "prompt") else "",
    }


__all__ = ["ALL_METHODS", "EvalConfig", "EvalError", "Evaluation", "ScenarioError", "Unit"]
