"""How a run was made: command line, git commit, package versions, machine; for manifests."""

from __future__ import annotations

import platform
import shlex
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("wireless-agent", "numpy", "scipy", "gymnasium", "chromadb", "langgraph",
            "langchain-core", "langchain-openai", "langchain-ollama", "openai", "ollama",
            "pydantic")


def git_commit(where: Path | None = None) -> str | None:
    """The checkout's commit (with `-dirty` when it has changes), or None outside git."""
    where = where or Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True,
                              text=True, timeout=5)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=where, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def versions() -> dict[str, str]:
    """Installed versions of the packages results depend on."""
    out: dict[str, str] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def provenance(argv: list[str] | None = None) -> dict[str, Any]:
    """Everything a reviewer needs to rerun a result, minus its arguments (kept beside it)."""
    args = list(sys.argv if argv is None else argv)
    args[0] = Path(args[0]).name if args else "wireless-agent"
    return {
        "command": shlex.join(args),
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
