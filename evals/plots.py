"""Figures of a slicing evaluation, drawn from its result files alone (PNG, Agg canvas)."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from evals.numbers import ci95, num
from evals.records import CellError, DecisionRow, SeededSummaryRow, SummaryRow, summary_from_csv
from evals.results import DECISIONS, MANIFEST, SUMMARY, ResultsError, read_csv, read_decisions

FIGURES = "figures"
PUBLISHED_PATH = Path(__file__).parent / "data" / "published.json"
METHOD_ORDER = ("agent", "prompt", "rule", "optimal", "greedy")
BOUND = "bound (per interval, any slice)"  # dynamic mode's ceiling, drawn as a series
METHOD_LABELS = {"agent": "agent (ours)", "prompt": "prompt-based (ours)",
                 "rule": "rule-based (ours)", "optimal": "optimal (offline MILP)",
                 "greedy": "greedy"}
METHOD_COLORS = {"agent": "tab:blue", "prompt": "tab:orange", "rule": "tab:green",
                 "optimal": "black", "greedy": "tab:gray", BOUND: "tab:red"}
# Distinct markers, and the agent drawn on top, so coinciding curves stay visible.
METHOD_MARKERS = {"agent": "o", "prompt": "s", "rule": "^", "optimal": "D", "greedy": "v"}
# Published series: key in published.json, legend label, colour of our counterpart.
PUBLISHED_SERIES = (
    ("wirelessagent", "WirelessAgent (published)", "tab:blue"),
    ("rule_based", "rule-based (published)", "tab:green"),
    ("prompt_based", "prompt-based (published)", "tab:orange"),
)
SLICES = ("eMBB", "URLLC")
REQUIRED_COLUMNS = ("scenario", "method", "seed", "users", "throughput_mbps",
                    "bandwidth_utilization")


def load_summary(results_dir: Path) -> list[SeededSummaryRow]:
    """The rows of summary.csv, checked; ResultsError when the folder cannot be reported."""
    path = results_dir / SUMMARY
    if not path.is_file():
        raise ResultsError(f"{results_dir} has no {SUMMARY}; run `wireless-agent eval --out "
                           f"{results_dir}` first")
    try:
        rows = read_csv(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path} cannot be read ({exc})") from exc
    if not rows:
        raise ResultsError(f"{path} has no rows; the evaluation wrote nothing to report")
    missing = [c for c in REQUIRED_COLUMNS if c not in rows[0]]
    if missing:
        raise ResultsError(f"{path} lacks column(s) {', '.join(missing)}; "
                           "is it a summary of `wireless-agent eval`?")
    out: list[SeededSummaryRow] = []
    for i, row in enumerate(rows, start=2):
        try:
            out.append(summary_from_csv(row))
        except CellError as exc:
            raise ResultsError(f"{path} line {i}: {exc}; fix the cell or rerun the "
                               "evaluation") from None
        if "users" not in out[-1]:
            raise ResultsError(f"{path} line {i}: users is blank; fix the cell or rerun the "
                               "evaluation")
    return out


def load_published() -> dict[str, Any]:
    """The WirelessAgent numbers shipped in evals/data/published.json (see PUBLISHED.md)."""
    return json.loads(PUBLISHED_PATH.read_text(encoding="utf-8"))


def ordered(names: Iterable[str], order: tuple[str, ...] = METHOD_ORDER) -> list[str]:
    """Distinct names, known ones in `order` first, then the rest in first-seen order."""
    seen = list(dict.fromkeys(names))
    return [n for n in order if n in seen] + [n for n in seen if n not in order]


def _per_seed(summary: Sequence[SummaryRow], scenario: str, column: str
              ) -> dict[str, dict[int, list[float]]]:
    """Per method, N -> the seeds' values of `column` in one scenario (blank cells left out)."""
    acc: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in summary:
        value = num(row.get(column))
        if row["scenario"] == scenario and value is not None:
            acc[row["method"]][int(row["users"])].append(value)
    return acc


def series(summary: Sequence[SummaryRow], scenario: str, column: str
           ) -> dict[str, dict[int, float]]:
    """Per method, N -> the seed mean of `column` in one scenario (blank cells left out)."""
    return {m: {n: sum(v) / len(v) for n, v in sorted(by_n.items())}
            for m, by_n in _per_seed(summary, scenario, column).items()}


def series_ci(summary: Sequence[SummaryRow], scenario: str, column: str
              ) -> dict[str, dict[int, float]]:
    """Per method, N -> the 95 % CI half-width of `column` over seeds (only where >= 2)."""
    return {m: {n: ci for n, v in sorted(by_n.items()) if (ci := ci95(v)) is not None}
            for m, by_n in _per_seed(summary, scenario, column).items()}


def published_series(published: dict[str, Any], key: str, scenario: str
                     ) -> dict[str, dict[int, float]]:
    """Per published series, N -> value for one scenario ({} if the paper has none)."""
    per = published.get(key, {}).get(scenario)
    if not per:
        return {}
    users = published["users"]
    return {name: dict(zip(users, values, strict=True)) for name, values in per.items()}


def slice_admissions(decisions: Sequence[DecisionRow], scenario: str, method: str,
                     n: int) -> dict[str, float] | None:
    """Admitted users per slice at N = n, seed mean; None when no decision log matches.

    Online methods run one episode of the largest N per seed; offline ones one per N. Either
    way the unit whose length (last field of `unit`) is n holds the decisions at that N.
    """
    counts: dict[str, dict[str, int]] = {}
    for row in decisions:
        if row.get("scenario") != scenario or row.get("method") != method:
            continue
        unit = str(row.get("unit", ""))
        length = unit.rsplit("|", 1)[-1]
        if not length.isdigit() or int(length) != n or int(row.get("step", 0)) >= n:
            continue
        per_seed = counts.setdefault(str(row.get("seed")), dict.fromkeys(SLICES, 0))
        # Offline methods log no slice: their users go to the slice of the intent they set.
        slc = row.get("slice") or row.get("intent")
        if row.get("admitted") and slc in per_seed:
            per_seed[slc] += 1
    if not counts:
        return None
    return {s: sum(c[s] for c in counts.values()) / len(counts) for s in SLICES}


def safe_name(name: str) -> str:
    """A scenario name usable in a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "scenario"


def save_png(fig: Figure, path: Path, svg: bool = False) -> Path:
    """Write the figure as PNG (and, with `svg`, as SVG beside it for papers) so readers see
    the old or the new file, never half; the PNG's path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)  # PNG through Agg; savefig picks the SVG writer by format
    for target in (path, path.with_suffix(".svg")) if svg else (path,):
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            # mkstemp makes the file private; figures are meant to be shared like the CSVs.
            os.fchmod(fd, 0o644)
            with os.fdopen(fd, "wb") as fh:
                fig.savefig(fh, format=target.suffix[1:])
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path


def _new_figure(size: tuple[float, float] = (7.0, 4.6)) -> Figure:
    # A bare Figure keeps pyplot's global figure registry and backend untouched.
    return Figure(figsize=size, dpi=110, layout="constrained")


def _line_figure(ours: dict[str, dict[int, float]], theirs: dict[str, dict[int, float]],
                 title: str, ylabel: str, scale: float, theirs_labels: dict[str, str],
                 spread: dict[str, dict[int, float]] | None = None) -> Figure:
    fig = _new_figure((7.5, 5.6))
    ax = fig.add_subplot()
    spread = spread or {}
    for method in ordered(ours):
        points = ours[method]
        ci = spread.get(method, {})
        # Error bars: the 95 % CI over seeds, where there are two or more.
        ax.errorbar(list(points), [v * scale for v in points.values()],
                    yerr=[ci.get(n, 0.0) * scale for n in points] if ci else None,
                    capsize=3 if ci else 0, marker=METHOD_MARKERS.get(method, "o"),
                    markersize=4, color=METHOD_COLORS.get(method),
                    label=METHOD_LABELS.get(method, method),
                    zorder=4 if method == "agent" else 3)
    lo = min((min(p) for p in ours.values() if p), default=0)
    hi = max((max(p) for p in ours.values() if p), default=0)
    for key, label, color in PUBLISHED_SERIES:
        # Only the N range we ran, so the paper's curves do not stretch the axis.
        points = {n: v for n, v in theirs.get(key, {}).items() if lo <= n <= hi}
        if points:
            ax.plot(list(points), list(points.values()), linestyle="--", marker="x",
                    markersize=5, linewidth=1.2, color=color, alpha=0.75,
                    label=theirs_labels.get(key, label))
    ns = sorted({n for p in ours.values() for n in p})
    if len(ns) <= 12:
        ax.set_xticks(ns)  # the Ns that were run, not matplotlib's evenly spaced guesses
    ax.set_title(title)
    ax.set_xlabel("users N")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    # Below the axes: the long published labels would squeeze the plot if put at its side.
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize=8,
               frameon=False)
    return fig


def _bar_figure(counts: dict[str, dict[str, float]], ns: dict[str, int], scenario: str
                ) -> Figure:
    fig = _new_figure((max(5.0, 1.3 * len(counts) + 2.5), 4.2))
    ax = fig.add_subplot()
    methods = ordered(counts)
    width = 0.38
    same_n = len(set(ns.values())) == 1
    for k, slc in enumerate(SLICES):
        xs = [i + (k - 0.5) * width for i in range(len(methods))]
        heights = [counts[m][slc] for m in methods]
        bars = ax.bar(xs, heights, width, label=slc,
                      color=("tab:purple", "tab:cyan")[k])
        ax.bar_label(bars, labels=[f"{h:g}" for h in heights], fontsize=8, padding=2)
    ax.set_xticks(range(len(methods)),
                  [METHOD_LABELS.get(m, m).replace(" (", "\n(") + ("" if same_n else
                   f"\nN={ns[m]}") for m in methods], fontsize=8)
    n_text = f" at N={next(iter(ns.values()))}" if same_n else " at each method's largest N"
    ax.set_title(f"{scenario}: admitted users per slice{n_text}")
    ax.set_ylabel("admitted users (seed mean)")
    ax.margins(y=0.15)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def _like_the_paper(results_dir: Path) -> bool:
    """Whether the run used the paper's episode and rate model (so its curves compare)."""
    try:
        manifest = json.loads((results_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    return (manifest.get("mode", "paper") == "paper"
            and manifest.get("rate_model", "paper") == "paper")


def _scripted_tag(results_dir: Path) -> str:
    """' [scripted model]' when a scripted fake answered the run (its manifest says), else ''."""
    try:
        manifest = json.loads((results_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    scripted = (manifest.get("provenance") or {}).get("scripted") if isinstance(
        manifest, dict) else None
    return " [scripted model]" if scripted else ""


def plot_all(results_dir: Path, out_root: Path | None = None) -> list[Path]:
    """Draw every figure of a results folder into OUT/figures/ (PNG and SVG); the PNGs."""
    results_dir = Path(results_dir)
    summary = load_summary(results_dir)
    decisions = read_decisions(results_dir / DECISIONS)
    # Another rate model or dynamic arrivals: the paper's curves are not like for like.
    published = load_published() if _like_the_paper(results_dir) else {}
    out_dir = Path(out_root or results_dir) / FIGURES
    written: list[Path] = []
    throughput_labels = {"prompt_based": "prompt-based (published, LLM's self-reported rate)"}
    tag = _scripted_tag(results_dir)
    dynamic = any(num(r.get("bound_mbps")) is not None for r in summary)
    for scenario in ordered((r["scenario"] for r in summary), ()):
        name = safe_name(scenario)
        if dynamic:  # time-averaged, against the per-interval bound (not the static optimum)
            ours = series(summary, scenario, "time_avg_throughput_mbps")
            spread = series_ci(summary, scenario, "time_avg_throughput_mbps")
            bound = series(summary, scenario, "bound_mbps")
            if bound:
                ours[BOUND] = next(iter(bound.values()))  # the same for every method
            fig = _line_figure(ours, {}, f"{scenario}: time-averaged throughput (dynamic){tag}",
                               "time-averaged throughput (Mbps)", 1.0, {}, spread)
        else:
            fig = _line_figure(series(summary, scenario, "throughput_mbps"),
                               published_series(published, "throughput_mbps", scenario),
                               f"{scenario}: system throughput{tag}", "throughput (Mbps)", 1.0,
                               throughput_labels, series_ci(summary, scenario,
                                                            "throughput_mbps"))
        written.append(save_png(fig, out_dir / f"throughput_{name}.png", svg=True))
        fig = _line_figure(series(summary, scenario, "bandwidth_utilization"),
                           published_series(published, "bandwidth_utilization_percent",
                                            scenario),
                           f"{scenario}: bandwidth utilization{tag}", "bandwidth utilization (%)",
                           100.0, {}, series_ci(summary, scenario, "bandwidth_utilization"))
        written.append(save_png(fig, out_dir / f"utilization_{name}.png", svg=True))
        largest = {m: max(by_n) for m, by_n in
                   series(summary, scenario, "throughput_mbps").items() if by_n}
        counts = {m: c for m, n in largest.items()
                  if (c := slice_admissions(decisions, scenario, m, n)) is not None}
        if counts:
            fig = _bar_figure(counts, {m: largest[m] for m in counts}, scenario + tag)
            written.append(save_png(fig, out_dir / f"admitted_{name}.png", svg=True))
    return written


__all__ = ["load_published", "load_summary", "ordered", "plot_all", "published_series",
           "safe_name", "series", "series_ci", "slice_admissions"]
