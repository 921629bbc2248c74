"""report.md and figures of a real (small) slicing evaluation, drawn from its files alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evals.plots import load_published, slice_admissions
from evals.report import write_report
from evals.results import DECISIONS, SUMMARY, ResultsError, read_csv, read_jsonl
from evals.slicing_eval import EvalConfig, Evaluation

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
METHODS = ["optimal", "greedy", "rule"]


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real evaluation run, shared; tests work on copies of it."""
    out = tmp_path_factory.mktemp("eval") / "r"
    Evaluation(EvalConfig(scenarios=["north"], methods=METHODS, users=[1, 5, 10]), out).run()
    return out


@pytest.fixture
def results(evaluated: Path, tmp_path: Path) -> Path:
    """A private copy of the evaluated folder."""
    return Path(shutil.copytree(evaluated, tmp_path / "r"))


def test_writes_png_figures_and_report(results: Path) -> None:
    """Every figure is a PNG in figures/, and the report is returned last."""
    written = write_report(results)
    names = {p.name for p in written}
    assert names == {"throughput_north.png", "utilization_north.png", "admitted_north.png",
                     "report.md"}
    assert written[-1] == results / "report.md"
    for path in written[:-1]:
        assert path.parent == results / "figures"
        assert path.read_bytes().startswith(PNG_MAGIC)
        assert path.stat().st_size > 5000
    assert not list((results / "figures").glob(".*"))  # no temp files left behind


def test_report_holds_the_summary_and_published_numbers(results: Path) -> None:
    """Each throughput of summary.csv appears, beside the paper's numbers and caveats."""
    write_report(results)
    text = (results / "report.md").read_text(encoding="utf-8")
    for row in read_csv(results / SUMMARY):
        assert f"{float(row['throughput_mbps']):.1f}" in text
        assert f"{float(row['bandwidth_utilization']) * 100:.1f}" in text
    published = load_published()["throughput_mbps"]["north"]
    for name in ("wirelessagent", "prompt_based"):
        for value in published[name][:3]:  # N = 1, 5, 10: the Ns this run has
            assert f"{value:.1f}" in text
    assert "WirelessAgent (published)" in text
    assert "self-reported" in text and "copied from earlier points" in text
    assert "- users: `1, 5, 10`" in text  # the manifest
    assert "## Gap to optimal" in text and "![throughput_north](figures/throughput_north.png)" \
        in text


def test_figures_and_report_follow_summary_csv(results: Path) -> None:
    """Editing a throughput in summary.csv changes the throughput figure and the report only."""
    write_report(results)
    figures = results / "figures"
    before = {p.name: p.read_bytes() for p in figures.iterdir()}
    path = results / SUMMARY
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    col, users, method = header.index("throughput_mbps"), header.index("users"), \
        header.index("method")
    for i, line in enumerate(lines[1:], start=1):
        cells = line.split(",")
        if cells[method] == "greedy" and cells[users] == "10":
            cells[col] = "4321.0"
            lines[i] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_report(results)
    after = {p.name: p.read_bytes() for p in figures.iterdir()}
    assert after["throughput_north.png"] != before["throughput_north.png"]
    assert after["utilization_north.png"] == before["utilization_north.png"]
    assert "4321.0" in (results / "report.md").read_text(encoding="utf-8")


def test_admission_bars_match_the_summary(results: Path) -> None:
    """Per-slice admissions counted from decisions.jsonl add up to summary's admitted at N=10."""
    decisions = read_jsonl(results / DECISIONS)
    admitted = {r["method"]: float(r["admitted"]) for r in read_csv(results / SUMMARY)
                if r["users"] == "10"}
    for method in METHODS:
        counts = slice_admissions(decisions, "north", method, 10)
        assert counts is not None
        assert counts["eMBB"] + counts["URLLC"] == admitted[method]
    assert slice_admissions(decisions, "north", "agent", 10) is None


def test_without_decisions_the_bars_are_left_out(results: Path) -> None:
    """The line figures need summary.csv alone; the bars need decisions.jsonl."""
    (results / DECISIONS).unlink()
    names = {p.name for p in write_report(results)}
    assert names == {"throughput_north.png", "utilization_north.png", "report.md"}


@pytest.mark.parametrize("content", [None, "", "scenario,method,seed,users\n"])
def test_bad_folder_is_a_one_line_results_error(tmp_path: Path, content: str | None) -> None:
    """No summary.csv, an empty one, or one without rows: ResultsError, one line, no files."""
    if content is not None:
        (tmp_path / SUMMARY).write_text(content, encoding="utf-8")
    with pytest.raises(ResultsError) as err:
        write_report(tmp_path)
    assert "\n" not in str(err.value) and str(tmp_path) in str(err.value)
    assert not (tmp_path / "report.md").exists() and not (tmp_path / "figures").exists()


def test_missing_folder_is_a_results_error(tmp_path: Path) -> None:
    """A folder that does not exist is reported the same way."""
    with pytest.raises(ResultsError, match="no summary.csv"):
        write_report(tmp_path / "absent")
