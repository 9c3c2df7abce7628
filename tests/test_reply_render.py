"""The reply path's shortcuts give exactly what rendering and tidying every line gives."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from coach import Coach
from coach.engine import _Plan, _tidy
from coach.template import Template

# Values that exercise every branch: empty, plain, marks inside, spaces at the ends.
_VALUES = ("", "李总", "，", "、", " x", "x ", "王经理，张总", "。", "abc", "；", ":", "，，", "。、")
_SHAPES = ("{customer}，您好", "好的，{customer}，{x}{y}，嗯", " {customer}", "{a}", "，{a}", "好{a}、{b}。",
           "好，{a}，{b}，，行", "{a}，{b}，", "嗯。{a}，、{b}，好", "好的，{a}，", "好的，{a}，{b}",
           "{a}{b}，", "没有引用的一句话。", "  留白  ")


def _plan(template: Template) -> _Plan:
    rule = SimpleNamespace(say=(template,), slots=frozenset(), no_slots=frozenset(), after=frozenset(),
                           not_after=frozenset(), id="r", tags=frozenset(), why=Template.parse("w"))
    return _Plan(rule)  # type: ignore[arg-type]


def _texts() -> list[str]:
    rules = Coach.load(["default", "listening"]).packset.rules
    return [t.text for r in rules for t in r.say] + list(_SHAPES)


@pytest.mark.parametrize("seed", [1, 2])
def test_pick_is_render_then_tidy(seed: int) -> None:
    rnd = random.Random(seed)
    for text in _texts():
        template = Template.parse(text)
        plan = _plan(template)
        needed = plan.variants[0][0]
        for _ in range(60):
            values = {n: rnd.choice(_VALUES) for n in template.names}
            values.update({n: values[n] or "甲" for n in needed})  # a variant is picked only then
            assert plan.pick(values, 0) == _tidy(template.render(values)), (text, values)


def test_new_suggestion_is_the_dataclass() -> None:
    from dataclasses import fields

    from coach.session import Suggestion, new_suggestion
    from coach.steps import Step

    args = dict(step=Step.PROBE, text="好", why="因为", signals=("agree",), rule="r", slots={"a": "b"}, trimmed=True)
    fast = new_suggestion(**args)  # type: ignore[arg-type]
    slow = Suggestion(**args)  # type: ignore[arg-type]
    assert type(fast) is Suggestion
    assert fast == slow and repr(fast) == repr(slow)
    assert list(vars(fast)) == [f.name for f in fields(Suggestion)]
