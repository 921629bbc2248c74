"""The benchmark's table: one row per group and mode."""

from __future__ import annotations

from typing import Any

COLUMNS = ("group", "mode", "ctx leak", "msg leak", "utility", "over-red.", "ms/dec",
           "added ms", "calls/dec", "ambig.", "undet.")


def rows(summary: dict[str, Any]) -> list[list[str]]:
    """The table's rows as strings."""
    out = []
    for group, modes in summary["results"].items():
        for mode in summary.get("modes", modes):
            m = modes.get(mode)
            if m is None:
                continue
            out.append([
                group, mode,
                f"{m['context_leakage_rate']:.4f} ({m['context_leaks']})",
                f"{m['message_leakage_rate']:.4f} ({m['message_leaks']})",
                f"{m['utility']:.4f}",
                f"{m['over_redaction_rate']:.4f}",
                f"{m['ms_per_decision_median']:.3f}",
                f"{m.get('added_ms_median', 0.0):.3f}",
                f"{m['model_calls_per_decision']:.2f}",
                str(m["ambiguous_pairs"]),
                str(m["undetectable_pairs"]),
            ])
    return out


def markdown(summary: dict[str, Any]) -> str:
    """The table as Markdown (for notes and the README)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(r) + " |" for r in rows(summary)]
    return "\n".join(lines)


def print_table(summary: dict[str, Any]) -> None:
    """Print the per-group, per-mode table with rich, and the detector's blind spots."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Privacy benchmark ({summary['label']}, {summary['cases']} cases)")
    for col in COLUMNS:
        table.add_column(col)
    for r in rows(summary):
        table.add_row(*r)
    console = Console()
    console.print(table)
    for group, facts in summary.get("data", {}).items():
        console.print(f"{group}: {facts['descriptions_restating_own_value']} of "
                      f"{facts['descriptions']} descriptions restate their own field's value, "
                      f"{facts['descriptions_restating_any_value']} restate some value",
                      highlight=False)
    console.print("detector blind spots: " + "; ".join(summary["detector_blind_spots"]),
                  highlight=False)
