"""Hostile input: any text, any pack, any state. Nothing crashes, hangs, runs code or leaks."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, write_pack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach import MAX_TURN_CHARS, Coach, CoachError, PackError, StateError, Suggestion
from coach.lint import lint

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

any_char = st.characters(codec=None, categories=None)
emoji = st.sampled_from(["😀", "👨‍👩‍👧", "🏳️‍🌈", "👍🏽", "🇨🇳", "\u200d", "\ufe0f", "🙏"])
scripts = st.sampled_from(["太贵了", "我們不需要", "مرحبا", "שלום", "hello", "Привет", "こんにちは", "\u202e", "ＡＢＣ"])
utterance = st.one_of(
    st.text(alphabet=any_char, max_size=200),
    st.lists(st.one_of(emoji, scripts, st.text(alphabet=any_char, max_size=5)), max_size=30).map("".join),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), max_size=50),
)


@pytest.fixture(scope="module")
def shared() -> Coach:
    return Coach.load()


@SETTINGS
@given(lines=st.lists(utterance, min_size=1, max_size=6))
def test_any_text_gets_a_suggestion(shared, lines):
    """Arbitrary Unicode in hear() and say() returns a suggestion or feedback; the state stays JSON."""
    s = shared.session()
    for line in lines:
        r = s.hear(line)
        assert isinstance(r, Suggestion) and r.text and r.why
        f = s.say(line)
        assert f.question_type in ("open", "closed", "none")
    state = json.loads(json.dumps(s.to_dict()))
    assert shared.restore(state).to_dict() == s.to_dict()


def test_100k_turn_is_trimmed_and_flagged(shared):
    """A 100,000-character turn is cut to MAX_TURN_CHARS and the suggestion says so."""
    r = shared.session().hear(("我们预算不够，" * 20000)[:100_000])
    assert r.trimmed and r.text and "no_money" in r.signals
    assert MAX_TURN_CHARS <= 10_000


@pytest.mark.parametrize("bad", [None, 42, b"bytes", ["list"]])
def test_non_text_raises_coach_error(shared, bad):
    """Non-text input raises a documented CoachError subclass, not TypeError."""
    with pytest.raises(CoachError):
        shared.session().hear(bad)


# -- packs ---------------------------------------------------------------------------------

BILLION_LAUGHS = textwrap.dedent("""\
    pack: {id: lol}
    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
    g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]
    """)


def test_billion_laughs_is_refused(tmp_path):
    """YAML aliases are refused before any expansion."""
    problems = lint([write_pack(tmp_path, BILLION_LAUGHS)])
    assert any(p.code == "E001" and "别名" in p.message for p in problems)


def test_deep_nesting_is_refused(tmp_path):
    """1,000-deep nesting gives a clear error, not a RecursionError."""
    problems = lint([write_pack(tmp_path, "pack: {id: deep}\nx: " + "[" * 1000 + "]" * 1000 + "\n")])
    assert any(p.code == "E001" for p in problems)


def test_50mb_file_is_refused_unread(tmp_path):
    """A 50 MB pack is refused by its size, before parsing."""
    p = tmp_path / "big.yaml"
    with open(p, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    problems = lint([p])
    assert [x.code for x in problems] == ["E002"] and "字节" in problems[0].message


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system [ls]", "!include /etc/passwd",
                                 "!!python/name:os.environ", "!env HOME"])
def test_tags_are_refused(tmp_path, tag):
    """No YAML tag can construct objects, include files or read the environment."""
    problems = lint([write_pack(tmp_path, f"pack: {{id: t}}\nx: {tag}\n")])
    assert any(p.code == "E001" for p in problems)


@pytest.mark.parametrize("pattern", [r"(\\w)\\1", "(?=x)y", "(?<!x)y", "a{1,5000}", "x{99999999999}", r"(\\ba+)+b",
                                     "(?>a+)b", "a++b"])
def test_patterns_no_linear_engine_runs_are_refused(tmp_path, pattern):
    """What RE2 cannot run (back-references, look-around, atomic, possessive, \\b) and counted
    repeats above {0,100} are refused at lint with E114 at the pattern's line."""
    text = f'pack: {{id: p}}\nsignals:\n  s: {{patterns: ["{pattern}"]}}\nrules:\n  - id: r\n    say: ["好"]\n    why: 沟通。\n'
    problems = [p for p in lint([write_pack(tmp_path, text)]) if p.code == "E114"]
    assert problems and problems[0].line == 3


@pytest.mark.parametrize("pattern,text", [
    ("(a+)+b", "a" * 300), ("(a|aa)*c", "a" * 300), (".*a.*b.*c", "ab" * 150),
    (r"\\d{1,100}\\d{1,100}\\d{1,100}\\d{1,100}x", "1" * 300 + "，x"),
    (r"\\d{1,100}\\d{1,100}\\d{1,100}\\d{1,100}\\d{1,100}x", "1" * 300 + "，x"),
])
def test_backtracking_patterns_run_in_bounded_time(tmp_path, pattern, text):
    """Patterns that backtrack catastrophically in Python's re load and are run on RE2:
    one hear() of the hostile text returns (the bench times it; here it must not hang)."""
    pack = f'pack: {{id: p}}\nsignals:\n  s: {{patterns: ["{pattern}"]}}\nrules:\n  - id: r\n    say: ["好"]\n    why: 沟通。\n'
    c = Coach.load(["default", write_pack(tmp_path, pack)])
    from coach.safepattern import compile_pattern

    assert compile_pattern(pattern.replace("\\\\", "\\")).engine == "re2"
    assert c.session().hear(text).text


def test_allowed_pattern_on_hostile_input_is_fast_enough(tmp_path):
    """The one unbounded repeat a pattern may have runs on capped input: no hang."""
    text = 'pack: {id: p}\nsignals:\n  s: {patterns: ["a.*b"]}\nrules:\n  - id: r\n    say: ["好"]\n    why: 沟通。\n'
    c = Coach.load([write_pack(tmp_path, text)])
    r = c.session().hear("a" * 100_000)
    assert r.trimmed and "s" not in r.signals


def test_template_attack_does_not_reach_attributes(tmp_path):
    """{customer.__class__.__mro__} is refused by lint and never evaluated."""
    text = ('pack: {id: p}\nrules:\n  - id: r\n    say: ["{customer.__class__.__mro__}"]\n'
            '    why: "{customer.__init__.__globals__}"\n')
    problems = lint([write_pack(tmp_path, text)])
    assert sum(p.code == "E113" for p in problems) == 2


# -- state ---------------------------------------------------------------------------------

def _valid_state(shared: Coach) -> dict:
    s = shared.session(customer="李总")
    for t in ["我们公司有三十个员工", "主要是效率偏低", "太贵了"]:
        s.hear(t)
    return s.to_dict()


junk = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
                 st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))


@SETTINGS
@given(data=st.data())
def test_tampered_state_raises_only_state_error(shared, data):
    """Any mutation of a saved state restores cleanly or raises StateError — never KeyError/TypeError."""
    state = copy.deepcopy(_valid_state(shared))
    for _ in range(data.draw(st.integers(1, 3))):
        action = data.draw(st.sampled_from(["drop", "retype", "add", "slot", "nested"]))
        keys = sorted(state)
        if action == "drop" and keys:
            state.pop(data.draw(st.sampled_from(keys)))
        elif action == "retype" and keys:
            state[data.draw(st.sampled_from(keys))] = data.draw(junk)
        elif action == "add":
            state[data.draw(st.text(min_size=1, max_size=8))] = data.draw(junk)
        elif action == "slot" and isinstance(state.get("slots"), dict):
            state["slots"][data.draw(st.text(max_size=8))] = data.draw(junk)
        elif action == "nested" and isinstance(state.get("fired"), dict):
            state["fired"][data.draw(st.text(max_size=8))] = data.draw(junk)
    try:
        s = shared.restore(state)
    except StateError:
        return
    assert s.hear("好的").text


def test_state_from_future_version_is_refused(shared):
    """A state from a newer coach is refused with an upgrade hint."""
    state = _valid_state(shared)
    state["version"] = 99
    with pytest.raises(StateError, match="upgrade"):
        shared.restore(state)


# -- environment ---------------------------------------------------------------------------

def test_no_network_access():
    """A whole practice run works with every socket connection forbidden."""
    code = textwrap.dedent("""\
        import socket, sys
        def refuse(*a, **k):
            raise AssertionError("network access attempted")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        from coach.cli import main
        sys.exit(main(["practice", "--db", sys.argv[1]]))
        """)
    env = {**os.environ}
    r = subprocess.run([sys.executable, "-c", code, str(Path(os.environ.get("TMPDIR", "/tmp")) / "nonet.db")],
                       input="您的团队现在是怎么分工的？\n", capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "network access attempted" not in r.stderr


def test_writes_only_to_data_and_cache_dirs(tmp_path):
    """A practice run writes to COACH_HOME and COACH_CACHE_DIR only: nothing in HOME or TMPDIR."""
    home, tmp, data, cache = (tmp_path / n for n in ("home", "tmp", "data", "cache"))
    for d in (home, tmp):
        d.mkdir()
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp), "COACH_HOME": str(data),
           "COACH_CACHE_DIR": str(cache), "XDG_CACHE_HOME": str(home / ".cache"),
           "XDG_DATA_HOME": str(home / ".local/share"), "PYTHONDONTWRITEBYTECODE": "1",
           "COACH_TOKENIZER": "jieba"}
    r = subprocess.run([sys.executable, "-m", "coach", "practice"], input="您的团队现在是怎么分工的？\n",
                       capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert list(home.rglob("*")) == [] and list(tmp.rglob("*")) == []
    assert (data / "history.sqlite3").exists() and list(cache.glob("jieba-*.cache"))


def test_whole_file_problem_names_the_file_without_a_fake_position(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(PackError) as exc:
        Coach.load([missing])
    line = str(exc.value.problems[0])
    assert line.startswith(f"{missing}: E002 ") and ":0:0" not in line


# -- files that never end, never open, or loop ---------------------------------------------

GOOD_PACK = 'pack: {id: good}\nrules:\n  - id: r\n    say: ["好"]\n    why: 沟通。\n'


def _lint_in_child(tmp_path: Path, *paths: str) -> subprocess.CompletedProcess:
    """coach lint in a child process: a hang is a timeout failure here, not a stuck suite."""
    return subprocess.run([sys.executable, "-m", "coach", "lint", *paths], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)


def test_pack_that_never_ends_or_never_opens_is_refused(tmp_path):
    """A symlink to /dev/zero and a FIFO named *.yaml: E002 at once, alone or in a folder."""
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "fifo.yaml")
    r = _lint_in_child(tmp_path, "zero.yaml", "fifo.yaml")
    assert r.returncode == 1 and r.stdout.count("E002") == 2 and "Traceback" not in r.stderr
    folder = tmp_path / "packs"
    folder.mkdir()
    (folder / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(folder / "fifo.yaml")
    (folder / "good.yaml").write_text(GOOD_PACK, encoding="utf-8")
    r = _lint_in_child(tmp_path, "default", "packs")
    assert r.returncode == 0, r.stdout + r.stderr


def test_symlink_loop_in_a_pack_folder_is_a_pack_error(tmp_path):
    folder = tmp_path / "packs"
    folder.mkdir()
    (folder / "a.yaml").symlink_to("b.yaml")
    (folder / "b.yaml").symlink_to("a.yaml")
    with pytest.raises(PackError):
        Coach.load([folder])
    with pytest.raises(PackError, match="循环"):
        Coach.load([folder / "a.yaml"])
    (folder / "good.yaml").write_text(GOOD_PACK, encoding="utf-8")
    assert Coach.load(["default", folder]).session().hear("太贵了").text


def test_pack_set_without_rules_fails_lint(tmp_path):
    problems = lint([write_pack(tmp_path, "pack: {id: empty}\n")])
    assert any(p.code == "E116" and p.is_error for p in problems)
    with pytest.raises(PackError):
        Coach.load([tmp_path / "pack.yaml"])


@pytest.mark.parametrize("field,value,code", [
    ("priority", "9" * 4400, "E001"), ("priority", "1" + "0" * 30, "E102"), ("priority", ".inf", "E102"),
    ("freq", "9" * 4400, "E001"), ("freq", "1" + "0" * 30, "E102"),
])
def test_huge_pack_numbers_are_clear_errors(tmp_path, field, value, code):
    if field == "priority":
        text = GOOD_PACK + f"    priority: {value}\n"
    else:
        text = GOOD_PACK + f"dictionary:\n  - {{word: 好词, freq: {value}}}\n"
    problems = lint(["default", write_pack(tmp_path, text)])
    assert any(p.code == code and p.path.endswith("pack.yaml") and p.line > 0 for p in problems), problems


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1e400", "9" * 30, "0"])
def test_scenario_patience_out_of_range_is_a_clear_error(tmp_path, value):
    from coach.scenario import lint_scenario, scenarios_dir

    text = (scenarios_dir() / "training-course.yaml").read_text(encoding="utf-8")
    assert "patience:" in text
    import re as _re

    bad = _re.sub(r"patience: *\d+", f"patience: {value}", text, count=1)
    path = tmp_path / "s.yaml"
    path.write_text(bad, encoding="utf-8")
    assert any(p.code == "E102" for p in lint_scenario(path))


@pytest.mark.parametrize("body", [
    "packs: [default]\nturns:\n  - customer: 太贵了\n    expect: 5\n",
    "packs: 5\nturns:\n  - customer: 太贵了\n",
    "packs: [default]\nturns:\n  - customer: 太贵了\n    expect: [1, 2]\n",
    "packs: [[1]]\nturns:\n  - customer: 太贵了\n",
])
def test_malformed_golden_dialogue_is_a_clear_problem(tmp_path, body):
    from coach.golden import run_dialogue

    path = tmp_path / "d.yaml"
    path.write_text("dialogue: d\n" + body, encoding="utf-8")
    res = run_dialogue(path)
    assert res.problems and all(p.code.startswith("E") and p.line > 0 for p in res.problems)


def test_golden_dialogue_not_utf8_is_a_clear_problem(tmp_path):
    from coach.golden import run_dialogue

    path = tmp_path / "d.yaml"
    path.write_bytes(b"dialogue: d\nturns:\n  - customer: " + b"\xff\xfe\n")
    res = run_dialogue(path)
    assert [p.code for p in res.problems] == ["E001"] and "UTF-8" in res.problems[0].message
