"""The comparison table: per scenario and method at the largest N, seed mean ± 95 % CI."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from evals.numbers import ci95, mean, num
from evals.records import SummaryRow

# Methods that are handed the true labels: their intent accuracy is not a measurement.
ORACLE_METHODS = frozenset({"rule", "optimal"})
TABLE_COLUMNS = (
    ("scenario", "scenario"), ("method", "method"), ("planner", "planner"), ("users", "N"),
    ("seeds", "seeds"),
    ("throughput_mbps", "throughput Mbps"), ("bandwidth_utilization", "BU"),
    ("admitted", "admitted"), ("min_rate_violations", "violations"),
    ("intent_accuracy", "intent acc"), ("calls_per_user", "calls/user"),
    ("tokens_per_user", "tokens/user"), ("errors", "model errors"),
    ("ratio_to_optimal", "vs optimal"),
)
# Dynamic mode: time-averaged throughput against the per-interval bound; the static optimum
# (everyone present at once) is no ceiling there, so no "vs optimal" column.
DYNAMIC_COLUMNS = (
    ("scenario", "scenario"), ("method", "method"), ("users", "N"), ("seeds", "seeds"),
    ("time_avg_throughput_mbps", "time-avg Mbps"), ("bound_mbps", "bound Mbps"),
    ("ratio_to_bound", "vs bound"), ("ratio_to_label_bound", "vs label bound"),
    ("blocking_rate", "blocking"), ("admitted", "admitted"),
    ("peak_violations", "violations (peak)"), ("intent_accuracy", "intent acc"),
    ("calls_per_user", "calls/user"), ("errors", "model errors"),
)
_DYNAMIC_MEANS = ("time_avg_throughput_mbps", "bound_mbps", "ratio_to_bound", "blocking_rate",
                  "peak_violations", "ratio_to_label_bound")
_MEANS = ("throughput_mbps", "bandwidth_utilization", "admitted", "min_rate_violations",
          "intent_accuracy", "llm_calls", "prompt_tokens", "completion_tokens", "errors")


def is_dynamic(summary: Sequence[SummaryRow]) -> bool:
    """Whether the rows come from a dynamic-mode run (they carry a bound)."""
    return any(num(r.get("ratio_to_bound")) is not None for r in summary)


def table_columns(summary: Sequence[SummaryRow]) -> tuple[tuple[str, str], ...]:
    """The table's (key, header) columns for these rows: paper or dynamic mode."""
    return DYNAMIC_COLUMNS if is_dynamic(summary) else TABLE_COLUMNS


def final_rows(summary: Sequence[SummaryRow]) -> list[dict[str, Any]]:
    """One row per (scenario, method) at the largest N: seed means, CIs, ratio to optimal.

    A table row holds a mean per column of the summary (None where no seed has a number),
    its CI half-width and the columns the table adds (calls_per_user, ratio_to_optimal, ...).

    The ratio is taken per seed against the optimum of the same seed, then averaged, so its
    interval is that of paired episodes.
    """
    groups: dict[tuple[str, str, int], list[SummaryRow]] = defaultdict(list)
    for row in summary:
        groups[(row["scenario"], row["method"], int(row["users"]))].append(row)
    largest: dict[tuple[str, str], int] = {}
    for scenario, method, n in groups:
        largest[(scenario, method)] = max(n, largest.get((scenario, method), 0))
    dynamic = is_dynamic(summary)
    best = {} if dynamic else {(s, n, str(r["seed"])): num(r["throughput_mbps"])
                               for (s, m, n), rows in groups.items() if m == "optimal"
                               for r in rows}
    out = []
    for (scenario, method), n in largest.items():
        rows = groups[(scenario, method, n)]
        avg = {k: mean(r.get(k) for r in rows)
               for k in _MEANS + (_DYNAMIC_MEANS if dynamic else ())}
        tokens = (avg["prompt_tokens"] or 0) + (avg["completion_tokens"] or 0)
        ratios = [tp / ref for r in rows
                  if (tp := num(r["throughput_mbps"])) is not None
                  and (ref := best.get((scenario, n, str(r["seed"]))))]
        out.append({
            "scenario": scenario, "method": method, "planner": rows[0].get("planner") or "",
            "users": n, "seeds": len(rows), **avg,
            "throughput_ci95": ci95(r["throughput_mbps"] for r in rows),
            "admitted_ci95": ci95(r["admitted"] for r in rows),
            "calls_per_user": (avg["llm_calls"] or 0) / n, "tokens_per_user": tokens / n,
            "ratio_to_optimal": mean(ratios) if ratios else None,
            "ratio_ci95": ci95(ratios),
            "time_avg_ci95": ci95(r.get("time_avg_throughput_mbps") for r in rows),
            "bound_ratio_ci95": ci95(r.get("ratio_to_bound") for r in rows),
            "label_ratio_ci95": ci95(r.get("ratio_to_label_bound") for r in rows),
            "oracle": method in ORACLE_METHODS,
        })
    return out


def _pm(value: str, ci: float | None, fmt: str) -> str:
    return value if ci is None else f"{value} ± {fmt.format(ci)}"


def format_cell(key: str, value: Any, row: dict[str, Any] | None = None) -> str:
    """A table cell as text; with its `row`, a mean carries its 95 % CI over seeds."""
    row = row or {}
    if key == "intent_accuracy" and row.get("oracle"):
        return "oracle"  # handed the true labels
    if value is None:
        return "-"
    if key == "ratio_to_optimal":
        return _pm(f"{value:.1%}", None if row.get("ratio_ci95") is None
                   else row["ratio_ci95"] * 100, "{:.1f}%")
    if key in ("bandwidth_utilization", "intent_accuracy"):
        return f"{value:.1%}"
    if key in ("ratio_to_bound", "ratio_to_label_bound"):
        ci = row.get("bound_ratio_ci95" if key == "ratio_to_bound" else "label_ratio_ci95")
        return _pm(f"{value:.1%}", None if ci is None else ci * 100, "{:.1f}%")
    if key == "blocking_rate":
        return f"{value:.1%}"
    if key == "time_avg_throughput_mbps":
        return _pm(f"{value:.1f}", row.get("time_avg_ci95"), "{:.1f}")
    if key == "throughput_mbps":
        return _pm(f"{value:.1f}", row.get("throughput_ci95"), "{:.1f}")
    if key == "admitted":
        text = f"{value:g}" if value == int(value) else f"{value:.1f}"
        return _pm(text, row.get("admitted_ci95"), "{:.1f}")
    if key in ("calls_per_user", "tokens_per_user"):
        return f"{value:.2f}" if key == "calls_per_user" else f"{value:.0f}"
    if isinstance(value, float):
        return f"{value:g}" if value == int(value) else f"{value:.1f}"
    return str(value)
