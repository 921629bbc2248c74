"""Batch slicing evaluation: scenarios x methods x N x seeds, scored by one env and one metric."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np

from baselines.registry import METHODS, MODEL_METHODS
from env.arrivals import ArrivalMode
from env.limits import MAX_REQUEST_CHARS
from env.policy import Decision
from env.population import User
from env.rates import RateModelName
from env.scenarios import (
    PAPER_SCENARIOS,
    LabelSource,
    Scenario,
    ScenarioError,
    load_population,
    load_scenario,
    parse_labels,
    resolve_scenario,
)
from env.slicing_env import SlicingEnv
from evals.records import (
    ActionLog,
    DecisionRow,
    DynamicScores,
    SeededSummaryRow,
    SummaryRow,
    UnitLine,
)
from evals.results import (
    DECISIONS,
    SUMMARY,
    SUMMARY_COLUMNS,
    UNITS,
    JsonlWriter,
    exclusive,
    load_decisions,
    load_units,
    prepare_dir,
    write_csv,
)
from wireless_agent.config import (
    PlannerMode,
    RunSettings,
    default_planner,
    parse_mode,
    parse_planner,
    parse_rate_model,
)
from wireless_agent.models.listing import scripted_label, scripted_tiers

ALL_METHODS = tuple(METHODS)  # agent, prompt, rule, optimal, greedy: baselines/registry.py
DEFAULT_USERS = (1, 5, 10, 15, 20, 25, 30)
WARMUP_SEED = 10_000  # past episodes never share a seed with scored ones


class EvalError(ValueError):
    """Bad evaluation arguments (one line: what is wrong and what to do)."""


@dataclass
class EvalConfig(RunSettings):
    """The grid and how to run it: the shared settings (model, timeout_s, privacy) and these."""

    scenarios: list[str] = field(default_factory=lambda: list(PAPER_SCENARIOS))
    methods: list[str] | None = None  # None: every method the backend can run
    users: list[int] | None = None  # None: DEFAULT_USERS, clipped to short scenario files
    seeds: list[int] = field(default_factory=lambda: [0])
    rate_model: RateModelName = "paper"
    mode: ArrivalMode = "paper"
    labels: LabelSource = "settled"  # the paper's files: disputed labels settled, or as written
    warmup: int = 10
    concurrency: int | None = None
    planner: PlannerMode = field(default_factory=default_planner)  # tools or model

    def validate(self) -> None:
        """Refuse, in one line, arguments no run can use (before anything is written)."""
        super().validate()
        if not self.scenarios:
            raise EvalError("--scenario is empty; give e.g. center,north,south")
        if self.methods is not None and not self.methods:
            raise EvalError("--methods is empty; give e.g. agent,optimal")
        if self.users is not None and (not self.users or min(self.users) < 1):
            raise EvalError("--users needs positive whole numbers, e.g. 1,5,10,30")
        if not self.seeds or min(self.seeds) < 0:
            raise EvalError("--seeds needs whole numbers from 0, e.g. 0,1,2 or 0-4")
        self.rate_model = parse_rate_model(self.rate_model)  # also a stored run's, on resume
        self.mode = parse_mode(self.mode)
        try:
            self.labels = parse_labels(self.labels)
        except ScenarioError as exc:
            raise EvalError(str(exc)) from None
        if self.warmup < 0:
            raise EvalError(f"--warmup {self.warmup} is negative; give 0 (no past episodes) "
                            "or more")
        if self.concurrency is not None and self.concurrency < 1:
            raise EvalError(f"--concurrency {self.concurrency} must be at least 1")
        self.planner = parse_planner(self.planner)  # also a stored run's, on resume
        if self.planner == "model" and self.model == "offline":
            raise EvalError("--planner model needs a model backend: add --model "
                            "ollama:MODEL or openai:MODEL, or use --planner tools")

    def identity(self) -> dict[str, Any]:
        """What identifies the results (resume must see the same)."""
        out = asdict(self)
        for how in ("concurrency", "timeout_s"):  # how fast, not what: may change on resume
            out.pop(how)
        out["methods"] = self.resolved_methods()[0]
        return out

    def resolved_methods(self) -> tuple[list[str], list[str]]:
        """Methods to run, and notes about methods left out."""
        notes: list[str] = []
        methods = list(dict.fromkeys(self.methods)) if self.methods else list(ALL_METHODS)
        unknown = [m for m in methods if m not in ALL_METHODS]
        if unknown:
            raise EvalError(f"unknown method {', '.join(unknown)}; choose from "
                            f"{', '.join(ALL_METHODS)}")
        asked = self.methods is not None
        tiered = self.model.startswith("tiered:")
        if tiered and "prompt" in methods:
            if asked:
                raise EvalError("prompt: the paper's baseline asks one model; give it --model "
                                "ollama:MODEL or openai:MODEL, not tiers, or drop it from "
                                "--methods")
            methods.remove("prompt")
            notes.append("prompt: the paper's baseline asks one model; give it ollama:MODEL or "
                         "openai:MODEL, not tiers")
        if self.model == "offline":
            for m in MODEL_METHODS:
                if m in methods:
                    if asked:
                        raise EvalError(f"{m} needs a model backend: add --model ollama:MODEL "
                                        f"or openai:MODEL, or drop {m} from --methods")
                    methods.remove(m)
                    notes.append(f"{m}: needs a model backend (--model ollama:MODEL or "
                                 "openai:MODEL); not run with --model offline")
        return methods, notes


@dataclass(frozen=True)
class Unit:
    """One episode to run: one (scenario, method, seed, N), scored at its end."""

    scenario: str
    method: str
    seed: int
    length: int
    snapshots: tuple[int, ...]

    @property
    def key(self) -> str:
        """Stable identity in the result files."""
        return f"{self.scenario}|{self.method}|{self.seed}|{self.length}"


def _scenario(spec: str, seed: int, users: int | None,
              labels: LabelSource = "settled") -> Scenario:
    return load_scenario(spec, users=users, seed=seed, labels=labels)


def seed_sensitive(spec: str, mode: str) -> bool:
    """Whether the seed changes a scenario's episodes (dynamic arrivals or a drawn campus)."""
    return mode == "dynamic" or resolve_scenario(spec).drawn


def plan_units(cfg: EvalConfig, methods: list[str]) -> tuple[list[Unit], list[str]]:
    """Every episode of the grid, checked against the scenarios' sizes; and notes."""
    notes: list[str] = []
    units = []
    for spec in cfg.scenarios:
        users = sorted(set(cfg.users or DEFAULT_USERS))
        seeds = list(dict.fromkeys(cfg.seeds))
        if len(seeds) > 1 and not seed_sensitive(spec, cfg.mode):
            notes.append(f"{spec}: every seed gives the same episode in paper mode; "
                         f"ran seed {seeds[0]} only (use --mode dynamic to vary arrivals)")
            seeds = seeds[:1]
        if cfg.users is None:  # the default grid fits itself to a short file, saying so
            size = (len(_scenario(spec, seeds[0], None, cfg.labels).users)
                    if resolve_scenario(spec).kind == "file" else None)
            if size is not None and size < users[-1]:
                notes.append(f"{spec}: the file has {size} users; N clipped to {size}")
                users = sorted({min(n, size) for n in users})
        for seed in seeds:
            scn = _scenario(spec, seed, users[-1], cfg.labels)  # raises ScenarioError if too small
            if seed == seeds[0] and (cut := scn.meta.get("cut_requests")):
                notes.append(f"{spec}: {len(cut)} request(s) longer than {MAX_REQUEST_CHARS} "
                             f"characters cut to their first {MAX_REQUEST_CHARS} (rows "
                             f"{', '.join(map(str, cut[:10]))}{' ...' if len(cut) > 10 else ''})")
            moved = set(scn.meta.get("relabelled", ()))
            if seed == seeds[0] and (n_moved := sum(u.uid in moved for u in scn.users)):
                notes.append(f"{spec}: {n_moved} of its first {users[-1]} users relabelled by "
                             "the slice definitions (env/data/settled_labels.json; --labels file "
                             "keeps the file's labels)")
            # A drawn campus is one scenario over seeds (its seeds are averaged together).
            name = spec if resolve_scenario(spec).drawn else _scenario(spec, seed, 1).name
            # Each N is its own episode: an online method told the episode is N users long
            # plans for N, so a prefix of a longer episode is not an N-user run.
            units += [Unit(name, method, seed, n, (n,)) for method in methods for n in users]
    return units, notes


class UnitRunner:
    """Builds each unit's policy and runs its episode; shared by every unit of a run."""

    def __init__(self, cfg: EvalConfig, memory_dir: Path) -> None:
        self.cfg = cfg
        self.memory_dir = memory_dir
        self._memory: Any = None
        self._warm_lock = threading.Lock()
        self._warmed: set[tuple[str, int]] = set()
        self.warmup_decisions = 0  # past-episode arrivals the warm-up profile was drawn from

    def prepare(self, units: list[Unit]) -> None:
        """Import and build what units share, before any thread starts.

        Python's import lock deadlocks when two threads import chromadb's modules at once,
        and the memory and warm-up are shared, so both happen here, in one thread.
        """
        methods = {u.method for u in units}
        if "agent" in methods:
            import wireless_agent.agent  # noqa: F401  (heavy: chromadb, langgraph)

            self.memory()
            for unit in units:
                if unit.method == "agent":
                    self._warm_up(unit)
        if "prompt" in methods:
            import baselines.prompt  # noqa: F401
        import baselines.registry  # noqa: F401

    def memory(self) -> Any:
        """The agent memory of this run (warm-up episodes live there)."""
        if self._memory is None:
            from wireless_agent.memory.store import AgentMemory

            self._memory = AgentMemory.open(self.memory_dir, namespace=self.memory_dir)
        return self._memory

    def close(self) -> None:
        """Write what the memory still holds."""
        if self._memory is not None:
            self._memory.flush()

    def _warm_up(self, unit: Unit) -> None:
        """Give the agent the traffic profile of past episodes of the scenario.

        The past episodes are the dynamic mode's seeded draws from the scenario's population;
        the profile they would leave in memory (slice the classifier names, Mbps per MHz) is
        computed from those draws directly, without running the agent through them.
        """
        from wireless_agent.intent import IntentClassifier
        from wireless_agent.traffic import classifier_slice, warmup_profile

        with self._warm_lock:
            key = (unit.scenario, unit.seed)
            if key in self._warmed or self.cfg.warmup <= 0:
                return
            memory = self.memory()
            spec = _spec_of(unit.scenario, self.cfg)
            # The profile is kept under the episode's own name (campus:SEED for a drawn one),
            # which is what the scored agent looks up.
            name = _scenario(spec, unit.seed, 1, self.cfg.labels).name
            population = load_population(spec, seed=unit.seed, labels=self.cfg.labels)
            length = min(max(self.cfg.users or DEFAULT_USERS), len(population)) or 1
            profile = warmup_profile(
                population, self.cfg.warmup, length,
                classifier_slice(IntentClassifier.default()), self.cfg.rate_model,
                first_seed=WARMUP_SEED, departures=self.cfg.mode == "dynamic")
            memory.use_profile(name, profile)
            self.warmup_decisions += profile.records
            self._warmed.add(key)

    def policy(self, unit: Unit) -> Any:
        """A fresh policy for one unit."""
        if unit.method == "agent":
            from wireless_agent.agent import SlicingAgent
            from wireless_agent.config import AgentConfig

            self._warm_up(unit)
            return SlicingAgent(self.cfg.into(AgentConfig, planner=self.cfg.planner),
                                memory=self.memory(), learn=False)
        if unit.method == "prompt":
            from baselines.prompt import PromptBaseline

            return PromptBaseline(self.cfg.model, timeout_s=self.cfg.timeout_s)
        from baselines.registry import make_policy

        return make_policy(unit.method)

    def run(self, unit: Unit, logged: list[DecisionRow],
            emit: Callable[[DecisionRow], None]) -> list[SummaryRow]:
        """Run one unit, replaying `logged` decisions by step; emits new ones; summary rows."""
        scn = _scenario(_spec_of(unit.scenario, self.cfg), unit.seed, unit.length,
                        self.cfg.labels)
        env = SlicingEnv(scn, users=unit.length, rate_model=self.cfg.rate_model,
                         mode=self.cfg.mode)
        obs, _ = env.reset(seed=unit.seed)
        policy = self.policy(unit)
        if unit.method == "agent":
            policy.reset(env, episode_id=f"eval-{unit.key}")
        else:
            policy.reset(env)
        replay = {r["step"]: r for r in logged}
        rows: list[SummaryRow] = []
        history: list[DecisionRow] = []
        info: dict[str, Any] = {}
        for step in range(unit.length):
            row = replay.get(step)
            if row is not None:  # replay what an interrupted run already decided
                obs, _, _, _, info = env.step(_action_from_log(env, row["action"]))
            else:
                t0 = time.perf_counter()
                user = env.schedule[step].user
                decision = policy.act(env, obs)
                if decision.step is None:
                    obs, _, _, _, info = env.step(decision.action)
                else:
                    obs, _, _, _, info = decision.step
                ms = (time.perf_counter() - t0) * 1000.0
                row = _decision_row(unit, step, user, decision, info, ms)
                emit(row)
            history.append(row)
            if step + 1 in unit.snapshots:
                rows.append(_snapshot(unit, step + 1, info, history, self.cfg.model,
                                      self.cfg.planner))
        if hasattr(policy, "end_episode"):
            policy.end_episode()
        if self.cfg.mode == "dynamic" and rows:
            rows[-1].update(dynamic_scores(env, info))
        return rows


class _Stopped(Exception):
    """Raised in a unit's thread when the run is stopping; never reaches the user."""


class GridPool(Protocol):
    """Runs units elsewhere (a Dask cluster, `evals.cluster.Cluster`); decisions per worker."""

    def run(self, evaluation: Any, todo: list[Unit], decisions: Any, units: Any,
            on_decision: Callable[[], None] | None) -> dict[str, int]:
        """Run `todo`, writing its decisions and units as they come."""
        ...


class Evaluation:
    """Runs a grid into a results folder, appending as it goes and resuming what is there."""

    def __init__(self, cfg: EvalConfig, out: Path, resume: bool = False,
                 provenance: dict[str, Any] | None = None, cluster: GridPool | None = None) -> None:
        cfg.validate()
        self.cfg = cfg
        self.cluster = cluster  # an evals.cluster.Cluster: units run on its Dask workers
        self.by_worker: dict[str, int] = {}  # decisions made per Dask worker
        self.out = Path(out)
        self.methods, self.notes = cfg.resolved_methods()
        self.units, plan_notes = plan_units(cfg, self.methods)
        self.notes += plan_notes
        # A scripted loopback fake must never pass for a real model in any table or file.
        self.scripted = scripted_tiers(cfg.model) if cfg.model != "offline" else []
        self.model_label = scripted_label(cfg.model, self.scripted)
        if self.scripted:
            self.notes.append(f"{', '.join(self.scripted)}: answered by a scripted fake server, "
                              "not a real model; every result names it scripted")
        manifest = {**cfg.identity(),
                    "provenance": {**(provenance or {}), "scripted": self.scripted}}
        prepare_dir(self.out, manifest, resume)
        self._lock: AbstractContextManager[None] | None = exclusive(self.out)
        self._lock.__enter__()  # held until close(): a second run on this folder is refused
        try:
            self.done = load_units(self.out / UNITS)
            # Decisions of units that did not finish are kept and replayed, not run again.
            self.logged = load_decisions(self.out / DECISIONS,
                                         keep={u.key for u in self.units})
        except BaseException:
            self.close()
            raise
        self.runner = UnitRunner(cfg, self.out / "memory")

    def close(self) -> None:
        """Release the results folder."""
        if self._lock is not None:
            self._lock.__exit__(None, None, None)
            self._lock = None

    @property
    def warmup_decisions(self) -> int:
        """Past-episode arrivals the warm-up profiles were computed from (no agent runs)."""
        return self.runner.warmup_decisions

    @property
    def todo(self) -> list[Unit]:
        """Units not finished yet."""
        return [u for u in self.units if u.key not in self.done]

    def decisions_left(self) -> int:
        """Decisions still to make (for a progress bar)."""
        return sum(max(0, u.length - len(self.logged.get(u.key, []))) for u in self.todo)

    def run(self, on_decision: Callable[[], None] | None = None) -> list[SummaryRow]:
        """Run what is left; returns the summary rows (also written to summary.csv)."""
        try:
            todo = self.todo
            decisions = JsonlWriter(self.out / DECISIONS)
            units = JsonlWriter(self.out / UNITS)
            try:
                if self.cluster is not None:  # the grid on Dask workers: evals/cluster.py
                    self.by_worker = self.cluster.run(self, todo, decisions, units, on_decision)
                    todo = []  # every unit ran there
                self.runner.prepare(todo)
                workers = self.cfg.concurrency or (8 if self.cfg.model != "offline" else 1)
                # A refused connection means the server is gone, not that the model failed:
                # tiers skip a tier that is down, a single backend stops the run.
                def gone_on(error: Any) -> bool:
                    return (not self.cfg.model.startswith("tiered:") and isinstance(error, str)
                            and error.startswith("connection failed"))

                stop = threading.Event()  # set on Ctrl-C or a failed unit: the others stop too

                def one(unit: Unit) -> None:
                    def emit(row: DecisionRow) -> None:
                        if gone_on(row.get("error")):  # not kept: --resume decides it again
                            from wireless_agent.models import BackendError

                            raise BackendError(
                                f"the model server stopped answering ({row['error']}); what "
                                "was decided is kept: restart it and rerun with --resume "
                                f"--out {self.out}")
                        decisions.write(row)
                        if on_decision:
                            on_decision()
                        if stop.is_set():  # after the write: what was decided is kept
                            raise _Stopped

                    try:
                        rows = self.runner.run(unit, self.logged.get(unit.key, []), emit)
                    except Exception as exc:
                        if not _lost_memory(exc):
                            raise
                        from wireless_agent.memory.store import MemoryStoreError

                        raise MemoryStoreError(
                            f"the agent's memory stopped answering ({type(exc).__name__}); "
                            "what was decided is kept: restart the Chroma server and rerun "
                            f"with --resume --out {self.out}") from None
                    line: UnitLine = {"unit": unit.key, "rows": rows}
                    units.write(line)
                    self.done[unit.key] = line

                if workers <= 1 or len(todo) <= 1:
                    for unit in todo:
                        one(unit)
                else:
                    pool = ThreadPoolExecutor(max_workers=workers)
                    try:
                        futures = [pool.submit(one, u) for u in todo]
                        wait(futures, return_when=FIRST_EXCEPTION)
                        for f in futures:
                            if f.done():
                                f.result()  # the first failure, raised here
                    finally:
                        # Without this, Ctrl-C or a failed unit waited for every other unit.
                        stop.set()
                        pool.shutdown(wait=True, cancel_futures=True)
            finally:
                decisions.close()
                units.close()
                self.runner.close()
            return self.summary()
        finally:
            self.close()

    def summary(self) -> list[SummaryRow]:
        """Summary rows of every finished unit, in grid order; written to summary.csv."""
        rows = [r for u in self.units if u.key in self.done for r in self.done[u.key]["rows"]]
        if self.scripted:
            rows = [r.copy() for r in rows]
            for r in rows:
                if r.get("model"):
                    r["model"] = self.model_label
        write_csv(self.out / SUMMARY, with_seed_stats(rows), SUMMARY_COLUMNS)
        return rows


def with_seed_stats(rows: list[SummaryRow]) -> list[SeededSummaryRow]:
    """Rows with the mean and 95 % CI over the seeds of their (scenario, method, N)."""
    from evals.numbers import ci95, mean

    groups: dict[tuple[str, str, int], list[SummaryRow]] = {}
    for r in rows:
        groups.setdefault((r["scenario"], r["method"], int(r["users"])), []).append(r)
    out = []
    for r in rows:
        group = groups[(r["scenario"], r["method"], int(r["users"]))]
        stats: dict[str, int | float | str] = {"seeds": len(group)}
        for col, name in (("throughput_mbps", "throughput"), ("admitted", "admitted"),
                          ("ratio_to_bound", "ratio_to_bound"),
                          ("ratio_to_label_bound", "ratio_to_label_bound")):
            if col not in r:
                continue
            unit = "_mbps" if col == "throughput_mbps" else ""
            cells = [cast(dict[str, object], g).get(col) for g in group]
            avg, ci = mean(cells), ci95(cells)
            stats[f"{name}_mean{unit}"] = "" if avg is None else round(avg, 4)
            stats[f"{name}_ci95{unit}"] = "" if ci is None else round(ci, 4)
        out.append(cast(SeededSummaryRow, {**r, **stats}))
    return out


def dynamic_scores(env: SlicingEnv, info: dict[str, Any]) -> DynamicScores:
    """Dynamic mode's scores of an episode: time-averaged Mbps against per-interval bounds.

    `bound_mbps` lets any slice take any user present (a bound whatever a method classifies);
    `label_bound_mbps` keeps users in their true slices (tighter, a bound for methods that
    place users where they belong).
    """
    from baselines.dynamic_bound import interval_bound

    table = env.rate_model.per_mhz_table
    bound = interval_bound(env.schedule, table, labels="any")  # whatever a method classifies
    labelled = interval_bound(env.schedule, table, labels="true")
    avg = float(info["time_avg_throughput_mbps"])
    arrivals = int(info["admitted"]) + int(info["rejected"])
    return {
        "time_avg_throughput_mbps": round(avg, 4), "bound_mbps": round(bound, 4),
        "ratio_to_bound": round(avg / bound, 6) if bound > 0 else "",
        "label_bound_mbps": round(labelled, 4),
        "ratio_to_label_bound": round(avg / labelled, 6) if labelled > 0 else "",
        "blocking_rate": round(int(info["rejected"]) / arrivals, 6) if arrivals else "",
        "peak_violations": int(info["peak_violations"]),
    }


def _lost_memory(exc: BaseException) -> bool:
    """Whether an error comes from the memory's store or its server going away mid-run."""
    module = type(exc).__module__ or ""
    return isinstance(exc, ConnectionError) or module.startswith(
        ("chromadb", "httpx", "httpcore"))


def _spec_of(scenario_name: str, cfg: EvalConfig) -> str:
    """The scenario spec in the config that produced a scenario name."""
    for spec in cfg.scenarios:
        if resolve_scenario(spec).produces(scenario_name):
            return spec
    return scenario_name


def _action_log(action: dict[str, Any]) -> ActionLog:
    realloc = np.asarray(action.get("reallocate", []), dtype=np.float64)
    return {
        "intent": int(action["intent"]), "admit": int(action["admit"]),
        "bandwidth": float(np.asarray(action.get("bandwidth", [0.0])).reshape(-1)[0]),
        # Text keys, as JSON writes them: a replayed row and a fresh one look the same.
        "reallocate": {str(int(i)): float(realloc[i]) for i in np.flatnonzero(realloc >= 0)},
    }


def _action_from_log(env: SlicingEnv, logged: ActionLog) -> dict[str, Any]:
    realloc = np.full(env.length, -1.0)
    for slot, mhz in logged["reallocate"].items():
        realloc[int(slot)] = mhz
    return {"intent": logged["intent"], "admit": logged["admit"],
            "bandwidth": np.array([logged["bandwidth"]]), "reallocate": realloc}


def _decision_row(unit: Unit, step: int, user: User, decision: Decision, info: dict[str, Any],
                  ms: float) -> DecisionRow:
    """One logged decision, from what the env reported for this step (in dynamic mode the user
    may have left by the time the step returns, so its slot is not read afterwards)."""
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
        "planner": (rec.get("planner") or {}).get("source"),
        "planner_calls": (rec.get("planner") or {}).get("calls", 0),
        "planner_replies": (rec.get("planner") or {}).get("replies", 0),
        "planner_proposals": (rec.get("planner") or {}).get("proposals", 0),
        "planner_rejected": (rec.get("planner") or {}).get("rejected", 0),
        "explanation": rec.get("explanation"),
        "action": _action_log(decision.action),
    }


def _tier_shares(history: list[DecisionRow]) -> str:
    """Share of decisions per deciding tier, e.g. 'offline:0.87;ollama:qwen2.5:3b:0.13'."""
    tiers = [h.get("tier") for h in history if h.get("tier")]
    if not tiers:
        return ""
    counts = {t: tiers.count(t) for t in dict.fromkeys(tiers)}
    return ";".join(f"{t}:{n / len(tiers):.3f}" for t, n in counts.items())


def _snapshot(unit: Unit, n: int, info: dict[str, Any], history: list[DecisionRow],
              model: str, planner: str = "tools") -> SummaryRow:
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
        "planner": planner if unit.method == "agent" else "",
        # Decisions the model planner left to the deterministic one.
        "planner_fallbacks": sum(h.get("planner") == "fallback" for h in history),
    }


__all__ = ["ALL_METHODS", "EvalConfig", "EvalError", "Evaluation", "ScenarioError", "Unit"]
