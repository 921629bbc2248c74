"""The `wireless-agent` command: scenarios, eval, plot, bench, models, privacy-bench, chat."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

# Keep LangSmith quiet unless a user turns it on, before anything imports langchain.
os.environ.setdefault("LANGSMITH_TRACING", "false")

from wireless_agent.terminal import console, err_console, fail, guarded, user_errors

if TYPE_CHECKING:
    from evals.records import SummaryRow

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="An LLM agent for wireless network slicing, its baselines and benchmarks.")
__all__ = ["app", "console", "err_console", "fail", "guarded", "main", "user_errors"]


def split(value: str, what: str) -> list[str]:
    """A comma-separated option as a list."""
    items = [v.strip() for v in value.split(",")]
    if not any(items):
        fail(f"--{what} is empty; give a comma-separated list")
    if not all(items):
        fail(f"--{what} {value!r} has an empty item; remove the extra comma")
    return items


def split_ints(value: str, what: str, example: str = "1,5,10,30") -> list[int]:
    """A comma-separated list of whole numbers (ranges like 1-5 allowed)."""
    out: list[int] = []
    for item in split(value, what):
        try:
            if "-" in item.strip("-"):
                lo, hi = item.split("-", 1)
                if int(hi) < int(lo):
                    raise ValueError(item)
                out.extend(range(int(lo), int(hi) + 1))
            else:
                out.append(int(item))
        except ValueError:
            fail(f"--{what}: {item!r} is not a whole number or range; write e.g. {example}")
    return out


# -- scenarios --------------------------------------------------------------------------------


@app.command()
def scenarios(
    scenario: Annotated[str, typer.Option("--scenario", "-s", help="Names or CSV paths, "
                                          "comma-separated.")] = "center,north,south,campus",
    users: Annotated[int | None, typer.Option(help="Users to describe (default: the "
                                              "scenario's episode).")] = None,
) -> None:
    """List and describe scenarios: users, label mix, mean CQI, CQI histogram."""
    from env.scenarios import load_scenario

    if users is not None and users < 1:
        fail(f"--users {users} must be at least 1 (or left out for the scenario's episode)")

    table = Table(title="Scenarios")
    for col in ("scenario", "users", "eMBB", "URLLC", "mean CQI", "CQI histogram", "source"):
        table.add_column(col)
    def describe(spec: str) -> dict[str, Any]:
        return guarded(lambda: load_scenario(spec, users=users)).describe()

    for spec in split(scenario, "scenario"):
        d = describe(spec)
        hist = " ".join(f"{c}:{n}" for c, n in d["cqi_histogram"].items())
        table.add_row(d["name"], str(d["users"]), str(d["embb"]), str(d["urllc"]),
                      f"{d['mean_cqi']:.1f}", hist, Path(d["source"]).name or d["source"])
    console.print(table)


# -- eval -------------------------------------------------------------------------------------


def render_table(summary: Sequence[SummaryRow], title: str) -> Table:
    """The comparison table of an evaluation."""
    from evals.table import final_rows, format_cell, table_columns

    table = Table(title=title)
    columns = table_columns(summary)
    for _, header in columns:
        table.add_column(header, justify="left" if header in ("scenario", "method") else "right")
    for row in final_rows(summary):
        table.add_row(*(format_cell(key, row.get(key), row) for key, _ in columns))
    return table


# Eval options that say what a run is: --resume reads them from the manifest.
_IDENTITY = {"scenario": "scenarios", "methods": "methods", "users": "users", "seeds": "seeds",
             "model": "model", "rate_model": "rate_model", "mode": "mode", "warmup": "warmup",
             "privacy": "privacy", "planner": "planner"}


def _same(a: Any, b: Any) -> bool:
    """Stored and given values agree (the order of a list does not matter)."""
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    return a == b


def _resumed_config(ctx: typer.Context, given: Any, out: Path) -> Any:
    """The stored run's config; flags given again must match it (one line says which not)."""
    from evals.results import read_manifest
    from evals.slicing_eval import EvalConfig

    stored = guarded(lambda: read_manifest(out))
    if stored is None:
        fail(f"--resume: {out} holds no run to continue (no manifest.json); drop --resume to "
             "start one there, or give the --out of an earlier run")
    values = {k: v for k, v in stored.items() if k in EvalConfig.__dataclass_fields__}
    for option, fld in _IDENTITY.items():
        source = ctx.get_parameter_source(option)
        if source is None or source.name != "COMMANDLINE":  # typer may bundle its own click
            continue
        mine, theirs = getattr(given, fld), values.get(fld)
        if fld == "methods":
            mine = guarded(lambda: given.resolved_methods()[0])
        if not _same(mine, theirs):
            flag = "--" + option.replace("_", "-")
            fail(f"{flag} {mine} differs from the run in {out} ({theirs}); drop {flag} to "
                 "resume with the stored value, or choose another --out")
    return EvalConfig(**{**values, "concurrency": given.concurrency,
                         "timeout_s": given.timeout_s})


@app.command("eval")
def eval_(
    ctx: typer.Context,
    scenario: Annotated[str, typer.Option("--scenario", "-s", help="center, north, south, "
                                          "campus[:SEED] or CSV paths, comma-separated.")]
    = "center,north,south",
    methods: Annotated[str | None, typer.Option(help="agent, prompt, rule, optimal, greedy "
                                                "(default: all the backend can run).")] = None,
    users: Annotated[str | None, typer.Option("--users", "-n", help="N values, each its own "
                                              "episode [default: 1,5,10,15,20,25,30, clipped "
                                              "to a shorter file].")] = None,
    seeds: Annotated[str, typer.Option(help="Seeds, e.g. 0,1,2 or 0-4 (they vary dynamic mode "
                                       "and campus scenarios).")] = "0",
    model: Annotated[str | None, typer.Option("--model", "-m", help="offline, ollama:MODEL, "
                                              "openai:MODEL or tiered:A,B [default: "
                                              "$WIRELESS_AGENT_MODEL, else offline].")] = None,
    out: Annotated[Path | None, typer.Option(help="Results folder (default: "
                                             "results/eval-TIMESTAMP).")] = None,
    resume: Annotated[bool, typer.Option(help="Continue the run in --out with its stored "
                                         "arguments.")] = False,
    concurrency: Annotated[int | None, typer.Option(help="Episodes run at once (default: 8 "
                                                    "with a model server, 1 offline).")] = None,
    rate_model: Annotated[str, typer.Option(help="paper or 3gpp.")] = "paper",
    mode: Annotated[str, typer.Option(help="paper (file order) or dynamic (Poisson).")]
    = "paper",
    labels: Annotated[str, typer.Option(help="The paper's files: settled (requests their files "
                                        "disagree on labelled by the slice definitions, "
                                        "env/data/settled_labels.json) or file (as written).")]
    = "settled",
    warmup: Annotated[int, typer.Option(help="Past episodes the agent's memory holds per "
                                        "scenario before it is scored.")] = 10,
    privacy: Annotated[bool, typer.Option(help="Privacy filter in the agent graph.")] = True,
    timeout: Annotated[float | None, typer.Option(help="Seconds per model call, all included "
                                                  "[default: $WIRELESS_AGENT_TIMEOUT, else "
                                                  "30].")] = None,
    planner: Annotated[str | None, typer.Option(
        help="The agent's planner: tools (deterministic) or model (the model proposes, the tools "
             "check, the deterministic planner falls back) [default: $WIRELESS_AGENT_PLANNER, "
             "else tools].")] = None,
    plots: Annotated[bool, typer.Option(help="Write report.md and figures.")] = True,
    sweep_threshold: Annotated[bool, typer.Option(help="With --model tiered:..., trace intent "
                                                  "accuracy against the share escalated over "
                                                  "device thresholds instead of the grid.")]
    = False,
    cluster: Annotated[str | None, typer.Option(help="Run the episodes on Dask workers: "
                                                "local[:N] processes, tcp://HOST:PORT or a "
                                                "scheduler.json (pip install "
                                                "'wireless-agent[cluster]').")] = None,
) -> None:
    """Run the batch slicing evaluation and print the comparison table."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from env.scenarios import parse_labels
    from evals.provenance import provenance
    from evals.slicing_eval import EvalConfig, Evaluation
    from wireless_agent import config

    cfg = EvalConfig(
        scenarios=split(scenario, "scenario"),
        methods=split(methods, "methods") if methods is not None else None,
        users=split_ints(users, "users") if users is not None else None,
        seeds=split_ints(seeds, "seeds", example="0,1,2 or 0-4"),
        model=model if model is not None else config.default_model(),
        rate_model=guarded(lambda: config.parse_rate_model(rate_model)),
        mode=guarded(lambda: config.parse_mode(mode)),
        labels=guarded(lambda: parse_labels(labels)), warmup=warmup, privacy=privacy,
        concurrency=concurrency,
        planner=guarded(lambda: config.parse_planner(planner) if planner is not None
                        else config.default_planner()),
        timeout_s=timeout if timeout is not None else guarded(config.default_timeout),
    )
    if resume and out is None:
        fail("--resume needs --out, the folder of the run to continue")
    if resume and out is not None:
        cfg = _resumed_config(ctx, cfg, out)
    guarded(cfg.validate)
    guarded(cfg.resolved_methods)  # refuse unrunnable methods before asking any server
    # Workers of a running scheduler reach models through their own environment, not ours.
    remote = cluster is not None and not cluster.strip().startswith("local")
    if cfg.model != "offline" and not remote:
        from wireless_agent.models import check_backend, parse_spec

        # Tiers that are down are skipped with a warning while running; others must answer.
        if guarded(lambda: parse_spec(cfg.model)).provider != "tiered":
            guarded(lambda: check_backend(cfg.model, timeout_s=min(cfg.timeout_s, 10.0)))
        else:
            from wireless_agent.models.tiered import cooldown_from_env, thresholds_from_env

            guarded(thresholds_from_env)  # a bad WIRELESS_AGENT_TIER_THRESHOLDS, before writing
            guarded(cooldown_from_env)  # ... and WIRELESS_AGENT_TIER_COOLDOWN_S
    out = out or Path("results") / time.strftime("eval-%Y%m%d-%H%M%S")
    if sweep_threshold:
        _sweep(cfg, out, cfg.timeout_s)
        return
    pool = None
    if cluster is not None:  # the grid on Dask (evals/cluster.py), joined before writing
        from evals.cluster import open_cluster

        threads = cfg.concurrency or (8 if cfg.model != "offline" else 1)
        agent = "agent" in cfg.resolved_methods()[0]
        pool = guarded(lambda: open_cluster(cluster, threads, agent=agent))
        ctx.call_on_close(pool.close)
    evaluation = guarded(lambda: Evaluation(cfg, out, resume=resume, provenance=provenance(),
                                            cluster=pool))
    for note in evaluation.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    total = evaluation.decisions_left()
    t0 = time.perf_counter()
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=not console.is_terminal) as progress:
        task = progress.add_task("decisions", total=total)
        try:
            summary = guarded(lambda: evaluation.run(on_decision=lambda: progress.advance(task)))
        except KeyboardInterrupt:
            progress.stop()
            fail(f"interrupted; nothing written is lost: rerun with --resume --out {out}")
            return
    seconds = time.perf_counter() - t0
    console.print(render_table(summary, f"Slicing evaluation ({evaluation.model_label}, "
                               f"{cfg.rate_model} rates)"))
    per_worker = ""
    if evaluation.by_worker:
        from evals.cluster import describe

        per_worker = f"; per worker: {describe(evaluation.by_worker)}"
    console.print(f"{total} decisions in {seconds:.1f} s; results in {out}/ "
                  f"(summary.csv, decisions.jsonl){per_worker}", highlight=False)
    if plots:
        _report(out)


def _sweep(cfg: Any, out: Path, timeout_s: float) -> None:
    """The tier threshold sweep on the requests of the chosen scenarios."""
    from env.scenarios import load_scenario
    from evals.results import write_csv
    from evals.tier_sweep import DEFAULT_THRESHOLDS, plot_sweep, sweep_thresholds

    if not cfg.model.startswith("tiered:"):
        fail("--sweep-threshold needs tiers: --model tiered:offline,ollama:MODEL,openai:MODEL")
    from wireless_agent.models import BackendError, check_backend, parse_spec

    upper = [t for t in guarded(lambda: parse_spec(cfg.model)).tiers if not t.offline]
    down = []
    for tier in upper:
        try:
            check_backend(str(tier), timeout_s=min(timeout_s, 5.0))
        except BackendError as exc:
            down.append(str(exc))
    if not upper or len(down) == len(upper):
        fail("nothing to sweep: no tier above the device answers"
             + (f" ({down[0]})" if down else "") + "; start the model servers and retry")
    from evals.slicing_eval import DEFAULT_USERS

    n = max(cfg.users or DEFAULT_USERS)

    def users_of(spec: str) -> list[Any]:
        return guarded(lambda: load_scenario(spec, users=n)).users

    requests = [(u.request, u.label) for spec in cfg.scenarios for u in users_of(spec)]
    rows = guarded(lambda: sweep_thresholds(requests, cfg.model, list(DEFAULT_THRESHOLDS),
                                            timeout_s=timeout_s))
    from evals.tier_sweep import tiers_kind

    out.mkdir(parents=True, exist_ok=True)
    kind = tiers_kind(cfg.model)  # scripted fakes are labelled so in every file and table
    flat = [{"tiers": kind, **{k: v for k, v in r.items() if not isinstance(v, dict)}}
            for r in rows]
    write_csv(out / "tier_sweep.csv", flat, tuple(flat[0]))
    plot_sweep(rows, out / "tier_sweep.png", kind=kind)
    from wireless_agent.models.listing import scripted_label, scripted_tiers

    model = scripted_label(cfg.model, scripted_tiers(cfg.model))
    table = Table(title=f"Tier sweep over {len(requests)} requests ({model}; "
                        f"{kind.upper()} tiers)")
    for col in flat[0]:
        table.add_column(col, justify="right")
    for r in flat:
        table.add_row(*(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r.values()))
    console.print(table)
    console.print(f"written: {out}/tier_sweep.csv, {out}/tier_sweep.png", highlight=False)


def _report(out: Path, to: Path | None = None) -> None:
    try:
        from evals.report import write_report
    except ImportError:
        return
    written = guarded(lambda: write_report(out, to))
    console.print("report and figures: " + ", ".join(str(p) for p in written), highlight=False)


@app.command()
def plot(
    results: Annotated[Path, typer.Argument(help="A results folder of `eval`.")],
    out: Annotated[Path | None, typer.Option(help="Write report.md and figures/ here "
                                             "instead (e.g. for a read-only folder).")] = None,
) -> None:
    """Redraw report.md and the figures of a results folder from its files alone."""
    if not (results / "summary.csv").is_file() and (results / "manifest.json").is_file():
        fail(f"{results} holds a run that has not finished (no summary.csv yet); finish it "
             f"with `wireless-agent eval --out {results} --resume`, then plot")
    if not (results / "summary.csv").is_file():
        fail(f"{results} has no summary.csv; give a folder written by `wireless-agent eval`")
    if out is not None:
        from evals.results import check_out_dir

        guarded(lambda: check_out_dir(out))
    _report(results, out)


# -- bench ------------------------------------------------------------------------------------


@app.command()
def bench(
    quick: Annotated[bool, typer.Option(help="Fewer repetitions.")] = False,
) -> None:
    """Measure env steps/s, optimal solve times and agent decision latency."""
    from evals.bench import run_bench

    res = run_bench(episodes=300 if quick else 2000, batches=50 if quick else 300)
    table = Table(title="Benchmarks")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in res.items():
        for name, v in (value.items() if isinstance(value, dict) else [(None, value)]):
            label = f"{key} {name}" if name else key
            table.add_row(label, f"{v:,.3f}" if isinstance(v, float) else str(v))
    console.print(table)


# -- intent-eval ------------------------------------------------------------------------------


@app.command("intent-eval")
def intent_eval(
    out: Annotated[Path | None, typer.Option(help="Also write the report to this file "
                                             "(atomic).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="JSON instead of markdown.")] = False,
    errors: Annotated[bool, typer.Option(help="List every misclassified request.")] = False,
    latency: Annotated[bool, typer.Option(help="Time p50/p95 per decision.")] = True,
) -> None:
    """Offline intent classifier on the held-out requests: category x language, ECE, errors."""
    from evals.intent_eval import out_problem, run

    problem = out_problem(out) if out is not None else None
    if problem:
        fail(problem)
    typer.echo(run(out, json_, errors, latency), nl=False)


# -- models -----------------------------------------------------------------------------------


models_app = typer.Typer(add_completion=False, invoke_without_command=True,
                         help="List model backends (no subcommand), or compare models.")
app.add_typer(models_app, name="models")


@models_app.callback()
def models(
    ctx: typer.Context,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for a server.")] = 3.0,
) -> None:
    """List model backends and, when an Ollama server answers, its local models."""
    if ctx.invoked_subcommand is not None:
        return
    from wireless_agent.models import list_backends

    table = Table(title="Model backends")
    for col in ("backend", "model", "status", "detail"):
        table.add_column(col)
    for row in list_backends(timeout_s=timeout):
        table.add_row(row["backend"], row.get("model", ""), row["status"], row.get("detail", ""))
    console.print(table)


@models_app.command("compare")
def models_compare(
    model: Annotated[list[str], typer.Option("--model", "-m", help="A model spec; repeat for "
                                             "each model (tiered:A,B specs hold commas).")],
    planner: Annotated[str, typer.Option(help="Planners, comma-separated: tools, model.")]
    = "tools",
    scenario: Annotated[str, typer.Option("--scenario", "-s", help="One scenario.")]
    = "center",
    users: Annotated[int, typer.Option("--users", "-n", help="Users in the episode.")] = 10,
    seeds: Annotated[str, typer.Option(help="Seeds, e.g. 0 or 0-2.")] = "0",
    local: Annotated[str | None, typer.Option(help="Serve these small models here with "
                                              "llama-server (smollm2,gemma3) for openai:NAME "
                                              "and ollama:NAME.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per model call.")] = 60.0,
    out: Annotated[Path | None, typer.Option(help="Results folder (default: "
                                             "results/compare-TIMESTAMP).")] = None,
) -> None:
    """Compare models and planners on one grid: one table (CSV, markdown) and one figure."""
    from evals.compare import SHOWN, CompareConfig, _cell, run_compare

    if users < 1:
        fail(f"--users {users} must be at least 1")
    cfg = CompareConfig(models=[m.strip() for m in model if m.strip()],
                        planners=split(planner, "planner"), scenario=scenario, users=users,
                        seeds=split_ints(seeds, "seeds", example="0 or 0-2"),
                        timeout_s=timeout, local=split(local, "local") if local else [])
    pairs, notes = guarded(cfg.pairs)
    from wireless_agent.models import parse_spec

    for spec in cfg.models:
        guarded(functools.partial(parse_spec, spec))  # a bad spec fails before any run
    for note in notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    out = out or Path("results") / time.strftime("compare-%Y%m%d-%H%M%S")
    t0 = time.perf_counter()
    rows, _ = guarded(lambda: run_compare(
        cfg, out, on_run=lambda m, p: console.print(f"running {m} with --planner {p}",
                                                    highlight=False)))
    from evals.compare import HEADERS

    table = Table(title=f"Models on {scenario}, N={users} (same eval code for all)")
    for key in SHOWN:
        table.add_column(HEADERS[key], justify="left" if key in ("model", "kind", "planner")
                         else "right")
    for r in rows:
        table.add_row(*(_cell(k, r.get(k)) for k in SHOWN))
    console.print(table)
    console.print(f"{len(pairs)} runs in {time.perf_counter() - t0:.0f} s; written: "
                  f"{out}/compare.csv, {out}/compare.md, {out}/compare.png", highlight=False)


# -- chat -------------------------------------------------------------------------------------


@app.command()
def chat(
    scenario: Annotated[str, typer.Option("--scenario", "-s", help="center, north, south, "
                                          "campus[:SEED] or a CSV path: lends each typed "
                                          "request a channel.")] = "center",
    model: Annotated[str | None, typer.Option("--model", "-m", help="offline, ollama:MODEL or "
                                              "openai:MODEL [default: $WIRELESS_AGENT_MODEL, "
                                              "else offline].")] = None,
    memory: Annotated[Path | None, typer.Option(help="Chroma memory folder (default: an "
                                                "ephemeral memory).")] = None,
    session: Annotated[str | None, typer.Option(help="Keep the conversation and network "
                                                "under this name, and resume it.")] = None,
    session_dir: Annotated[Path | None, typer.Option(help="Folder of the session database "
                                                     "(default: the memory folder).")] = None,
    users: Annotated[int, typer.Option("--users", "-n", help="Arrivals the network has room "
                                       "for.")] = 100,
    privacy: Annotated[bool, typer.Option(help="Privacy filter in the agent graph.")] = True,
    timeout: Annotated[float | None, typer.Option(help="Seconds per model call [default: "
                                                  "$WIRELESS_AGENT_TIMEOUT, else 30].")] = None,
) -> None:
    """Talk to the agent on a live network: subscriber requests, operator questions, /help."""
    from wireless_agent import config
    from wireless_agent.chat import ChatOptions, run_chat

    chosen = model if model is not None else config.default_model()
    seconds = timeout if timeout is not None else guarded(config.default_timeout)
    guarded(lambda: run_chat(ChatOptions(
        model=chosen, timeout_s=seconds, privacy=privacy, scenario=scenario, memory=memory,
        session=session, session_dir=session_dir, slots=users)))


# -- privacy-bench ----------------------------------------------------------------------------


@app.command("privacy-bench")
def privacy_bench(
    model: Annotated[str, typer.Option("--model", "-m", help="Backend of the role agents: "
                                       "offline answers with templates, a model spec makes "
                                       "each role answer through that model.")] = "offline",
    subscribers: Annotated[int, typer.Option(help="Synthetic subscribers per domain.")] = 20,
    cases: Annotated[Path | None, typer.Option(help="Extra cases, JSONL in the documented "
                                               "format (wireless_agent/privacy/POLICY.md).")]
    = None,
    cases_per_domain: Annotated[int, typer.Option(help="Generated cases per domain.")] = 200,
    out: Annotated[Path, typer.Option(help="Folder for privacy_summary.json and "
                                      "privacy_cases.jsonl.")] = Path("results/privacy"),
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 0,
    profiles: Annotated[list[Path] | None, typer.Option(help="Profiles file (EPEAgent's "
                                                        "user_profiles JSON or ours); "
                                                        "repeatable.")] = None,
    policy: Annotated[Path | None, typer.Option(help="Policy file (JSON) for the profiles.")]
    = None,
    cases_per_profile: Annotated[int, typer.Option(help="Generated cases per profile.")] = 4,
    label: Annotated[str | None, typer.Option(help="Label of the run in the table and file "
                                              "(e.g. 'scripted' for a fake model).")] = None,
) -> None:
    """Leakage, utility and cost of the privacy filter in four modes, per domain or file."""
    from evals.privacy.bench import BenchInputError
    from evals.privacy.cli import run_command

    try:
        run_command(model, subscribers, cases, cases_per_domain, out, seed, profiles, policy,
                    cases_per_profile, label)
    except BenchInputError as exc:
        fail(str(exc))
    console.print(f"written: {out}/privacy_summary.json, {out}/privacy_cases.jsonl",
                  highlight=False)


# -- wirelessbench (body in evals/wirelessbench/command.py) ----------------------------------

from evals.wirelessbench.command import wirelessbench  # noqa: E402

app.command("wirelessbench")(wirelessbench)


def main() -> None:
    """Entry point for `python -m wireless_agent.cli`."""
    app()


if __name__ == "__main__":
    main()
