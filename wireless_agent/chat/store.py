"""Chat sessions in SQLite through LangGraph's SqliteSaver: one thread of events per name."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, TypedDict

SESSION_FILE = "chat-sessions.sqlite"


class SessionState(TypedDict, total=False):
    """What a session keeps: its settings, and the latest turn (earlier ones are in history)."""

    meta: dict[str, Any]  # scenario, slots: what the network is rebuilt from
    # One event per checkpoint: SqliteSaver writes every channel into every checkpoint, so a
    # growing list would make the file grow with the square of the turns.
    event: dict[str, Any]


def _plain(value: Any) -> Any:
    """JSON-safe copy (numpy scalars become floats) so every saved turn reads back the same."""
    return json.loads(json.dumps(value, default=float))


def _keep(state: SessionState) -> dict[str, Any]:
    """The log graph's only node: the input already holds what to store."""
    return {}


class SessionStore:
    """Append-only event log of one named session, checkpointed on every append."""

    def __init__(self, folder: Path, name: str) -> None:
        from langgraph.checkpoint.sqlite import SqliteSaver
        from langgraph.graph import END, START, StateGraph

        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / SESSION_FILE
        self.name = name
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False)
        graph = StateGraph(SessionState)
        graph.add_node("keep", _keep)
        graph.add_edge(START, "keep")
        graph.add_edge("keep", END)
        self._graph = graph.compile(checkpointer=SqliteSaver(self._conn))
        self._config = {"configurable": {"thread_id": name}}
        self._next = len(self.state()["events"])

    def state(self) -> dict[str, Any]:
        """The stored meta and events, oldest first (both empty for a new session)."""
        meta = dict(self._graph.get_state(self._config).values.get("meta") or {})
        events: dict[int, dict[str, Any]] = {}
        for snap in self._graph.get_state_history(self._config):
            event = snap.values.get("event")
            if event is not None:
                events.setdefault(int(event["seq"]), event)
        return {"meta": meta, "events": [events[k] for k in sorted(events)]}

    def append(self, events: list[dict[str, Any]], meta: dict[str, Any] | None = None) -> None:
        """Store events (and new meta); on disk before this returns, so a kill loses nothing."""
        # update_state writes one checkpoint, synchronously; invoke would write three.
        if meta is not None:
            self._graph.update_state(self._config, {"meta": _plain(meta)}, as_node="keep")
        for event in events:
            self._graph.update_state(self._config, {"event": {**_plain(event), "seq": self._next}},
                                     as_node="keep")
            self._next += 1

    def close(self) -> None:
        """Close the database."""
        self._conn.close()
