"""The agent's Chroma memory: seed knowledge and past episodes, embedded or on a server."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb

from memory_store import SEED_DIR
from wireless_agent import config
from wireless_agent.memory.embedding import HashingEmbedding
from wireless_agent.traffic import TrafficProfile

KNOWLEDGE = "knowledge"
EPISODES = "episodes"
EXAMPLES = "examples"
# Labelled requests the examples collection holds: the classifier's training corpora, never
# an evaluation set.
EXAMPLE_FILES = ("intents.jsonl", "intents_multilingual.jsonl")


class MemoryStoreError(RuntimeError):
    """The memory cannot be opened (one line: what and what to do)."""


@dataclass(frozen=True)
class MemoryItem:
    """One retrieved record."""

    kind: str  # "knowledge", "episode" or "example"
    id: str
    text: str
    metadata: dict[str, Any]
    distance: float


def namespace_of(key: str | Path) -> str:
    """A collection-name prefix that is the same for the same results folder or run id."""
    text = str(Path(key).resolve()) if isinstance(key, Path) else str(key)
    return "wa-" + hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass
class AgentMemory:
    """Knowledge (built from `memory_store/`) and episodes (what the agent did, with outcome)."""

    client: Any
    prefix: str = ""  # collection-name prefix: a run's own collections on a shared server
    knowledge: Any = field(init=False)
    episodes: Any = field(init=False)

    def __post_init__(self) -> None:
        ef = HashingEmbedding()
        space = {"hnsw": {"space": "cosine"}}
        self.knowledge = self.client.get_or_create_collection(
            self.prefix + KNOWLEDGE, embedding_function=ef, configuration=space)
        self.episodes = self.client.get_or_create_collection(
            self.prefix + EPISODES, embedding_function=ef, configuration=space)
        self._embed = ef
        self._pending: list[tuple[str, str, dict[str, Any]]] = []
        self._knowledge_cache: dict[str, list[MemoryItem]] = {}
        self._profiles: dict[str, TrafficProfile] = {}
        self._has_episodes = self.episodes.count() > 0  # count() costs a round trip per call
        self._examples: Any = None  # built on first use: only model prompts show examples
        self._examples_lock = threading.Lock()  # episodes of one run may share this memory
        self.seed_knowledge()

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path | None = None, url: str | None = None,
             namespace: str | Path | None = None) -> AgentMemory:
        """Embedded store at `path` (`config.memory_path`: WIRELESS_AGENT_MEMORY, else the
        per-user data folder) or a server at `url` (else WIRELESS_AGENT_CHROMA_URL).

        On a server, `namespace` (a results folder or run id) gives the run collections of
        its own, so runs sharing a server never read each other's episodes.
        """
        url = config.chroma_url(url)
        if url:
            parsed = urlparse(url if "://" in url else f"http://{url}")
            try:
                client = chromadb.HttpClient(host=parsed.hostname or "127.0.0.1",
                                             port=parsed.port or 8000,
                                             ssl=parsed.scheme == "https")
                client.heartbeat()
                prefix = f"{namespace_of(namespace)}-" if namespace is not None else ""
                return cls(client, prefix=prefix)
            except Exception as exc:  # chromadb raises several unrelated types here
                raise MemoryStoreError(
                    f"no Chroma server answers at {url} ({type(exc).__name__}); start one "
                    "with `chroma run --path DIR --port PORT` or unset "
                    "WIRELESS_AGENT_CHROMA_URL to use the embedded store") from None
        target = config.memory_path(path)
        if target.exists() and not target.is_dir():
            raise MemoryStoreError(f"the memory at {target} is a file, not a folder; pass "
                                   "--memory DIR (or WIRELESS_AGENT_MEMORY) with a folder")
        try:
            target.mkdir(parents=True, exist_ok=True)
            if not os.access(target, os.W_OK | os.X_OK):
                raise PermissionError(13, "Permission denied")
            return cls(chromadb.PersistentClient(path=str(target)))
        except OSError as exc:
            raise MemoryStoreError(f"cannot open the memory at {target} ({exc.strerror}); "
                                   "pass --memory DIR (or WIRELESS_AGENT_MEMORY) with a "
                                   "writable folder") from None
        except Exception as exc:  # a damaged chroma.sqlite3 surfaces as many chromadb types
            raise MemoryStoreError(f"the memory at {target} is damaged or not a Chroma store "
                                   f"({type(exc).__name__}); move it away or pass --memory "
                                   "DIR with another folder") from None

    @classmethod
    def ephemeral(cls) -> AgentMemory:
        """An in-process memory that is gone when the process ends."""
        return cls(chromadb.EphemeralClient())

    def seed_knowledge(self) -> None:
        """(Re)build the knowledge collection when the seed files changed."""
        rows = [json.loads(line) for line in
                (SEED_DIR / "knowledge.jsonl").read_text(encoding="utf-8").splitlines() if line]
        digest = hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:16]
        current = self.knowledge.get(ids=["__seed__"], include=["metadatas"])
        if current["ids"] and current["metadatas"][0].get("digest") == digest:
            return
        old = self.knowledge.get(include=[])["ids"]
        if old:
            self.knowledge.delete(ids=old)
        self.knowledge.add(
            ids=[r["id"] for r in rows] + ["__seed__"],
            documents=[r["text"] for r in rows] + ["seed marker"],
            metadatas=[{"topic": r.get("topic", "")} for r in rows] + [{"digest": digest,
                                                                         "topic": "__seed__"}],
        )

    def examples(self) -> Any:
        """The labelled-requests collection, (re)built when the corpus files changed."""
        with self._examples_lock:
            if self._examples is None:
                self._examples = self._seed_examples()
            return self._examples

    def _seed_examples(self) -> Any:
        rows = [json.loads(line) for name in EXAMPLE_FILES
                for line in (SEED_DIR / name).read_text(encoding="utf-8").splitlines() if line]
        digest = hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:16]
        col = self.client.get_or_create_collection(
            self.prefix + EXAMPLES, embedding_function=self._embed,
            configuration={"hnsw": {"space": "cosine"}})
        seed = col.get(ids=["__seed__"], include=["metadatas"])
        if not (seed["ids"] and seed["metadatas"][0].get("digest") == digest):
            old = col.get(include=[])["ids"]
            if old:
                col.delete(ids=old)
            ids = [f"x{i}" for i in range(len(rows))] + ["__seed__"]
            docs = [r["text"] for r in rows] + ["seed marker"]
            metas = [{"slice": r["slice"], "application": r["application"],
                      "latency_ms": float(r["latency_ms"]),
                      "min_rate_mbps": float(r["min_rate_mbps"])} for r in rows]
            metas.append({"digest": digest, "slice": "__seed__"})
            batch = max(1, int(self.client.get_max_batch_size()))
            for lo in range(0, len(ids), batch):
                col.add(ids=ids[lo:lo + batch], documents=docs[lo:lo + batch],
                        metadatas=metas[lo:lo + batch])
        return col

    # -- recall ---------------------------------------------------------------------------

    def recall_examples(self, query: str, k: int = 4) -> list[MemoryItem]:
        """The k labelled requests most similar to `query` (few-shot examples for a model)."""
        if k <= 0:
            return []
        res = self.examples().query(query_embeddings=self._embed([query]), n_results=k,
                                    where={"slice": {"$ne": "__seed__"}})
        return _items("example", res)

    def recall_knowledge(self, query: str, key: str, k: int = 2) -> list[MemoryItem]:
        """Top-k knowledge for a query; cached by `key` since the knowledge is static."""
        if key not in self._knowledge_cache:
            res = self.knowledge.query(query_embeddings=self._embed([query]), n_results=k + 1,
                                       where={"topic": {"$ne": "__seed__"}})
            self._knowledge_cache[key] = _items("knowledge", res)[:k]
        return list(self._knowledge_cache[key])  # a copy: callers extend what they get

    def recall_episodes(self, query: str, k: int = 3) -> list[MemoryItem]:
        """Past decisions on the most similar requests."""
        if not self._has_episodes:
            return []
        # No scenario filter: a similar request elsewhere teaches as much, and the metadata
        # filter doubles the query's cost.
        res = self.episodes.query(query_embeddings=self._embed([query]), n_results=k)
        return _items("episode", res)

    def traffic_profile(self, scenario: str) -> TrafficProfile:
        """Slice mix and per-MHz rates seen in past episodes of a scenario.

        Read from the store once per scenario; later decisions are added as they are flushed,
        so a reset does not re-read every stored record.
        """
        if scenario not in self._profiles:
            res = self.episodes.get(where={"scenario": scenario}, include=["metadatas"])
            profile = TrafficProfile()
            profile.add(_profile_records(res["metadatas"] or []))
            self._profiles[scenario] = profile
        return self._profiles[scenario]

    def use_profile(self, scenario: str, profile: TrafficProfile) -> None:
        """Anticipate `scenario` from `profile` (one computed from warm-up draws, say)."""
        self._profiles[scenario] = profile

    def episode_count(self, scenario: str) -> int:
        """How many distinct past episodes of a scenario the memory holds."""
        return self.traffic_profile(scenario).episodes

    # -- remember -------------------------------------------------------------------------

    def remember(self, episode_id: str, step: int, request: str, meta: dict[str, Any]) -> None:
        """Queue one decision; written in a batch by `flush` (single adds cost ~7 ms each)."""
        self._pending.append((f"{episode_id}:{step}", request,
                              {**meta, "episode": episode_id, "step": step}))

    def flush(self) -> int:
        """Write queued decisions; returns how many."""
        if not self._pending:
            return 0
        ids, docs, metas = zip(*self._pending, strict=True)
        batch = max(1, int(self.client.get_max_batch_size()))  # the client refuses more
        for lo in range(0, len(ids), batch):
            self.episodes.upsert(ids=list(ids[lo:lo + batch]), documents=list(docs[lo:lo + batch]),
                                 metadatas=list(metas[lo:lo + batch]))
        for scenario in {m.get("scenario") for m in metas}:
            known = self._profiles.get(scenario)
            if known is not None:  # the new records only, not the whole store again
                known.add(_profile_records([m for m in metas if m.get("scenario") == scenario]))
        n = len(self._pending)
        self._pending.clear()
        self._has_episodes = True
        return n


def _profile_records(metas: list[Any]) -> list[tuple[str, int, float]]:
    """(episode, slice index, Mbps per MHz) of stored decision metadata."""
    return [(str(m.get("episode")), int(m["slice_index"]), float(m["per_mhz"]))
            for m in metas if m is not None]


def _items(kind: str, res: dict[str, Any]) -> list[MemoryItem]:
    ids = (res.get("ids") or [[]])[0]
    docs = (res.get("documents") or [[]])[0]
    metas = (res.get("metadatas") or [[]])[0]
    dists = (res.get("distances") or [[]])[0]
    return [MemoryItem(kind, i, d, dict(m or {}), float(x))
            for i, d, m, x in zip(ids, docs, metas, dists, strict=True)]
