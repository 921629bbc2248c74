"""report.md of a slicing evaluation, written from its result files alone, with its figures."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.numbers import mean as _mean
from evals.plots import (
    METHOD_LABELS,
    PUBLISHED_SERIES,
    load_published,
    load_summary,
    ordered,
    plot_all,
    published_series,
    series,
    series_ci,
)
from evals.records import DecisionRow, SummaryRow
from evals.results import DECISIONS, MANIFEST, ResultsError, read_decisions, write_atomic
from evals.table import ORACLE_METHODS, final_rows, format_cell, is_dynamic, table_columns

REPORT = "report.md"


def write_report(results_dir: Path, out_dir: Path | None = None) -> list[Path]:
    """Write report.md and the figures of a results folder (into `out_dir`, default the
    folder itself); the paths written, report last."""
    results_dir = Path(results_dir)
    out_dir = Path(out_dir) if out_dir is not None else results_dir
    summary = load_summary(results_dir)
    try:
        figures = plot_all(results_dir, out_dir)
        text = render_report(summary, _manifest(results_dir),
                             read_decisions(results_dir / DECISIONS),
                             [f.relative_to(out_dir) for f in figures])
        path = out_dir / REPORT
        write_atomic(path, text)
    except OSError as exc:
        raise ResultsError(f"cannot write the report in {out_dir} ({exc.strerror}); pass "
                           "--out DIR to write it elsewhere") from None
    return [*figures, path]


def render_report(summary: Sequence[SummaryRow], manifest: dict[str, Any] | None,
                  decisions: Sequence[DecisionRow], figures: list[Path]) -> str:
    """The Markdown text of the report (figures given relative to the results folder)."""
    like_paper = manifest is None or (manifest.get("mode", "paper") == "paper"
                                      and manifest.get("rate_model", "paper") == "paper")
    published = load_published() if like_paper else {}  # other settings: not like for like
    scenarios = ordered((r["scenario"] for r in summary), ())
    parts = [
        "# Slicing evaluation report\n",
        "Drawn from `summary.csv`, `decisions.jsonl` and `manifest.json` of this folder alone; "
        "`wireless-agent plot <folder>` redraws it. Numbers are seed means.\n",
        _run_section(manifest),
        _comparison_section(summary, scenarios),
        _per_n_section(summary, scenarios, published, "time_avg_throughput_mbps",
                       "time_avg_throughput_mbps", "Time-averaged throughput per N (Mbps)", 1.0,
                       "{:.1f}") if is_dynamic(summary) else
        _per_n_section(summary, scenarios, published, "throughput_mbps", "throughput_mbps",
                       "Throughput per N (Mbps)", 1.0, "{:.1f}"),
        _per_n_section(summary, scenarios, {}, "ratio_to_bound", "ratio_to_bound",
                       "Time-averaged throughput over the per-interval bound (any slice), per N "
                       "(%)", 100.0, "{:.1f}") if is_dynamic(summary) else "",
        _per_n_section(summary, scenarios, published, "bandwidth_utilization",
                       "bandwidth_utilization_percent", "Bandwidth utilization per N (%)",
                       100.0, "{:.1f}"),
        _published_notes(published) if published else "",
        "" if is_dynamic(summary) else _gap_section(summary, scenarios),
        _cost_section(summary),
        _intent_section(summary, scenarios, decisions),
        _violation_section(summary, scenarios),
        _figure_section(figures),
    ]
    return "\n".join(p for p in parts if p)


def _manifest(results_dir: Path) -> dict[str, Any] | None:
    path = results_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # the run's arguments are context; the numbers still stand without them
    return data if isinstance(data, dict) else None


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _label(method: str) -> str:
    return METHOD_LABELS.get(method, method)


def _largest(summary: Sequence[SummaryRow]) -> list[SummaryRow]:
    """Rows at the largest N of their (scenario, method)."""
    top: dict[tuple[str, str], int] = {}
    for r in summary:
        key = (r["scenario"], r["method"])
        top[key] = max(top.get(key, 0), int(r["users"]))
    return [r for r in summary if int(r["users"]) == top[(r["scenario"], r["method"])]]


def _run_section(manifest: dict[str, Any] | None) -> str:
    out = ["## Run\n"]
    if manifest is None:
        return "\n".join(out + ["No readable `manifest.json`: the run's arguments are unknown.\n"])
    prov = manifest.get("provenance") or {}
    if prov.get("scripted"):
        out.append(f"**Scripted:** {', '.join(prov['scripted'])} answered from a scripted fake "
                   "server, not a real model; these figures test the plumbing, not a model.\n")
    if prov.get("command"):
        out.append(f"Command: `{prov['command']}`\n")
    for key in sorted(k for k in manifest if k != "provenance"):
        value = manifest[key]
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        out.append(f"- {key}: `{shown}`")
    if prov:
        out.append(f"- git commit: `{prov.get('git_commit') or 'not a git checkout'}`")
        out.append(f"- python: `{prov.get('python')}` on `{prov.get('platform')}`")
        versions = prov.get("versions") or {}
        out.append("- packages: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())))
    if manifest.get("labels") == "settled":
        out.append("\nGround truth: the paper's files, with the requests their files label "
                   "differently settled by the slice definitions (`env/data/settled_labels.json`; "
                   "`--labels file` scores the files as written).")
    if manifest.get("mode", "paper") != "paper" or manifest.get("rate_model", "paper") != "paper":
        out.append("\nThis run did not use `--mode paper --rate-model paper`: the published "
                   "WirelessAgent numbers below are not like for like.")
    return "\n".join(out) + "\n"


def _comparison_section(summary: Sequence[SummaryRow], scenarios: list[str]) -> str:
    rows = final_rows(summary)
    order = {s: i for i, s in enumerate(scenarios)}
    methods = {m: i for i, m in enumerate(ordered(r["method"] for r in rows))}
    rows.sort(key=lambda r: (order[r["scenario"]], methods[r["method"]]))
    columns = table_columns(summary)
    body = [[format_cell(key, r.get(key), r) for key, _ in columns] for r in rows]
    if is_dynamic(summary):
        return ("## Comparison at the largest N (dynamic mode)\n\n"
                + _table([title for _, title in columns], body)
                + "\nMeans over seeds, ± the half-width of their 95 % confidence interval "
                "(Student t) when there are two or more. Users arrive and leave, so the score is "
                "throughput averaged over time from the first arrival to the last. `bound`: per "
                "interval between events, the best allocation of every user present (admitted "
                "or not), averaged the same way, each slice free to take anyone (a user counted "
                "in both: a relaxation), so no method beats it whatever it classifies. `vs "
                "label bound`: against the tighter bound that keeps users in their true slices, "
                "which a method that misplaces users (a URLLC user given 20 MHz of eMBB) can "
                "exceed. Ratios are per seed, then averaged. The static optimum (everyone "
                "present at once) is no ceiling here and is not used as one; `optimal` is just "
                "the method that follows that plan. "
                "`blocking`: share of arrivals turned away. `violations (peak)`: most users below "
                "their minimum rate at any moment.\n")
    return ("## Comparison at the largest N\n\n"
            + _table([title for _, title in columns], body)
            + "\nMeans over seeds, ± the half-width of their 95 % confidence interval (Student t) "
            "when there are two or more. `vs optimal`: throughput over that of the offline "
            "optimum of the same seed and N; read it with `admitted`, since a method that turns "
            "users away can score high. `oracle`: the method is handed the true labels.\n")


def _per_n_section(summary: Sequence[SummaryRow], scenarios: list[str],
                   published: dict[str, Any], column: str, published_key: str, title: str,
                   scale: float, fmt: str) -> str:
    out = [f"## {title}\n"]
    for scenario in scenarios:
        ours = series(summary, scenario, column)
        spread = series_ci(summary, scenario, column)
        theirs = published_series(published, published_key, scenario)
        methods = ordered(ours)
        extra = [(key, label) for key, label, _ in PUBLISHED_SERIES if key in theirs]
        header = ["N", *(_label(m) for m in methods), *(label for _, label in extra)]
        if published_key == "throughput_mbps":
            header = [h + " *" if h.startswith("prompt-based (published") else h
                      for h in header]
        ns = sorted({n for by_n in ours.values() for n in by_n})
        rows = []
        for n in ns:
            row = [str(n)]
            row += [_with_ci(fmt, ours[m].get(n), spread.get(m, {}).get(n), scale)
                    for m in methods]
            row += [fmt.format(theirs[k][n]) if n in theirs[k] else "-" for k, _ in extra]
            rows.append(row)
        out.append(f"### {scenario}\n\n" + _table(header, rows))
    return "\n".join(out)


def _with_ci(fmt: str, value: float | None, ci: float | None, scale: float) -> str:
    if value is None:
        return "-"
    text = fmt.format(value * scale)
    return text if ci is None else f"{text} ± {fmt.format(ci * scale)}"


def _published_notes(published: dict[str, Any]) -> str:
    out = ["Published columns: WirelessAgent's paper (see `evals/data/PUBLISHED.md`); "
           f"source: {published.get('source', 'evals/data/published.json')}. Caveats:\n"]
    out += [f"- {c}" for c in published.get("caveats", [])]
    out.append("- \\* marks that self-reported prompt-based throughput column.")
    return "\n".join(out) + "\n"


def _gap_section(summary: Sequence[SummaryRow], scenarios: list[str]) -> str:
    out = ["## Gap to optimal\n",
           "Gap = 1 - throughput / optimal throughput at the same N (positive: below the "
           "optimum). The optimum is the offline MILP with the true labels and all N users known, "
           "admitting as many users as fit, then maximising throughput; a method can exceed it "
           "(negative gap) by admitting fewer users or by putting users in the other slice.\n"]
    found = False
    for scenario in scenarios:
        by_method = series(summary, scenario, "throughput_mbps")
        best = by_method.get("optimal")
        if not best:
            continue
        found = True
        rows = []
        for method in ordered(by_method):
            if method == "optimal":
                continue
            gaps = {n: 1 - v / best[n] for n, v in by_method[method].items()
                    if best.get(n)}
            if not gaps:
                continue
            top = max(gaps)
            worst = max(gaps, key=lambda n: gaps[n])
            rows.append([_label(method), f"{gaps[top]:.1%} (N={top})",
                         f"{sum(gaps.values()) / len(gaps):.1%}",
                         f"{gaps[worst]:.1%} (N={worst})"])
        out.append(f"### {scenario}\n\n" + _table(
            ["method", "gap at largest N", "mean gap over N", "largest gap"], rows))
    if not found:
        out.append("The optimal method was not run: no gap to report.\n")
    return "\n".join(out)


def _cost_section(summary: Sequence[SummaryRow]) -> str:
    groups: dict[str, list[SummaryRow]] = defaultdict(list)
    for r in _largest(summary):
        groups[r["method"]].append(r)
    rows = []
    for method in ordered(groups):
        rs = groups[method]
        users = sum(int(r["users"]) for r in rs)

        def total(key: str, rs: list[SummaryRow] = rs) -> float:
            return sum(_mean([r.get(key)]) or 0.0 for r in rs)

        prompt, completion = total("prompt_tokens"), total("completion_tokens")
        p50 = _mean([r.get("decision_ms_p50") for r in rs])
        rows.append([_label(method), f"{total('llm_calls') / users:.2f}",
                     f"{prompt / users:.0f}", f"{completion / users:.0f}",
                     f"{(prompt + completion) / users:.0f}", f"{total('fallbacks'):g}",
                     f"{total('errors'):g}", "-" if p50 is None else f"{p50:.2f}"])
    return ("## Model calls and tokens per user\n\n"
            "At the largest N, over all scenarios and seeds; decision time is the mean of the "
            "per-episode medians.\n\n"
            + _table(["method", "calls/user", "prompt tokens/user", "completion tokens/user",
                      "tokens/user", "fallbacks", "model errors", "decision ms (p50)"], rows))


def _scenario_grid(summary: Sequence[SummaryRow], scenarios: list[str], cell: Any) -> str:
    rows_at = _largest(summary)
    methods = ordered(r["method"] for r in summary)
    rows = []
    for scenario in scenarios:
        row = [scenario]
        for method in methods:
            here = [r for r in rows_at if r["scenario"] == scenario and r["method"] == method]
            every = [r for r in summary if r["scenario"] == scenario and r["method"] == method]
            row.append(cell(here, every) if here else "-")
        rows.append(row)
    return _table(["scenario", *(_label(m) for m in methods)], rows)


def _intent_section(summary: Sequence[SummaryRow], scenarios: list[str],
                    decisions: Sequence[DecisionRow]) -> str:
    def cell(here: list[SummaryRow], _every: list[SummaryRow]) -> str:
        if here[0]["method"] in ORACLE_METHODS:
            return "oracle"
        return format_cell("intent_accuracy", _mean([r.get("intent_accuracy") for r in here]))

    out = ["## Intent accuracy\n", "Share of users whose slice intent matched the label, at the "
           "largest N.\n", _scenario_grid(summary, scenarios, cell)]
    per_label = _accuracy_by_label(decisions)
    if per_label:
        rows = [[_label(m), *(format_cell("intent_accuracy", per_label[m].get(lab))
                              for lab in ("eMBB", "URLLC"))] for m in ordered(per_label)
                if m not in ORACLE_METHODS]
        out.append("By true label, over every logged decision at the largest N "
                   "(decisions.jsonl):\n\n" + _table(["method", "eMBB", "URLLC"], rows))
    return "\n".join(out)


def _accuracy_by_label(decisions: Sequence[DecisionRow]) -> dict[str, dict[str, float]]:
    longest: dict[tuple[str, str], int] = {}
    for d in decisions:
        length = str(d.get("unit", "")).rsplit("|", 1)[-1]
        if length.isdigit():
            key = (str(d.get("scenario")), str(d.get("method")))
            longest[key] = max(longest.get(key, 0), int(length))
    hits: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for d in decisions:
        length = str(d.get("unit", "")).rsplit("|", 1)[-1]
        key = (str(d.get("scenario")), str(d.get("method")))
        if (length.isdigit() and int(length) == longest.get(key)
                and d.get("label") and d.get("intent_correct") is not None):
            hits[key[1]][d["label"]].append(bool(d["intent_correct"]))
    return {m: {lab: sum(v) / len(v) for lab, v in by.items()} for m, by in hits.items()}


def _violation_section(summary: Sequence[SummaryRow], scenarios: list[str]) -> str:
    def cell(here: list[SummaryRow], every: list[SummaryRow]) -> str:
        at = _mean([r.get("min_rate_violations") for r in here])
        worst = max((_mean([r.get("min_rate_violations")]) or 0.0 for r in every), default=0.0)
        return f"{format_cell('min_rate_violations', at)} (max {worst:g})"

    return ("## Minimum-rate violations\n\nAdmitted users below their minimum rate at the "
            "largest N (and the most at any N).\n\n"
            + _scenario_grid(summary, scenarios, cell))


def _figure_section(figures: list[Path]) -> str:
    if not figures:
        return ""
    groups: dict[str, list[Path]] = defaultdict(list)
    for fig in figures:
        # Names are <kind>_<scenario>.png, so the part after the first "_" is the scenario.
        groups[fig.stem.partition("_")[2]].append(fig)
    out = ["## Figures\n", "Dashed lines are the published WirelessAgent curves.\n"]
    for scenario, figs in groups.items():
        links = ", ".join(f"[{f.stem.partition('_')[0]}]({f.as_posix()})" for f in figs)
        out.append(f"### {scenario}\n\n{links}\n")
        out += [f"![{f.stem}]({f.as_posix()})\n" for f in figs]
    return "\n".join(out)


__all__ = ["REPORT", "render_report", "write_report"]
