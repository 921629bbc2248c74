"""Per-episode ratios of a method to the optimum: `python -m evals.ratios RESULTS [METHOD]`."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from evals.numbers import num
from evals.records import SummaryRow


def paired(summary: Sequence[SummaryRow], method: str = "agent",
           reference: str = "optimal") -> list[dict[str, Any]]:
    """One row per (scenario, N, seed): method and reference throughput, admitted, ratio."""
    ref = {(r["scenario"], int(r["users"]), str(r["seed"])): r
           for r in summary if r["method"] == reference}
    out = []
    for r in summary:
        key = (r["scenario"], int(r["users"]), str(r["seed"]))
        if r["method"] != method or key not in ref:
            continue
        o = ref[key]
        cells = [num(x.get(col)) for x, col in ((r, "throughput_mbps"), (o, "throughput_mbps"),
                                                 (r, "admitted"), (o, "admitted"),
                                                 (r, "min_rate_violations"))]
        if any(c is None for c in cells):
            continue  # a blank cell: no pair to compare
        tp, best, admitted, opt_admitted, violations = cast(list[float], cells)
        out.append({
            "scenario": key[0], "users": key[1], "seed": key[2],
            "throughput": tp, "optimal": best, "ratio": tp / best if best else float("nan"),
            "admitted": int(admitted), "optimal_admitted": int(opt_admitted),
            "violations": int(violations),
            "ok": (tp >= 0.98 * best and int(admitted) >= int(opt_admitted) - 1
                   and int(violations) == 0),
        })
    return out


def main() -> None:
    """Print the paired table of a results folder and how many episodes meet the targets."""
    folder = Path(sys.argv[1])
    method = sys.argv[2] if len(sys.argv) > 2 else "agent"
    from evals.plots import load_summary

    rows = paired(load_summary(folder), method)
    print(f"{'scenario':<14}{'N':>5}{'seed':>6}{method:>10}{'optimal':>10}{'ratio':>8}"
          f"{'adm':>5}{'opt':>5}{'viol':>5}  target")
    for r in rows:
        print(f"{r['scenario']:<14}{r['users']:>5}{r['seed']:>6}{r['throughput']:>10.1f}"
              f"{r['optimal']:>10.1f}{r['ratio']:>8.3f}{r['admitted']:>5}"
              f"{r['optimal_admitted']:>5}{r['violations']:>5}  {'ok' if r['ok'] else 'MISSED'}")
    ratios = [r["ratio"] for r in rows]
    if ratios:
        print(f"{sum(r['ok'] for r in rows)}/{len(rows)} episodes meet >= 0.98 of the optimum, "
              f"admitted >= optimum - 1, no violations; ratio min {min(ratios):.3f}, "
              f"median {sorted(ratios)[len(ratios) // 2]:.3f}")


if __name__ == "__main__":
    main()
