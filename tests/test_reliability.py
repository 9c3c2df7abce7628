"""Reliability: no typed line is lost, no traceback reaches a user, every failure is one
clear error. Each test is a reproduction that failed before the fix (issue: reliability,
round two), run against the real command, real SQLite files and a real redis-server."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from coach import Coach, CoachError, InputError, PackError, StateError
from coach.history import History
from coach.limits import MAX_NAME_CHARS, MAX_STATE_PREV
from coach.stores import MemorySessionStore, RedisSessionStore, SQLiteSessionStore, handle

LINES = ["您好，您的团队现在是怎么分工的？", "您目前是怎么解决的？", "这对您的工作有什么影响？",
         "您希望先解决哪一块？", "还有其他方面吗？", "您觉得怎样才算解决好了？",
         "您说的效率，具体是指什么？", "如果解决了，对团队意味着什么？"]


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    e = {**os.environ, "COACH_HOME": str(tmp_path / "home"), "COACH_CACHE_DIR": str(tmp_path / "cache"),
         "PYTHONPATH": str(ROOT)}
    e.pop("PYTHONIOENCODING", None)
    e.update(extra)
    return e


def coach_cmd(*args: str | bytes) -> list[str | bytes]:
    return [sys.executable, "-m", "coach", *args]


def run(tmp_path: Path, *args: str | bytes, input: bytes = b"", timeout: float = 120,
        preexec: Any = None, **extra: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(coach_cmd(*args), input=input, capture_output=True, cwd=tmp_path,
                          env=env(tmp_path, **extra), timeout=timeout, preexec_fn=preexec)


def out(r: subprocess.CompletedProcess[bytes]) -> str:
    return r.stdout.decode("utf-8")


def err(r: subprocess.CompletedProcess[bytes]) -> str:
    return r.stderr.decode("utf-8")


def feedbacks(text: str) -> int:
    """How many lines got feedback (the scorecard may say 点评 too)."""
    return text.count("✔ 点评") + text.count("✘ 点评")


def one_clear_line(r: subprocess.CompletedProcess[bytes]) -> str:
    """The command failed with one line on stderr, no traceback."""
    text = err(r)
    assert r.returncode != 0, out(r)
    assert "Traceback" not in text, text
    lines = [x for x in text.splitlines() if x.strip()]
    assert len(lines) == 1, text
    return lines[0]


# -- the input boundary -------------------------------------------------------------------

BAD_INPUT = "您好，您的团队现在是怎么分工的？\n".encode() + b"\xff\xfe\xe5\x9d\x8f\n" + "您目前是怎么解决的？\n".encode()


@pytest.mark.parametrize("encoding", [None, "utf-8", "utf-8:strict"])
def test_undecodable_byte_in_piped_practice_loses_no_line(tmp_path, encoding):
    """printf '您好…？\\n\\xff坏字节\\n…' | coach practice: every line answered and saved, one warning."""
    extra = {"PYTHONIOENCODING": encoding} if encoding else {}
    r = run(tmp_path, "practice", "--db", "h.db", input=BAD_INPUT, **extra)
    assert r.returncode == 0, err(r)
    assert feedbacks(out(r)) == 3
    assert err(r).count("不是 UTF-8") == 1 and "Traceback" not in err(r)
    hist = History(tmp_path / "h.db")
    assert [t["text"] for t in hist.turns(1)] == ["您好，您的团队现在是怎么分工的？", "\ufffd\ufffd坏",
                                                  "您目前是怎么解决的？"]


def test_assist_record_with_undecodable_bytes_loads_back(tmp_path):
    """coach assist --record with \\xff in the input and the name writes a file that resumes."""
    r = run(tmp_path, "assist", "--record", "r.yaml", "--customer", b"\xff\xe6\x9d\x8e\xe6\x80\xbb",
            input="太贵了\n".encode() + b"\xff\xe5\x9d\x8f\n")
    assert r.returncode == 0, err(r)
    assert err(r).count("不是 UTF-8") == 1
    text = (tmp_path / "r.yaml").read_text(encoding="utf-8")
    assert "\\u" not in text and "\\U" not in text
    again = run(tmp_path, "assist", "--resume", "r.yaml", input="好的\n".encode())
    assert again.returncode == 0, err(again)
    assert "已恢复 2 句" in out(again) and "李总" in out(again)


def test_assist_customer_with_undecodable_byte_answers_traditional(tmp_path):
    """coach assist --customer $'\\xff李总' with traditional input: answered, no crash."""
    r = run(tmp_path, "assist", "--customer", b"\xff\xe6\x9d\x8e\xe6\x80\xbb", input="我們的客戶不需要\n".encode())
    assert r.returncode == 0, err(r)
    assert "建議" in out(r) or "建议" in out(r)


def test_surrogate_in_customer_name_keeps_traditional_replies_working(coach):
    """A lone surrogate in the name: every traditional reply still renders (library)."""
    s = coach.session(customer="\udcff李总")
    for line in ["我們的客戶不需要", "太貴了", "是的"]:
        assert s.hear(line).text
    assert "\udcff" not in json.dumps(s.to_dict(), ensure_ascii=False)
    restored = coach.restore(json.loads(json.dumps(s.to_dict())))
    assert restored.hear("我們不需要").text


def test_surrogate_in_customer_name_in_serve(tmp_path):
    line = b'{"id":"a","customer":"\\u6211\\u5011\\u4e0d\\u9700\\u8981","customer_name":"\\udcff\\u674e"}\n'
    r = run(tmp_path, "serve", "--stdio", input=line)
    resp = json.loads(out(r))
    assert "error" not in resp and resp["text"]


def test_closed_stdout_is_one_clear_line(tmp_path):
    """coach serve >&- : no AttributeError."""
    code = "import sys; sys.stdout = None; from coach.cli import main; raise SystemExit(main(['serve', '--stdio']))"
    r = subprocess.run([sys.executable, "-c", code], input=b"", capture_output=True, cwd=tmp_path,
                       env=env(tmp_path), timeout=60)
    assert r.returncode == 2 and "标准输出已关闭" in err(r) and "Traceback" not in err(r)
    shell = subprocess.run(f"{sys.executable} -m coach serve --stdio >&-", shell=True, input=b"",
                           capture_output=True, cwd=tmp_path, env=env(tmp_path), timeout=60)
    assert "Traceback" not in err(shell) and "AttributeError" not in err(shell)


# -- the storage boundary: serve ---------------------------------------------------------


def _bad_db_paths(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x")
    (tmp_path / "corrupt.db").write_bytes(b"this is not a database" * 100)
    return {"folder": "folder", "device": "/dev/null", "under a file": "file/sessions.db",
            "corrupt": "corrupt.db"}


@pytest.mark.parametrize("kind", ["folder", "device", "under a file", "corrupt"])
def test_serve_db_that_cannot_be_used_is_one_clear_line(tmp_path, kind):
    path = _bad_db_paths(tmp_path)[kind]
    r = run(tmp_path, "serve", "--stdio", "--db", path, input=b'{"id":"a","customer":"hi"}\n')
    line = one_clear_line(r)
    assert line.startswith("coach: 会话数据库") and r.returncode == 1


def test_serve_empty_db_is_refused(tmp_path):
    r = run(tmp_path, "serve", "--stdio", "--db", "", input=b'{"id":"a","customer":"hi"}\n')
    assert r.returncode == 2 and "数据库路径不能为空" in err(r) and out(r) == ""


def test_serve_surrogate_id_with_db_is_bad_request(tmp_path):
    r = run(tmp_path, "serve", "--stdio", "--db", "s.db", input=b'{"id":"\\udcff","customer":"hi"}\n')
    assert json.loads(out(r))["error"]["code"] == "bad_request"


@pytest.mark.parametrize("damage", ["not json", '{"version": "abc"}', "[1, 2]", "version"])
def test_damaged_stored_state_is_bad_state(tmp_path, damage):
    """A stored state that is not JSON, not a state, or has version 'abc' → bad_state."""
    store = SQLiteSessionStore(tmp_path / "s.db")
    handle(Coach.load(), store, "a", customer="太贵了")
    store.close()
    conn = sqlite3.connect(tmp_path / "s.db")
    if damage == "version":
        conn.execute("UPDATE coach_sessions SET version = 'abc'")
    else:
        conn.execute("UPDATE coach_sessions SET state = ?", (damage,))
    conn.commit()
    conn.close()
    r = run(tmp_path, "serve", "--stdio", "--db", "s.db", input=b'{"id":"a","customer":"hi"}\n')
    assert json.loads(out(r))["error"]["code"] == "bad_state"


def test_redis_key_of_the_wrong_type_is_bad_state(redis_url, coach):
    import redis

    client = redis.Redis.from_url(redis_url)
    store = RedisSessionStore(client, prefix="wrongtype:")
    client.delete("wrongtype:session:a")
    client.lpush("wrongtype:session:a", "x")
    with pytest.raises(StateError):
        handle(coach, store, "a", customer="太贵了")
    from coach.serve import answer

    assert answer(coach, store, {"id": "a", "customer": "hi"})["error"]["code"] == "bad_state"
    client.close()


@pytest.mark.parametrize("ttl", [0.5, -5, 0, "60", True])
def test_redis_ttl_must_be_whole_seconds(ttl):
    with pytest.raises(InputError):
        RedisSessionStore(client=_NoRedis(), ttl=ttl)


class _NoRedis:
    def register_script(self, _: str) -> None:
        return None


# -- the bounded memory store ------------------------------------------------------------


def test_memory_store_forgets_the_least_recently_used(coach):
    store = MemorySessionStore(max_sessions=100)
    handle(coach, store, "keep", customer="太贵了")
    for i in range(1000):
        store.put(f"id-{i}", {"n": i}, 0)
        if i % 10 == 0:
            assert store.get("keep") is not None  # used: stays
    assert len(store) == 100 and store.get("keep") is not None and store.get("id-0") is None


def test_memory_store_forgets_idle_conversations():
    now = [0.0]
    store = MemorySessionStore(max_sessions=10, ttl=60, clock=lambda: now[0])
    store.put("a", {"x": 1}, 0)
    now[0] = 59
    assert store.get("a") is not None
    now[0] = 59 + 61
    assert store.get("a") is None and len(store) == 0


@pytest.mark.parametrize("kwargs", [{"max_sessions": 0}, {"ttl": 0.5}, {"ttl": -5}, {"max_sessions": True}])
def test_memory_store_limits_are_checked(kwargs):
    with pytest.raises(InputError):
        MemorySessionStore(**kwargs)


def test_serve_memory_limits_are_options(tmp_path):
    reqs = b"".join(json.dumps({"id": f"c{i}", "customer": "太贵了"}).encode() + b"\n" for i in range(5))
    reqs += b'{"id":"c0","state":true}\n{"id":"c4","state":true}\n'
    r = run(tmp_path, "serve", "--stdio", "--max-sessions", "2", "--ttl", "600", input=reqs)
    lines = [json.loads(x) for x in out(r).splitlines()]
    assert lines[-2]["state"] is None and lines[-1]["state"] is not None
    bad = run(tmp_path, "serve", "--stdio", "--db", "x.db", "--ttl", "5", input=b"")
    assert bad.returncode == 1 and "--ttl" in err(bad)


def test_serve_caps_the_customer_name(tmp_path):
    name = "李" * 300_000
    reqs = json.dumps({"id": "a", "customer": "太贵了", "customer_name": name}, ensure_ascii=False).encode() + b"\n"
    reqs += b'{"id":"a","state":true}\n'
    r = run(tmp_path, "serve", "--stdio", input=reqs)
    state = json.loads(out(r).splitlines()[-1])["state"]
    assert state["customer"] == "李" * MAX_NAME_CHARS


# -- sessions and states -----------------------------------------------------------------


def test_session_customer_of_the_wrong_type_fails_at_once(coach):
    with pytest.raises(InputError):
        coach.session(customer=5)


def test_session_customer_none_is_no_name_and_restores(coach):
    s = coach.session(customer=None)
    s.hear("太贵了")
    assert coach.restore(s.to_dict()).customer == ""


@pytest.mark.parametrize("packs", [[None], b"default", [b"default"], 5])
def test_load_with_a_non_name_is_a_clear_pack_error(packs):
    with pytest.raises(PackError, match="名称或路径"):
        Coach.load(packs)


def _state(coach: Coach) -> dict[str, Any]:
    s = coach.session(customer="李总")
    s.hear("太贵了")
    return s.to_dict()


def test_restore_refuses_non_text_advice_keys(coach):
    state = _state(coach)
    state["advice"] = {1: "x", "step": "communicate", "text": "t", "why": "w", "rule": "r"}
    with pytest.raises(StateError):
        coach.restore(state)


def test_restore_refuses_unknown_rule_ids(coach):
    state = _state(coach)
    state["fired"]["no.such.rule"] = 1
    with pytest.raises(StateError, match="unknown rule"):
        coach.restore(state)


@pytest.mark.parametrize("key", ["prev", "reached"])
def test_restore_refuses_unbounded_lists(coach, key):
    state = _state(coach)
    state[key] = ["communicate"] * 2_000_000
    start = time.perf_counter()
    with pytest.raises(StateError):
        coach.restore(state)
    assert time.perf_counter() - start < 5  # refused by length, not by walking it all per turn
    state[key] = ["x"] * (MAX_STATE_PREV + 1)
    with pytest.raises(StateError):
        coach.restore(state)


# -- asyncio -------------------------------------------------------------------------------


class _SlowStore(MemorySessionStore):
    """A memory store whose get() waits until released: a turn caught mid-way."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = threading.Event()
        self.release = threading.Event()

    def get(self, conversation_id: str):  # type: ignore[override]
        self.reading.set()
        self.release.wait(30)
        return super().get(conversation_id)


def test_cancelled_aio_handle_does_not_save_its_turn(coach):
    from coach import aio

    store = _SlowStore()

    async def main() -> None:
        task = asyncio.ensure_future(aio.handle(coach, store, "a", customer="太贵了"))
        while not store.reading.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.sleep(0.05)
        store.release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.to_thread(time.sleep, 0.2)  # the worker thread has finished by now

    asyncio.run(main())
    assert store.get("a") is None


# -- the storage boundary: practice --------------------------------------------------------


def _practice(tmp_path: Path, lines: list[str], *args: str, **kw: Any) -> subprocess.CompletedProcess[bytes]:
    return run(tmp_path, "practice", "--db", "h.db", *args, input=("\n".join(lines) + "\n").encode(), **kw)


def _fsize_limit(limit: int) -> Any:
    def setup() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return setup


@pytest.mark.parametrize("room", [40_000, 0])
def test_disk_full_during_practice_goes_on_in_memory(tmp_path, room):
    """The disk fills up mid-practice (or has no room at all): every line is still answered,
    one clear warning, the scorecard printed; what was saved before stays saved."""
    first = _practice(tmp_path, LINES[:1])
    assert first.returncode == 0, err(first)
    size = (tmp_path / "h.db").stat().st_size
    (tmp_path / "cache").mkdir(exist_ok=True)
    r = _practice(tmp_path, LINES, preexec=_fsize_limit(max(size, 32_768 + room)))
    assert r.returncode == 0, err(r)
    assert feedbacks(out(r)) == len(LINES) and "得分" in out(r)
    assert "Traceback" not in err(r)
    assert err(r).count("无法写入练习记录") + err(r).count("无法打开练习记录") == 1, err(r)
    hist = History(tmp_path / "h.db")
    assert [t["text"] for t in hist.turns(1)] == LINES[:1]


def test_lines_are_appended_never_written_over(tmp_path):
    """Two writers on one practice: both lines kept (no INSERT OR REPLACE on (session, n))."""
    a = History(tmp_path / "h.db")
    sid = a.start("training-course", "medium", 0)
    b = History(tmp_path / "h.db")
    assert a.add_turn(sid, 1, "第一句", "回答一", {"feedback": {}}, 0) == 1
    assert b.add_turn(sid, 1, "另一个窗口的第一句", "回答二", {"feedback": {}}, 0) == 2
    assert [t["text"] for t in a.turns(sid)] == ["第一句", "另一个窗口的第一句"]


def test_two_resumes_at_once_fail_clearly_and_lose_no_line(tmp_path):
    """coach practice --resume 1 twice at once: the second is refused in one line; every line
    the first trainee was shown is saved."""
    start = run(tmp_path, "practice", "--db", "h.db", input=(LINES[0] + "\n").encode())
    assert start.returncode == 0, err(start)
    _interrupted(tmp_path / "h.db")
    first = subprocess.Popen(coach_cmd("practice", "--db", "h.db", "--resume", "1"), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=env(tmp_path))
    assert first.stdin is not None and first.stdout is not None
    first.stdin.write((LINES[1] + "\n").encode())
    first.stdin.flush()
    shown = b""
    while "你：".encode() + LINES[1].encode() not in shown:  # the first trainee is at work
        chunk = first.stdout.readline()
        assert chunk, first.stderr.read() if first.stderr else ""
        shown += chunk
    second = run(tmp_path, "practice", "--db", "h.db", "--resume", "1", input=(LINES[2] + "\n").encode())
    line = one_clear_line(second)
    assert "正在另一个窗口" in line
    _rest, errors = first.communicate((LINES[3] + "\n").encode(), timeout=120)
    assert first.returncode == 0, errors.decode()
    texts = [t["text"] for t in History(tmp_path / "h.db").turns(1)]
    assert texts == [LINES[0], LINES[1], LINES[3]]


def _history_with_lines(tmp_path: Path) -> Path:
    r = _practice(tmp_path, LINES[:3])
    assert r.returncode == 0, err(r)
    return tmp_path / "h.db"


def _interrupted(db: Path) -> None:
    """Mark practice 1 as interrupted (as Ctrl-C in a terminal leaves it): it may be continued."""
    conn = sqlite3.connect(db)
    conn.execute("UPDATE sessions SET status = 'interrupted', scorecard = NULL WHERE id = 1")
    conn.commit()
    conn.close()


def _corrupt_turns_table(db: Path) -> None:
    _interrupted(db)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    root, = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'turns'").fetchone()
    page, = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    with open(db, "r+b") as fh:
        fh.seek((root - 1) * page)
        fh.write(b"\x0d\xff\xff\xff\xff" + b"\xab" * (page - 5))


def test_page_level_corrupt_turns_table(tmp_path):
    """The open check passes, the turns table is damaged: report and --resume fail in one
    line; a new practice goes on in memory with one warning."""
    db = _history_with_lines(tmp_path)
    _corrupt_turns_table(db)
    assert "已损坏" in one_clear_line(run(tmp_path, "report", "1", "--db", "h.db"))
    assert "已损坏" in one_clear_line(run(tmp_path, "practice", "--db", "h.db", "--resume", "1",
                                           input=b"x\n"))
    r = _practice(tmp_path, LINES[:3])
    assert r.returncode == 0 and feedbacks(out(r)) == 3 and "Traceback" not in err(r), err(r)


def test_bad_scorecard_row_is_skipped_and_rescored(tmp_path):
    db = _history_with_lines(tmp_path)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE sessions SET scorecard = '{not json'")
    conn.commit()
    conn.close()
    listing = run(tmp_path, "history", "--db", "h.db")
    assert listing.returncode == 0 and "training-course" in out(listing) and "Traceback" not in err(listing)
    report = run(tmp_path, "report", "1", "--db", "h.db")
    assert report.returncode == 0 and "得分" in out(report), err(report)


def test_bad_turn_row_is_one_clear_line(tmp_path):
    db = _history_with_lines(tmp_path)
    _interrupted(db)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE turns SET data = 'oops' WHERE n = 2")
    conn.commit()
    conn.close()
    assert "第 2 句" in one_clear_line(run(tmp_path, "report", "1", "--db", "h.db"))
    assert "第 2 句" in one_clear_line(run(tmp_path, "practice", "--db", "h.db", "--resume", "1", input=b"x\n"))


def test_resume_of_an_unknown_record_is_one_clear_line(tmp_path):
    _history_with_lines(tmp_path)
    assert "99" in one_clear_line(run(tmp_path, "practice", "--db", "h.db", "--resume", "99", input=b"x\n"))


@pytest.mark.parametrize("args", [["practice", "--seed", "9" * 20], ["practice", "--resume", "9" * 20],
                                  ["report", "9" * 20], ["practice", "--seed", "-1"]])
def test_huge_numbers_in_arguments_are_refused(tmp_path, args):
    r = run(tmp_path, *args, "--db", "h.db", input=b"")
    assert r.returncode == 2 and "整数" in err(r) and "Traceback" not in err(r)


@pytest.mark.parametrize("target", ["folder", "/dev/full", "ro/report.html"])
def test_report_html_that_cannot_be_written_is_one_clear_line(tmp_path, target):
    _history_with_lines(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "ro").mkdir()
    os.chmod(tmp_path / "ro", 0o500)
    try:
        if target.startswith("ro/") and os.access(tmp_path / "ro", os.W_OK):
            pytest.skip("running as a user that may write anywhere")
        assert "无法写入" in one_clear_line(run(tmp_path, "report", "1", "--db", "h.db", "--html", target))
    finally:
        os.chmod(tmp_path / "ro", 0o700)


# -- a real redis-server, as in test_embedding ----------------------------------------------

from test_embedding import redis_url  # noqa: E402,F401  (the module-scoped fixture)


def test_coach_error_family_covers_storage_errors():
    from coach.errors import StorageError

    assert issubclass(StorageError, CoachError)
