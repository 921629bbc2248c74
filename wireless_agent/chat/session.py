"""A chat session: the live network, the agent acting on it, and the turns kept in SQLite."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from env.slices import BY_INDEX
from wireless_agent import config
from wireless_agent.chat.network import DEFAULT_SLOTS, ChatNetwork, parse_arrival
from wireless_agent.chat.store import SessionStore
from wireless_agent.models.errors import is_outage
from wireless_agent.privacy.names import redact_names


@dataclass
class ChatOptions(config.RunSettings):
    """How a chat starts: the shared settings (model, timeout_s, privacy), scenario, where
    memory and sessions live."""

    scenario: str = "center"
    memory: Path | None = None  # None: an ephemeral memory
    session: str | None = None  # None: nothing is kept after the chat ends
    session_dir: Path | None = None  # None: the memory folder
    slots: int = DEFAULT_SLOTS


def session_folder(options: ChatOptions) -> Path:
    """Where session databases live: --session-dir, else the memory folder."""
    if options.session_dir is not None:
        return options.session_dir
    if options.memory is not None:
        return options.memory
    return config.memory_path()


def _privacy_filter() -> Any:
    """The wireless-domain privacy filter of the agent graph."""
    from wireless_agent.privacy import default_filter

    return default_filter()


def _recalled(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What memory recalled, once per item (the memory node can repeat items)."""
    out = []
    seen: set[str] = set()
    for item in items:
        if item["id"] in seen:
            continue
        seen.add(item["id"])
        meta = item.get("metadata") or {}
        row = {"kind": item["kind"], "id": item["id"], "text": item["text"][:120]}
        if item["kind"] == "episode":
            spec = BY_INDEX.get(int(meta.get("slice_index", 0)))
            row["slice"] = spec.name if spec else None
            row["admitted"] = bool(meta.get("admitted"))
        elif item["kind"] == "example":  # a labelled request shown to the model
            row["slice"] = meta.get("slice")
        out.append(row)
    return out


def _privacy(context: dict[str, Any]) -> dict[str, Any]:
    """What the planning role got after the privacy filter, in names and reasons only."""
    role = context.get("planning") or {}
    audit = role.get("audit") or {}
    removals = audit.get("removed", [])
    # Fields the policy kept from the role were never fetched; redactions were cut from text.
    withheld = sorted({r["field"] for r in removals if r["where"] == "retrieval"})
    removed = [f"{r['field']} ({r['reason']}, {r['where']})" for r in removals
               if r["where"] != "retrieval"]
    return {"filter": "enabled" in audit, "documents": len(role.get("documents", [])),
            "fields": sorted(role.get("fields") or {}), "withheld": withheld,
            "removed": removed, "injection": list(audit.get("injection_suspected", []))}


class ChatSession:
    """The network, the agent and the session log; every turn of the chat goes through here."""

    def __init__(self, options: ChatOptions) -> None:
        from wireless_agent.agent import SlicingAgent
        from wireless_agent.config import AgentConfig
        from wireless_agent.memory.store import AgentMemory

        options.validate()
        self.options = options
        self._names: set[str] = set()  # names the user told, to redact wherever they recur
        self._labels: dict[str, str] = {}  # model spec -> its label (a server is asked once)
        backend = self._make_backend(options.model)  # a bad spec fails before anything opens
        self.store: SessionStore | None = None
        stored: dict[str, Any] = {"meta": {}, "events": []}
        if options.session:
            self.store = SessionStore(session_folder(options), options.session)
            stored = self.store.state()
        self.meta = stored["meta"] or {"scenario": options.scenario, "slots": options.slots}
        self.events: list[dict[str, Any]] = stored["events"]
        self.name = options.session or f"scratch-{time.time_ns()}"
        self.notes: list[str] = []
        if stored["meta"] and (self.meta.get("scenario"), self.meta.get("slots")) != (
                options.scenario, options.slots):
            self.notes.append(f"session {self.name} keeps its network: scenario "
                              f"{self.meta['scenario']}, room for {self.meta['slots']} arrivals")
        memory = (AgentMemory.open(options.memory) if options.memory is not None
                  else AgentMemory.ephemeral())
        # Chat arrivals are whatever the operator types, so the scenario's traffic profile
        # says nothing about who comes next: no anticipation.
        config = options.into(AgentConfig, memory_path=None, anticipate=False,
                              model=options.model.strip() if backend is not None else "offline")
        self.agent = SlicingAgent(config, memory=memory, backend=backend,
                                  privacy=_privacy_filter() if options.privacy else None)
        self.records: list[dict[str, Any]] = []
        self.mismatches = 0
        self._rebuild()
        if self.store is not None and not stored["meta"]:
            self.store.append([], meta=self.meta)

    # -- model ---------------------------------------------------------------------------

    def _make_backend(self, spec: str) -> Any:
        """A backend for `spec`, checked to answer (None for offline); raises one-line errors."""
        from wireless_agent.models import check_backend, make_backend, parse_spec

        if parse_spec(spec).offline:
            return None
        backend = make_backend(spec, timeout_s=self.options.timeout_s)
        check_backend(spec, timeout_s=min(self.options.timeout_s, 5.0))
        return backend

    @property
    def backend(self) -> Any:
        """The model backend in use (None offline)."""
        return self.agent.backend

    @property
    def model(self) -> str:
        """The model spec in use."""
        return self.agent.config.model if self.agent.backend is not None else "offline"

    @property
    def model_label(self) -> str:
        """The model as the chat names it: marked when a scripted fake server answers."""
        spec = self.model
        if spec not in self._labels:
            from wireless_agent.models.listing import scripted_label, scripted_tiers

            self._labels[spec] = (spec if spec == "offline"
                                  else scripted_label(spec, scripted_tiers(spec)))
        return self._labels[spec]

    def switch_model(self, spec: str) -> None:
        """Use `spec` from now on; raises ModelSpecError/BackendError and keeps the old one."""
        backend = self._make_backend(spec.strip())
        self._set_backend(backend, spec.strip() if backend is not None else "offline")

    def go_offline(self) -> None:
        """Drop the model backend (after it stopped answering)."""
        self._set_backend(None, "offline")

    def _set_backend(self, backend: Any, spec: str) -> None:
        self.agent.backend = backend
        self.agent.config.model = spec
        if self.agent.context is not None:
            self.agent.context.backend = backend

    # -- network -------------------------------------------------------------------------

    @property
    def network(self) -> ChatNetwork:
        """The live network."""
        return self._network

    @property
    def epoch(self) -> int:
        """How many times the network was reset in this session."""
        return sum(1 for e in self.events if e.get("kind") == "reset")

    def private(self, text: str, reader: str = "memory") -> str:
        """`text` as `reader` may see it: the store and memory ("memory") or the model
        answering operator questions ("explain"); unchanged only with the filter off."""
        privacy = self.agent.privacy
        if privacy is None:
            return text
        # Names told earlier are kept in this process only, never written anywhere.
        text, found = redact_names(text, self._names)
        self._names |= found
        task = "slicing_request" if reader == "memory" else "operator_question"
        out, _ = privacy.sanitize(reader, self.model, text, task=task, where="chat")
        return out

    def _label(self, request: str) -> str:
        return self.agent.classifier.predict(request).slice

    def _rebuild(self) -> None:
        """A fresh network with every stored decision since the last reset applied again."""
        self._network = ChatNetwork(self.meta["scenario"], int(self.meta["slots"]))
        self.agent.reset(self._network.env, f"chat-{self.name}-{self.epoch}")
        self.records = []
        self.mismatches = 0
        start = max((i + 1 for i, e in enumerate(self.events) if e.get("kind") == "reset"),
                    default=0)
        ctx = self.agent.context
        for event in self.events[start:]:
            if event.get("kind") != "request":
                continue
            rec = event["decision"]
            self._network.arrive(rec["request"], rec["cqi"], rec["position"], self._label)
            info = self._network.step(rec["action"])
            self.mismatches += bool(info["admitted_now"]) != bool(rec["result"]["admitted"])
            if ctx is not None and ctx.memory is not None:
                # An ephemeral memory forgot these; upserts by id leave a persistent one as is.
                a = rec["action"]
                ctx.memory.remember(ctx.episode_id, rec["slot"], rec["request"], {
                    "scenario": ctx.scenario, "slice_index": a["intent"],
                    "application": rec["intent"]["application"], "cqi": rec["cqi"],
                    "per_mhz": rec["per_mhz"], "admitted": bool(info["admitted_now"]),
                    "bandwidth": round(a["bandwidth"], 3) if info["admitted_now"] else 0.0})
            self.records.append(rec)
        self.agent.memory.flush()

    def resync(self) -> bool:
        """Rebuild the network if an interrupted turn left it ahead of the log; whether it did."""
        if self._network.arrived == len(self.records):
            return False
        self._rebuild()
        return True

    def reset(self) -> None:
        """Start a new, empty network (the memory and the conversation stay)."""
        self._log({"kind": "reset", "at": time.time()})
        self._rebuild()

    # -- turns ---------------------------------------------------------------------------

    def submit(self, text: str) -> dict[str, Any]:
        """Admit or reject a typed subscriber request through the agent graph; its record."""
        # What the subscriber typed goes no further than here unfiltered: the agent, its
        # memory and the session database all get the text the policy lets the memory keep.
        text = self.private(text)
        arriving = parse_arrival(text)
        if not arriving.request:
            raise ValueError("the request is empty; say what the subscriber needs")
        net = self._network
        user = net.arrive(arriving.request, arriving.cqi, arriving.position, self._label)
        before = net.env.bandwidth.copy()
        out = self.agent.decide(request=arriving.request)
        self.agent.memory.flush()
        record = self._record(out, user, before)
        if record["model_error"] and is_outage(record["model_error"]):
            record["went_offline"] = self.model
            self.go_offline()
        # Logged before it counts: an interrupt in between leaves the network ahead of the
        # records, which `resync` repairs from the log.
        self._log({"kind": "request", "input": text, "at": time.time(), "decision": record})
        self.records.append(record)
        return record

    def _record(self, out: Mapping[str, Any], user: Any, before: Any) -> dict[str, Any]:
        """Everything a later question may ask about one decision, JSON-ready."""
        plan, intent, info = out["plan"], out["intent"], out["result"]["info"]
        env = self._network.env
        slot = out["user"]["slot"]
        changed = {str(int(s) + 1): [round(float(before[s]), 4), round(float(env.bandwidth[s]), 4)]
                   for s in range(slot) if abs(float(before[s]) - float(env.bandwidth[s])) > 1e-9}
        errors = [t["error"] for t in out["trace"] if t.get("error")]
        return {
            "slot": slot, "user": slot + 1, "request": out["request"], "cqi": int(user.cqi),
            "position": [user.x, user.y, user.z], "per_mhz": float(out["user"]["per_mhz"]),
            "action": {"intent": int(plan["slice_index"]), "admit": int(plan["admit"]),
                       "bandwidth": float(plan["bandwidth"]),
                       "reallocate": {str(k): float(v) for k, v in plan["reallocate"].items()}},
            "intent": {k: intent.get(k) for k in ("slice", "application", "confidence",
                                                   "latency_ms", "min_rate_mbps", "source",
                                                   "unclear", "requirements", "question")},
            "recalled": _recalled(out.get("retrieved", [])),
            "privacy": _privacy(out.get("context", {})),
            "plan": {"slice": BY_INDEX[plan["slice_index"]].name if plan["slice_index"] else None,
                     "admit": bool(plan["admit"]),
                     "bandwidth": float(plan["bandwidth"]),
                     "min_bandwidth": float(plan["min_bandwidth"]),
                     "expected_rate_mbps": float(plan["expected_rate_mbps"]),
                     "reason": plan["reason"], "replans": plan["replans"],
                     "problems": list(plan["problems"])},
            "result": {"admitted": bool(info["admitted_now"]), "reason": info["reason"],
                       "bandwidth": float(env.bandwidth[slot]),
                       "rate_mbps": float(info["rate_mbps"]),
                       "embb_utilization": float(info["embb_utilization"]),
                       "urllc_utilization": float(info["urllc_utilization"]),
                       "throughput_mbps": float(info["throughput_mbps"]),
                       "users": self._network.user_counts(),
                       "violations": int(info["min_rate_violations"])},
            "changed": changed,
            "explanation": out["explanation"],
            "model": self.model,
            "model_label": self.model_label,  # a scripted fake says so here and on screen
            "model_error": errors[0] if errors else None,
        }

    def record_of(self, user_id: int) -> dict[str, Any] | None:
        """The decision about user `user_id` on the current network."""
        return self.records[user_id - 1] if 1 <= user_id <= len(self.records) else None

    def log_question(self, question: str, answer: str, source: str) -> None:
        """Keep an operator question and its answer in the session (as the filter leaves them)."""
        self._log({"kind": "question", "input": self.private(question),
                   "output": self.private(answer), "source": source, "at": time.time()})

    def conversation(self, last: int = 6) -> list[dict[str, Any]]:
        """The last questions and requests, oldest first (for the model and for resuming)."""
        turns = [e for e in self.events if e.get("kind") in ("question", "request")]
        return turns[-last:] if last else turns

    def _log(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        if self.store is not None:
            self.store.append([event])

    def save(self, name: str | None = None) -> Path:
        """Keep the session on disk (under `name` if it had none); the database's path."""
        if self.store is None or (name and name != self.store.name):
            if not name:
                raise ValueError("this chat has no session name; write /save NAME")
            store = SessionStore(session_folder(self.options), name)
            if store.state()["events"]:
                store.close()
                raise ValueError(f"a session called {name} already exists; pick another name")
            store.append(self.events, meta=self.meta)
            if self.store is not None:
                self.store.close()
            self.store, self.name = store, name
        return self.store.path

    def close(self) -> None:
        """Write what the memory still holds and close the session database."""
        self.agent.memory.flush()
        if self.store is not None:
            self.store.close()
