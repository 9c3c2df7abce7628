"""The worked example in docs/rule-packs.md is a real pack: it lints clean and answers."""

from __future__ import annotations

import re

from conftest import ROOT

from coach import Coach
from coach.lint import lint


def _example(tmp_path):
    text = (ROOT / "docs" / "rule-packs.md").read_text(encoding="utf-8")
    block = text.split("## Worked example", 1)[1]
    yaml_text = re.search(r"```yaml\n(.*?)```", block, re.S).group(1)
    path = tmp_path / "insurance.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    return path


def test_worked_example_lints_clean(tmp_path):
    """The insurance example has no lint errors or warnings of its own."""
    path = _example(tmp_path)
    assert [str(p) for p in lint([path]) if p.path == str(path)] == []


def test_worked_example_answers(tmp_path):
    """The insurance example's own rule answers its own signal, on top of the default pack."""
    coach = Coach.load(["default", _example(tmp_path)])
    r = coach.session().hear("我单位买了保险，也有社保")
    assert "has_policy" in r.signals and r.rule == "insurance.has_policy"
    assert "no_money" in coach.session().hear("保费太高了").signals
