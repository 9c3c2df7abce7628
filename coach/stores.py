"""Session stores: keep each conversation's state by id, with no lost update under concurrency."""

from __future__ import annotations

import contextlib
import json
import os
import random
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .errors import CoachError, InputError, StateError, StorageError
from .limits import has_surrogate

if TYPE_CHECKING:
    from .engine import Coach
    from .session import Feedback, Suggestion

MAX_ID_CHARS = 256
# Enough for thousands of writers on one id; past it handle() raises rather than spin forever.
MAX_ATTEMPTS = 200
#: MemorySessionStore keeps at most this many conversations by default (least recently used
#: go first): about 2 KB each, so some 20 MB.
DEFAULT_MAX_SESSIONS = 10_000
#: ... and forgets a conversation idle for this many seconds by default (24 hours).
DEFAULT_TTL = 24 * 3600


class StoreConflict(CoachError):
    """Another writer saved the conversation after this one read it.

    Raised by ``SessionStore.put()`` when the stored version is no longer the one the
    caller read (or the conversation was deleted meanwhile), and by ``handle()`` only when
    it still conflicts after ``MAX_ATTEMPTS`` retries. Read the state again, replay the
    turn on it and put again; ``handle()`` does exactly that for you.
    """


@dataclass(frozen=True)
class Record:
    """A stored session state and the version to pass back to ``put()``."""

    state: dict[str, Any]
    version: int


@runtime_checkable
class SessionStore(Protocol):
    """Where sessions live between turns, keyed by conversation id.

    Versions are opaque positive integers chosen by the store; a store never hands out the
    same version twice, even after ``delete()``, so a writer holding an old version can
    never overwrite a newer conversation by accident.
    """

    def get(self, conversation_id: str) -> Record | None:
        """The state and its version, or None when the conversation is not stored."""
        ...

    def put(self, conversation_id: str, state: dict[str, Any], version: int) -> int:
        """Save ``state`` if the stored version is still ``version`` (0: not stored yet).

        Returns the new version; raises StoreConflict when someone else wrote first.
        """
        ...

    def delete(self, conversation_id: str) -> None:
        """Forget the conversation (no error when it is not stored)."""
        ...


def _check_id(conversation_id: Any) -> str:
    """The conversation id, or InputError when it is not a short non-empty ``str``."""
    if not isinstance(conversation_id, str):
        raise InputError(f"conversation id must be a str, not {type(conversation_id).__name__}")
    if not conversation_id or len(conversation_id) > MAX_ID_CHARS:
        raise InputError(f"conversation id must have 1 to {MAX_ID_CHARS} characters")
    if has_surrogate(conversation_id):
        # No database or key-value store can hold a lone surrogate as UTF-8 text.
        raise InputError("conversation id must not hold a lone surrogate (\\ud800-\\udfff)")
    return conversation_id


def _check_ttl(ttl: Any) -> int | None:
    """Seconds as a positive whole number, or None for never; anything else is refused."""
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 1:
        raise InputError(f"ttl must be a whole number of seconds, at least 1, or None for never; not {ttl!r}")
    return ttl


def _load(conversation_id: str, text: Any, version: Any) -> Record:
    """A stored row as a Record; StateError (bad_state) when it is damaged."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        state = json.loads(text)
        number = int(version)
    except (TypeError, ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise StateError(f"the stored state of conversation {conversation_id!r} is damaged "
                         f"({type(exc).__name__}); delete it to start over") from None
    if not isinstance(state, dict) or number < 1:
        raise StateError(f"the stored state of conversation {conversation_id!r} is damaged "
                         "(not a state object); delete it to start over")
    return Record(state, number)


@contextlib.contextmanager
def storage_errors(where: str) -> Iterator[None]:
    """The storage boundary: every SQLite, Redis or file-system failure inside becomes a
    StorageError whose one-line message names ``where`` and the reason.

    CoachErrors (StoreConflict, StateError…) pass through unchanged.
    """
    try:
        yield
    except CoachError:
        raise
    except sqlite3.Error as exc:
        raise StorageError(f"{where}: {_sqlite_reason(exc)}") from None
    except OSError as exc:
        raise StorageError(f"{where}: {exc.strerror or exc}") from None
    except Exception as exc:
        if type(exc).__module__.startswith("redis"):
            if "WRONGTYPE" in str(exc):
                raise StateError(f"{where}: the stored key has the wrong type; delete it to start over") from None
            raise StorageError(f"{where}: Redis: {exc}") from None
        raise


def _sqlite_reason(exc: sqlite3.Error) -> str:
    text = str(exc)
    low = text.lower()
    if "unable to open" in low:
        return f"无法打开数据库文件（路径是文件夹、设备，或上级不是文件夹）：{text}"
    if "malformed" in low or "not a database" in low or "file is encrypted" in low:
        return f"数据库文件已损坏：{text}"
    if "disk is full" in low or "disk i/o" in low:
        return f"磁盘已满或无法写入：{text}"
    if "readonly" in low or "read-only" in low:
        return f"数据库只读：{text}"
    if "locked" in low or "busy" in low:
        return f"数据库被其他进程长时间占用：{text}"
    return text


def _check_version(version: Any) -> int:
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise InputError("version must be the int from get(), or 0 for a new conversation")
    return version


def _dump(state: dict[str, Any]) -> str:
    # Serialised on put so a store never holds a dict the caller can still mutate.
    text = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (typed as "\ud800" in JSON) cannot be stored as UTF-8; escaped
        # it can, and it loads back as the same string.
        text = json.dumps(state, separators=(",", ":"))
    return text


class MemorySessionStore:
    """Sessions in a dict in this process: for tests, one-process bots and ``coach serve``.

    Bounded: at most ``max_sessions`` conversations (the least recently used are forgotten
    first) and none idle longer than ``ttl`` seconds (``None``: no expiry). Thread-safe: one
    lock makes each ``put``'s compare-and-set atomic.
    """

    def __init__(self, max_sessions: int = DEFAULT_MAX_SESSIONS, ttl: int | None = DEFAULT_TTL,
                 *, clock: Any = time.monotonic) -> None:
        if isinstance(max_sessions, bool) or not isinstance(max_sessions, int) or max_sessions < 1:
            raise InputError(f"max_sessions must be a whole number, at least 1; not {max_sessions!r}")
        self.max_sessions = max_sessions
        self.ttl = _check_ttl(ttl)
        self._clock = clock
        self._lock = threading.Lock()
        # id → (version, state JSON, last touched); least recently used first.
        self._data: OrderedDict[str, tuple[int, str, float]] = OrderedDict()
        self._seq = 0

    def _live(self, key: str, now: float) -> tuple[int, str, float] | None:
        """The entry under the lock, or None when absent or expired (then it is dropped)."""
        hit = self._data.get(key)
        if hit is not None and self.ttl is not None and now - hit[2] > self.ttl:
            del self._data[key]
            return None
        return hit

    def get(self, conversation_id: str) -> Record | None:
        key = _check_id(conversation_id)
        with self._lock:
            now = self._clock()
            hit = self._live(key, now)
            if hit is None:
                return None
            self._data[key] = (hit[0], hit[1], now)
            self._data.move_to_end(key)
        return Record(json.loads(hit[1]), hit[0])

    def put(self, conversation_id: str, state: dict[str, Any], version: int) -> int:
        key = _check_id(conversation_id)
        expected = _check_version(version)
        text = _dump(state)
        with self._lock:
            now = self._clock()
            hit = self._live(key, now)
            if (hit[0] if hit else 0) != expected:
                raise StoreConflict(f"conversation {key!r} changed since version {expected}")
            self._seq += 1
            self._data[key] = (self._seq, text, now)
            self._data.move_to_end(key)
            self._evict(now)
            return self._seq

    def _evict(self, now: float) -> None:
        # Least recently used first, so expired entries are at the front too.
        data = self._data
        while data:
            oldest, (_, _, touched) = next(iter(data.items()))
            if len(data) > self.max_sessions or (self.ttl is not None and now - touched > self.ttl):
                del data[oldest]
            else:
                break

    def delete(self, conversation_id: str) -> None:
        key = _check_id(conversation_id)
        with self._lock:
            self._data.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            self._evict(self._clock())
            return len(self._data)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS coach_sessions (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS coach_version_seq (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO coach_version_seq (one, value) VALUES (1, 0);
"""


class SQLiteSessionStore:
    """Sessions in an SQLite file, shared by threads and by processes on one machine.

    Each thread gets its own connection (WAL journal, ``busy_timeout``). ``put`` runs in a
    ``BEGIN IMMEDIATE`` transaction: it takes a fresh version from a one-row sequence and
    saves with ``UPDATE … WHERE id = ? AND version = ?``; zero rows changed means another
    writer got there first, and the transaction is rolled back with StoreConflict.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        if not isinstance(path, (str, os.PathLike)) or not str(os.fspath(path)).strip():
            raise InputError("SQLiteSessionStore needs a file path (an empty path is refused, "
                             "use MemorySessionStore for sessions in memory)")
        self.path = Path(path)
        self._timeout = timeout
        self._local = threading.local()
        self._pid = os.getpid()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        with storage_errors(f"会话数据库 {self.path}"):
            if self.path.is_dir():
                raise StorageError(f"会话数据库 {self.path}: 这是一个文件夹，请给出一个文件路径")
            if self.path.exists() and not self.path.is_file():
                raise StorageError(f"会话数据库 {self.path}: 不是普通文件（设备或管道），请给出一个文件路径")
            for up in self.path.parents:
                if up.exists():
                    if not up.is_dir():
                        raise StorageError(f"会话数据库 {self.path}: 路径中的 {up} 是文件，不是文件夹")
                    break
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._conn()
            try:
                conn.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError:
                pass  # e.g. a file system without shared memory: the default journal still works
            conn.executescript(_SCHEMA)
            # A damaged file often opens; reading the table proves it is a database.
            conn.execute("SELECT count(*) FROM coach_sessions").fetchone()

    def _conn(self) -> sqlite3.Connection:
        if self._pid != os.getpid():
            # A forked child must not use its parent's connections.
            self._local = threading.local()
            self._pid = os.getpid()
            with self._all_lock:
                self._all = []
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # Autocommit mode: the transactions below are begun and ended explicitly.
            # check_same_thread=False only so close() can close every thread's connection.
            conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def get(self, conversation_id: str) -> Record | None:
        key = _check_id(conversation_id)
        with storage_errors(f"会话数据库 {self.path}"):
            row = self._conn().execute(
                "SELECT version, state FROM coach_sessions WHERE id = ?", (key,)).fetchone()
        if row is None:
            return None
        return _load(key, row[1], row[0])

    def put(self, conversation_id: str, state: dict[str, Any], version: int) -> int:
        key = _check_id(conversation_id)
        expected = _check_version(version)
        text = _dump(state)
        with storage_errors(f"会话数据库 {self.path}"):
            return self._put(key, text, expected)

    def _put(self, key: str, text: str, expected: int) -> int:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("UPDATE coach_version_seq SET value = value + 1 WHERE one = 1")
            new = int(conn.execute("SELECT value FROM coach_version_seq WHERE one = 1").fetchone()[0])
            if expected == 0:
                cur = conn.execute(
                    "INSERT INTO coach_sessions (id, version, state, updated_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (id) DO NOTHING", (key, new, text, time.time()))
            else:
                cur = conn.execute(
                    "UPDATE coach_sessions SET version = ?, state = ?, updated_at = ? "
                    "WHERE id = ? AND version = ?", (new, text, time.time(), key, expected))
            if cur.rowcount != 1:
                conn.execute("ROLLBACK")
                raise StoreConflict(f"conversation {key!r} changed since version {expected}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # the first failure is the one to report
            raise
        return new

    def delete(self, conversation_id: str) -> None:
        key = _check_id(conversation_id)
        with storage_errors(f"会话数据库 {self.path}"):
            self._conn().execute("DELETE FROM coach_sessions WHERE id = ?", (key,))

    def close(self) -> None:
        """Close every connection this store opened; call it once, at shutdown."""
        with self._all_lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()


# KEYS[1] the session hash, KEYS[2] the version sequence; ARGV: expected version (0: the
# hash must not exist), state JSON, time to live in seconds (0: none). Redis runs a script
# atomically, so the compare and the set cannot be split by another client.
_CAS_SCRIPT = """
local current = redis.call('HGET', KEYS[1], 'version')
if current == false then current = '0' end
if current ~= ARGV[1] then return 0 end
local v = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'version', v, 'state', ARGV[2])
local ttl = tonumber(ARGV[3])
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
return v
"""


class RedisSessionStore:
    """Sessions in Redis, shared by any number of stateless workers on many machines.

    Needs redis-py (``pip install "coach[redis]"``). ``put`` is one Lua script that
    compares the stored version and writes state and a fresh version in a single atomic
    step. Keys are ``{prefix}session:{id}`` (a hash of ``version`` and ``state``) and
    ``{prefix}version-seq``; on Redis Cluster use a hash-tagged prefix such as ``{coach}:``
    so both live in one slot. ``ttl`` (seconds) lets idle conversations expire.
    """

    def __init__(self, client: Any = None, *, url: str = "redis://127.0.0.1:6379/0",
                 prefix: str = "coach:", ttl: int | None = None) -> None:
        _check_ttl(ttl)
        if client is None:
            try:
                import redis
            except ImportError as exc:  # the optional extra is not installed
                raise ImportError('RedisSessionStore needs redis-py: pip install "coach[redis]"') from exc
            client = redis.Redis.from_url(url)
        self.client = client
        if not isinstance(prefix, str):
            raise InputError(f"prefix must be a str, not {type(prefix).__name__}")
        self.prefix = prefix
        self.ttl = _check_ttl(ttl) or 0  # 0 tells the script: no expiry
        self._cas = client.register_script(_CAS_SCRIPT)

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "coach:", ttl: int | None = None) -> RedisSessionStore:
        """A store on a new redis-py client for ``url`` such as ``redis://host:6379/0``."""
        return cls(url=url, prefix=prefix, ttl=ttl)

    def _key(self, conversation_id: str) -> str:
        return f"{self.prefix}session:{_check_id(conversation_id)}"

    def get(self, conversation_id: str) -> Record | None:
        key = self._key(conversation_id)
        with storage_errors(f"Redis 键 {key}"):
            version, state = self.client.hmget(key, ["version", "state"])
        if version is None or state is None:
            return None
        return _load(conversation_id, state, version)

    def put(self, conversation_id: str, state: dict[str, Any], version: int) -> int:
        key = self._key(conversation_id)
        expected = _check_version(version)
        text = _dump(state)
        with storage_errors(f"Redis 键 {key}"):
            new = int(self._cas(keys=[key, f"{self.prefix}version-seq"],
                                args=[str(expected), text, str(self.ttl)]))
        if new == 0:
            raise StoreConflict(f"conversation {conversation_id!r} changed since version {expected}")
        return new

    def delete(self, conversation_id: str) -> None:
        key = self._key(conversation_id)
        with storage_errors(f"Redis 键 {key}"):
            self.client.delete(key)


def handle(coach: Coach, store: SessionStore, conversation_id: str, *,
           customer: str | None = None, salesperson: str | None = None,
           customer_name: str = "") -> Suggestion | Feedback:
    """One turn of a stored conversation: load (or start) it, answer, save; retry on conflict.

    Give exactly one of ``customer`` (returns a Suggestion) or ``salesperson`` (returns
    Feedback). ``customer_name`` names the customer of a new conversation only. When
    another worker saves the same conversation between our read and our write, the turn is
    replayed on the newer state, so concurrent turns are all kept, never overwritten.
    Raises StateError when the stored state cannot be restored (e.g. saved under other
    packs; ``store.delete(id)`` starts over) and StoreConflict only after MAX_ATTEMPTS.
    """
    key = check_turn(conversation_id, customer, salesperson, customer_name)
    return _turn(coach, store, key, customer, salesperson, customer_name, None)


def check_turn(conversation_id: Any, customer: Any, salesperson: Any, customer_name: Any) -> str:
    """The checks of ``handle()``'s arguments (InputError); returns the conversation id."""
    if (customer is None) == (salesperson is None):
        raise InputError("give exactly one of customer= or salesperson=")
    text = customer if customer is not None else salesperson
    if not isinstance(text, str):
        raise InputError(f"the turn's text must be a str, not {type(text).__name__}")
    if not isinstance(customer_name, str):
        raise InputError(f"customer_name must be a str, not {type(customer_name).__name__}")
    return _check_id(conversation_id)


class TurnCancelled(CoachError):
    """The turn was cancelled before it was saved: nothing was stored (see ``aio.handle``)."""


def _turn(coach: Coach, store: SessionStore, key: str, customer: str | None, salesperson: str | None,
          customer_name: str, cancelled: threading.Event | None) -> Suggestion | Feedback:
    """handle()'s loop; ``cancelled`` set before a save means the turn is not saved at all."""
    text = customer if customer is not None else salesperson
    assert text is not None
    for attempt in range(MAX_ATTEMPTS):
        record = store.get(key)
        if record is None:
            session, version = coach.session(customer=customer_name), 0
        else:
            session, version = coach.restore(record.state), record.version
        result = session.hear(text) if customer is not None else session.say(text)
        if cancelled is not None and cancelled.is_set():
            raise TurnCancelled(f"conversation {key!r}: the turn was cancelled before it was saved")
        try:
            store.put(key, session.to_dict(), version)
            return result
        except StoreConflict:
            # Jittered, capped back-off so colliding writers stop colliding in lock-step.
            time.sleep(random.uniform(0, min(0.05, 0.0005 * 2 ** min(attempt, 10))))
    raise StoreConflict(f"conversation {key!r}: still conflicting after {MAX_ATTEMPTS} attempts")
