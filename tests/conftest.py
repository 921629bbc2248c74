"""Test-wide environment hygiene (no proxies, no tracing, no real keys) and server fakes."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wireless_agent.cli import app
from wireless_agent.testing.ollama_server import FakeOllamaServer
from wireless_agent.testing.openai_server import FakeOpenAIServer

_CLEARED = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OLLAMA_HOST", "LANGSMITH_API_KEY",
            "LANGCHAIN_API_KEY", "WIRELESS_AGENT_MODEL", "WIRELESS_AGENT_TIMEOUT",
            "WIRELESS_AGENT_MEMORY", "WIRELESS_AGENT_CHROMA_URL", "WIRELESS_AGENT_MAX_TOKENS",
            "WIRELESS_AGENT_TIER_THRESHOLDS", "WIRELESS_AGENT_TIER_COOLDOWN_S")


@pytest.fixture(scope="session")
def _data_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A per-user data folder for the run (the default memory lives there, never in ~)."""
    return tmp_path_factory.mktemp("data-home")


@pytest.fixture(autouse=True)
def _hygiene(monkeypatch: pytest.MonkeyPatch, _data_home: Path) -> None:
    """Loopback bypasses proxies, tracing is off, and no real endpoint, key or folder leaks in."""
    monkeypatch.setenv("XDG_DATA_HOME", str(_data_home))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("LANGSMITH_TRACING", "false")
    monkeypatch.setenv("LANGCHAIN_TRACING_V2", "false")
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def openai_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    """A running OpenAI fake with OPENAI_BASE_URL and a dummy OPENAI_API_KEY pointing at it."""
    with FakeOpenAIServer() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        yield server


@pytest.fixture
def ollama_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOllamaServer]:
    """A running Ollama fake with OLLAMA_HOST pointing at it."""
    with FakeOllamaServer() as server:
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        yield server


@contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """Make `folder` read-only for everyone, root included (a read-only bind mount as root)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(folder)],
                             capture_output=True).returncode == 0
    if not mounted:
        pytest.skip("root here cannot make a read-only folder (no bind mount)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


@pytest.fixture
def readonly_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody may write to, holding one file."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    (folder / "kept.txt").write_text("already here\n")
    with read_only(folder):
        yield folder


# -- real small models (marked real_model, run by .ci/run after the slow suite) ----------------


@pytest.fixture(scope="session")
def local_models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """llama-server per small model, started on first use and kept for the session."""
    from wireless_agent.testing.local_models import LocalModels

    models = LocalModels(log_dir=tmp_path_factory.mktemp("llama-logs"))
    try:
        yield models
    finally:
        models.close()


@pytest.fixture
def real_model(request: pytest.FixtureRequest, local_models: object,
               monkeypatch: pytest.MonkeyPatch) -> object:
    """The model named by the test's parameter, both backends' environment pointed at it.

    Skips when llama-server or the model package is missing, unless
    WIRELESS_AGENT_REAL_MODELS=required (as in CI), where that is a failure.
    """
    from wireless_agent.testing.local_models import LocalModelsMissing, required

    name = getattr(request, "param", "smollm2")
    try:
        model = local_models.get(name)  # type: ignore[attr-defined]
    except LocalModelsMissing as exc:
        if required():
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    for key, value in model.environ().items():
        monkeypatch.setenv(key, value)
    return model


def one_line(args: list[str]) -> str:
    """Run the CLI in-process; assert it failed with exactly one line, and return it."""
    res = CliRunner().invoke(app, args)
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert res.exit_code == 2, (res.exit_code, res.stdout, res.stderr, res.exception)
    assert len(lines) == 1 and lines[0].startswith("error:"), res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    return lines[0]
