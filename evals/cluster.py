"""The evaluation grid on a Dask cluster: workers run units, the driver writes every file."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import shutil
import signal
import socket
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlparse

from evals.records import DecisionRow, SummaryRow, UnitLine
from evals.slicing_eval import EvalConfig, EvalError, Unit, UnitRunner, _lost_memory
from wireless_agent.config import chroma_url

CONNECT_TIMEOUT_S = 2.5  # with the bounded handshake, an unreachable scheduler is one line in < 5 s
PROGRESS_EVERY_S = 0.25  # how often a worker tells the driver's progress bar what it decided
INSTALL = "pip install 'wireless-agent[cluster]'"


class ClusterError(EvalError):
    """A --cluster that cannot be used (one line: what is wrong and what to do)."""


@dataclass(frozen=True)
class ClusterSpec:
    """What --cluster asked for: a local cluster of `workers`, or a scheduler's address."""

    workers: int = 0  # > 0: start a local cluster of this many worker processes
    address: str = ""  # a running scheduler, read from --cluster or its scheduler file

    @property
    def local(self) -> bool:
        """Whether this run starts (and ends) its own cluster."""
        return self.workers > 0


def parse_cluster(spec: str) -> ClusterSpec:
    """`local[:N]`, `tcp://HOST:PORT` or a scheduler file; one line if it is none of them."""
    spec = spec.strip()
    if spec == "local" or spec.startswith("local:"):
        count = spec.partition(":")[2] or str(os.cpu_count() or 1)
        if not count.isdigit() or int(count) < 1:
            raise ClusterError(f"--cluster {spec}: N must be a whole number from 1, "
                               "e.g. local:4")
        return ClusterSpec(workers=int(count))
    if "://" in spec:
        url = urlparse(spec)
        try:
            port = url.port
        except ValueError:
            port = None
        if url.scheme not in ("tcp", "tls") or not url.hostname or port is None:
            raise ClusterError(f"--cluster {spec} is not a scheduler address; write "
                               "tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786)")
        return ClusterSpec(address=spec)
    path = Path(spec)
    if path.suffix != ".json" and not path.is_file():
        raise ClusterError(f"--cluster {spec} is not local[:N], tcp://HOST:PORT or a "
                           "scheduler.json file")
    try:
        address = json.loads(path.read_text(encoding="utf-8"))["address"]
    except FileNotFoundError:
        raise ClusterError(f"--cluster {spec}: no such scheduler file; start one with "
                           f"`dask scheduler --scheduler-file {spec}`") from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise ClusterError(f"--cluster {spec} is not a Dask scheduler file (it needs an "
                           "\"address\"); give the file `dask scheduler --scheduler-file` "
                           "wrote") from None
    return parse_cluster(str(address)) if "://" in str(address) else ClusterSpec(
        address=f"tcp://{address}")


def _check_reachable(address: str, what: str) -> None:
    """One line at once when nothing listens there (Dask itself retries until its timeout)."""
    url = urlparse(address)
    try:
        with socket.create_connection((url.hostname, url.port), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise ClusterError(f"no Dask scheduler answers at {address} ({reason}); start one "
                           f"(`dask scheduler`) or fix --cluster {what}") from None


class Cluster:
    """A Dask client on a local cluster or on a running scheduler; close() ends what it started."""

    def __init__(self, client: Any, local: Any = None,
                 classifier: Future[Any] | None = None) -> None:
        self.client = client
        self._local = local
        self._classifier = classifier  # trained by the driver while the workers started

    def prepare_workers(self) -> None:
        """Hand the workers the intent classifier the driver trained, so none trains its own.

        Local workers share the driver's cores: training once there, during the cluster's
        start-up, beats every worker training the same model at once. A worker that joins
        later (one restarted after a crash) trains its own, which gives the same model.
        """
        if self._classifier is None:
            return
        future, self._classifier = self._classifier, None
        blob = pickle.dumps(future.result(), protocol=pickle.HIGHEST_PROTOCOL)
        self.client.run(_install_classifier, blob)

    @property
    def workers(self) -> list[str]:
        """Addresses of the workers the scheduler knows now."""
        return sorted(self.client.scheduler_info(n_workers=-1)["workers"])

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this run started one."""
        self.client.close()
        if self._local is not None:
            self._local.close()

    def run(self, evaluation: Any, todo: list[Unit], decisions: Any, units: Any,
            on_decision: Callable[[], None] | None) -> dict[str, int]:
        """Run `todo` of `evaluation` on the workers (`run_on_cluster`); decisions per worker."""
        return run_on_cluster(self, evaluation, todo, decisions, units, on_decision)


def _train_classifier() -> Any:
    from wireless_agent.intent import IntentClassifier

    return IntentClassifier.default()


def _install_classifier(blob: bytes) -> None:
    """On a worker: use the driver's trained intent classifier as this process's default."""
    from wireless_agent.intent.classifier import install_default

    install_default(pickle.loads(blob))


# What a local worker needs before its first unit (seconds of imports: chromadb, langgraph).
WORKER_MODULES = ["distributed", "evals.cluster", "evals.slicing_eval", "baselines.registry",
                  "baselines.prompt", "wireless_agent.agent"]


_SERVER_ENV: dict[str, str] = {}  # the environment the fork server started with, once set


@contextlib.contextmanager
def _forked_workers(agent: bool) -> Iterator[dict[str, str] | None]:
    """Start local workers by forking one process that imported WORKER_MODULES once.

    Dask spawns each worker as a fresh interpreter that imports everything again, all of them
    at once on the cores the driver uses; a fork server pays those imports once, and, unlike
    forking the driver, it forks a process that runs no threads. Workers Dask restarts later
    are spawned the usual way. Yields the environment the workers must have: the fork server
    keeps the one it started with, so the driver's current one is handed over (a variable
    unset since then as empty, which the project reads as unset).
    """
    if not agent:
        yield None
        return
    import multiprocessing

    import dask
    from distributed.utils import get_mp_context

    from wireless_agent.config import environment

    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        if not _SERVER_ENV:
            _SERVER_ENV.update(environment())
            get_mp_context()  # Dask sets its own fork-server preload on first use: ours follows
            multiprocessing.get_context("forkserver").set_forkserver_preload(WORKER_MODULES)
        now = environment()
        yield {**{k: "" for k in _SERVER_ENV if k not in now}, **now}


def open_cluster(spec: str, threads: int, agent: bool = True) -> Cluster:
    """Start `local[:N]` (N processes of `threads` threads on 127.0.0.1) or join a scheduler.

    With `agent` (the grid runs the agent), a local cluster's workers import the agent as
    they start, and the driver trains the intent classifier meanwhile, for all of them.
    """
    parsed = parse_cluster(spec)
    if not parsed.local:
        _check_reachable(parsed.address, spec)  # before importing Dask: one line at once
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClusterError(f"--cluster needs Dask distributed: {INSTALL}") from None
    if parsed.local:
        trained: Future[Any] | None = None
        if agent:
            import wireless_agent.intent  # noqa: F401  (here: two threads must not import it)

            trained = ThreadPoolExecutor(1, thread_name_prefix="intent-train").submit(
                _train_classifier)
        # Processes, not threads: the agent is Python work that one GIL would serialise.
        # Ctrl-C reaches the terminal's whole process group: workers started with SIGINT
        # ignored leave it to the driver, which stops them (no traceback from each worker).
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            with _forked_workers(agent) as env:
                local = LocalCluster(n_workers=parsed.workers, threads_per_worker=threads,
                                     processes=True, host="127.0.0.1", dashboard_address=None,
                                     silence_logs=logging.ERROR, env=env)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        return Cluster(Client(local), local, trained)
    return Cluster(_join(Client, parsed.address, spec))


def _join(client_type: Any, address: str, spec: str) -> Any:
    """A client of the scheduler at `address`, or one line within CONNECT_TIMEOUT_S + 1 s.

    Dask's timeout does not cover a peer that accepts the connection and never answers the
    handshake (a hung scheduler, a wrong service), so the wait is bounded here.
    """
    box: dict[str, Any] = {}

    def connect() -> None:
        try:
            box["client"] = client_type(address, timeout=CONNECT_TIMEOUT_S)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=connect, name="wireless-agent-join", daemon=True)
    thread.start()
    thread.join(CONNECT_TIMEOUT_S + 1.0)
    if "client" in box:
        return box["client"]
    reason = "no answer" if thread.is_alive() else type(box.get("error")).__name__
    raise ClusterError(f"no Dask scheduler answers at {address} ({reason}); check it runs "
                       f"and --cluster {spec}")


# -- what travels to a worker -----------------------------------------------------------------


@dataclass(frozen=True)
class UnitTask:
    """One unit as plain data: the grid's config, the unit, and what is already logged for it.

    No keys and no endpoints: a worker reaches its models through its own environment.
    """

    run_id: str
    cfg: EvalConfig
    unit: Unit
    logged: tuple[DecisionRow, ...]
    warm: tuple[Unit, ...]  # units whose warm-up every worker's memory holds, in grid order
    namespace: str | None  # the run's collections on a shared Chroma server, if the driver uses one
    out: str  # the driver's results folder, for messages only

    @property
    def topic(self) -> str:
        """The event topic that carries this run's progress to the driver."""
        return f"wireless-agent-{self.run_id}"


def warm_units(grid: list[Unit]) -> tuple[Unit, ...]:
    """What a worker prepares: each agent (scenario, seed) and one unit of every other method.

    The driver without a cluster warms the memory from the grid in grid order, so every
    worker does the same and holds the identical memory whichever units it runs.
    """
    seen: set[tuple[str, Any]] = set()
    out = []
    for u in grid:
        key = (u.scenario, u.seed) if u.method == "agent" else (u.method, None)
        if key not in seen:
            seen.add(key)
            out.append(u)
    return tuple(out)


class WorkerRunner(UnitRunner):
    """A worker's UnitRunner: memory in a worker-local folder, or the run's shared server."""

    def __init__(self, cfg: EvalConfig, memory_dir: Path, namespace: str | None) -> None:
        super().__init__(cfg, memory_dir)
        self.namespace = namespace

    def memory(self) -> Any:
        """The run's namespace when the driver and this worker see a Chroma server, else local."""
        if self._memory is None:
            from wireless_agent.memory.store import AgentMemory

            url = chroma_url()
            if self.namespace is not None and url:
                self._memory = AgentMemory.open(url=url, namespace=self.namespace)
            else:
                import chromadb

                # Not AgentMemory.open: it would follow a server URL the driver does not use.
                self.memory_dir.mkdir(parents=True, exist_ok=True)
                self._memory = AgentMemory(chromadb.PersistentClient(path=str(self.memory_dir)))
        return self._memory


@dataclass
class _WorkerRun:
    lock: threading.Lock
    runner: WorkerRunner | None = None
    folder: Path | None = None


_RUNS: dict[str, _WorkerRun] = {}  # per worker process: one runner per run id
_RUNS_LOCK = threading.Lock()


def _runner(task: UnitTask) -> WorkerRunner:
    """This worker's runner of the task's run, built and prepared by the first unit to come."""
    from distributed import get_worker

    with _RUNS_LOCK:
        entry = _RUNS.setdefault(task.run_id, _WorkerRun(threading.Lock()))
    with entry.lock:  # one thread imports and warms up; the others wait (import-lock deadlock)
        if entry.runner is None:
            folder = Path(tempfile.mkdtemp(prefix=f"wireless-agent-{task.run_id}-",
                                           dir=get_worker().local_directory))
            runner = WorkerRunner(task.cfg, folder / "memory", task.namespace)
            runner.prepare(list(task.warm))
            entry.runner, entry.folder = runner, folder
    return entry.runner


class UnitResult(TypedDict):
    """What a worker hands back for one unit."""

    decisions: list[DecisionRow]  # made on the worker, not yet written
    rows: list[SummaryRow]
    worker: str  # the worker's address


def run_unit(task: UnitTask) -> UnitResult:
    """Run one unit on this worker: its new decision rows, summary rows and the worker's name."""
    from distributed import get_worker

    from wireless_agent.memory.store import MemoryStoreError

    worker = get_worker()
    runner = _runner(task)
    new: list[DecisionRow] = []
    pending: list[int] = []
    last = [time.monotonic()]

    def emit(row: DecisionRow) -> None:
        new.append(row)
        pending.append(row["step"])
        if time.monotonic() - last[0] >= PROGRESS_EVERY_S:
            worker.log_event(task.topic, {"unit": task.unit.key, "steps": list(pending)})
            pending.clear()
            last[0] = time.monotonic()

    try:
        rows = runner.run(task.unit, list(task.logged), emit)
    except Exception as exc:
        if not _lost_memory(exc):
            raise
        raise MemoryStoreError(
            f"the agent's memory stopped answering on worker {worker.address} "
            f"({type(exc).__name__}); what was decided is kept: restart the Chroma server "
            f"and rerun with --resume --out {task.out}") from None
    return {"decisions": new, "rows": rows, "worker": worker.address}


def forget_run(run_id: str) -> None:
    """Drop this worker's runner of a finished run and its local memory folder."""
    with _RUNS_LOCK:
        entry = _RUNS.pop(run_id, None)
    if entry is None or entry.runner is None:
        return
    with entry.lock:
        entry.runner.close()
        if entry.folder is not None:
            shutil.rmtree(entry.folder, ignore_errors=True)


# -- the driver -------------------------------------------------------------------------------


def run_on_cluster(cluster: Cluster, evaluation: Any, todo: list[Unit], decisions: Any,
                   units: Any, on_decision: Callable[[], None] | None) -> dict[str, int]:
    """Run `todo` on the cluster's workers, writing as results come; decisions per worker.

    Decisions are written when their unit's task returns, not as a worker makes them: a
    task retried after a worker died may decide differently with a live model, and the log
    must hold the decisions its summary was computed from. (unit, step) keys keep any row
    from being written twice.
    """
    from distributed import as_completed

    client = cluster.client
    run_id = uuid.uuid4().hex[:12]
    warm = warm_units(evaluation.units)
    namespace = None
    if chroma_url() and any(u.method == "agent" for u in todo):
        # One writer fills the run's namespace; workers that see the server only read it.
        evaluation.runner.prepare(list(warm))
        namespace = str((evaluation.out / "memory").resolve())
    written = {(key, r["step"]) for key, rows in evaluation.logged.items() for r in rows}
    counted = set(written)
    count_lock = threading.Lock()

    def tick(keys: list[tuple[str, int]]) -> None:
        with count_lock:
            fresh = [k for k in keys if k not in counted]
            counted.update(fresh)
        if on_decision:
            for _ in fresh:
                on_decision()

    def on_event(event: tuple[float, dict[str, Any]]) -> None:
        msg = event[1]
        tick([(msg["unit"], step) for step in msg["steps"]])

    if any(u.method == "agent" for u in todo):
        cluster.prepare_workers()
    tasks = [UnitTask(run_id, evaluation.cfg, u, tuple(evaluation.logged.get(u.key, [])), warm,
                      namespace, str(evaluation.out)) for u in todo]
    client.subscribe_topic(tasks[0].topic if tasks else run_id, on_event)
    futures = {client.submit(run_unit, t, key=f"wireless-agent-{run_id}-{i}", pure=False): t.unit
               for i, t in enumerate(tasks)}
    by_worker: Counter[str] = Counter()
    try:
        for future in as_completed(futures):
            unit = futures[future]
            result = _result(future, unit, evaluation.out)
            fresh = [r for r in result["decisions"] if (unit.key, r["step"]) not in written]
            for row in fresh:
                decisions.write(row)
                written.add((unit.key, row["step"]))
            tick([(unit.key, r["step"]) for r in fresh])
            line: UnitLine = {"unit": unit.key, "rows": result["rows"]}
            units.write(line)
            evaluation.done[unit.key] = line
            by_worker[result["worker"]] += len(fresh)
    except BaseException:
        client.cancel(list(futures), force=True)
        raise
    finally:
        _quietly(lambda: client.unsubscribe_topic(tasks[0].topic if tasks else run_id))
        _quietly(lambda: client.run(forget_run, run_id))
    return dict(sorted(by_worker.items()))


def _result(future: Any, unit: Unit, out: Path) -> UnitResult:
    """A task's result; a cluster that lost it is one line saying what to do."""
    from distributed import CancelledError, KilledWorker

    try:
        return future.result()
    except CancelledError as exc:
        raise ClusterError(f"the cluster dropped {unit.key} ({exc}); what finished is kept: "
                           f"rerun with --resume --out {out}") from None
    except KilledWorker:
        raise ClusterError(f"{unit.key} killed every worker that ran it; what finished is "
                           f"kept: fix the workers and rerun with --resume --out {out}") from None
    except (OSError, TimeoutError) as exc:
        if type(exc).__module__.startswith("distributed"):
            raise ClusterError(f"the Dask scheduler went away ({type(exc).__name__}); what "
                               f"finished is kept: rerun with --resume --out {out}") from None
        raise


def _quietly(fn: Callable[[], Any]) -> None:
    """Clean-up that must not hide the error that ended a run."""
    with contextlib.suppress(Exception):  # a scheduler gone away: nothing left to clean up
        fn()


def describe(by_worker: dict[str, int]) -> str:
    """Decisions per worker for the final line, e.g. '127.0.0.1:40001 64, 127.0.0.1:40002 56'."""
    return ", ".join(f"{addr.removeprefix('tcp://')} {n}" for addr, n in by_worker.items())


__all__ = ["Cluster", "ClusterError", "UnitTask", "open_cluster", "parse_cluster",
           "run_on_cluster"]
