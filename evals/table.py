"""The comparison table: per scenario and method at the largest N, averaged over seeds."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

TABLE_COLUMNS = (
    ("scenario", "scenario"), ("method", "method"), ("users", "N"),
    ("throughput_mbps", "throughput Mbps"), ("bandwidth_utilization", "BU"),
    ("admitted", "admitted"), ("min_rate_violations", "violations"),
    ("intent_accuracy", "intent acc"), ("calls_per_user", "calls/user"),
    ("tokens_per_user", "tokens/user"), ("errors", "model errors"),
    ("ratio_to_optimal", "vs optimal"),
)


def _num(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if out != out else out


def _mean(values: list[Any]) -> float | None:
    nums = [v for v in (_num(x) for x in values) if v is not None]
    return sum(nums) / len(nums) if nums else None


def final_rows(summary: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (scenario, method) at the largest N, seeds averaged, with ratio to optimal."""
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = defaultdict(list)
    for row in summary:
        groups[(row["scenario"], row["method"], int(row["users"]))].append(row)
    largest: dict[tuple[str, str], int] = {}
    for scenario, method, n in groups:
        largest[(scenario, method)] = max(n, largest.get((scenario, method), 0))
    out = []
    for (scenario, method), n in largest.items():
        rows = groups[(scenario, method, n)]
        mean = {k: _mean([r[k] for r in rows]) for k in (
            "throughput_mbps", "bandwidth_utilization", "admitted", "min_rate_violations",
            "intent_accuracy", "llm_calls", "prompt_tokens", "completion_tokens", "errors")}
        tokens = (mean["prompt_tokens"] or 0) + (mean["completion_tokens"] or 0)
        out.append({"scenario": scenario, "method": method, "users": n, **mean,
                    "calls_per_user": (mean["llm_calls"] or 0) / n,
                    "tokens_per_user": tokens / n, "ratio_to_optimal": None})
    best = {(r["scenario"], r["users"]): r["throughput_mbps"] for r in out
            if r["method"] == "optimal"}
    for r in out:
        ref = best.get((r["scenario"], r["users"]))
        if ref and r["throughput_mbps"] is not None:
            r["ratio_to_optimal"] = r["throughput_mbps"] / ref
    return out


def format_cell(key: str, value: Any) -> str:
    """A table cell as text."""
    if value is None:
        return "-"
    if key in ("bandwidth_utilization", "intent_accuracy", "ratio_to_optimal"):
        return f"{value:.1%}"
    if key == "throughput_mbps":
        return f"{value:.1f}"
    if key in ("calls_per_user", "tokens_per_user"):
        return f"{value:.2f}" if key == "calls_per_user" else f"{value:.0f}"
    if isinstance(value, float):
        return f"{value:g}" if value == int(value) else f"{value:.1f}"
    return str(value)
