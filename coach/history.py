"""Practice history in an embedded SQLite database: every turn committed as it happens."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    started   TEXT NOT NULL,
    updated   TEXT NOT NULL,
    scenario  TEXT NOT NULL,
    level     TEXT NOT NULL,
    seed      INTEGER NOT NULL,
    status    TEXT NOT NULL,          -- active | finished | interrupted
    score     INTEGER,
    turns     INTEGER NOT NULL DEFAULT 0,
    hints     INTEGER NOT NULL DEFAULT 0,
    scorecard TEXT
);
CREATE TABLE IF NOT EXISTS turns (
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    n          INTEGER NOT NULL,      -- the trainee's line number, from 1
    text       TEXT NOT NULL,         -- what the trainee typed
    reply      TEXT NOT NULL,         -- what the customer answered
    data       TEXT NOT NULL,         -- feedback and reaction, JSON
    created    TEXT NOT NULL,
    PRIMARY KEY (session_id, n)
);
"""


def data_dir() -> Path:
    """$COACH_HOME, else the user's data directory (XDG on Linux)."""
    env = os.environ.get("COACH_HOME")
    if env:
        return Path(env)
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA") or Path.home()) / "coach"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "coach"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "coach"


def default_db() -> Path:
    return data_dir() / "history.sqlite3"


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class SessionRow:
    id: int
    started: str
    updated: str
    scenario: str
    level: str
    seed: int
    status: str
    score: int | None
    turns: int
    hints: int
    scorecard: dict[str, Any] | None

    @property
    def finished(self) -> bool:
        return self.status == "finished"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "started": self.started, "updated": self.updated,
            "scenario": self.scenario, "level": self.level, "seed": self.seed,
            "status": self.status, "finished": self.finished, "score": self.score,
            "turns": self.turns, "hints": self.hints,
            "skills": (self.scorecard or {}).get("skills", {}),
        }


class History:
    """The practice database. Safe for several processes: WAL mode and a busy timeout."""

    def __init__(self, path: Path | str, warn: Any = None) -> None:
        self.path = Path(path)
        self.warn = warn or (lambda msg: print(msg, file=sys.stderr))
        self.conn = self._open()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._connect()
        except sqlite3.OperationalError:
            # Locked or busy is another process at work, not damage: never move a live
            # database aside (that would split two writers onto two files).
            raise
        except sqlite3.DatabaseError as exc:
            if not self.path.exists():
                raise
            # A damaged file must not block practice: keep it for inspection, start afresh.
            aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                side = Path(str(self.path) + suffix)
                if side.exists():
                    os.replace(side, Path(str(aside) + suffix))
            self.warn(f"练习记录数据库已损坏（{exc}），已移到 {aside}，并新建了一个。")
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            _retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL"))
            conn.execute("PRAGMA synchronous = NORMAL")
            # One transaction, so a second process starting at the same moment sees either
            # no tables or all of them.
            _retry_locked(lambda: conn.executescript("BEGIN IMMEDIATE;" + SCHEMA + "COMMIT;"))
            conn.execute("SELECT count(*) FROM sessions").fetchone()
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        self.conn.close()

    # -- writing: each call is its own committed transaction -----------------------------

    def start(self, scenario: str, level: str, seed: int) -> int:
        now = _now()
        cur = self.conn.execute(
            "INSERT INTO sessions (started, updated, scenario, level, seed, status) VALUES (?,?,?,?,?, 'active')",
            (now, now, scenario, level, seed))
        return int(cur.lastrowid or 0)

    def add_turn(self, session_id: int, n: int, text: str, reply: str, data: dict[str, Any], hints: int) -> None:
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "INSERT OR REPLACE INTO turns (session_id, n, text, reply, data, created) VALUES (?,?,?,?,?,?)",
                (session_id, n, text, reply, json.dumps(data, ensure_ascii=False), _now()))
            self.conn.execute("UPDATE sessions SET turns = ?, hints = ?, updated = ? WHERE id = ?",
                              (n, hints, _now(), session_id))

    def set_hints(self, session_id: int, hints: int) -> None:
        self.conn.execute("UPDATE sessions SET hints = ?, updated = ? WHERE id = ?", (hints, _now(), session_id))

    def finish(self, session_id: int, status: str, score: int, scorecard: dict[str, Any]) -> None:
        self.conn.execute(
            "UPDATE sessions SET status = ?, score = ?, scorecard = ?, updated = ? WHERE id = ?",
            (status, score, json.dumps(scorecard, ensure_ascii=False), _now(), session_id))

    # -- reading --------------------------------------------------------------------------

    def _row(self, r: tuple[Any, ...]) -> SessionRow:
        card = json.loads(r[10]) if r[10] else None
        return SessionRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], card)

    def sessions(self) -> list[SessionRow]:
        rows = self.conn.execute(
            "SELECT id, started, updated, scenario, level, seed, status, score, turns, hints, scorecard "
            "FROM sessions ORDER BY id").fetchall()
        return [self._row(r) for r in rows]

    def get(self, session_id: int) -> SessionRow | None:
        r = self.conn.execute(
            "SELECT id, started, updated, scenario, level, seed, status, score, turns, hints, scorecard "
            "FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return self._row(r) if r else None

    def turns(self, session_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT n, text, reply, data FROM turns WHERE session_id = ? ORDER BY n",
                                 (session_id,)).fetchall()
        out = []
        for n, text, reply, data in rows:
            d = json.loads(data)
            d.update(n=n, text=text, reply=reply)
            out.append(d)
        return out


def _retry_locked(step: Any, seconds: float = 30.0) -> Any:
    """Run ``step``, retrying while SQLite says the database is locked or busy.

    Changing the journal mode takes an exclusive lock that the busy timeout does not always
    wait for; two practice processes opening a new database at once would collide there.
    """
    deadline = time.monotonic() + seconds
    delay = 0.01
    while True:
        try:
            return step()
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if ("locked" not in text and "busy" not in text) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def open_history(path: Path | str | None, warn: Any = None) -> History | None:
    """The history database, or None with a warning when it cannot be opened (read-only home…)."""
    warn = warn or (lambda msg: print(msg, file=sys.stderr))
    target = Path(path) if path else default_db()
    try:
        return History(target, warn)
    except (OSError, sqlite3.Error) as exc:
        warn(f"无法打开练习记录（{target}：{exc}）；本次练习照常进行，但不会保存记录。")
        return None
