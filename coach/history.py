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

from .dirs import data_dir
from .errors import StorageError
from .limits import clean_text

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
    """The practice database. Safe for several processes: WAL mode and a busy timeout.

    The storage boundary of practice: reading raises StorageError (a CoachError, one
    line in Chinese) for a damaged database or row; writing never stops a practice — when
    a write fails (disk full, file gone read-only, page-level damage) it warns once and the
    practice goes on in memory, every remaining line still answered. Lines are appended
    under a fresh number, never written over, and a practice being continued is claimed
    (``claim``) so two processes cannot continue the same one at once.
    """

    def __init__(self, path: Path | str, warn: Any = None) -> None:
        self.path = Path(path)
        self.warn = warn or (lambda msg: print(msg, file=sys.stderr))
        #: Set when a write failed: the rest of the practice is kept in memory only.
        self.broken = ""
        self._locks = _Claims(self.path)
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
        self._locks.release()
        self.conn.close()

    # -- writing: each call is its own committed transaction -----------------------------

    def _write(self, step: Any) -> Any:
        """Run one write; on failure warn once and keep the practice going without saving."""
        if self.broken:
            return None
        try:
            return step()
        except (sqlite3.Error, OSError) as exc:
            self.broken = _reason(exc)
            try:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            self.warn(f"无法写入练习记录（{self.path}：{self.broken}）；练习继续，"
                      "但从这里起的内容不会保存。")
            return None

    def start(self, scenario: str, level: str, seed: int) -> int | None:
        """A new practice record, claimed by this process; None when it cannot be written."""
        now = _now()

        def insert() -> int:
            cur = self.conn.execute(
                "INSERT INTO sessions (started, updated, scenario, level, seed, status) "
                "VALUES (?,?,?,?,?, 'active')", (now, now, clean_text(scenario), clean_text(level), seed))
            return int(cur.lastrowid or 0)

        new = self._write(insert)
        if new:
            self._locks.claim(new)
        return new

    def claim(self, session_id: int) -> None:
        """Take practice ``session_id`` for this process until ``close()``.

        Raises StorageError when another process is continuing it right now: two trainees
        appending to one practice would each be shown feedback the other never saw.
        """
        if not self._locks.claim(session_id):
            raise StorageError(f"练习记录 #{session_id} 正在另一个窗口中继续；请先在那里结束"
                               f"（/quit），再用 coach practice --resume {session_id} 继续。")

    def add_turn(self, session_id: int | None, n: int, text: str, reply: str, data: dict[str, Any],
                 hints: int) -> int | None:
        """Append one line under the next free number (``n`` is what the caller expects);
        returns the number it was saved under, or None when it could not be saved."""
        if session_id is None:
            return None
        payload = json.dumps(data, ensure_ascii=False)

        def append() -> int:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                # Never INSERT OR REPLACE: a line another writer saved under n stays, and
                # this one goes after it.
                got = self.conn.execute("SELECT COALESCE(MAX(n), 0) + 1 FROM turns WHERE session_id = ?",
                                        (session_id,)).fetchone()[0]
                self.conn.execute(
                    "INSERT INTO turns (session_id, n, text, reply, data, created) VALUES (?,?,?,?,?,?)",
                    (session_id, got, clean_text(text), clean_text(reply), clean_text(payload), _now()))
                self.conn.execute("UPDATE sessions SET turns = ?, hints = ?, updated = ? WHERE id = ?",
                                  (got, hints, _now(), session_id))
            return int(got)

        return self._write(append)

    def set_hints(self, session_id: int | None, hints: int) -> None:
        if session_id is not None:
            self._write(lambda: self.conn.execute("UPDATE sessions SET hints = ?, updated = ? WHERE id = ?",
                                                  (hints, _now(), session_id)))

    def finish(self, session_id: int | None, status: str, score: int, scorecard: dict[str, Any]) -> None:
        if session_id is not None:
            card = clean_text(json.dumps(scorecard, ensure_ascii=False))
            self._write(lambda: self.conn.execute(
                "UPDATE sessions SET status = ?, score = ?, scorecard = ?, updated = ? WHERE id = ?",
                (status, score, card, _now(), session_id)))

    # -- reading --------------------------------------------------------------------------

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return self.conn.execute(sql, args).fetchall()
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"无法读取练习记录（{self.path}：{_reason(exc)}）") from None

    def _row(self, r: tuple[Any, ...]) -> SessionRow:
        card = None
        if r[10]:
            try:
                card = json.loads(r[10])
            except (TypeError, ValueError, RecursionError):
                card = None
            if not isinstance(card, dict):
                # A damaged scorecard is scored again from the saved lines when needed.
                self.warn(f"练习记录 #{r[0]} 的成绩单已损坏，已忽略（coach report 会按保存的句子重新评分）。")
                card = None
        try:
            return SessionRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), int(r[5]), str(r[6]),
                              None if r[7] is None else int(r[7]), int(r[8]), int(r[9]), card)
        except (TypeError, ValueError, OverflowError):
            raise StorageError(f"练习记录 #{r[0]} 已损坏（{self.path}）") from None

    def sessions(self) -> list[SessionRow]:
        rows = self._read(
            "SELECT id, started, updated, scenario, level, seed, status, score, turns, hints, scorecard "
            "FROM sessions ORDER BY id")
        return [self._row(r) for r in rows]

    def get(self, session_id: int) -> SessionRow | None:
        rows = self._read(
            "SELECT id, started, updated, scenario, level, seed, status, score, turns, hints, scorecard "
            "FROM sessions WHERE id = ?", (session_id,))
        return self._row(rows[0]) if rows else None

    def turns(self, session_id: int) -> list[dict[str, Any]]:
        rows = self._read("SELECT n, text, reply, data FROM turns WHERE session_id = ? ORDER BY n",
                          (session_id,))
        out = []
        for n, text, reply, data in rows:
            try:
                d = json.loads(data)
                if not isinstance(d, dict) or not isinstance(text, str) or not isinstance(reply, str):
                    raise ValueError("not a line")
            except (TypeError, ValueError, RecursionError):
                raise StorageError(f"练习记录 #{session_id} 第 {n} 句的数据已损坏（{self.path}），"
                                   "无法继续或重新评分这次练习。") from None
            d.update(n=n, text=text, reply=reply)
            out.append(d)
        return out


def _reason(exc: BaseException) -> str:
    """A storage failure in a few Chinese words, then SQLite's own."""
    text = str(exc) or type(exc).__name__
    low = text.lower()
    if "full" in low or "no space" in low or "too large" in low:
        return f"磁盘已满（{text}）"
    if "malformed" in low or "not a database" in low:
        return f"数据库已损坏（{text}）"
    if "readonly" in low or "read-only" in low or "permission" in low:
        return f"没有写入权限（{text}）"
    return text


class _Claims:
    """Per-practice locks: one byte of ``<db>.lock`` per practice id, held until released.

    OS record locks vanish with their process, so a practice killed mid-way is never left
    locked. Where the platform has no such locks, claims always succeed (lines are still
    appended, never overwritten).
    """

    def __init__(self, db: Path) -> None:
        self.path = Path(str(db) + ".lock")
        self._fd: int | None = None
        self._held: set[int] = set()

    def claim(self, session_id: int) -> bool:
        if session_id in self._held:
            return True
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return True
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, session_id)
        except BlockingIOError:
            return False
        except OSError as exc:
            if exc.errno in (11, 13):  # EAGAIN / EACCES: held by another process
                return False
            return True  # no lock file possible (read-only folder): appending still keeps every line
        self._held.add(session_id)
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops every record lock of this file
            self._fd = None
            self._held.clear()


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
