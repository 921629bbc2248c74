"""QA: the tier variables of README's environment table, bad, are one line naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from wireless_agent.cli import app
from wireless_agent.testing.openai_server import FakeOpenAIServer

TIERED = ["eval", "--scenario", "north", "--methods", "agent", "--users", "2", "--warmup", "0",
          "--no-plots", "--model", "tiered:offline,openai:gpt-fake"]


@pytest.mark.parametrize(("name", "value"), [
    ("WIRELESS_AGENT_TIER_THRESHOLDS", "2,x"),   # before: 'tier thresholds ...', no variable
    ("WIRELESS_AGENT_TIER_THRESHOLDS", "1.5"),   # before: 'tier thresholds [1.5]: ...'
    ("WIRELESS_AGENT_TIER_THRESHOLDS", ","),     # before: accepted as no thresholds
    ("WIRELESS_AGENT_TIER_COOLDOWN_S", "-1"),    # before: accepted
    ("WIRELESS_AGENT_TIER_COOLDOWN_S", "nan"),   # before: accepted
    ("WIRELESS_AGENT_TIER_COOLDOWN_S", "abc"),
])
def test_a_bad_tier_variable_is_one_line_naming_it_before_anything_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_fake: FakeOpenAIServer,
        name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    out = tmp_path / "run"
    res = CliRunner().invoke(app, [*TIERED, "--out", str(out)])
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert res.exit_code == 2, (res.stdout, res.stderr, res.exception)
    assert len(lines) == 1 and lines[0].startswith("error:") and name in lines[0], res.stderr
    assert not out.exists()
