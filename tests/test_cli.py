"""The command line: lint, test, explain and assist, run as real subprocesses and pipe input."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT

from coach import Coach


def run(*args: str, stdin: str = "", cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coach", *args], input=stdin, capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_help_lists_commands():
    """coach --help names every command."""
    out = run("--help").stdout
    for cmd in ("assist", "lint", "test", "explain"):
        assert cmd in out


def test_lint_bundled_rules_exits_0():
    """python -m coach lint rules exits 0."""
    r = run("lint", "rules")
    assert r.returncode == 0, r.stdout + r.stderr


def test_lint_syntax_error_exits_1_with_file_line(tmp_path):
    """A pack with a YAML syntax error exits 1 and prints file:line."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("pack: {id: bad\nrules: []\n", encoding="utf-8")
    r = run("lint", str(bad))
    assert r.returncode == 1
    assert f"{bad}:" in r.stdout and "E001" in r.stdout


def test_lint_unknown_step_exits_1_with_file_line(tmp_path):
    """A pack naming an unknown step exits 1 and prints file:line."""
    src = (ROOT / "rules" / "default.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "default.yaml"
    bad.write_text(src.replace("next: confirm\n", "next: confirmm\n", 1), encoding="utf-8")
    r = run("lint", str(bad))
    assert r.returncode == 1
    line = next(i for i, text in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1) if "confirmm" in text)
    assert f"{bad}:{line}:" in r.stdout and "E110" in r.stdout and "confirm" in r.stdout


def test_coach_test_passes_on_dialogues():
    """coach test dialogues exits 0 and prints a dot per dialogue."""
    r = run("test", "dialogues")
    assert r.returncode == 0, r.stdout
    assert "failed" in r.stdout and " 0 failed" in r.stdout


def test_coach_test_fails_on_wrong_expectation(tmp_path):
    """A golden dialogue with one wrong expectation exits 1 and names the file and the turn."""
    src = (ROOT / "dialogues" / "golden" / "training-course.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "wrong.yaml"
    bad.write_text(src.replace("rule: probe.answer.agree", "rule: probe.answer.deny"), encoding="utf-8")
    r = run("test", str(bad))
    assert r.returncode == 1
    assert str(bad) in r.stdout and "turn 4" in r.stdout and "probe.answer.deny" in r.stdout


def test_explain_prints_tokens_signals_and_winner():
    """coach explain prints tokens, signals with their keywords, and the winning rule."""
    r = run("explain", "太贵了，我们预算不够")
    assert r.returncode == 0, r.stderr
    assert "分词" in r.stdout and "预算" in r.stdout
    assert "no_money ←" in r.stdout and "objection.no_money" in r.stdout


def test_assist_piped_prints_two_suggestions():
    """printf '我们的客户不需要\\n太贵了\\n' | coach assist prints two suggestions and exits 0."""
    r = run("assist", stdin="我们的客户不需要\n太贵了\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("建议：") == 2
    assert "no_need" in r.stdout and "no_money" in r.stdout


def test_assist_piped_commands_and_salesperson_lines():
    """/state, /reset, /help and > lines all work on piped input; /quit stops reading."""
    r = run("assist", stdin="我们公司有三十个人\n> 您现在怎么管理客户资料？\n/state\n/reset\n/help\n/quit\n太贵了\n")
    assert r.returncode == 0
    assert "点评" in r.stdout and "开放式问题" in r.stdout
    assert "当前步骤" in r.stdout and "已重新开始" in r.stdout and "/quit" in r.stdout
    assert "no_money" not in r.stdout  # the line after /quit is not read


def test_assist_traditional_reply():
    """Traditional input gets a traditional suggestion on the command line too."""
    r = run("assist", stdin="我們的客戶不需要\n")
    assert "no_need" in r.stdout
    assert "沒關係" in r.stdout or "請教" in r.stdout


def test_assist_survives_odd_lines():
    """Control characters, emoji and a huge line do not crash the loop."""
    r = run("assist", stdin="\x00\x1b[31m\n😀😀\n" + "太贵" * 20000 + "\n/unknown\n")
    assert r.returncode == 0, r.stderr
    assert "未知命令" in r.stdout


def test_assist_terminal_ui_with_pipe_input(coach: Coach):
    """The prompt_toolkit UI takes typed lines, shows suggestions, and Ctrl-D leaves."""
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output.plain_text import PlainTextOutput

    from coach.assist import Assist, run_terminal

    buf = io.StringIO()
    app = Assist(coach, customer="李总")
    with create_pipe_input() as inp:
        inp.send_text("我们的客户不需要\r")
        inp.send_text("/state\r")
        inp.send_text("\x04")  # Ctrl-D
        rc = run_terminal(app, input=inp, output=PlainTextOutput(buf))
    text = buf.getvalue()
    assert rc == 0
    assert "建议：" in text and "no_need" in text and "当前步骤" in text
    assert app.session.turn == 1


def test_step_bar_highlights_current_step():
    """The toolbar shows all eight steps and marks the current one."""
    from coach import Step
    from coach.assist import step_bar

    bar = step_bar(Step.PROBE, [Step.INVESTIGATE, Step.PROBE])
    current = [t for s, t in bar if s == "class:step.current"]
    assert current == [" 4试探 "]
    assert sum(1 for s, _ in bar if s.startswith("class:step")) == 8


@pytest.mark.skipif(shutil.which("coach") is None, reason="console script not on PATH (package not installed)")
def test_console_script_runs_outside_the_repo(tmp_path):
    """The installed `coach` command finds its bundled packs from any directory."""
    r = subprocess.run(["coach", "assist"], input="太贵了\n", capture_output=True, text=True,
                       cwd=tmp_path, timeout=120)
    assert r.returncode == 0 and "no_money" in r.stdout


@pytest.mark.parametrize("command", ["", "assist", "practice", "history", "report", "packs",
                                     "lint", "test", "explain", "serve"])
def test_help_is_in_chinese(command):
    """Every --help speaks Chinese, argparse's own headings included."""
    from coach.cli import build_parser

    parser = build_parser()
    if command:
        parser = next(a for a in parser._subparsers._group_actions[0].choices.items() if a[0] == command)[1]
    text = parser.format_help()
    assert text.startswith("用法：") and "显示这段帮助并退出" in text
    for english in ("usage:", "show this help", "options:", "positional arguments"):
        assert english not in text


def test_argument_errors_are_in_chinese():
    r = subprocess.run([sys.executable, "-m", "coach", "serve"], capture_output=True, text=True,
                       encoding="utf-8", timeout=60)
    assert r.returncode == 2 and "错误：缺少参数：--stdio" in r.stderr


def _assist(*args: str, stdin: str, home) -> subprocess.CompletedProcess:
    env = {**os.environ, "COACH_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "coach", "assist", *args], input=stdin,
                          capture_output=True, text=True, encoding="utf-8", cwd=ROOT, env=env, timeout=120)


def test_assist_resume_replays_a_saved_conversation_and_carries_on(tmp_path):
    """--resume FILE rebuilds the session from the saved lines and keeps saving into the file."""
    saved = tmp_path / "talk.yaml"
    first = _assist("--record", str(saved), "--customer", "李总",
                    stdin="我们公司有三十个员工\n> 您是说你们有三十个员工，对吗？\n", home=tmp_path)
    assert first.returncode == 0, first.stderr
    straight = _assist("--customer", "李总", stdin="我们公司有三十个员工\n> 您是说你们有三十个员工，对吗？\n是的\n", home=tmp_path)
    resumed = _assist("--resume", str(saved), stdin="是的\n", home=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "已恢复 2 句" in resumed.stdout
    # the new line is answered exactly as in one uninterrupted session
    assert resumed.stdout.strip().splitlines()[-3:] == straight.stdout.strip().splitlines()[-3:]
    turns = yaml.safe_load(saved.read_text(encoding="utf-8"))["turns"]
    assert [t.get("customer") or t.get("salesperson") for t in turns] == [
        "我们公司有三十个员工", "您是说你们有三十个员工，对吗？", "是的"]
    assert yaml.safe_load(saved.read_text(encoding="utf-8"))["customer"] == "李总"


def test_assist_resume_without_file_takes_the_newest_and_explains_when_none(tmp_path):
    none = _assist("--resume", stdin="", home=tmp_path)
    assert none.returncode == 1 and "没有可继续的对话" in none.stderr
    folder = tmp_path / "assist"
    folder.mkdir()
    _assist("--record", str(folder / "a.yaml"), stdin="太贵了\n", home=tmp_path)
    r = _assist("--resume", stdin="", home=tmp_path)
    assert r.returncode == 0 and "已恢复 1 句" in r.stdout


def test_assist_resume_of_a_broken_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("turns: [unclosed\n", encoding="utf-8")
    r = _assist("--resume", str(bad), stdin="", home=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr and str(bad) in r.stderr
