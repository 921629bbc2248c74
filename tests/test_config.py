"""The one configuration surface: environment fallbacks, flags that win, one-line errors."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wireless_agent import config
from wireless_agent.cli import app
from wireless_agent.memory.store import AgentMemory

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--scenario", "north", "--methods", "rule", "--users", "2", "--warmup", "0",
         "--no-plots"]


def _one_line(stderr: str) -> str:
    lines = [x for x in stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_the_model_comes_from_the_environment_and_the_flag_wins(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIRELESS_AGENT_MODEL", "nosuch:backend")
    res = CliRunner().invoke(app, ["eval", "--out", str(tmp_path / "env"), *SMALL])
    assert res.exit_code == 2 and "nosuch" in _one_line(res.stderr)
    res = CliRunner().invoke(app, ["eval", "--out", str(tmp_path / "flag"), "--model",
                                   "offline", *SMALL])
    assert res.exit_code == 0, res.stderr
    manifest = json.loads((tmp_path / "flag" / "manifest.json").read_text())
    assert manifest["model"] == "offline"


def test_the_timeout_comes_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIRELESS_AGENT_TIMEOUT", "soon")
    res = CliRunner().invoke(app, ["eval", "--out", str(tmp_path / "r"), *SMALL])
    assert res.exit_code == 2
    assert "WIRELESS_AGENT_TIMEOUT='soon' is not a number of seconds" in _one_line(res.stderr)
    monkeypatch.setenv("WIRELESS_AGENT_TIMEOUT", "7.5")
    assert config.default_timeout() == 7.5 and config.AgentConfig().timeout_s == 7.5
    res = CliRunner().invoke(app, ["eval", "--out", str(tmp_path / "r"), "--timeout", "4",
                                   *SMALL])
    assert res.exit_code == 0, res.stderr


@pytest.mark.parametrize("flag,value,needle", [
    ("--rate-model", "shannon", "--rate-model 'shannon' is unknown; use paper or 3gpp"),
    ("--mode", "bursty", "--mode 'bursty' is unknown; use paper or dynamic"),
])
def test_modes_are_checked_once_with_one_line(tmp_path: Path, flag: str, value: str,
                                              needle: str) -> None:
    res = CliRunner().invoke(app, ["eval", "--out", str(tmp_path / "r"), flag, value, *SMALL])
    assert res.exit_code == 2 and needle in _one_line(res.stderr)
    assert not (tmp_path / "r").exists()


def test_the_default_memory_is_in_the_user_data_folder_not_the_package(tmp_path: Path) -> None:
    path = config.memory_path()
    assert not path.resolve().is_relative_to(ROOT)
    AgentMemory.open().seed_knowledge()
    assert (path / "chroma.sqlite3").is_file()


def test_the_memory_variable_and_argument_move_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIRELESS_AGENT_MEMORY", str(tmp_path / "from-env"))
    assert config.memory_path() == tmp_path / "from-env"
    assert config.memory_path(tmp_path / "given") == tmp_path / "given"


def test_only_the_config_module_reads_the_environment() -> None:
    """Every os.environ / os.getenv read of library code goes through config.env_text."""
    allowed = {"wireless_agent/config.py", "wireless_agent/testing/__init__.py",
               "wireless_agent/testing/llama_server.py", "wireless_agent/testing/local_models.py"}
    readers = set()
    for pkg in ("wireless_agent", "env", "baselines", "evals"):
        for path in (ROOT / pkg).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                reads = (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv")
                         and isinstance(node.value, ast.Name) and node.value.id == "os")
                if reads:
                    readers.add(path.relative_to(ROOT).as_posix())
    assert readers - allowed == {"wireless_agent/cli.py"}  # it only sets LANGSMITH_TRACING


def test_every_variable_read_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [name for name in config.ENVIRONMENT if f"`{name}`" not in readme] == []
    with pytest.raises(KeyError, match="not in wireless_agent.config.ENVIRONMENT"):
        config.env_text("WIRELESS_AGENT_SOMETHING_NEW")


def test_a_chroma_url_with_no_server_is_one_line_in_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("WIRELESS_AGENT_CHROMA_URL", f"127.0.0.1:{port}")
    res = CliRunner().invoke(app, ["eval", "--out", str(tmp_path / "r"), "--scenario", "north",
                                   "--methods", "agent", "--users", "2", "--warmup", "1",
                                   "--no-plots"])
    line = _one_line(res.stderr)
    assert res.exit_code == 2
    assert "no Chroma server answers" in line and "unset WIRELESS_AGENT_CHROMA_URL" in line


def test_the_chat_reads_the_model_variable_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIRELESS_AGENT_MODEL", "nosuch:backend")
    res = CliRunner().invoke(app, ["chat", "--memory", str(tmp_path / "m")], input="/quit\n")
    assert res.exit_code == 2 and "nosuch" in _one_line(res.stderr)


def test_agent_eval_and_chat_compose_one_run_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from evals.slicing_eval import EvalConfig
    from wireless_agent.chat.session import ChatOptions

    monkeypatch.setenv("WIRELESS_AGENT_MODEL", "openai:gpt-fake")
    monkeypatch.setenv("WIRELESS_AGENT_TIMEOUT", "7.5")
    for kind in (config.AgentConfig, EvalConfig, ChatOptions):
        made = kind()
        assert isinstance(made, config.RunSettings)
        assert made.shared() == {"model": "openai:gpt-fake", "timeout_s": 7.5, "privacy": True}
    cfg = EvalConfig(model="offline", timeout_s=3.0, privacy=False)
    agent = cfg.into(config.AgentConfig, anticipate=False)
    assert agent.shared() == cfg.shared() and agent.anticipate is False


@pytest.mark.parametrize("timeout", ["0", "inf"])
@pytest.mark.parametrize("command", [["eval", *SMALL], ["chat"]])
def test_a_timeout_of_zero_or_infinity_is_one_line_in_eval_and_chat(
        tmp_path: Path, command: list[str], timeout: str) -> None:
    res = CliRunner().invoke(app, [*command, "--timeout", timeout, "--memory"
                                   if command == ["chat"] else "--out", str(tmp_path / "r")],
                             input="/quit\n")
    assert res.exit_code == 2
    assert f"--timeout {timeout} must be a finite number of seconds above 0" in _one_line(
        res.stderr)
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("raw", ["inf", "nan", "-3", "soon"])
def test_a_timeout_variable_that_is_not_finite_and_positive_is_refused(
        monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("WIRELESS_AGENT_TIMEOUT", raw)
    with pytest.raises(config.ConfigError, match="WIRELESS_AGENT_TIMEOUT"):
        config.default_timeout()


def test_a_list_option_with_an_empty_item_is_one_line(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["eval", "--users", "5,,6", "--out", str(tmp_path / "r")])
    assert res.exit_code == 2
    assert "--users '5,,6' has an empty item; remove the extra comma" in _one_line(res.stderr)
    assert not (tmp_path / "r").exists()
