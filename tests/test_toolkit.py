"""The pack author's toolkit: deep lint, coverage, JSON Schema, record and reload."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import ROOT, write_pack

from coach.lint import lint
from coach.packs import bundled_packs
from coach.scenario import list_scenarios

SCHEMA_DIR = ROOT / "coach" / "schema"
SHADOW = """\
pack: {id: shadow, requires: [default]}
rules:
  - id: shadow.wide
    when: {signals: [no_need]}
    priority: 90
    say: ["宽规则"]
    why: 沟通。
  - id: shadow.narrow
    when: {signals: [no_need], step: [communicate]}
    priority: 10
    say: ["窄规则"]
    why: 沟通。
  - id: tie.a
    when: {signals: [complaint], step: [wait]}
    priority: 70
    say: ["a"]
    why: 等待。
  - id: tie.b
    when: {signals: [complaint], step: [wait]}
    priority: 70
    say: ["b"]
    why: 等待。
"""


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coach", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_shadowed_rule_and_tie_each_get_one_warning(tmp_path):
    """A shadowed rule and a tie get exactly one warning each, on the losing rule's line."""
    p = write_pack(tmp_path, SHADOW)
    mine = [x for x in lint([p]) if x.path == str(p)]
    assert [(x.code, x.line) for x in mine] == [("W301", 8), ("W302", 18)]


def test_strict_turns_warnings_into_failure(tmp_path):
    """coach lint exits 0 on warnings, 1 with --strict."""
    p = write_pack(tmp_path, SHADOW)
    assert run("lint", str(p)).returncode == 0
    assert run("lint", "--strict", str(p)).returncode == 1


def test_unreachable_step_and_unused_slot(tmp_path):
    """A step no rule leads to, and a slot nothing uses, are reported."""
    text = """\
pack: {id: tiny}
slots:
  unused: {patterns: ["(?P<value>x)"]}
rules:
  - id: all
    say: ["请说。"]
    why: 沟通。
"""
    codes = {x.code for x in lint([write_pack(tmp_path, text)])}
    assert {"W303", "W305"} <= codes


def test_coverage_lists_what_no_dialogue_exercised(tmp_path):
    """coach test --coverage names each rule no dialogue reached, with its file:line."""
    d = tmp_path / "one.yaml"
    d.write_text("turns:\n  - customer: 我们的客户不需要\n    expect: {rule: objection.no_need}\n",
                 encoding="utf-8")
    r = run("test", "--coverage", str(d))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "rules: 1/" in r.stdout and "steps: " in r.stdout
    assert re.search(r"not exercised: objection\.no_money  \(.*default\.yaml:\d+\)", r.stdout)
    assert "not exercised: objection.no_need " not in r.stdout
    assert re.search(r"rules never exercised: [1-9]\d* of \d+", r.stdout)


def _schema(name: str) -> dict:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


def _bundled_files():
    packs = [("pack.schema.json", p) for p in bundled_packs().values()]
    scenarios = [("scenario.schema.json", p) for p in list_scenarios().values()]
    return packs + scenarios


@pytest.mark.parametrize("schema,path", _bundled_files(), ids=lambda x: getattr(x, "name", x))
def test_bundled_files_validate_against_schema(schema, path):
    """Every bundled pack and scenario validates against the shipped JSON Schema and names it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, _schema(schema))
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=") and first.endswith(schema)


def test_schema_rejects_unknown_keys():
    """The schema catches what lint catches: an unknown key in a rule."""
    bad = {"pack": {"id": "x"}, "rules": [{"id": "r", "sya": ["hi"], "say": ["hi"], "why": "w"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, _schema("pack.schema.json"))


def test_record_then_replay(tmp_path):
    """coach assist --record writes a golden dialogue that coach test replays green."""
    rec = tmp_path / "rec.yaml"
    r = run("assist", "--record", str(rec), stdin="我们公司有三十个员工\n> 您现在最头疼的是什么？\n太贵了\n")
    assert r.returncode == 0
    doc = yaml.safe_load(rec.read_text(encoding="utf-8"))
    assert [next(iter(t)) for t in doc["turns"]] == ["customer", "salesperson", "customer"]
    assert run("test", str(rec)).returncode == 0


def test_reload_reports_errors_and_keeps_session(tmp_path):
    """/reload with a broken pack lists the error and keeps going; fixed, it reloads."""
    pack = tmp_path / "p.yaml"
    shutil.copy(bundled_packs()["default"], pack)
    from coach import Coach
    from coach.assist import Assist

    app = Assist(Coach.load([pack]), packs=[pack])
    app.handle("我们公司有三十个员工")
    step = app.session.step
    pack.write_text(pack.read_text(encoding="utf-8").replace("next: confirm\n", "next: confirmm\n", 1), encoding="utf-8")
    out = app.handle("/reload")
    assert "错误" in out and "E110" in out
    pack.write_text(pack.read_text(encoding="utf-8").replace("confirmm", "confirm"), encoding="utf-8")
    assert "已重新读取" in app.handle("/reload")
    assert app.session.step == step and app.session.turn == 1


def test_practice_reload_keeps_the_run():
    """/reload in practice keeps the conversation going."""
    from coach.practice import PracticeRun
    from coach.scenario import load_scenario

    run_ = PracticeRun(load_scenario("training-course"), "easy", 0)
    run_.turn("您的团队现在是怎么分工的？")
    assert "已重新读取" in run_.reload()
    assert run_.turn("最让您头疼的问题是什么？").reply.reaction in ("fact", "objection")


def test_scenario_lint_names_file_and_line(tmp_path):
    """coach lint on a scenario with an unknown step prints file:line."""
    src = (ROOT / "dialogues" / "scenarios" / "training-course.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "s.yaml"
    bad.write_text(src.replace("steps: [communicate]", "steps: [comunicate]"), encoding="utf-8")
    r = run("lint", str(bad))
    assert r.returncode == 1 and f"{bad}:" in r.stdout and "E110" in r.stdout


def test_schema_files_ship_in_package():
    """The schema files sit inside the package, so the wheel carries them."""
    import coach
    assert (Path(coach.__file__).parent / "schema" / "pack.schema.json").is_file()
