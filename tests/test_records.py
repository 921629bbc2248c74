"""The rows a real evaluation writes validate against the record types of evals/records.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from evals.plots import load_summary
from evals.records import (
    DecisionRow,
    SeededSummaryRow,
    SummaryRow,
    UnitLine,
    summary_from_csv,
)
from evals.results import DECISIONS, SUMMARY, UNITS, ResultsError
from evals.slicing_eval import EvalConfig, Evaluation
from wireless_agent.config import parse_mode
from wireless_agent.testing.openai_server import FakeOpenAIServer

# One answer that serves both the agent's perception call and the prompt baseline's call.
ANSWER = {"slice": "URLLC", "application": "remote surgery", "latency_ms": 5,
          "min_rate_mbps": 10, "confidence": 0.9, "intent": "remote surgery", "bandwidth": 8,
          "rate": 40.0, "can_accommodate": True}


def _keys(td: Any) -> tuple[frozenset[str], frozenset[str]]:
    return td.__required_keys__, td.__required_keys__ | td.__optional_keys__


def _check(row: dict[str, Any], td: Any) -> None:
    """`row` has every required key of `td`, no other key, and each value of its type."""
    required, known = _keys(td)
    assert required <= set(row), sorted(required - set(row))
    assert set(row) <= known, sorted(set(row) - known)
    TypeAdapter(td).validate_python(row, strict=True)


def _run(out: Path, mode: str, model: str) -> None:
    methods = ["agent", "rule", "optimal", "greedy"] if model == "offline" else \
        ["agent", "prompt", "optimal"]
    cfg = EvalConfig(scenarios=["north"], methods=methods, users=[3], seeds=[0, 1],
                     mode=parse_mode(mode), model=model, warmup=0, timeout_s=5.0)
    Evaluation(cfg, out).run()


@pytest.mark.parametrize("mode", ["paper", "dynamic"])
@pytest.mark.parametrize("backend", ["offline", "scripted"])
def test_every_row_of_a_real_run_is_of_its_type(tmp_path: Path, mode: str, backend: str,
                                                openai_fake: FakeOpenAIServer) -> None:
    openai_fake.default = ANSWER
    model = "offline" if backend == "offline" else "openai:gpt-fake"
    out = tmp_path / "r"
    _run(out, mode, model)
    decisions = [json.loads(line) for line in (out / DECISIONS).read_text().splitlines()]
    units = [json.loads(line) for line in (out / UNITS).read_text().splitlines()]
    assert decisions and units
    for row in decisions:
        _check(row, DecisionRow)
    for line in units:
        _check(line, UnitLine)
        for row in line["rows"]:
            _check(row, SummaryRow)
    summary = load_summary(out)
    for row in summary:
        _check(dict(row), SeededSummaryRow)
    if backend == "scripted":  # the model really answered: its spend is in the rows
        assert any(r["model_calls"] > 0 for r in decisions)
        assert all("scripted" in r["model"] for r in summary if r["method"] == "agent")
    dynamic = [r for r in summary if "bound_mbps" in r]
    assert bool(dynamic) == (mode == "dynamic")


def test_summary_cells_read_back_as_numbers_and_blanks() -> None:
    row = summary_from_csv({"scenario": "north", "method": "agent", "seed": "1", "users": "30",
                            "throughput_mbps": "1342.6", "intent_accuracy": "",
                            "bound_mbps": "", "model": ""})
    assert row["seed"] == 1 and row["users"] == 30 and row["throughput_mbps"] == 1342.6
    assert row["intent_accuracy"] == "" and row["model"] == ""
    assert "bound_mbps" not in row  # a paper run's blank dynamic score: no value


@pytest.mark.parametrize("cell,needle", [("users", "users '3.5' is not a whole number"),
                                         ("throughput_mbps", "throughput_mbps 'fast' is not a "
                                                             "number")])
def test_a_bad_summary_cell_is_one_line_naming_it(tmp_path: Path, cell: str, needle: str) -> None:
    header = "scenario,method,seed,users,throughput_mbps,bandwidth_utilization"
    values = {"users": "3", "throughput_mbps": "10.0"}
    values[cell] = "3.5" if cell == "users" else "fast"
    (tmp_path / SUMMARY).write_text(
        f"{header}\nnorth,rule,0,{values['users']},{values['throughput_mbps']},0.5\n")
    with pytest.raises(ResultsError) as err:
        load_summary(tmp_path)
    assert needle in str(err.value) and "line 2" in str(err.value)
    assert "\n" not in str(err.value)
