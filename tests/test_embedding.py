"""Embedding: session stores, handle(), coach serve --stdio, asyncio use and the examples."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

import coach as coach_package
from coach import Coach, Feedback, InputError, StateError, Suggestion, aio
from coach.stores import (
    MemorySessionStore,
    Record,
    RedisSessionStore,
    SessionStore,
    SQLiteSessionStore,
    StoreConflict,
    handle,
)

EXAMPLES = ROOT / "examples"
LINES = ("太贵了", "是的", "我们的客户不需要", "主要是区域销售市场的信息不太通畅，效率也偏低。")


def child_env() -> dict[str, str]:
    """The environment for child processes: they import the same coach as this test run."""
    env = dict(os.environ)
    here = str(Path(coach_package.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH", "")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def coach_command() -> list[str]:
    """The ``coach`` console script of this interpreter when installed, else python -m coach."""
    script = shutil.which("coach", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "coach"]


def serve(lines: bytes, *args: str, cwd: Path) -> tuple[list[dict[str, Any]], subprocess.CompletedProcess]:
    """Pipe raw bytes into a real ``coach serve --stdio``; its responses, one per line."""
    r = subprocess.run([*coach_command(), "serve", "--stdio", *args], input=lines, capture_output=True,
                       cwd=cwd, env=child_env(), timeout=120)
    return [json.loads(line) for line in r.stdout.decode("utf-8").splitlines()], r


def request(**fields: Any) -> bytes:
    return json.dumps(fields, ensure_ascii=False).encode("utf-8") + b"\n"


# -- a real redis-server -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server on a free loopback port, stopped after the module's tests.

    Skipped when redis-server or redis-py is missing, except under CI (the CI variable
    set), where that is a failure: the Redis guarantee must never go untested there.
    """
    server = shutil.which("redis-server")
    try:
        import redis
    except ImportError:
        redis = None
    missing = ("redis-server is not installed (apt-get install redis-server)" if server is None
               else 'redis-py is not installed (pip install "coach[redis]")' if redis is None else "")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}; CI must run the Redis tests", pytrace=False)
        pytest.skip(missing)
    assert server is not None and redis is not None
    workdir = tmp_path_factory.mktemp("redis")
    for _ in range(5):  # another process may take the free port before redis binds it
        port = _free_port()
        proc = subprocess.Popen(
            [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir),
             "--save", "", "--appendonly", "no", "--daemonize", "no",
             "--logfile", str(workdir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 20
        ready = False
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                ready = bool(client.ping())
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        client.close()
        if ready:
            break
        proc.kill()
        proc.wait()
    else:
        log = (workdir / "redis.log").read_text(errors="replace") if (workdir / "redis.log").exists() else ""
        pytest.fail(f"redis-server did not start:\n{log}", pytrace=False)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- every store keeps the same contract ---------------------------------------------------


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionStore]:
    if request.param == "memory":
        yield MemorySessionStore()
    elif request.param == "sqlite":
        s = SQLiteSessionStore(tmp_path / "sessions.sqlite3")
        yield s
        s.close()
    else:
        url = request.getfixturevalue("redis_url")
        r = RedisSessionStore.from_url(url, prefix=f"test-{uuid.uuid4().hex}:")
        yield r
        r.client.close()


def test_store_get_of_unknown_id_is_none(store):
    """A conversation never stored reads as None."""
    assert store.get("无此会话") is None


def test_store_put_then_get_round_trips_state_and_version(store, coach):
    """What put saves, get returns, with the version put returned."""
    session = coach.session(customer="李总")
    session.hear("太贵了")
    version = store.put("chat-1", session.to_dict(), 0)
    record = store.get("chat-1")
    assert record == Record(session.to_dict(), version) and version > 0
    assert coach.restore(record.state).hear("是的") == session.hear("是的")


def test_store_refuses_a_stale_version(store):
    """A put with a version someone else has moved past raises StoreConflict."""
    v1 = store.put("chat-1", {"turn": 1}, 0)
    with pytest.raises(StoreConflict):
        store.put("chat-1", {"turn": 1}, 0)  # a second 'new' conversation under the same id
    v2 = store.put("chat-1", {"turn": 2}, v1)
    with pytest.raises(StoreConflict):
        store.put("chat-1", {"turn": 2}, v1)
    assert store.get("chat-1") == Record({"turn": 2}, v2)


def test_store_never_reuses_a_version_after_delete(store):
    """A writer holding a version from before a delete cannot overwrite the new conversation."""
    old = store.put("chat-1", {"turn": 5}, 0)
    store.delete("chat-1")
    assert store.get("chat-1") is None
    new = store.put("chat-1", {"turn": 1}, 0)
    assert new != old
    with pytest.raises(StoreConflict):
        store.put("chat-1", {"turn": 6}, old)
    assert store.get("chat-1").state == {"turn": 1}
    store.delete("chat-1")
    store.delete("chat-1")  # deleting what is gone is fine


def test_store_keeps_a_copy_not_the_callers_dict(store):
    """Changing the dict after put does not change what is stored."""
    state = {"turn": 1, "slots": {"pain": ["效率低"]}}
    store.put("chat-1", state, 0)
    state["slots"]["pain"].append("成本高")
    assert store.get("chat-1").state == {"turn": 1, "slots": {"pain": ["效率低"]}}


def test_store_takes_text_a_utf8_file_cannot_hold(store):
    """A lone surrogate in the state is stored and read back unchanged."""
    store.put("chat-1", {"last": "\ud800太贵了"}, 0)
    assert store.get("chat-1").state == {"last": "\ud800太贵了"}


@pytest.mark.parametrize("bad", ["", "x" * 257, 42, None])
def test_store_refuses_bad_conversation_ids(store, bad):
    """An empty, overlong or non-str id raises InputError."""
    with pytest.raises(InputError):
        store.get(bad)


def test_stores_satisfy_the_protocol(tmp_path):
    """Memory and SQLite stores are SessionStores."""
    assert isinstance(MemorySessionStore(), SessionStore)
    assert isinstance(SQLiteSessionStore(tmp_path / "s.sqlite3"), SessionStore)


# -- handle(): load, answer, save ---------------------------------------------------------


def test_handle_starts_then_continues_a_conversation(coach):
    """The first call starts a session with the customer's name; the next continues it."""
    store = MemorySessionStore()
    first = handle(coach, store, "chat-1", customer="太贵了", customer_name="李总")
    assert isinstance(first, Suggestion) and "no_money" in first.signals
    handle(coach, store, "chat-1", customer="是的")
    state = store.get("chat-1").state
    assert state["turn"] == 2 and state["customer"] == "李总"
    session = coach.session(customer="李总")
    session.hear("太贵了")
    session.hear("是的")
    assert state == session.to_dict()


def test_handle_gives_feedback_on_the_salespersons_line(coach):
    """salesperson= returns Feedback and saves the step it moved to."""
    store = MemorySessionStore()
    f = handle(coach, store, "chat-1", salesperson="您目前是怎么解决这个问题的？")
    assert isinstance(f, Feedback) and f.question_type == "open"
    assert store.get("chat-1").state["step"] == f.step.value


@pytest.mark.parametrize("kwargs", [{}, {"customer": "好", "salesperson": "好"}, {"customer": 5}])
def test_handle_needs_exactly_one_text(coach, kwargs):
    """Neither, both, or a non-str text raises InputError."""
    with pytest.raises(InputError):
        handle(coach, MemorySessionStore(), "chat-1", **kwargs)


def test_handle_raises_state_error_on_a_foreign_state(coach):
    """A stored state from other packs raises StateError; deleting it starts over."""
    store = MemorySessionStore()
    state = coach.session().to_dict()
    store.put("chat-1", {**state, "packs": "0000000000000000"}, 0)
    with pytest.raises(StateError):
        handle(coach, store, "chat-1", customer="太贵了")
    store.delete("chat-1")
    assert handle(coach, store, "chat-1", customer="太贵了").rule


class Interleaving:
    """A store where another worker's turn slips in between our read and our write, once."""

    def __init__(self, inner: SessionStore, coach: Coach) -> None:
        self.inner, self.coach = inner, coach
        self.conflicts = 0
        self._slipped = False

    def get(self, conversation_id: str) -> Record | None:
        return self.inner.get(conversation_id)

    def put(self, conversation_id: str, state: dict, version: int) -> int:
        if not self._slipped:
            self._slipped = True
            handle(self.coach, self.inner, conversation_id, customer="我们的客户不需要")
        try:
            return self.inner.put(conversation_id, state, version)
        except StoreConflict:
            self.conflicts += 1
            raise

    def delete(self, conversation_id: str) -> None:
        self.inner.delete(conversation_id)


def test_handle_replays_a_turn_that_lost_the_race(coach, tmp_path):
    """When another turn is saved between our read and write, ours is replayed on top of it."""
    inner = SQLiteSessionStore(tmp_path / "s.sqlite3")
    racy = Interleaving(inner, coach)
    s = handle(coach, racy, "chat-1", customer="太贵了")
    state = inner.get("chat-1").state
    assert racy.conflicts == 1
    assert state["turn"] == 2 and s.rule in state["fired"] and len(state["fired"]) == 2


# -- no lost update under real concurrency ------------------------------------------------


def test_four_threads_on_one_conversation_lose_no_turn_sqlite(coach, tmp_path):
    """4 threads × 25 turns on one id through the SQLite store: all 100 turns are kept."""
    store = SQLiteSessionStore(tmp_path / "s.sqlite3")
    per_thread, threads = 25, 4
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                handle(coach, store, "hammered", customer=LINES[(n + i) % len(LINES)])
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors
    state = store.get("hammered").state
    assert state["turn"] == per_thread * threads
    assert sum(state["fired"].values()) == per_thread * threads


WORKER = r"""
import sys
from coach import Coach
from coach.stores import RedisSessionStore, SQLiteSessionStore, handle

kind, where, n, lines = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
coach = Coach.load()
coach.warm_up()
store = RedisSessionStore.from_url(where) if kind == "redis" else SQLiteSessionStore(where)
print("ready", flush=True)
sys.stdin.readline()  # all workers start their turns together
for i in range(n):
    handle(coach, store, "hammered", customer=lines[i % len(lines)])
print("done", flush=True)
"""


def hammer_with_processes(kind: str, where: str, per_process: int, processes: int = 4) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, kind, where, str(per_process),
                               *LINES[n:], *LINES[:n]],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=child_env())
             for n in range(processes)]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready", p.stderr
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0 and out.strip() == "done", err
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def test_four_processes_on_one_conversation_lose_no_turn_redis(redis_url):
    """4 processes × 40 turns on one id through the Redis store: all 160 turns are kept."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    hammer_with_processes("redis", redis_url, 40)
    state = RedisSessionStore.from_url(redis_url).get("hammered").state
    assert state["turn"] == 160 and sum(state["fired"].values()) == 160


def test_four_processes_on_one_conversation_lose_no_turn_sqlite(tmp_path):
    """4 processes × 40 turns on one id through one SQLite file: all 160 turns are kept."""
    db = tmp_path / "s.sqlite3"
    hammer_with_processes("sqlite", str(db), 40)
    state = SQLiteSessionStore(db).get("hammered").state
    assert state["turn"] == 160 and sum(state["fired"].values()) == 160


# -- coach serve --stdio -------------------------------------------------------------------


def test_serve_answers_the_issues_printf_example(tmp_path):
    """printf two customer lines | coach serve --stdio prints two responses with step, text, signals."""
    cmd = " ".join(shlex.quote(c) for c in coach_command())
    r = subprocess.run(
        ["sh", "-c", "printf '{\"id\":\"a\",\"customer\":\"太贵了\"}\\n{\"id\":\"a\",\"customer\":\"是的\"}\\n' | "
                     + cmd + " serve --stdio"],
        capture_output=True, cwd=tmp_path, env=child_env(), timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    responses = [json.loads(line) for line in r.stdout.decode("utf-8").splitlines()]
    assert len(responses) == 2
    for resp in responses:
        assert resp["id"] == "a" and resp["step"] and resp["text"] and resp["why"] and resp["rule"]
        assert isinstance(resp["signals"], list)
    assert "no_money" in responses[0]["signals"] and "agree" in responses[1]["signals"]


def test_serve_answers_the_line_after_a_malformed_one(tmp_path):
    """A line that is not JSON gets an error object; the next line is answered normally."""
    responses, r = serve(b'{"id":"a","customer":\xe5\xa4\xaa}\n' + request(id="a", customer="太贵了"),
                         cwd=tmp_path)
    assert r.returncode == 0 and not r.stderr
    assert responses[0] == {"id": None, "error": {"code": "bad_json", "message": responses[0]["error"]["message"]}}
    assert responses[1]["id"] == "a" and "no_money" in responses[1]["signals"]


HOSTILE = [
    (b"not json at all", "bad_json"),
    (b"[1, 2, 3]", "bad_request"),
    (b'"just a string"', "bad_request"),
    (b"null", "bad_request"),
    (b'{"customer": "no id"}', "bad_request"),
    (b'{"id": true, "customer": "x"}', "bad_request"),
    (b'{"id": {"a": 1}, "customer": "x"}', "bad_request"),
    (b'{"id": "a", "customer": 5}', "bad_request"),
    (b'{"id": "a", "customer": ["x"]}', "bad_request"),
    (b'{"id": "a", "custmer": "typo"}', "bad_request"),
    (b'{"id": "a"}', "bad_request"),
    (b'{"id": "a", "customer": "x", "salesperson": "y"}', "bad_request"),
    (b'{"id": "a", "reset": "yes"}', "bad_request"),
    (b'{"id": "a", "customer": "x", "customer_name": 3}', "bad_request"),
    (b'{"id": "' + b"x" * 300 + b'", "customer": "x"}', "bad_request"),
    (b"\xff\xfe\x00 not utf-8", "bad_json"),
    (b"[" * 100_000, "bad_json"),
    (b'{"id": "a", "customer": "' + "啊".encode() * 400_000 + b'"}', "too_long"),
]


def test_serve_survives_every_hostile_line(tmp_path):
    """Each malformed request gets an error object with its code; blank lines get nothing."""
    lines = b"\n   \n".join(line for line, _ in HOSTILE) + b"\n\n" + request(id="a", customer="太贵了")
    responses, r = serve(lines, cwd=tmp_path)
    assert r.returncode == 0 and not r.stderr, r.stderr
    assert len(responses) == len(HOSTILE) + 1
    for (line, code), resp in zip(HOSTILE, responses[:-1], strict=True):
        assert resp["error"]["code"] == code and resp["error"]["message"], (line[:60], resp)
    assert responses[-1]["rule"] == "objection.no_money"


def test_serve_resets_shows_state_explains_and_gives_feedback(tmp_path):
    """reset, state, explain and salesperson requests each get their response."""
    lines = (request(id=42, customer="太贵了", customer_name="李总")
             + request(id="42", salesperson="您目前是怎么解决这个问题的？")
             + request(id=42, state=True)
             + request(id=42, explain="是的")
             + request(id=42, reset=True)
             + request(id=42, state=True)
             + '{"id": "lone", "customer": "\\ud800太贵了"}\n'.encode())
    responses, r = serve(lines, cwd=tmp_path)
    assert r.returncode == 0 and not r.stderr
    heard, said, state, explained, reset, gone, lone = responses
    assert heard["id"] == 42 and heard["rule"] == "objection.no_money"
    assert said["id"] == "42" and said["question_type"] == "open" and isinstance(said["ok"], bool)
    assert state["state"]["turn"] == 1 and state["state"]["customer"] == "李总" and state["version"] > 0
    assert "原文: 是的" in explained["explain"] and explained["rule"] and explained["step"]
    assert reset == {"id": 42, "reset": True}
    assert gone == {"id": 42, "state": None, "version": 0}
    assert lone["rule"] == "objection.no_money"


def test_serve_with_db_continues_in_the_next_process(tmp_path):
    """With --db, a second serve process continues the conversation the first one saved."""
    db = str(tmp_path / "sessions.sqlite3")
    serve(request(id="chat", customer="太贵了"), "--db", db, cwd=tmp_path)
    responses, r = serve(request(id="chat", customer="是的") + request(id="chat", state=True),
                         "--db", db, cwd=tmp_path)
    assert r.returncode == 0 and responses[1]["state"]["turn"] == 2


def test_serve_flushes_each_response_before_the_next_request(tmp_path):
    """A client gets each answer while stdin is still open (the service flushes per line)."""
    proc = subprocess.Popen([*coach_command(), "serve", "--stdio"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=child_env())
    got: list[bytes] = []
    try:
        assert proc.stdin is not None and proc.stdout is not None
        for text in ("太贵了", "是的"):
            proc.stdin.write(request(id="a", customer=text))
            proc.stdin.flush()
            reader = threading.Thread(target=lambda: got.append(proc.stdout.readline()), daemon=True)
            reader.start()
            reader.join(timeout=120)
            assert not reader.is_alive(), "no response while the request line was pending"
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert [json.loads(line)["id"] for line in got] == ["a", "a"]


# -- asyncio ------------------------------------------------------------------------------


async def _heartbeats_during(work) -> int:
    """How many times a heartbeat coroutine ran while ``work`` was awaited."""
    ticks = 0
    stop = False

    async def heartbeat() -> None:
        nonlocal ticks
        while not stop:
            ticks += 1
            await asyncio.sleep(0)

    beat = asyncio.create_task(heartbeat())
    await asyncio.sleep(0)
    before = ticks
    await work
    during = ticks - before
    stop = True
    await beat
    return during


def test_heartbeat_keeps_running_while_a_cold_coachs_first_turn_is_awaited():
    """The first turn of a fresh Coach (tokenizer start included) does not stall the loop."""
    cold = Coach.load()
    s = asyncio.run(_first_turn(cold))
    assert s[0] >= 10, f"the event loop was blocked: only {s[0]} heartbeats"
    assert s[1].rule == "objection.no_money"


async def _first_turn(cold: Coach) -> tuple[int, Suggestion]:
    session = cold.session()
    box: list[Suggestion] = []

    async def turn() -> None:
        box.append(await aio.hear(session, "太贵了"))

    return await _heartbeats_during(turn()), box[0]


def test_heartbeat_keeps_running_during_aio_warm_up():
    """aio.warm_up starts the tokenizer without stalling the loop."""
    ticks = asyncio.run(_heartbeats_during(aio.warm_up(Coach.load())))
    assert ticks >= 10, f"the event loop was blocked: only {ticks} heartbeats"


def test_a_blocking_first_turn_would_stall_the_heartbeat():
    """The heartbeat measure is sound: a direct, blocking first turn gets no heartbeat."""
    async def blocking() -> None:
        Coach.load().session().hear("太贵了")

    assert asyncio.run(_heartbeats_during(blocking())) == 0


def test_aio_serves_many_chats_at_once(coach):
    """30 chats of 3 turns each, interleaved on one loop: every turn is stored."""
    store = MemorySessionStore()

    async def chat(n: int) -> None:
        for line in LINES[:3]:
            await aio.handle(coach, store, f"chat-{n}", customer=line)

    async def main() -> None:
        await asyncio.gather(*(chat(n) for n in range(30)))
        f = await aio.say(coach.restore(store.get("chat-0").state), "您目前是怎么解决这个问题的？")
        assert isinstance(f, Feedback)
        ex = await aio.explain(coach, "太贵了")
        assert ex.winner == "objection.no_money"

    asyncio.run(main())
    assert all(store.get(f"chat-{n}").state["turn"] == 3 for n in range(30))


# -- the examples run ---------------------------------------------------------------------


def run_example(args: list[str], tmp_path: Path, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(args, input=stdin, capture_output=True, text=True, encoding="utf-8",
                          cwd=tmp_path, env={**child_env(), "PYTHON": sys.executable}, timeout=180)


def test_example_minimal_bot(tmp_path):
    """examples/minimal_bot.py answers each piped customer line."""
    r = run_example([sys.executable, str(EXAMPLES / "minimal_bot.py")], tmp_path, "我们的客户不需要\n太贵了\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("建议（") == 2 and r.stdout.count("原因：") == 2


def test_example_webhook_sqlite(tmp_path):
    """examples/webhook_sqlite.py keeps two chats apart and continues after a restart."""
    db = tmp_path / "hook.sqlite3"
    r = run_example([sys.executable, str(EXAMPLES / "webhook_sqlite.py"), str(db)], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "重启后" in r.stdout and "已保存 3 轮" in r.stdout
    assert SQLiteSessionStore(db).get("wecom:2002").state["turn"] == 2


def test_example_asyncio_bot(tmp_path):
    """examples/asyncio_bot.py answers every turn of its 50 concurrent chats."""
    r = run_example([sys.executable, str(EXAMPLES / "asyncio_bot.py")], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "50 chats, 200 turns" in r.stdout


def test_example_node_client(tmp_path):
    """examples/node_client.js drives coach serve --stdio from Node.js (skipped without node, never in CI)."""
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is not installed; CI must run the Node.js example", pytrace=False)
        pytest.skip("node is not installed")
    r = run_example([node, str(EXAMPLES / "node_client.js")], tmp_path)
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[0].startswith("[communicate]") and "no_money" in out[0]
    assert out[2].startswith("feedback: open question")
    assert out[3].startswith("error bad_json") and out[4] == "state: turn 2, step communicate"


def test_examples_are_one_feature_each_with_docstring_and_main():
    """Every Python example has a module docstring, a main() and imports only public coach names."""
    for path in sorted(EXAMPLES.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith('"""'), path
        assert "\ndef main() -> None:" in text and 'if __name__ == "__main__":\n    main()' in text, path
        for line in text.splitlines():
            if line.startswith(("from coach", "import coach")):
                assert "._" not in line and " _" not in line, (path, line)


# -- the documentation --------------------------------------------------------------------


def test_embedding_doc_webhook_snippet_runs(tmp_path, monkeypatch):
    """The three-line webhook handler in docs/embedding.md works as printed."""
    text = (ROOT / "docs" / "embedding.md").read_text(encoding="utf-8")
    block = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    monkeypatch.chdir(tmp_path)
    scope: dict[str, Any] = {}
    exec(compile(block, "docs/embedding.md", "exec"), scope)
    assert scope["on_message"]("chat-9", "太贵了") and scope["on_message"]("chat-9", "是的")
    assert SQLiteSessionStore(tmp_path / "sessions.sqlite3").get("chat-9").state["turn"] == 2


def test_embedding_doc_lists_every_error_code():
    """Each error code the tests provoke is in the protocol's error table."""
    text = (ROOT / "docs" / "embedding.md").read_text(encoding="utf-8")
    for code in {code for _, code in HOSTILE} | {"bad_state", "conflict", "internal"}:
        assert f"| `{code}`" in text or f"`{code}`" in text.split("### Errors", 1)[1], code
