"""Practice: scenarios, the simulated customer, scorecards, history, and the practice UI."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys

import pytest
from conftest import ROOT

from coach.errors import PracticeError
from coach.history import History, open_history
from coach.practice import Practice, PracticeRun, Recorder, resume, run_piped
from coach.scenario import list_scenarios, load_scenario

SCENARIOS = list(list_scenarios())
LEVELS = ("easy", "medium", "hard")


def play(sid: str, level: str, who: str, seed: int = 7) -> PracticeRun:
    sc = load_scenario(sid)
    run = PracticeRun(sc, level, seed)
    for line in sc.trainees[who]:
        run.turn(line)
        if run.ended:
            break
    return run


def test_at_least_three_scenarios_with_three_levels():
    """Three bundled scenarios or more, each with easy, medium and hard."""
    assert len(SCENARIOS) >= 3
    for sid in SCENARIOS:
        sc = load_scenario(sid)
        assert set(sc.levels) == set(LEVELS) and sc.trainees.get("strong") and sc.trainees.get("weak")


def test_same_run_same_score():
    """The same scenario, level, seed and lines give the same replies and score."""
    a, b = play("training-course", "hard", "strong", 3), play("training-course", "hard", "strong", 3)
    assert [t["reply"] for t in a.turns] == [t["reply"] for t in b.turns]
    assert a.scorecard().to_dict() == b.scorecard().to_dict()


def test_customer_reacts_to_open_closed_and_probe():
    """Open questions reveal more than closed ones; a wrong probe is denied and corrected."""
    sc = load_scenario("training-course")
    run = PracticeRun(sc, "hard", 0)
    run.customer.level = sc.levels["hard"].__class__(1, 0, 0.0, 6)  # no objections: test the answers
    closed = run.turn("你们团队有区域经理吗？")
    assert closed.reply.reaction == "vague_closed"
    opened = run.turn("您的团队现在是怎么分工的？")
    assert opened.reply.reaction == "fact" and "三个" in opened.reply.text
    miss = run.turn("李总，所以您的困难就是招不到人，您是不是打算扩招？")
    assert miss.reply.reaction == "probe_miss"


def test_red_line_and_commands_cost_patience():
    """Pushy lines and red-line promises make the customer resist; patience drops."""
    run = PracticeRun(load_scenario("training-course"), "medium", 0)
    start = run.patience
    t = run.turn("你必须今天就报名")
    assert t.reply.reaction == "pushy" and run.patience == start - 2
    t = run.turn("我们保证稳赚不赔")
    assert t.reply.reaction == "red_line" and t.feedback.red_lines


def test_patience_zero_ends_the_session():
    """When patience runs out the customer leaves and the session ends early."""
    run = PracticeRun(load_scenario("training-course"), "hard", 0)
    for _ in range(10):
        run.turn("你必须马上决定")
        if run.ended:
            break
    assert run.ended == "patience"
    assert run.scorecard().points["patience"] == 0


def strong_lines(sid: str = "training-course") -> str:
    return "\n".join(load_scenario(sid).trainees["strong"]) + "\n"


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coach", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_practice_list_prints_ids():
    """coach practice --list prints one scenario id first on each line."""
    r = cli("practice", "--list")
    ids = [line.split("\t")[0] for line in r.stdout.splitlines()]
    assert r.returncode == 0 and len(ids) >= 3 and "training-course" in ids


def test_piped_practice_scores_and_history_json(tmp_path):
    """A scripted strong trainee piped in ends with a scorecard; history --json lists it."""
    db = tmp_path / "x.db"
    r = cli("practice", "--scenario", "training-course", "--db", str(db), stdin=strong_lines())
    assert r.returncode == 0, r.stderr
    assert "成绩单" in r.stdout and "得分：" in r.stdout
    strong = int(r.stdout.split("得分：")[1].split(" ")[0])
    weak_lines = "\n".join(load_scenario("training-course").trainees["weak"]) + "\n"
    r = cli("practice", "--scenario", "training-course", "--db", str(db), stdin=weak_lines)
    weak = int(r.stdout.split("得分：")[1].split(" ")[0])
    assert strong - weak >= 30
    h = json.loads(cli("history", "--db", str(db), "--json").stdout)
    first = h["sessions"][0]
    assert first["scenario"] == "training-course" and first["score"] == strong
    assert first["turns"] == len(load_scenario("training-course").trainees["strong"]) and first["finished"] is True
    assert h["recommendation"]["scenario"] in SCENARIOS


def test_same_scripted_run_twice_same_score(tmp_path):
    """Two piped runs of the same script and seed print the same score."""
    outs = [cli("practice", "--seed", "5", "--level", "hard", "--db", str(tmp_path / "d.db"),
                stdin=strong_lines()).stdout for _ in range(2)]
    assert outs[0].split("得分：")[1][:10] == outs[1].split("得分：")[1][:10]


def test_sigkill_keeps_completed_turns(tmp_path):
    """A session killed with SIGKILL after three lines keeps them and shows as unfinished."""
    db = tmp_path / "k.db"
    proc = subprocess.Popen([sys.executable, "-m", "coach", "practice", "--db", str(db)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    lines = list(load_scenario("training-course").trainees["strong"][:3])
    assert proc.stdin and proc.stdout

    def wait_for_customer() -> None:
        while True:
            out = proc.stdout.readline()
            assert out, "practice process ended early"
            if out.startswith("李总："):
                return

    wait_for_customer()  # the greeting
    for line in lines:
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        wait_for_customer()  # the answer is printed after the turn is committed
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    h = History(db)
    (row,) = h.sessions()
    assert [t["text"] for t in h.turns(row.id)] == lines
    assert row.status == "active" and not row.finished
    listing = cli("history", "--db", str(db)).stdout
    assert "未完成" in listing


def test_resume_continues_an_interrupted_run(tmp_path):
    """An interrupted run rebuilt from the database continues with the same state."""
    h = History(tmp_path / "r.db")
    sc = load_scenario("training-course")
    run = PracticeRun(sc, "medium", 4)
    rec = Recorder(h, run)
    for line in sc.trainees["strong"][:4]:
        run.turn(line)
        rec.turn()
    again, rec2 = resume(h, rec.id)
    assert again.session.to_dict() == run.session.to_dict()
    assert again.customer.state == run.customer.state
    for line in sc.trainees["strong"][4:]:
        again.turn(line)
        rec2.turn()
    assert rec2.finish("finished").score >= 80
    assert h.get(rec.id).turns == len(sc.trainees["strong"])


def test_corrupt_database_is_moved_aside(tmp_path):
    """A corrupt database file is moved aside with a message, and a fresh one works."""
    db = tmp_path / "c.db"
    db.write_bytes(b"this is not a database" * 100)
    messages = []
    h = open_history(db, warn=messages.append)
    assert h is not None and h.sessions() == []
    assert messages and "损坏" in messages[0]
    assert list(tmp_path.glob("c.db.corrupt-*"))


def test_unwritable_home_still_runs(tmp_path):
    """If the database cannot be created, practice runs with a warning and no history."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    env = {**os.environ, "COACH_HOME": str(blocker / "sub")}
    r = subprocess.run([sys.executable, "-m", "coach", "practice"], input=strong_lines(), capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=120)
    assert r.returncode == 0 and "得分：" in r.stdout
    assert "不会保存记录" in r.stderr


def test_two_processes_write_one_database(tmp_path):
    """Two practice processes writing one database at once both succeed."""
    db = tmp_path / "two.db"
    procs = [subprocess.Popen([sys.executable, "-m", "coach", "practice", "--db", str(db), "--seed", str(i)],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for i in range(2)]
    outs = [p.communicate(strong_lines(), timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    rows = History(db).sessions()
    assert len(rows) == 2 and all(r.finished and r.turns == len(load_scenario("training-course").trainees["strong"]) for r in rows)


def test_report_reprints_and_writes_html(tmp_path):
    """coach report ID prints the scorecard again and writes HTML."""
    db = tmp_path / "h.db"
    cli("practice", "--db", str(db), stdin=strong_lines())
    out = tmp_path / "r.html"
    r = cli("report", "1", "--db", str(db), "--html", str(out))
    assert r.returncode == 0 and "得分：" in r.stdout
    assert "<html" in out.read_text(encoding="utf-8")
    assert cli("report", "99", "--db", str(db)).returncode == 1


def terminal(app: Practice, keys: str) -> str:
    """Drive the prompt_toolkit practice UI with typed keys; return what it showed."""
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output.plain_text import PlainTextOutput

    from coach.practice import run_terminal

    buf = io.StringIO()
    with create_pipe_input() as inp:
        inp.send_text(keys)
        run_terminal(app, input=inp, output=PlainTextOutput(buf))
    return buf.getvalue()


def test_practice_terminal_ui_with_pipe_input(tmp_path):
    """The prompt_toolkit practice UI takes lines and /hint; Ctrl-D ends it as /quit does."""
    h = History(tmp_path / "ui.db")
    run = PracticeRun(load_scenario("training-course"), "easy", 0)
    rec = Recorder(h, run)
    text = terminal(Practice(run, rec), "您的团队现在是怎么分工的？\r/hint\r\x04")
    assert "李总：" in text and "提示：" in text and "成绩单" in text
    row = h.get(rec.id)
    assert row.status == "finished" and row.turns == 1 and row.hints == 1
    assert "--resume" not in text


def test_ctrl_c_asks_in_the_trainees_script_and_interrupts(tmp_path):
    """Ctrl-C asks before ending, in traditional for a traditional trainee; yes interrupts."""
    h = History(tmp_path / "ui.db")
    run = PracticeRun(load_scenario("training-course"), "easy", 0)
    rec = Recorder(h, run)
    text = terminal(Practice(run, rec), "您的團隊現在是怎麼分工的？\r\x03y\r")
    assert "確定要結束練習嗎" in text and "确定要结束练习吗" not in text
    assert h.get(rec.id).status == "interrupted"
    assert f"--resume {rec.id}" in text


def test_a_practice_without_a_word_is_not_kept(tmp_path):
    """Quitting before saying anything leaves no record and no scorecard."""
    h = History(tmp_path / "e.db")
    run = PracticeRun(load_scenario("training-course"), "easy", 0)
    out = io.StringIO()
    run_piped(Practice(run, Recorder(h, run)), io.StringIO("/hint\n/quit\n"), out)
    assert h.sessions() == []
    assert "得分：" not in out.getvalue() and "不保存" in out.getvalue()


def test_resume_replays_the_earlier_lines_on_screen(tmp_path):
    """--resume shows every earlier line with its feedback and reply before going on."""
    h = History(tmp_path / "r.db")
    sc = load_scenario("training-course")
    run = PracticeRun(sc, "medium", 4)
    rec = Recorder(h, run)
    for line in sc.trainees["strong"][:3]:
        run.turn(line)
        rec.turn()
    again, rec2 = resume(h, rec.id)
    out = io.StringIO()
    run_piped(Practice(again, rec2), io.StringIO(""), out)
    shown = out.getvalue()
    for line, t in zip(sc.trainees["strong"][:3], run.turns):
        assert f"你：{line}" in shown and t["reply"] in shown
    assert "接着第 3 句" in shown


def test_resuming_a_finished_practice_is_refused(tmp_path):
    """A finished practice cannot be resumed; an unknown one neither: a clear message each."""
    h = History(tmp_path / "f.db")
    sc = load_scenario("training-course")
    run = PracticeRun(sc, "medium", 4)
    rec = Recorder(h, run)
    run.turn(sc.trainees["strong"][0])
    rec.turn()
    rec.finish("finished")
    with pytest.raises(PracticeError, match="已经完成"):
        resume(h, rec.id)
    with pytest.raises(PracticeError, match="没有编号为 999"):
        resume(h, 999)


@pytest.mark.parametrize("width", [60, 120])
def test_the_toolbar_keeps_hearts_and_hint_when_narrow(width):
    """At any width the toolbar fits and still shows the hearts, /hint and the current step."""
    from wcwidth import wcswidth

    from coach.practice import practice_bar

    run = play("training-course", "medium", "strong")
    bar = practice_bar(run, width)
    text = "".join(t for _, t in bar)
    assert wcswidth(text) <= width, text
    assert "♥" * run.patience in text and "/hint" in text and run.session.step.label in text


def test_stage_directions_are_not_heard_as_customer_words():
    """The closing narration （…） is shown to the trainee but not fed to the coach."""
    run = play("training-course", "easy", "strong")
    assert run.ended == "success"
    last_reply = run.turns[-1]["reply"]
    assert "（" in last_reply  # the scenario narrates its happy end
    assert "（" not in run.session.last and "认可了需求" not in run.session.last


def test_a_locked_database_is_waited_for_never_moved_aside(tmp_path):
    """Another process holding the lock is not damage: History waits, keeps the file."""
    import threading

    db = tmp_path / "locked.db"
    History(db).close()
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA journal_mode = DELETE")  # the exclusive lock then blocks readers too
    holder.execute("BEGIN EXCLUSIVE")
    threading.Timer(0.5, holder.rollback).start()
    h = History(db, warn=lambda msg: pytest.fail(f"warned: {msg}"))
    h.start("training-course", "easy", 0)
    assert [p.name for p in tmp_path.iterdir() if "corrupt" in p.name] == []
    assert len(h.sessions()) == 1
    holder.close()


def test_four_processes_start_on_one_new_database(tmp_path):
    """Four practice processes creating the same new database at once all keep their runs."""
    for attempt in range(3):
        db = tmp_path / f"four-{attempt}.db"
        procs = [subprocess.Popen([sys.executable, "-m", "coach", "practice", "--db", str(db), "--seed", str(i)],
                                  cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for i in range(4)]
        outs = [p.communicate("您的团队现在是怎么分工的？\n", timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        assert len(History(db).sessions()) == 4
        assert not [p for p in tmp_path.iterdir() if "corrupt" in p.name]


def test_a_trainee_writing_traditional_is_answered_in_traditional():
    """Feedback, the customer's reply and hints follow the trainee's script, both ways."""
    import io as _io

    from coach.practice import run_piped

    sc = load_scenario("training-course")
    run = PracticeRun(sc, "easy", 7)
    out = _io.StringIO()
    run_piped(Practice(run, Recorder(None, run)), _io.StringIO(
        "您好，想先了解一下您公司目前的銷售團隊是怎麼分工的？\n/hint\n您现在最头疼的是什么？\n/quit\n"), out)
    text = out.getvalue()
    first, _, second = text.partition("您现在最头疼的是什么？")
    assert "點評" in first and "李總" in first and "提示：" in first
    assert "点评" in second and "李总" in second and "點評" not in second


def _one_chinese_line(r: subprocess.CompletedProcess) -> str:
    lines = [x for x in (r.stdout + r.stderr).splitlines() if x.strip()]
    assert r.returncode != 0 and len(lines) == 1, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and re.search(r"[\u4e00-\u9fff]{4}", lines[0]), lines[0]
    return lines[0]


def test_practice_command_errors_are_one_chinese_line(tmp_path):
    """Unknown record, unwritable report file, unknown scenario or pack: one Chinese line, exit 1."""
    db = str(tmp_path / "e.db")
    assert "999" in _one_chinese_line(cli("practice", "--resume", "999", "--db", db))
    cli("practice", "--db", db, stdin="您的团队现在是怎么分工的？\n")
    assert "/no/such/dir/x.html" in _one_chinese_line(cli("report", "1", "--db", db, "--html", "/no/such/dir/x.html"))
    assert "没有这个场景" in _one_chinese_line(cli("practice", "--scenario", "nope", "--db", db))
    assert "nonexistent" in _one_chinese_line(cli("practice", "--pack", "nonexistent", "--db", db))
    assert "report 1" in _one_chinese_line(cli("practice", "--resume", "1", "--db", db))
