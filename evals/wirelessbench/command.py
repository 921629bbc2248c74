"""The `wireless-agent wirelessbench` command: run, score, tabulate and plot one task."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.markup import escape
from rich.table import Table


def summary_table(summary: dict[str, Any]) -> Table:
    """Each component's weight and mean score, the overall, and the published points."""
    tag = f" [{summary['label']}]" if summary.get("label") else ""
    split = summary.get("split") or summary.get("data")
    # Escaped: rich would take "[scripted ...]" for markup and drop it from the title.
    table = Table(title=escape(f"WirelessBench {summary['task'].upper()} {split}: "
                               f"{summary['items']} items, model {summary['model']}{tag}"))
    columns: tuple[tuple[str, Literal["left", "right"]], ...] = (
        ("component", "left"), ("weight", "right"), ("score", "right"), ("items below 1", "right"))
    for col, justify in columns:
        table.add_column(col, justify=justify)
    for name, value in summary["components"].items():
        table.add_row(name, f"{summary['weights'][name]:.2f}", f"{value:.4f}",
                      str(summary["short_of_full"][name]))
    table.add_row("[bold]overall[/]", "1.00", f"[bold]{summary['overall']:.4f}[/]", "",
                  end_section=True)
    for point in summary["published"]:
        approx = "≈ " if point.get("approximate") else ""
        table.add_row(point["label"], "", f"{approx}{point['score']:.4f}", "")
    return table


def wirelessbench(
    task: Annotated[str | None, typer.Option("--task", "-t", help="wcns (network slicing) or "
                                             "wcmsa (mobile service assurance).")] = None,
    split: Annotated[str, typer.Option(help="test or validate (shipped with the package).")]
    = "test",
    data: Annotated[Path | None, typer.Option(help="A WirelessBench JSONL file instead of the "
                                              "shipped split (.jsonl or .jsonl.gz).")] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Slice classification: offline, "
                                       "ollama:MODEL, openai:MODEL or tiered:...")]
    = "offline",
    limit: Annotated[int | None, typer.Option(help="Only the first K items.")] = None,
    out: Annotated[Path | None, typer.Option(help="Results folder (default: "
                                             "results/wirelessbench-TASK-TIMESTAMP).")] = None,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run in --out.")] = False,
    concurrency: Annotated[int | None, typer.Option(help="Items answered at once (default: 8 "
                                                    "with a model server, 1 offline).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per model call.")] = 30.0,
    privacy: Annotated[bool, typer.Option(help="Privacy filter on what a model sees.")] = True,
    ray_tracing: Annotated[str, typer.Option(help="precomputed (the item's own ray-tracing "
                                             "result, else the region table) or table (the "
                                             "region table only).")] = "precomputed",
    plots: Annotated[bool, typer.Option(help="Write the figure.")] = True,
) -> None:
    """Run the agent on WirelessBench's WCNS or WCMSA and score it by the benchmark's rules."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from evals.wirelessbench.agent import RAY_TRACING_MODES
    from evals.wirelessbench.data import WirelessBenchError, check_task
    from evals.wirelessbench.runner import FIGURE, RunConfig, WirelessBenchRun
    from wireless_agent.radio import RayTracingError
    from wireless_agent.terminal import console, fail, guarded

    if task is None:
        fail("--task is missing; give --task wcns or --task wcmsa")
        return
    task = task.lower()
    try:
        check_task(task)
        if ray_tracing not in RAY_TRACING_MODES:
            raise WirelessBenchError(f"--ray-tracing {ray_tracing!r} is unknown; use "
                                     f"{' or '.join(RAY_TRACING_MODES)}")
        if concurrency is not None and concurrency < 1:
            raise WirelessBenchError("--concurrency must be at least 1")
        if model != "offline":
            from wireless_agent.models import check_backend, parse_spec

            if guarded(lambda: parse_spec(model)).provider != "tiered":
                guarded(lambda: check_backend(model))
        cfg = RunConfig(task=task, split=split, data=str(data) if data else None, limit=limit,
                        model=model, privacy=privacy, ray_tracing=ray_tracing,
                        timeout_s=timeout, concurrency=concurrency,
                        label=_scripted(model))
        out = out or Path("results") / time.strftime(f"wirelessbench-{task}-%Y%m%d-%H%M%S")
        run = guarded(lambda: WirelessBenchRun(cfg, out, resume=resume))
        t0 = time.perf_counter()
        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                      transient=not console.is_terminal) as progress:
            bar = progress.add_task("items", total=len(run.todo))
            try:
                summary = guarded(lambda: run.run(on_item=lambda: progress.advance(bar)))
            except KeyboardInterrupt:
                progress.stop()
                fail(f"interrupted; nothing scored is lost: rerun with --resume --out {out}")
                return
    except (WirelessBenchError, RayTracingError) as exc:
        fail(str(exc))
        return
    seconds = time.perf_counter() - t0
    console.print(summary_table(summary))
    written = [out / "summary.json", out / "scores.jsonl", out / "predictions.jsonl"]
    if plots:
        from evals.wirelessbench.figure import plot_summary

        written.append(plot_summary(summary, out / FIGURE))
    console.print(f"{summary['items']} items in {seconds:.1f} s; written: "
                  + ", ".join(str(p) for p in written), highlight=False)


def _scripted(model: str) -> str:
    """'scripted' when a scripted fake server answers `model` (the table and figure say so)."""
    if model == "offline":
        return ""
    from wireless_agent.models.listing import scripted_tiers

    tiers = scripted_tiers(model)
    return f"scripted fake: {', '.join(tiers)}" if tiers else ""
