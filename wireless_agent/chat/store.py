"""Chat sessions in SQLite: one append-only, numbered event log per session name.

What is stored (all already through the privacy filter, see `ChatSession`): the session's
network settings (scenario, room for arrivals) and, per turn, the typed text as the filter left
it, the answer or the decision record, and a timestamp. A session is held by one chat process at
a time; a second one gets one line naming the holder.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

SESSION_FILE = "chat-sessions.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (name TEXT PRIMARY KEY, meta TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    session TEXT NOT NULL, seq INTEGER NOT NULL, event TEXT NOT NULL,
    PRIMARY KEY (session, seq)
);
"""


class SessionStoreError(RuntimeError):
    """A session that cannot be opened (one line: what and what to do)."""


def _plain(value: Any) -> Any:
    """JSON-safe copy (numpy scalars become floats) so every saved turn reads back the same."""
    return json.loads(json.dumps(value, default=float))


class SessionStore:
    """Append-only event log of one named session; every append is on disk when it returns."""

    def __init__(self, folder: Path, name: str) -> None:
        self.path = folder / SESSION_FILE
        self.name = name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            lock = folder / f".{SESSION_FILE}.{hashlib.sha256(name.encode()).hexdigest()[:12]}.lock"
            self._lock = lock.open("a+", encoding="utf-8")
        except OSError as exc:
            raise SessionStoreError(f"cannot keep sessions in {folder} ({exc.strerror}); pass "
                                    "--session-dir DIR with a writable folder") from None
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.seek(0)
            holder = self._lock.read().strip() or "another process"
            self._lock.close()
            raise SessionStoreError(f"session {name} is open in another chat ({holder}); close "
                                    "it there or pick another --session") from None
        self._lock.seek(0)
        self._lock.truncate()
        self._lock.write(f"pid {os.getpid()}")
        self._lock.flush()
        try:
            self._conn = sqlite3.connect(str(self.path), check_same_thread=False,
                                         isolation_level=None)
            self._conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            self._lock.close()
            raise SessionStoreError(f"{self.path} is not a usable session database ({exc}); "
                                    "move it away or pass --session-dir DIR") from None

    def state(self) -> dict[str, Any]:
        """The stored meta and events, oldest first (both empty for a new session)."""
        row = self._conn.execute("SELECT meta FROM sessions WHERE name = ?",
                                 (self.name,)).fetchone()
        events = [json.loads(e) for (e,) in self._conn.execute(
            "SELECT event FROM events WHERE session = ? ORDER BY seq", (self.name,))]
        return {"meta": json.loads(row[0]) if row else {}, "events": events}

    def append(self, events: list[dict[str, Any]], meta: dict[str, Any] | None = None) -> None:
        """Store events (and new meta) in one transaction, numbered after the last one."""
        with self._conn:
            self._conn.execute("BEGIN IMMEDIATE")  # numbering and writing are one step
            if meta is not None:
                self._conn.execute("INSERT OR REPLACE INTO sessions (name, meta) VALUES (?, ?)",
                                   (self.name, json.dumps(_plain(meta))))
            (last,) = self._conn.execute("SELECT COALESCE(MAX(seq), -1) FROM events WHERE "
                                         "session = ?", (self.name,)).fetchone()
            self._conn.executemany(
                "INSERT INTO events (session, seq, event) VALUES (?, ?, ?)",
                [(self.name, last + 1 + k, json.dumps({**_plain(e), "seq": last + 1 + k}))
                 for k, e in enumerate(events)])

    def close(self) -> None:
        """Close the database and let another chat open the session."""
        self._conn.close()
        self._lock.close()
