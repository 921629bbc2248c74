"""README examples that need a model fail with one clear line when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from wireless_agent.cli import app


def one_line_failure(args: list[str], **env: str) -> str:
    """The single stderr line of a command that must refuse (exit 2)."""
    res = CliRunner().invoke(app, args, env=env)
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert res.exit_code == 2 and len(lines) == 1, (res.exit_code, res.output)
    return lines[0]


@pytest.mark.parametrize(("model", "env", "needle"), [
    ("openai:gpt-4o-mini", {}, "needs OPENAI_API_KEY"),
    ("ollama:qwen2.5:3b", {"OLLAMA_HOST": "http://127.0.0.1:9"}, "no Ollama server answers"),
])
def test_privacy_bench_with_no_model_is_one_line_and_writes_nothing(
        tmp_path: Path, model: str, env: dict[str, str], needle: str) -> None:
    out = tmp_path / "p"
    line = one_line_failure(["privacy-bench", "--model", model, "--subscribers", "2",
                             "--cases-per-domain", "2", "--out", str(out)], **env)
    assert needle in line
    assert not out.exists()


def test_error_lines_keep_their_brackets(tmp_path: Path) -> None:
    # "[b]" is rich markup for bold: unescaped, the file name in the message lost it.
    line = one_line_failure(["scenarios", "--scenario", str(tmp_path / "x[b]y.csv")])
    assert "x[b]y.csv: no such scenario file" in line


def test_notes_keep_their_brackets(tmp_path: Path) -> None:
    csv = tmp_path / "users[1].csv"
    csv.write_text("RX_ID,X,Y,Z,CQI,User_Request,Request_Label\n"
                   "1,1,1,1,9,stream video,eMBB\n2,2,2,1,9,robot arm control,URLLC\n")
    res = CliRunner().invoke(app, ["eval", "--scenario", str(csv), "--methods", "greedy",
                                   "--no-plots", "--out", str(tmp_path / "o")],
                             env={"COLUMNS": "300"})
    assert res.exit_code == 0, res.output
    assert "users[1].csv: the file has 2 users" in res.output
