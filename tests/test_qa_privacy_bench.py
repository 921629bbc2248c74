"""QA: privacy-bench refuses a bad --out before running and never leaves a half-written file."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import one_line
from typer.testing import CliRunner

from wireless_agent.cli import app

SMALL = ["privacy-bench", "--subscribers", "2", "--cases-per-domain", "2"]


def test_a_read_only_out_gets_one_line(readonly_dir: Path) -> None:
    """Before: an OSError traceback after the whole benchmark had run."""
    line = one_line([*SMALL, "--out", str(readonly_dir)])
    assert str(readonly_dir) in line and "not writable" in line
    assert sorted(p.name for p in readonly_dir.iterdir()) == ["kept.txt"]


def test_out_under_a_file_gets_one_line(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    assert "which is a file" in one_line([*SMALL, "--out", str(tmp_path / "f" / "sub")])


def test_a_case_refused_mid_run_leaves_the_previous_files_whole(tmp_path: Path) -> None:
    """Before: privacy_cases.jsonl was truncated and half rewritten when a case was refused."""
    out = tmp_path / "pb"
    res = CliRunner().invoke(app, [*SMALL, "--out", str(out)])
    assert res.exit_code == 0, (res.stdout, res.stderr)
    before = (out / "privacy_cases.jsonl").read_text()
    assert len(before.splitlines()) > 0
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": "x1", "domain": "nowhere", "subscriber": 0,
                                 "task": "slicing_request", "roles": ["perception"],
                                 "request": "hello", "documents": [], "needs": {}}) + "\n")
    line = one_line([*SMALL, "--out", str(out), "--cases", str(cases)])
    assert "nowhere" in line
    assert (out / "privacy_cases.jsonl").read_text() == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary left
