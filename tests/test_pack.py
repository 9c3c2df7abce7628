"""Rule packs: validation with file:line:col, every problem at once, and composition."""

from __future__ import annotations

import textwrap

import pytest
from conftest import ROOT, write_pack

from coach import Coach, PackError
from coach.lint import lint

MINIMAL = textwrap.dedent("""\
    pack: {id: mini, title: 迷你}
    signals:
      no_need: {any: [不需要]}
    slots:
      pain: {patterns: ["问题是(?P<value>.+)"]}
    rules:
      - id: all.fallback
        say: ["您能多说一点吗？"]
        why: 沟通：请客户多说。
      - id: no_need.ask
        when: {signals: [no_need]}
        say: ["理解。您现在是怎么做的？"]
        why: 沟通：回到需求。
        next: communicate
        priority: 10
    """)


def codes(problems):
    return [p.code for p in problems]


def test_default_packs_lint_clean():
    """The bundled rules lint with no errors and no warnings."""
    assert lint([ROOT / "rules"]) == []


def test_minimal_pack_loads(tmp_path):
    """A small hand-written pack loads and answers."""
    c = Coach.load([write_pack(tmp_path, MINIMAL)])
    r = c.session().hear("我们不需要")
    assert r.rule == "no_need.ask" and r.step.value == "communicate"


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    """A YAML syntax error is reported with file:line, and load raises PackError."""
    p = write_pack(tmp_path, MINIMAL.replace("say: [\"您能多说一点吗？\"]", "say: [\"您能多说一点吗？\""))
    with pytest.raises(PackError) as exc:
        Coach.load([p])
    (prob,) = exc.value.problems
    assert prob.code == "E001" and prob.path == str(p) and prob.line == 9
    assert f"{p}:9:" in str(exc.value)


def test_unknown_step_is_an_error_with_suggestion(tmp_path):
    """An unknown step names the line and suggests the closest step."""
    p = write_pack(tmp_path, MINIMAL.replace("next: communicate", "next: comunicate"))
    problems = lint([p])
    bad = [x for x in problems if x.code == "E110"]
    assert bad and bad[0].line == 14 and "communicate" in bad[0].hint


def test_every_problem_is_reported_at_once(tmp_path):
    """Unknown key, unknown signal, undefined template slot and duplicate id all show up together."""
    text = MINIMAL + textwrap.indent(textwrap.dedent("""\
          - id: no_need.ask
            when: {signals: [no_nead], slot: [pain]}
            say: ["{pian}吗？"]
            why: x
          - id: bad.key
            sya: ["hi"]
            say: ["hi"]
            why: x
        """), "  ")
    problems = lint([write_pack(tmp_path, text)])
    got = codes(problems)
    for code in ("E104", "E111", "E101", "E113"):
        assert code in got, (code, [str(p) for p in problems])
    hints = " ".join(p.hint for p in problems)
    assert "是不是 'no_need'？" in hints
    assert "是不是 'slots'？" in hints
    assert "是不是 'say'？" in hints
    assert "{pain}" in hints


def test_missing_fallback_is_reported(tmp_path):
    """A step with no rule that always answers is an error."""
    text = MINIMAL.replace("  - id: all.fallback\n    say", "  - id: all.fallback\n    when: {step: [wait]}\n    say")
    assert text != MINIMAL
    assert "E116" in codes(lint([write_pack(tmp_path, text)]))


@pytest.mark.parametrize("snippet,code", [
    ("a: &x [1]\nb: *x\n", "E001"),
    ("a: !!python/object/apply:os.system [ls]\n", "E001"),
    ("- just\n- a list\n", "E010"),
])
def test_hostile_yaml_is_refused(tmp_path, snippet, code):
    """Aliases, Python tags and non-mapping documents are refused with a clear error."""
    assert code in codes(lint([write_pack(tmp_path, snippet)]))


def test_bad_pattern_is_refused(tmp_path):
    """A pattern no linear-time engine can run (a back-reference) is refused at load time."""
    text = MINIMAL.replace('"问题是(?P<value>.+)"', '"(a+)\\\\1b"')
    assert "E114" in codes(lint([write_pack(tmp_path, text)]))


def test_later_pack_wins_and_signals_merge(tmp_path):
    """A later pack's rule with the same id replaces the earlier one; signals gain keywords."""
    base = write_pack(tmp_path, MINIMAL, "a.yaml")
    extra = write_pack(tmp_path, textwrap.dedent("""\
        pack: {id: extra}
        signals:
          no_need: {any: [用不上]}
        rules:
          - id: no_need.ask
            when: {signals: [no_need]}
            say: ["换个说法：您平时怎么安排？"]
            why: 沟通：覆盖。
            next: communicate
            priority: 10
        """), "b.yaml")
    c = Coach.load([base, extra])
    r = c.session().hear("我们用不上")
    assert r.rule == "no_need.ask" and r.text.startswith("换个说法")
    assert "no_need" in c.session().hear("我们不需要").signals


def test_requires_pulls_in_bundled_pack(tmp_path):
    """A pack that requires 'default' can use its signals without listing it."""
    p = write_pack(tmp_path, textwrap.dedent("""\
        pack: {id: addon, requires: [default]}
        rules:
          - id: addon.price
            when: {signals: [price_question]}
            say: ["先说说您要解决的问题，我再报价。"]
            why: 沟通：先定义需求再谈价格。
            next: communicate
            priority: 99
        """))
    assert Coach.load([p]).session().hear("多少钱").rule == "addon.price"


def test_unknown_pack_name_hints(tmp_path):
    """A misspelt bundled pack id gets a did-you-mean."""
    with pytest.raises(PackError) as exc:
        Coach.load(["defualt"])
    assert "default" in exc.value.problems[0].hint


def test_tie_break_priority_then_specificity_then_later_pack(tmp_path):
    """Equal priority: the rule with more conditions wins; then the later pack."""
    text = MINIMAL + textwrap.indent(textwrap.dedent("""\
          - id: no_need.specific
            when: {signals: [no_need], step: [investigate]}
            say: ["更具体的规则。"]
            why: 沟通。
            priority: 10
        """), "  ")
    c = Coach.load([write_pack(tmp_path, text)])
    assert c.session().hear("不需要").rule == "no_need.specific"


def test_large_file_refused_quickly(tmp_path):
    """A file over the size limit is refused before parsing."""
    from coach.yamlsafe import MAX_FILE_BYTES
    p = tmp_path / "huge.yaml"
    p.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    assert "E002" in codes(lint([p]))
