"""``coach serve --stdio``: the coach as a JSON-lines service for bots in any language."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from typing import Any, BinaryIO, cast

from .engine import Coach
from .errors import CoachError, InputError, StateError, StorageError
from .session import Feedback, Suggestion
from .stores import (
    DEFAULT_MAX_SESSIONS,
    DEFAULT_TTL,
    MAX_ID_CHARS,
    MemorySessionStore,
    SessionStore,
    SQLiteSessionStore,
    StoreConflict,
    handle,
)

# Far above what a turn needs (text past MAX_TURN_CHARS is trimmed anyway) and far below
# what could hurt the process; a longer line is skipped without being held in memory.
MAX_LINE_BYTES = 1 << 20
_ACTIONS = ("customer", "salesperson", "reset", "state", "explain")
_KEYS = frozenset(("id", "customer_name", *_ACTIONS))


class RequestError(Exception):
    """A request the protocol refuses; becomes an error response, never leaves serve()."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def suggestion_json(s: Suggestion) -> dict[str, Any]:
    return {"step": s.step.value, "text": s.text, "why": s.why, "signals": list(s.signals),
            "rule": s.rule, "slots": dict(s.slots), "trimmed": s.trimmed}


def feedback_json(f: Feedback) -> dict[str, Any]:
    out = asdict(f)
    out["step"] = f.step.value
    out["ok"] = f.ok
    return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


def _conversation_id(raw: Any) -> str:
    # Numbers are accepted because many chat platforms use numeric chat ids; 42 and "42"
    # name the same conversation.
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise RequestError("bad_request", '"id" must be a string or an integer naming the conversation')
    key = str(raw)
    if not key or len(key) > MAX_ID_CHARS:
        raise RequestError("bad_request", f'"id" must have 1 to {MAX_ID_CHARS} characters')
    return key


def answer(coach: Coach, store: SessionStore, request: Any) -> dict[str, Any]:
    """The response object for one decoded request (errors included, never raised)."""
    rid = request.get("id") if isinstance(request, dict) else None
    if isinstance(rid, bool) or not isinstance(rid, (str, int)):
        rid = None
    try:
        return {"id": rid, **_answer(coach, store, request)}
    except RequestError as exc:
        return _error(rid, exc.code, exc.message)
    except StateError as exc:
        return _error(rid, "bad_state", f"{exc} (send {{\"id\": …, \"reset\": true}} to start over)")
    except StoreConflict as exc:
        return _error(rid, "conflict", str(exc))
    except InputError as exc:
        return _error(rid, "bad_request", str(exc))
    except StorageError as exc:
        return _error(rid, "storage", str(exc))
    except CoachError as exc:
        return _error(rid, "coach_error", str(exc))
    except Exception as exc:  # one bad request must not end the service for every chat
        return _error(rid, "internal", f"{type(exc).__name__}: {exc}")


def _answer(coach: Coach, store: SessionStore, req: Any) -> dict[str, Any]:
    if not isinstance(req, dict):
        raise RequestError("bad_request", f"a request must be a JSON object, not {_json_type(req)}")
    unknown = sorted(set(req) - _KEYS)
    if unknown:
        raise RequestError("bad_request", f"unknown key(s): {', '.join(unknown)}; "
                                          f"known: {', '.join(sorted(_KEYS))}")
    if "id" not in req:
        raise RequestError("bad_request", 'a request needs an "id" naming the conversation')
    key = _conversation_id(req["id"])
    actions = [a for a in _ACTIONS if a in req]
    if len(actions) != 1:
        raise RequestError("bad_request", f"give exactly one of {', '.join(_ACTIONS)}"
                                          + (f" (got {', '.join(actions)})" if actions else ""))
    action = actions[0]
    value = req[action]
    name = req.get("customer_name", "")
    if not isinstance(name, str):
        raise RequestError("bad_request", '"customer_name" must be a string')
    if action in ("reset", "state"):
        if value is not True:
            raise RequestError("bad_request", f'"{action}" must be true')
        if action == "reset":
            store.delete(key)
            return {"reset": True}
        record = store.get(key)
        return {"state": record.state if record else None, "version": record.version if record else 0}
    if not isinstance(value, str):
        raise RequestError("bad_request", f'"{action}" must be a string, not {_json_type(value)}')
    if action == "explain":
        record = store.get(key)
        session = coach.restore(record.state) if record else coach.session(customer=name)
        ex = coach.explain(value, session=session)
        return {"explain": str(ex), "rule": ex.winner, "step": ex.suggestion.step.value,
                "tokens": list(ex.tokens), "signals": ex.signals, "text": ex.suggestion.text}
    if action == "customer":
        return suggestion_json(cast(Suggestion, handle(coach, store, key, customer=value, customer_name=name)))
    return feedback_json(cast(Feedback, handle(coach, store, key, salesperson=value, customer_name=name)))


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _error(rid: Any, code: str, message: str) -> dict[str, Any]:
    return {"id": rid, "error": {"code": code, "message": message}}


def _read_line(inp: BinaryIO) -> tuple[bytes, bool] | None:
    """The next line without its newline and whether it was too long; None at the end."""
    line = inp.readline(MAX_LINE_BYTES + 1)
    if not line:
        return None
    if len(line) <= MAX_LINE_BYTES or line.endswith(b"\n"):
        return line, False
    while line and not line.endswith(b"\n"):  # drop the rest, a chunk at a time
        line = inp.readline(MAX_LINE_BYTES)
    return b"", True


def serve(coach: Coach, store: SessionStore, inp: BinaryIO, out: BinaryIO) -> int:
    """Answer JSON-lines requests from ``inp`` on ``out`` until end of input; returns 0."""
    while True:
        got = _read_line(inp)
        if got is None:
            return 0
        raw, too_long = got
        if too_long:
            resp = _error(None, "too_long", f"the line is longer than {MAX_LINE_BYTES} bytes")
        elif not raw.strip():
            continue  # blank lines (keep-alives, a trailing newline) get no response
        else:
            try:
                request = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                resp = _error(None, "bad_json", "the line is not UTF-8")
            except (ValueError, RecursionError) as exc:
                resp = _error(None, "bad_json", f"the line is not JSON: {exc}")
            else:
                resp = answer(coach, store, request)
        # "replace": a lone surrogate that came in as \ud800 cannot go out as UTF-8.
        out.write(json.dumps(resp, ensure_ascii=False).encode("utf-8", "replace") + b"\n")
        out.flush()


def run_serve(packs: list[str] | None = None, db: str | None = None, *,
              max_sessions: int | None = None, ttl: int | None = None) -> int:
    """The ``coach serve --stdio`` command: stdin and stdout as bytes, UTF-8 JSON lines.

    Without ``db``, sessions live in a bounded MemorySessionStore: ``max_sessions``
    (default 10,000) least recently used first out, ``ttl`` seconds idle (default 24 h).
    With ``db`` (never empty), ``ttl`` is refused: the SQLite store keeps sessions until
    they are reset.
    """
    if sys.stdin is None or sys.stdout is None:
        raise InputError("coach serve --stdio 需要标准输入和标准输出，但其中一个已关闭")
    store: SessionStore
    if db is not None:
        if max_sessions is not None or ttl is not None:
            raise InputError("--max-sessions 和 --ttl 只用于内存中的会话，不能和 --db 一起用")
        store = SQLiteSessionStore(db)  # checked before the packs load: a bad path fails fast
    else:
        store = MemorySessionStore(max_sessions or DEFAULT_MAX_SESSIONS, ttl or DEFAULT_TTL)
    coach = Coach.load(packs)
    coach.warm_up(background=True)  # the tokenizer starts while the client sends its first line
    try:
        return serve(coach, store, sys.stdin.buffer, sys.stdout.buffer)
    except BrokenPipeError:
        # The client went away: nothing is left to answer and no one to tell. Point stdout
        # at /dev/null so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
