"""The WirelessBench figure: components of this run, and its overall beside published points."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.plots import _new_figure, save_png


def plot_summary(summary: dict[str, Any], path: Path) -> Path:
    """Bars per component and the overall score, with the published points as labelled lines."""
    fig = _new_figure((9.0, 4.2))
    left, right = fig.subplots(1, 2, width_ratios=(3, 2))
    names = list(summary["components"])
    left.bar(names, [summary["components"][c] for c in names], color="#4C72B0")
    left.set_ylim(0, 1.05)
    left.tick_params(axis="x", labelsize=8)
    left.set_ylabel("mean component score")
    tag = f" [{summary['label']}]" if summary.get("label") else ""
    split = summary.get("split") or "custom data"
    left.set_title(f"{summary['task'].upper()} {split}, {summary['items']} items{tag}")
    ours = f"this agent\n({summary['model']}){tag}"
    right.bar([ours], [summary["overall"]], color="#55A868", width=0.5)
    right.text(0, summary["overall"] + 0.01, f"{summary['overall']:.4f}", ha="center")
    for point, style in zip(summary["published"], ("--", ":"), strict=False):
        label = f"{point['label']}: {'≈' if point.get('approximate') else ''}{point['score']:.4g}"
        right.axhline(point["score"], color="#C44E52", linestyle=style, label=label)
    right.set_ylim(0, 1.05)
    right.set_ylabel("overall score (WirelessBench weights)")
    right.legend(loc="lower center", fontsize=8)
    right.set_title("overall vs published")
    return save_png(fig, path)
