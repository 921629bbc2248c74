"""What a reviewer asks of a report: seeds with CIs, provenance, SVGs, honest overlays, oracles."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from evals.report import write_report
from evals.slicing_eval import EvalConfig, Evaluation
from tests.conftest import read_only
from tests.test_eval_integrity import ok, one_line


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Campus episodes over three seeds (each seed draws another campus), 3GPP rates."""
    out = tmp_path_factory.mktemp("seeded") / "r"
    cfg = EvalConfig(scenarios=["campus"], methods=["greedy", "rule", "optimal"], users=[5, 10],
                     seeds=[0, 1, 2], rate_model="3gpp", warmup=0)
    Evaluation(cfg, out, provenance={"command": "wireless-agent eval --seeds 0,1,2"}).run()
    write_report(out)
    return out


def test_summary_carries_seed_means_and_intervals(seeded: Path) -> None:
    with (seeded / "summary.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    greedy10 = [r for r in rows if r["method"] == "greedy" and r["users"] == "10"]
    assert len(greedy10) == 3 and {r["seeds"] for r in greedy10} == {"3"}
    tps = [float(r["throughput_mbps"]) for r in greedy10]
    assert float(greedy10[0]["throughput_mean_mbps"]) == pytest.approx(sum(tps) / 3, abs=1e-3)
    assert float(greedy10[0]["throughput_ci95_mbps"]) > 0  # three different campuses


def test_report_shows_intervals_provenance_and_oracles(seeded: Path) -> None:
    text = (seeded / "report.md").read_text()
    assert "Command: `wireless-agent eval --seeds 0,1,2`" in text
    assert " ± " in text and "95 % confidence interval" in text
    assert "| oracle |" in text  # rule and optimal are handed the labels
    # 3GPP rates: no published WirelessAgent column and no dashed published curve.
    assert "WirelessAgent (published)" not in text
    svgs = sorted(p.name for p in (seeded / "figures").glob("*.svg"))
    pngs = sorted(p.name for p in (seeded / "figures").glob("*.png"))
    assert svgs and [p.replace(".svg", ".png") for p in svgs] == pngs
    assert "WirelessAgent (published)" not in (seeded / "figures" / svgs[-1]).read_text()
    assert str(seeded) not in (seeded / "figures" / svgs[-1]).read_text()  # no run paths


def test_plot_on_a_read_only_folder_says_where_to_write(seeded: Path, readonly_dir: Path,
                                                        tmp_path: Path) -> None:
    frozen = tmp_path / "frozen"
    shutil.copytree(seeded, frozen)
    with read_only(frozen):
        line = one_line(["plot", str(frozen)])
        assert "cannot write the report in" in line and "--out DIR" in line
        ok(["plot", str(frozen), "--out", str(tmp_path / "copy")])
    assert (tmp_path / "copy" / "report.md").is_file()
    assert "has no summary.csv" in one_line(["plot", str(readonly_dir)])
    assert "not writable" in one_line(["plot", str(seeded), "--out", str(readonly_dir)])
